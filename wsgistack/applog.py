"""Logging for the service: one JSON object a line on stderr, each carrying the request id
(the schema shared with gunicorn's lines: wsgistack/logfmt.py).

gunicorn writes its own access log; these are the app's lines (warnings, errors with their
traceback, and what the views choose to say), so that `docker logs` shows both, machine-readable.
"""

from __future__ import annotations

import logging
import sys

from flasklite import Flask
from flasklite.middleware import RequestIdLogFilter
from wsgistack.logfmt import JsonLineFormatter


class CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is emitted, not when the app was built,
    so output redirected later (pytest's capture, a daemonised dev server) is not lost."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(app: Flask, level: str) -> None:
    handler = CurrentStderrHandler()
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RequestIdLogFilter())

    logger = app.logger
    # We own this logger: drop any default handler too, or every line would print twice.
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(level)
    # gunicorn configures the root logger for its own lines; ours must not print twice.
    logger.propagate = False
