"""TEMPORARY SHIM (replaced by the framework helper): request id + ProxyFix wiring."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    def __init__(self, wsgi_app: Any, header: str = "X-Request-ID") -> None:
        self.wsgi_app = wsgi_app
        self.header = header
        self.environ_key = "HTTP_" + header.upper().replace("-", "_")

    def __call__(self, environ: Any, start_response: Any) -> Any:
        incoming = environ.get(self.environ_key, "")
        rid = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        environ["REQUEST_ID"] = rid
        token = _request_id.set(rid)

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((self.header, rid))
            return start_response(status, headers, exc_info) if exc_info else start_response(
                status, headers
            )

        try:
            return self.wsgi_app(environ, _start)
        finally:
            _request_id.reset(token)


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def install_middleware(app: Any) -> None:
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)
    n = int(app.config.get("TRUSTED_PROXY_COUNT", 0))
    if n > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)
