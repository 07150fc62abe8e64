"""Application and request contexts: what ``current_app``, ``g`` and ``request`` point at.

One ``ContextVar`` (``globals._cv_ctx``) holds the active context. A request context is an
application context that also carries the request; pushed inside an active application context
of the same app (``with app.app_context():`` around a test, a request made from a view), it
shares that context's ``g`` and leaves ``teardown_appcontext`` to it, so those functions run
once, when the context that owns them ends.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from .globals import _cv_ctx
from .helpers import forget_tracebacks
from .routing import match_pattern, match_with_werkzeug, wsgi_path_text
from .sessions import open_request_session
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_tearing_down,
)

if TYPE_CHECKING:
    from werkzeug.routing import MapAdapter, Rule

    from .app import Flask
    from .sessions import SessionMixin
    from .wrappers import Request

_unset: Any = object()


class _AppCtxGlobals:
    """``g``: a plain namespace for data that lives as long as one request (or app context)."""

    def get(self, name: str, default: Any | None = None) -> Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = _unset) -> Any:
        if default is _unset:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_ctx.get(None)
        return f"<flasklite.g of {ctx.app.name!r}>" if ctx else object.__repr__(self)


def has_app_context() -> bool:
    return _cv_ctx.get(None) is not None


def has_request_context() -> bool:
    ctx = _cv_ctx.get(None)
    return ctx is not None and ctx.environ is not None


class AppContext:
    """``with app.app_context():`` makes ``current_app`` and ``g`` available.

    ``__slots__`` because one context is made per request; ``g`` and the URL adapter are made on
    first use, since most requests touch neither.
    """

    __slots__ = ("_adapter", "_globals", "_tokens", "app")

    #: The WSGI environ of a request context; None here.
    environ: dict[str, Any] | None = None

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._globals: _AppCtxGlobals | None = None
        self._adapter: MapAdapter | None = None
        self._tokens: list[Token[AppContext]] = []

    if TYPE_CHECKING:
        request: Request | None
    else:

        @property
        def request(self) -> None:
            return None

    @property
    def endpoint(self) -> str | None:
        """The matched endpoint of a request context; None here."""
        return None

    @property
    def g(self) -> _AppCtxGlobals:
        if self._globals is None:
            self._globals = self.app.app_ctx_globals_class()
        return self._globals

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._globals = value

    @property
    def url_adapter(self) -> MapAdapter | None:
        """The URL map bound for this context (cached by the app per host and script name)."""
        if self._adapter is None:
            self._adapter = self.app.create_url_adapter(self.environ)
        return self._adapter

    def push(self) -> None:
        self._tokens.append(_cv_ctx.set(self))
        if appcontext_pushed.receivers and len(self._tokens) == 1 and self.owns_app_context():
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def owns_app_context(self) -> bool:
        """Whether this context is an application context of its own (not sharing one)."""
        return True

    def pop(self, exc: BaseException | None = _unset) -> None:
        """End the context (the last pop of a context pushed several times): run its teardown
        functions with the error, if any, then restore the previous context. Contexts must be
        popped in the reverse order of their pushes."""
        if not self._tokens:
            raise RuntimeError(f"{self!r} was popped without being pushed")
        try:
            if len(self._tokens) == 1:
                self._end(sys.exc_info()[1] if exc is _unset else exc)
        finally:
            active = _cv_ctx.get(None)
            _cv_ctx.reset(self._tokens.pop())
        if active is not self:
            raise AssertionError(f"Popped wrong context ({active!r} instead of {self!r})")
        if appcontext_popped.receivers and not self._tokens and self.owns_app_context():
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def _end(self, exc: BaseException | None) -> None:
        if self.app.teardown_appcontext_funcs or appcontext_tearing_down.receivers:
            self.app.do_teardown_appcontext(exc)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.app.name!r}>"


class RequestContext(AppContext):
    """The context of one request. The ``Request`` object is made the first time something reads
    ``request`` (or ``ctx.request``); a request whose view and hooks never look at it never
    builds one. The first push finds the rule (``match_request``); a routing error is kept and
    raised by ``dispatch_request``, after the before-request functions, as in Flask.
    """

    __slots__ = (
        "_built",
        "_owner",
        "after_request_functions",
        "environ",
        "flashes",
        "opened_session",
        "routing_exception",
        "url_rule",
        "view_args",
    )
    environ: dict[str, Any]

    def __init__(self, app: Flask, environ: dict[str, Any], request: Request | None = None):
        # AppContext's fields set here rather than through super().__init__: one call less on
        # every request.
        self.app = app
        self._globals = None
        self._adapter = None
        self._tokens = []
        self.environ = environ
        self._built = request
        #: The application context this one shares ``g`` with, if pushed inside one; None when
        #: this context is its own application context.
        self._owner: AppContext | None = None
        self.url_rule: Rule | None = None
        self.view_args: dict[str, Any] | None = None
        self.routing_exception: HTTPException | None = None
        #: The session once something opened it (``session`` opens it on first use).
        self.opened_session: SessionMixin | None = None
        #: Messages ``get_flashed_messages`` took from the session in this request.
        self.flashes: list[tuple[str, str]] | None = None
        #: ``after_this_request`` functions, made on first use.
        self.after_request_functions: list[Callable[[Any], Any]] | None = None

    @property
    def session(self) -> SessionMixin:
        """The request's session, opened by ``app.session_interface`` the first time it is
        used (a request that never touches it costs nothing), a null session without one."""
        opened = self.opened_session
        if opened is None:
            opened = self.opened_session = open_request_session(self.app, self.request)
        return opened

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self.opened_session = value

    def owns_app_context(self) -> bool:
        return self._owner is None

    if not TYPE_CHECKING:

        @property
        def request(self) -> Request:
            built = self._built
            if built is None:
                built = self._built = self.app.request_class(self.environ)
                built.url_rule = self.url_rule
                built.view_args = self.view_args
                built.routing_exception = self.routing_exception
            return built

        @request.setter
        def request(self, value: Request) -> None:
            self._built = value

    else:
        request: Request

    @property
    def request_built(self) -> bool:
        """Whether the ``Request`` object exists (teardown only tidies up one that does)."""
        return self._built is not None

    def match_result(self) -> tuple[Rule | None, dict[str, Any] | None, HTTPException | None]:
        """(rule, view args, routing error): the request's, once it exists (hooks may change
        them there), else what ``match_request`` found."""
        built = self._built
        if built is None:
            return self.url_rule, self.view_args, self.routing_exception
        return built.url_rule, built.view_args, built.routing_exception

    @property
    def endpoint(self) -> str | None:
        rule = self.url_rule if self._built is None else self._built.url_rule
        return None if rule is None else rule.endpoint

    @property
    def g(self) -> _AppCtxGlobals:
        owner = self._owner
        return super().g if owner is None else owner.g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        if self._owner is None:
            self._globals = value
        else:
            self._owner.g = value

    def match_request(self) -> None:
        """Find the rule: the exact-path dict first, werkzeug's matcher for everything else.
        The outcome is stored on the context (and on the request, if already built)."""
        app, environ = self.app, self.environ
        error: HTTPException | None = None
        rule: Rule | None = None
        args: dict[str, Any] | None = None
        try:
            if app.config["TRUSTED_HOSTS"] is not None:
                app.check_trusted_host(environ)
            method = environ.get("REQUEST_METHOD", "GET").upper()
            raw_path = environ.get("PATH_INFO", "")
            by_method = app.exact_routes.get(raw_path)
            rule = None if by_method is None else by_method.get(method)
            if rule is not None and "HTTP_UPGRADE" not in environ:
                args = {}
            else:
                shapes = app.shape_routes
                if shapes is None:
                    shapes = app.build_shape_routes()
                found = None
                if "HTTP_UPGRADE" not in environ:
                    found = match_pattern(shapes, wsgi_path_text(raw_path), method)
                if found is None:
                    adapter = self.url_adapter
                    assert adapter is not None
                    found = match_with_werkzeug(adapter, environ, method)
                rule, args = found
        except HTTPException as refused:
            rule, error = None, refused
        self.url_rule, self.view_args, self.routing_exception = rule, args, error
        if self._built is not None:
            self._built.url_rule, self._built.view_args = rule, args
            self._built.routing_exception = error

    def push(self) -> None:
        if self._tokens:  # pushed again: nothing more to find
            AppContext.push(self)
            return
        outer = _cv_ctx.get(None)
        if outer is not None and outer.app is self.app:
            self._owner = outer.owning_context() if isinstance(outer, RequestContext) else outer
        AppContext.push(self)
        self.match_request()

    def owning_context(self) -> AppContext:
        """The application context whose ``g`` and teardown this request uses."""
        return self if self._owner is None else self._owner

    def _end(self, exc: BaseException | None) -> None:
        app = self.app
        if app.teardown_request_funcs or request_tearing_down.receivers:
            app.do_teardown_request(exc, app.scopes_for(self.endpoint))
        built = self._built
        if built is not None:
            built.close()  # uploaded files
            # The request and its environ point at each other; undoing that lets reference
            # counting free both at once instead of the cyclic garbage collector, later.
            self.environ["werkzeug.request"] = None
        if self._owner is None and (
            app.teardown_appcontext_funcs or appcontext_tearing_down.receivers
        ):
            app.do_teardown_appcontext(exc)
        # A routing error's traceback reaches frames that hold the error itself: another cycle,
        # on the path scanners hit most.
        if self.routing_exception is not None:
            forget_tracebacks(self.routing_exception)

    def __repr__(self) -> str:
        where = self.environ.get("PATH_INFO", "")
        return (
            f"<RequestContext {where!r} [{self.environ.get('REQUEST_METHOD')}] of {self.app.name}>"
        )
