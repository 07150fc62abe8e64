"""Application and request contexts: what ``current_app``, ``g`` and ``request`` point at."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, SecurityError

from .globals import _cv_ctx
from .helpers import forget_tracebacks
from .routing import match
from .wrappers import _decode

if TYPE_CHECKING:
    from werkzeug.routing import MapAdapter

    from .app import Flask
    from .wrappers import Request

_sentinel: Any = object()


class _AppCtxGlobals:
    """``g``: a plain namespace for data that lives as long as one request (or app context)."""

    def get(self, name: str, default: Any | None = None) -> Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = _sentinel) -> Any:
        if default is _sentinel:
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
        return f"<framework.g of {ctx.app.name!r}>" if ctx else object.__repr__(self)


def has_app_context() -> bool:
    return _cv_ctx.get(None) is not None


def has_request_context() -> bool:
    ctx = _cv_ctx.get(None)
    return ctx is not None and ctx.request is not None


class AppContext:
    """``with app.app_context():`` — makes ``current_app`` and ``g`` available.

    ``__slots__``: one of these is built per request, so fixed slots keep it small and quick.
    ``g`` and the URL adapter are created on first use: most requests touch neither.
    """

    __slots__ = ("_g", "_repushed", "_token", "_url_adapter", "app", "request")

    def __init__(self, app: Flask, request: Request | None = None) -> None:
        self.app = app
        self.request = request
        self._g: _AppCtxGlobals | None = None
        self._url_adapter: MapAdapter | None = None
        # The token of the first push, and (rarely) a stack of tokens for pushing the same
        # context again; a context pushes once per request, so no list is made for that.
        self._token: Token[AppContext] | None = None
        self._repushed: list[Token[AppContext]] | None = None

    @property
    def g(self) -> _AppCtxGlobals:
        g = self._g
        if g is None:
            g = self._g = self.app.app_ctx_globals_class()
        return g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value

    @property
    def url_adapter(self) -> MapAdapter | None:
        """The URL adapter bound for this context (the app caches it per host/script name)."""
        adapter = self._url_adapter
        if adapter is None:
            adapter = self._url_adapter = self.app.create_url_adapter(self.request)
        return adapter

    def push(self) -> None:
        token = _cv_ctx.set(self)
        if self._token is None:
            self._token = token
        else:
            self._push_again(token)

    def _push_again(self, token: Token[AppContext]) -> None:
        if self._repushed is None:
            self._repushed = []
        self._repushed.append(token)

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Run the teardown functions (with the error, if any), then restore the previous
        context. Raises if this is not the active context: pushes and pops must nest."""
        repushed = self._repushed
        try:
            if not repushed:  # the outermost push: the context ends here
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self._teardown(exc)
        finally:
            ctx = _cv_ctx.get(None)
            if repushed:
                token: Token[AppContext] | None = repushed.pop()
            else:
                token, self._token = self._token, None
            if token is None:
                raise RuntimeError(f"{self!r} was popped without being pushed")
            _cv_ctx.reset(token)
        if ctx is not self:
            raise AssertionError(f"Popped wrong context ({ctx!r} instead of {self!r})")

    def _teardown(self, exc: BaseException | None) -> None:
        if self.app.teardown_appcontext_funcs:
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


def _is_websocket(environ: dict[str, Any]) -> bool:
    """A WebSocket handshake, by werkzeug's rule; it only matches WebSocket rules (we define
    none), so such a request gets werkzeug's 400 rather than a normal view."""
    if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
        return False
    connection = environ.get("HTTP_CONNECTION", "").lower().split(",")
    return any(value.strip(" \t") == "upgrade" for value in connection)


# Distinct trusted Host values remembered per app (real deployments have a handful).
_TRUSTED_HOST_CACHE_SIZE = 64


