"""Registration: routes, hooks, error handlers and template helpers (the decorator half of the
app object; the request flow is in ``app.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.routing import Rule as _WerkzeugRule

from .routing import Map

F = TypeVar("F", bound=Callable[..., Any])
ErrorHandler = Callable[[Any], Any]


class Rule(_WerkzeugRule):
    """A URL rule that remembers whether the framework answers its OPTIONS requests."""

    provide_automatic_options: bool = False


class Scaffold:
    """Everything that is registered once at start-up. Registration keeps derived, ready-to-use
    structures up to date (the static-route dict, the reversed after-request list, the error
    handler cache), so the request path only reads them."""

    url_rule_class: type[Rule] = Rule
    url_map_class: type[Map] = Map

    def __init__(self) -> None:
        self.url_map = self.url_map_class()
        self.view_functions: dict[str, Callable[..., Any]] = {}
        # {code or None: {exception class: handler}} — by-code handlers are looked up first.
        self.error_handler_spec: dict[int | None, dict[type[BaseException], ErrorHandler]] = {
            None: {}
        }
        self.before_request_funcs: list[Callable[[], Any]] = []
        self.after_request_funcs: list[Callable[[Any], Any]] = []
        self.teardown_request_funcs: list[Callable[[BaseException | None], Any]] = []
        self.teardown_appcontext_funcs: list[Callable[[BaseException | None], Any]] = []
        self.template_context_processors: list[Callable[[], dict[str, Any]]] = []
        self._template_filters: dict[str, Callable[..., Any]] = {}
        self._template_globals: dict[str, Any] = {}
        self._template_tests: dict[str, Callable[..., bool]] = {}
        # PATH_INFO (raw WSGI string) → method → rule, for rules without converters.
        self._static_routes: dict[str, dict[str, _WerkzeugRule]] = {}
        self._after_request_reversed: list[Callable[[Any], Any]] = []
        self._handler_cache: dict[tuple[type[BaseException], int | None], ErrorHandler | None] = {}
        self._got_first_request = False

    def _check_setup_finished(self, f_name: str) -> None:
        # Registration mutates shared structures that request threads read without locks.
        if self._got_first_request:
            raise AssertionError(
                f"The setup method {f_name!r} can no longer be called on the application. It has"
                " already handled its first request; register routes, hooks and handlers before"
                " the app starts serving."
            )

    # -- routes ---------------------------------------------------------------------------------

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Register the decorated function as the view for ``rule``."""

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    def _method_route(self, method: str, rule: str, options: dict[str, Any]) -> Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("PUT", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("PATCH", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("DELETE", rule, options)

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Connect a URL rule to an endpoint (default: the view function's name).

        Methods default to GET (HEAD is added by werkzeug, OPTIONS answered automatically). A
        second, different function for an existing endpoint raises here, at start-up.
        """
        self._check_setup_finished("add_url_rule")
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint or a view function")
            endpoint = view_func.__name__
        methods: Iterable[str] | None = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example:"
                ' @app.route(..., methods=["POST"])'
            )
        method_set = {m.upper() for m in methods}
        required = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            provide_automatic_options = "OPTIONS" not in method_set
            if provide_automatic_options:
                required.add("OPTIONS")
        if view_func is not None:
            old = self.view_functions.get(endpoint)
            if old is not None and old != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint function:"
                    f" {endpoint!r} is already {old.__qualname__}; pass endpoint=... to one of them"
                )
        rule_obj = self.url_rule_class(
            rule, methods=method_set | required, endpoint=endpoint, **options
        )
        rule_obj.provide_automatic_options = provide_automatic_options
        self.url_map.add(rule_obj)
        if view_func is not None:
            self.view_functions[endpoint] = view_func
        self._rebuild_static_routes()

    def _rebuild_static_routes(self) -> None:
        """Recompute the exact-path dict from the map (start-up only, so simplicity wins).

        Only rules werkzeug would match purely by path and method qualify: no converters, no
        defaults (they can trigger werkzeug's redirect-to-canonical-URL), no redirect_to, no
        host/subdomain, not WebSocket. OPTIONS is left to the matcher (automatic answers need
        the full method list). The first rule registered for a path and method wins, as in the
        matcher.
        """
        table: dict[str, dict[str, _WerkzeugRule]] = {}
        rules = list(self.url_map.iter_rules())
        with_defaults = {r.endpoint for r in rules if r.defaults}
        for r in rules:
            if (
                self.url_map.host_matching
                or r.arguments
                or r.defaults
                or r.endpoint in with_defaults
                or r.redirect_to is not None
                or r.host
                or r.subdomain
                or r.websocket
                or r.build_only
                or r.methods is None
            ):
                continue
            # The raw WSGI form of a UTF-8 path: PATH_INFO holds the bytes decoded as latin-1.
            key = r.rule.encode().decode("latin1")
            bucket = table.setdefault(key, {})
            for method in r.methods:
                if method != "OPTIONS":
                    bucket.setdefault(method, r)
        self._static_routes = table

    # -- hooks ----------------------------------------------------------------------------------

    def before_request(self, f: F) -> F:
        """Run ``f()`` before each view; a non-None return value becomes the response."""
        self._check_setup_finished("before_request")
        self.before_request_funcs.append(f)
        return f

    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each view (last registered runs first); return a response."""
        self._check_setup_finished("after_request")
        self.after_request_funcs.append(f)
        self._after_request_reversed = self.after_request_funcs[::-1]
        return f

    def teardown_request(self, f: F) -> F:
        """Run ``f(error_or_None)`` when the request context is popped, even after an error."""
        self._check_setup_finished("teardown_request")
        self.teardown_request_funcs.append(f)
        return f

    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(error_or_None)`` when the application context is popped."""
        self._check_setup_finished("teardown_appcontext")
        self.teardown_appcontext_funcs.append(f)
        return f

    def context_processor(self, f: F) -> F:
        """``f()`` returns a dict merged into every template's context."""
        self._check_setup_finished("context_processor")
        self.template_context_processors.append(f)
        return f

    # -- error handlers -------------------------------------------------------------------------

    def errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[F], F]:
        """Register ``f(error)`` for an HTTP status code or an exception class."""

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, f: ErrorHandler
    ) -> None:
        self._check_setup_finished("register_error_handler")
        exc_class, code = _get_exc_class_and_code(code_or_exception)
        self.error_handler_spec.setdefault(code, {})[exc_class] = f
        self._handler_cache.clear()

    def _find_error_handler(self, e: BaseException) -> ErrorHandler | None:
        """The handler for ``e``: by status code first, then by class along the MRO.

        Resolved once per exception class and cached (handlers cannot change after the first
        request), so the error path does not walk MROs on every request.
        """
        exc_class = type(e)
        code = e.code if isinstance(e, HTTPException) else None
        try:
            return self._handler_cache[exc_class, code]
        except KeyError:
            pass
        found: ErrorHandler | None = None
        for c in (code, None) if code is not None else (None,):
            handler_map = self.error_handler_spec.get(c)
            if not handler_map:
                continue
            for cls in exc_class.__mro__:
                handler = handler_map.get(cls)
                if handler is not None:
                    found = handler
                    break
            if found is not None:
                break
        if len(self._handler_cache) < 512:  # bounded: user code may create classes on the fly
            self._handler_cache[exc_class, code] = found
        return found

    # -- template helpers -----------------------------------------------------------------------

    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        def decorator(f: F) -> F:
            self.add_template_filter(f, name)
            return f

        return decorator

    def add_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        self._check_setup_finished("add_template_filter")
        self._template_filters[name or f.__name__] = f
        self._jinja_env_changed()

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        def decorator(f: F) -> F:
            self.add_template_global(f, name)
            return f

        return decorator

    def add_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        self._check_setup_finished("add_template_global")
        self._template_globals[name or f.__name__] = f
        self._jinja_env_changed()

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        def decorator(f: F) -> F:
            self._check_setup_finished("template_test")
            self._template_tests[name or f.__name__] = f
            self._jinja_env_changed()
            return f

        return decorator

    def _jinja_env_changed(self) -> None:
        """Hook for the app: apply template helpers to an already-created environment."""


def _get_exc_class_and_code(
    exc_class_or_code: type[BaseException] | int,
) -> tuple[type[BaseException], int | None]:
    if isinstance(exc_class_or_code, int):
        try:
            exc_class: type[BaseException] = default_exceptions[exc_class_or_code]
        except KeyError:
            raise ValueError(
                f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a subclass of"
                " HTTPException with that code instead."
            ) from None
    else:
        exc_class = exc_class_or_code
    if isinstance(exc_class, BaseException):
        raise TypeError(
            f"{exc_class!r} is an instance, not a class. Handlers can only be registered for"
            " Exception classes or HTTP error codes."
        )
    if not issubclass(exc_class, Exception):
        raise ValueError(
            f"'{exc_class.__name__}' is not a subclass of Exception. Handlers can only be"
            " registered for Exception classes or HTTP error codes."
        )
    if issubclass(exc_class, HTTPException):
        return exc_class, exc_class.code
    return exc_class, None
