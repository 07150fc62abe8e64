"""One JSON log schema for the app's and gunicorn's lines, written by python-json-logger.

Every line is one JSON object with at least::

    time        ISO 8601 in UTC with milliseconds ("2026-01-31T12:00:00.123+00:00")
    level       Python's level name: DEBUG, INFO, WARNING, ERROR, CRITICAL
    logger      the logger's name ("app", "gunicorn.error", "gunicorn.access", ...)
    message     the text
    request_id  the request's id (nginx's, the client's or new), "-" outside a request
    pid         the process that wrote it

plus ``trace_id`` (32 hex digits, "-" outside a trace) while tracing is on, ``exception`` with
the traceback when there is one, and whatever a caller passes in ``extra={...}``. gunicorn's
access lines add ``type: "access"``, ``method``, ``path``, ``protocol``, ``status``, ``bytes``,
``duration_ms``, ``remote_addr``, ``user_agent``, ``referer``. nginx writes the same first fields
from its ``log_format`` (nginx/nginx.conf). The list with examples is in docs/observability.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger
from pythonjsonlogger.json import JsonFormatter

from flasklite.middleware import request_id_var
from wsgistack import tracing

#: The fields every line carries, in the order they are written.
COMMON_FIELDS = ("time", "level", "logger", "message", "request_id", "pid")
#: Fields of gunicorn's access lines, after the common ones.
ACCESS_FIELDS = (
    "type",
    "method",
    "path",
    "protocol",
    "status",
    "bytes",
    "duration_ms",
    "remote_addr",
    "user_agent",
    "referer",
)
# Set on records by logging itself or by formatters; never copied into the line as extras.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonLineFormatter(JsonFormatter):
    """The formatter of every Python log line of the stack (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(
            rename_fields={"exc_info": "exception"},
            reserved_attrs=sorted(_RECORD_ATTRIBUTES),
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        log_data["request_id"] = getattr(record, "request_id", None) or request_id_var.get()
        log_data["pid"] = record.process
        if tracing.enabled():
            log_data["trace_id"] = getattr(record, "trace_id", None) or tracing.current_trace_id()
        super().add_fields(log_data, record, message_dict)


def _header(headers: Any, name: str) -> str | None:
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        if str(key).lower() == name:
            return str(value)
    return None


HEALTH_CHECK_PATHS = frozenset({"/healthz", "/readyz"})


class JsonLogger(Logger):  # type: ignore[misc]
    """gunicorn's Logger writing its error and access lines with ``JsonLineFormatter``.

    The access line's request id is the one the app's middleware stored in the environ (nginx's,
    the client's or new), so nginx's, gunicorn's and the app's lines of one request share it.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonLineFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        # Health checks come every few seconds from Docker and orchestrators: logged only at
        # GUNICORN_LOGLEVEL=debug, so they do not drown the requests that matter.
        if environ.get("PATH_INFO") in HEALTH_CHECK_PATHS and not self.error_log.isEnabledFor(
            logging.DEBUG
        ):
            return
        try:
            status = resp.status
            status_code = int(str(status).split(None, 1)[0]) if status else 0
            method = environ.get("REQUEST_METHOD")
            path = environ.get("RAW_URI") or environ.get("PATH_INFO")
            fields: dict[str, Any] = {
                "type": "access",
                "request_id": environ.get("REQUEST_ID")
                or _header(getattr(req, "headers", []), "x-request-id")
                or "-",
                "method": method,
                "path": path,
                "protocol": environ.get("SERVER_PROTOCOL"),
                "status": status_code,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                # After the app's ProxyFix this is the client's address, not nginx's.
                "remote_addr": environ.get("REMOTE_ADDR", "-"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
                "referer": environ.get("HTTP_REFERER"),
            }
            trace_id = environ.get(tracing.TRACE_ID_ENVIRON_KEY)
            if trace_id:
                fields["trace_id"] = trace_id
            self.access_log.info("%s %s %s", method, path, status_code, extra=fields)
        except Exception:
            self.exception("could not write the access log line")
