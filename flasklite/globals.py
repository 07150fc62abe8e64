"""The context-local names: ``current_app``, ``g`` and ``request``.

One ``ContextVar`` holds the active context (an ``AppContext``; a request context is an
``AppContext`` that also carries a request), and every proxy reads through it. A ``ContextVar`` is
per thread and, under gevent (which patches ``contextvars``), per greenlet, so concurrent requests
never see each other's objects. One variable instead of Flask 3.1's two means one ``set`` and one
``reset`` per request.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from .app import Flask
    from .ctx import AppContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

_no_app_msg = """\
Working outside of application context.

This usually means you used `current_app` or `g` in code that runs outside a request, e.g. at
import time or in a background thread. Run that code inside `with app.app_context():`, or pass
the values it needs in explicitly."""

_no_req_msg = """\
Working outside of request context.

This usually means you used `request` outside a view, e.g. at import time, in a background thread
or in a streamed response's generator. In a test, use `with app.test_request_context(...):` (or
the test client); elsewhere, read what you need from the request inside the view and pass it on."""

_cv_ctx: ContextVar[AppContext] = ContextVar("flasklite.ctx")


def _get_request() -> Request:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(_no_req_msg)
    return ctx.request


# The proxies are typed as the objects they stand for (as Flask does), so code using them is
# type-checked against Flask/Request rather than against LocalProxy.
current_app: Flask = LocalProxy(  # type: ignore[assignment]
    _cv_ctx, "app", unbound_message=_no_app_msg
)


class _RequestProxy(LocalProxy):  # type: ignore[type-arg]
    """``request``: a ``LocalProxy`` whose attribute reads (``request.get_json``, ...) are one
    plain call instead of werkzeug's generic descriptor + ``partial(getattr, ...)`` layers,
    which cost about as much as the lookup they forward. Everything else is LocalProxy's."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        # LocalProxy has no public names of its own, so a public name is always the request's:
        # forwarded here at once. Through __getattr__ alone, each read would first fail the
        # proxy's own look-up, and raising that AttributeError costs more than the rest.
        if not name.startswith("_"):
            ctx = _cv_ctx.get(None)
            if ctx is None or ctx.request is None:
                raise RuntimeError(_no_req_msg)
            return getattr(ctx.request, name)
        return super().__getattribute__(name)

    def __getattr__(self, name: str) -> Any:
        ctx = _cv_ctx.get(None)  # _get_request inlined: this runs for every attribute read
        if ctx is None or ctx.request is None:
            raise RuntimeError(_no_req_msg)
        return getattr(ctx.request, name)


request: Request = _RequestProxy(_get_request)  # type: ignore[assignment]


def _get_g() -> _AppCtxGlobals:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.g


class _GlobalsProxy(LocalProxy):  # type: ignore[type-arg]
    """``g``: attribute reads and writes (``g.user = ...`` in a before-request hook, read in
    the view) go straight to the context's namespace, as ``request``'s reads do above."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        # As for ``request``: a public name is the namespace's (``g.user``, ``g.pop``), so it
        # is forwarded at once instead of after the proxy's own look-up has failed.
        if not name.startswith("_"):
            return getattr(_get_g(), name)
        return super().__getattribute__(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(_get_g(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_get_g(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_get_g(), name)


g: _AppCtxGlobals = _GlobalsProxy(_get_g)  # type: ignore[assignment]


def _get_session() -> SessionMixin:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.environ is None:
        raise RuntimeError(_no_req_msg)
    return ctx.session  # type: ignore[attr-defined, no-any-return]  # a RequestContext


class _SessionProxy(LocalProxy):  # type: ignore[type-arg]
    """``session``: reads and writes (``session.get``, ``session["user"] = ...``) go straight to
    the request's session, as ``request``'s and ``g``'s do; everything else is LocalProxy's."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):  # a public name is the session's (get, modified, ...)
            return getattr(_get_session(), name)
        return super().__getattribute__(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(_get_session(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_get_session(), name, value)  # session.permanent = True, session.modified = ...

    def __getitem__(self, key: str) -> Any:
        return _get_session()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        _get_session()[key] = value

    def __delitem__(self, key: str) -> None:
        del _get_session()[key]

    def __contains__(self, key: object) -> bool:
        return key in _get_session()


#: ``session``: the current request's session (opened on first use; see ``sessions.py``).
session: SessionMixin = _SessionProxy(_get_session)  # type: ignore[assignment]
