"""Message flashing: ``flash`` a message in one request, show it with
``get_flashed_messages()`` in the next (typically after a redirect).

Messages wait in the session under ``_flashes`` as ``(category, message)`` pairs, so flashing
needs a working session (a ``SECRET_KEY``). Reading removes them from the session; within one
request every read returns the same list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .globals import _cv_ctx
from .signals import message_flashed

FLASHES_KEY = "_flashes"


def _request_ctx(name: str) -> Any:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(f"{name}() needs a request context (call it from a view).")
    return ctx


def flash(message: str, category: str = "message") -> None:
    """Keep ``message`` for the next page. ``category`` is free text; ``"error"``, ``"info"``
    and ``"warning"`` are the usual ones. Sends ``message_flashed``."""
    ctx = _request_ctx("flash")
    session = ctx.session
    # Assigned back (not appended in place) so the session records the change and is saved.
    session[FLASHES_KEY] = [*session.get(FLASHES_KEY, ()), (category, message)]
    if message_flashed.receivers:
        app = ctx.app
        message_flashed.send(
            app, _async_wrapper=app.ensure_sync, message=message, category=category
        )


def get_flashed_messages(
    with_categories: bool = False, category_filter: Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """The messages flashed for this client, oldest first, removed from the session.

    ``with_categories=True`` returns ``(category, message)`` pairs; ``category_filter`` keeps
    only the given categories. Also available in templates."""
    ctx = _request_ctx("get_flashed_messages")
    pending = ctx.flashes
    if pending is None:
        session = ctx.session
        stored = session.pop(FLASHES_KEY) if FLASHES_KEY in session else []
        pending = ctx.flashes = [tuple(item) for item in stored]
    wanted = set(category_filter)
    if wanted:
        pending = [item for item in pending if item[0] in wanted]
    if with_categories:
        return pending  # type: ignore[no-any-return]
    return [message for _, message in pending]


__all__ = ["flash", "get_flashed_messages"]
