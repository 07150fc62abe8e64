"""Helpers tied to the current request: ``after_this_request`` and
``copy_current_request_context``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from .globals import _cv_ctx

F = TypeVar("F", bound=Callable[..., Any])


def _request_ctx(name: str) -> Any:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(f"'{name}' can only be used when a request context is active.")
    return ctx


def after_this_request(f: F) -> F:
    """Run ``f(response)`` on this request's response only, before the app's after-request
    functions; it returns the response (or a replacement). Use it as a decorator in a view."""
    ctx = _request_ctx("after_this_request")
    if ctx.after_request_functions is None:
        ctx.after_request_functions = []
    ctx.after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so it runs inside a copy of the current request context, e.g. in a thread
    started by the view. The copy shares the request and the session; it does not save the
    session, so changes made in ``f`` after the response was sent are lost."""
    ctx = _request_ctx("copy_current_request_context")
    copied = type(ctx)(ctx.app, ctx.request.environ, ctx.request)
    copied.session = ctx.session

    @wraps(f)
    def run_in_copy(*args: Any, **kwargs: Any) -> Any:
        with copied:
            return copied.app.ensure_sync(f)(*args, **kwargs)

    return run_in_copy  # type: ignore[return-value]


__all__ = ["after_this_request", "copy_current_request_context"]
