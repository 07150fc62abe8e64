"""The floor for `make bench-http`: the smallest WSGI callable that answers like ``GET /_probe/text``.

Same status, body and content type as wsgistack's text probe (in every service), no framework,
so (app rps) / (this rps) under the same gunicorn settings is what the framework costs.
Served as ``gunicorn -c gunicorn.conf.py bench.bare_wsgi:app`` (by ``NativeStack(wsgi_app=...)``,
which waits for ``/readyz`` before it starts nginx, so that answers too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: The probe path this callable answers, as wsgistack.probes does in every service.
PATH = "/_probe/text"
HELLO = b"Hello, World!"
_HELLO_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(HELLO))),
]
_READY = b'{"status": "ready"}'
_READY_HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(_READY))),
]
_MISSING = b"Not Found"
_MISSING_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(_MISSING))),
]

StartResponse = Callable[..., Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO")
    if path == PATH:
        start_response("200 OK", list(_HELLO_HEADERS))
        return [HELLO]
    if path in {"/readyz", "/healthz"}:
        start_response("200 OK", list(_READY_HEADERS))
        return [_READY]
    start_response("404 Not Found", list(_MISSING_HEADERS))
    return [_MISSING]
