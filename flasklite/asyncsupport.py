"""``async def`` views, hooks and error handlers, run to completion from the WSGI flow.

WSGI is synchronous, so a coroutine function is wrapped with asgiref's ``async_to_sync``
(Flask's choice): each call runs it in an event loop and returns its result. The request
context is a ``ContextVar``, which asgiref carries into the coroutine, so ``request``,
``session`` and ``g`` work inside it. asgiref is the optional ``async`` extra.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

ASYNC_EXTRA_MISSING = (
    "Install the 'async' extra (pip install 'wsgi-stack[async]', which adds asgiref) to use"
    " async views, hooks or error handlers."
)


def is_async(func: Callable[..., Any]) -> bool:
    """Whether calling ``func`` returns a coroutine (``async def``, also behind a partial or a
    callable object's ``async def __call__``)."""
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - an object's async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def async_to_sync(func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """asgiref's ``async_to_sync(func)``, or a clear error when asgiref is not installed."""
    try:
        from asgiref.sync import async_to_sync as asgiref_async_to_sync
    except ImportError:
        raise RuntimeError(ASYNC_EXTRA_MISSING) from None
    return asgiref_async_to_sync(func)


def ensure_sync(app: Any, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` itself when it is synchronous, else ``app.async_to_sync(func)``."""
    if is_async(func):
        return app.async_to_sync(func)  # type: ignore[no-any-return]
    return func


# Distinct callables remembered per app (functions are registered once; this only bounds odd
# cases such as callables made per request).
_SYNC_CALLABLES_KEPT = 1024


class AsyncSupport:
    """The app's ``ensure_sync`` and ``async_to_sync`` (a base class of ``AppBase``)."""

    _sync_callables: dict[Any, Callable[..., Any]]

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Every view, hook and handler is called through this: ``async def`` functions are
        wrapped with ``async_to_sync``. The answer per function is kept (it cannot change)."""
        try:
            return self._sync_callables[func]
        except KeyError:
            runnable = ensure_sync(self, func)
            if len(self._sync_callables) < _SYNC_CALLABLES_KEPT:
                self._sync_callables[func] = runnable
            return runnable
        except TypeError:  # an unhashable callable object: decided on every call
            return ensure_sync(self, func)

    def async_to_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """A synchronous function running the coroutine function ``func`` (asgiref's)."""
        return async_to_sync(func)


__all__ = ["AsyncSupport", "async_to_sync", "ensure_sync", "is_async"]
