"""WSGI middleware: apps wrapping apps (``app.wsgi_app = Middleware(app.wsgi_app)``).

``install_middleware(app)`` builds, outermost first::

    server → ProxyFix (only if TRUSTED_PROXY_COUNT > 0) → RequestIdMiddleware → app.wsgi_app

ProxyFix goes outside so that, behind nginx, everything inside (request id, logging, the app)
already sees the client's address, scheme and host.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

from .helpers import new_request_id

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .app import Flask

#: The current request id, for log records (``RequestIdLogFilter``); "-" outside a request.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

#: An incoming id is reused only if it is short and made of safe characters: it ends up in
#: headers and log lines, so anything else (spaces, quotes, newlines) is replaced.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

#: Names the replica that answered (``RequestIdMiddleware(served_by=...)``).
SERVED_BY_HEADER = "X-Served-By"


class RequestIdMiddleware:
    """Give every request an id: reuse a well-formed incoming ``X-Request-ID`` (e.g. set by
    nginx), else generate 32 random hex digits. The id goes to ``environ["REQUEST_ID"]`` (the
    app reads it as ``request.request_id``), to the response header, and to log records via a
    ContextVar.

    ``served_by`` (e.g. the container's hostname) is sent as ``X-Served-By`` on every response,
    so a client behind a load balancer can tell which replica answered. It is added here, in the
    pass that adds the request id, rather than by an after-request function: that would make
    every plain response build a ``Headers`` object just to append one constant header.
    """

    def __init__(
        self,
        wsgi_app: WSGIApplication,
        header: str = "X-Request-ID",
        served_by: str | None = None,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.header = header
        self.environ_key = "HTTP_" + header.upper().replace("-", "_")
        stamped = [header] if served_by is None else [header, SERVED_BY_HEADER]
        # Replaced, never doubled, if the app set them itself.
        self._replaced = frozenset(name.lower() for name in stamped)
        self._constant_headers: tuple[tuple[str, str], ...] = (
            () if served_by is None else ((SERVED_BY_HEADER, served_by),)
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        incoming = environ.get(self.environ_key)
        if incoming is not None and VALID_REQUEST_ID.fullmatch(incoming):
            rid: str = incoming
        else:
            rid = new_request_id()
        environ["REQUEST_ID"] = rid
        header, replaced, constant_headers = self.header, self._replaced, self._constant_headers

        def start_with_id(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
        ) -> Any:
            # Replace rather than add, so a response that already carries the header (e.g. a
            # view that echoes it) does not end up with two; the filtered copy is made only then.
            for name, _value in headers:
                if name.lower() in replaced:
                    headers = [(k, v) for k, v in headers if k.lower() not in replaced]
                    break
            headers = [*headers, (header, rid), *constant_headers]
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        token = request_id_var.set(rid)
        try:
            return self.wsgi_app(environ, start_with_id)
        finally:
            request_id_var.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Set ``record.request_id`` for formatters (``%(request_id)s``): the id of the request being
    handled, else an id passed with ``extra={"request_id": ...}``, else ``"-"``."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id_var.get()
        if rid != "-" or not getattr(record, "request_id", None):
            record.request_id = rid
        return True


def install_middleware(app: Flask, served_by: str | None = None) -> None:
    """Wrap ``app.wsgi_app`` with the request id middleware (sending ``served_by`` as
    ``X-Served-By`` when given) and, when ``TRUSTED_PROXY_COUNT`` > 0, werkzeug's ``ProxyFix``
    trusting that many proxies for ``X-Forwarded-For/-Proto/-Host/-Port/-Prefix``."""
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app, served_by=served_by)  # type: ignore[method-assign]
    n = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if n > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