class RequestContext(AppContext):
    """The context of one request: an app context that also carries the ``Request``.

    Pushing it the first time matches the URL (``match_request``); a routing error is stored and
    raised later by ``dispatch_request``, after the before-request functions, as in Flask.
    """

    __slots__ = ()
    request: Request

    def __init__(self, app: Flask, environ: dict[str, Any], request: Request | None = None):
        # Assigned directly rather than via super().__init__: this runs on every request.
        self.app = app
        self.request = app.request_class(environ) if request is None else request
        self._g = None
        self._url_adapter = None
        self._token = None
        self._repushed = None

    def match_request(self) -> None:
        """Find the rule for this request; store the view args or the routing exception."""
        request = self.request
        environ = request.environ
        trusted_hosts = self.app.config["TRUSTED_HOSTS"]
        if trusted_hosts is not None:
            # As Flask 3.1: werkzeug's get_host raises SecurityError (a 400) for a host that is
            # not listed; stored like a routing error, so error handlers still answer it.
            # The check (IDNA-encoding every listed name) cost more than the whole dispatch, so
            # hosts that passed are remembered for this list; a refused host is checked every
            # time and never cached, so clients cannot fill the cache with junk names.
            app = self.app
            key = (environ.get("HTTP_HOST"), environ.get("SERVER_NAME"), environ.get("SERVER_PORT"))
            if app._trusted_hosts_checked is not trusted_hosts:
                app._trusted_hosts_checked = trusted_hosts
                app._trusted_host_keys = set()
            if key not in app._trusted_host_keys:
                request.trusted_hosts = trusted_hosts
                try:
                    request.host  # noqa: B018 - read for its check
                except SecurityError as e:
                    request.routing_exception = e
                    return
                if len(app._trusted_host_keys) >= _TRUSTED_HOST_CACHE_SIZE:
                    app._trusted_host_keys.clear()
                app._trusted_host_keys.add(key)
        # Hot path (Bottle's idea): a rule without converters is an exact path, so it is found in
        # a dict keyed by the raw PATH_INFO before the werkzeug matcher runs. A miss (or a method
        # the path does not allow, or OPTIONS) falls through to the matcher, which then decides
        # 404/405/308 exactly as werkzeug does.
        by_method = self.app._static_routes.get(environ.get("PATH_INFO", ""))
        if by_method is not None and "HTTP_UPGRADE" not in environ:
            method = environ.get("REQUEST_METHOD", "")
            rule = by_method.get(method)
            if rule is not None:
                request.url_rule = rule
                request.view_args = {}
                # The table's keys are upper-case, so this is already what ``request.method``
                # would compute; storing it saves computing it again in dispatch_request.
                request.method = method
                return
        try:
            adapter = self.url_adapter
            assert adapter is not None
            # PATH_INFO as is, as werkzeug's bind_to_environ passes it (not ``request.path``,
            # which adds a leading slash): a request for the mount point itself must redirect
            # to the slash, not match "/". ``match`` is adapter.match without its per-call
            # overhead for plain matches, 404 and 405 (redirects are still werkzeug's).
            rule, view_args = match(
                adapter,
                _decode(environ.get("PATH_INFO", "")),
                request.method,
                environ.get("QUERY_STRING", ""),
                "HTTP_UPGRADE" in environ and _is_websocket(environ),
            )
        except HTTPException as e:
            request.routing_exception = e
        else:
            request.url_rule = rule
            request.view_args = view_args

    def push(self) -> None:
        token = _cv_ctx.set(self)
        if self._token is None:
            self._token = token
            self.match_request()  # the first push: find the view for this request
        else:
            self._push_again(token)

    def _teardown(self, exc: BaseException | None) -> None:
        app = self.app
        if app.teardown_request_funcs:
            app.do_teardown_request(exc)
        if app.teardown_appcontext_funcs:
            app.do_teardown_appcontext(exc)
        request = self.request
        # Close uploaded files only if the form was parsed at all; skipping the call keeps the
        # common request cheap.
        if request._form_loaded:
            request.close()
        # The request and its environ refer to each other; breaking that cycle here (as Flask
        # does) lets reference counting free both at once instead of leaving every request for
        # the cyclic garbage collector.
        request.environ["werkzeug.request"] = None
        # A routing error (404, 405, ...) carries a traceback whose frames hold the request
        # that holds the error: another cycle, on the path scanners hit most.
        if request.routing_exception is not None:
            forget_tracebacks(request.routing_exception)

    def __repr__(self) -> str:
        return f"<RequestContext {self.request.url!r} [{self.request.method}] of {self.app.name}>"
