"""``app.logger``: the logger named after the app, set up the way Flask sets it up, unless the
app has set up logging itself.

* ``logging.getLogger(app.name)``, so ``logging`` configuration by name reaches it;
* in debug mode, a logger without a level of its own lets DEBUG records through;
* a default handler (to the request's ``wsgi.errors``, else stderr, with the request id) only
  when no handler along the logger's propagation chain would emit its records. An app that
  configures its own handlers (the service's JSON lines, ``wsgistack/applog.py``) never gets it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

from .globals import _cv_ctx
from .middleware import RequestIdLogFilter

if TYPE_CHECKING:
    from .base import AppBase


def _propagation_chain(logger: logging.Logger) -> Iterator[logging.Logger]:
    """The logger, then each ancestor its records reach (stopping after ``propagate=False``)."""
    node: logging.Logger | None = logger
    while node is not None:
        yield node
        node = node.parent if node.propagate else None


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether some handler the logger's records reach has a level that lets them through."""
    threshold = logger.getEffectiveLevel()
    reachable = (handler for node in _propagation_chain(logger) for handler in node.handlers)
    return any(handler.level <= threshold for handler in reachable)


class _ErrorsStream:
    """A file-like stand-in for "where errors go now": the WSGI server's ``wsgi.errors`` during a
    request (servers route it to their error log), ``sys.stderr`` outside one."""

    def _target(self) -> TextIO:
        ctx = _cv_ctx.get(None)
        if ctx is not None and ctx.request is not None:
            errors = ctx.request.environ.get("wsgi.errors")
            if errors is not None:
                return errors  # type: ignore[no-any-return]
        return sys.stderr

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()


#: The handler ``create_logger`` adds when nothing else would print the app's records.
default_handler = logging.StreamHandler(_ErrorsStream())
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s [%(request_id)s]: %(message)s")
)
default_handler.addFilter(RequestIdLogFilter())


def create_logger(app: AppBase) -> logging.Logger:
    """``app.logger``'s first access: the named logger, adjusted as the module docstring says."""
    logger = logging.getLogger(app.name)
    if app.debug and logger.level == logging.NOTSET:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
