"""``app.logger``: a logger named after the app whose records carry the request id."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from .middleware import RequestIdLogFilter

if TYPE_CHECKING:
    from .base import AppBase


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler in the logger's hierarchy would emit its records (as Flask checks)."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


#: Added to ``app.logger`` only when nothing in its hierarchy would print its records, so an
#: application that configures logging (``app/logs.py``) keeps full control.
default_handler = logging.StreamHandler(sys.stderr)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s [%(request_id)s]: %(message)s")
)
default_handler.addFilter(RequestIdLogFilter())


def create_logger(app: AppBase) -> logging.Logger:
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
