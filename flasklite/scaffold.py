"""The decorator surface shared by the app and (later) blueprints: routes, hooks, error handlers.

Registries are keyed by *scope*: ``None`` for functions that apply to every request, a blueprint
name for functions that apply only to that blueprint's endpoints. A ``Scaffold`` files what is
registered on it under ``None``; a blueprint's registries are copied into the app's under the
blueprint's name when it is registered. The request flow (``app.py``) walks the scopes of the
matched endpoint, app-wide first (see ``Request.blueprints``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from werkzeug.exceptions import HTTPException, default_exceptions

F = TypeVar("F", bound="Callable[..., Any]")  # a decorated function, returned unchanged
ErrorHandler = Callable[[Any], Any]
#: scope (None: the app) → functions, in registration order.
Hooks = dict[str | None, list[Callable[..., Any]]]
#: scope → status code (None: any) → exception class → handler.
ErrorHandlers = dict[str | None, dict[int | None, dict[type[BaseException], ErrorHandler]]]


def setup_step(method: F) -> F:
    """Mark a registration method: calling it once requests are being served is an error."""

    @functools.wraps(method)
    def guarded(self: Scaffold, *args: Any, **kwargs: Any) -> Any:
        self._check_setup_finished(method.__name__)
        return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


class Scaffold:
    """Holds what is registered at start-up; the app (and a blueprint) adds where it goes."""

    view_functions: dict[str, Callable[..., Any]]

    def __init__(self, import_name: str) -> None:
        self.import_name, self.view_functions = import_name, {}
        self.before_request_funcs: Hooks = {}
        self.after_request_funcs: Hooks = {}
        self.teardown_request_funcs: Hooks = {}
        self.template_context_processors: Hooks = {}
        self.url_value_preprocessors: Hooks = {}
        self.url_default_functions: Hooks = {}
        self.error_handler_spec: ErrorHandlers = {}

    def _check_setup_finished(self, step: str) -> None:
        """Overridden by the app: registering after the first request is refused there."""

    # -- routes ---------------------------------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot register URL rules")

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``@route("/path", methods=[...])``: the decorated function serves ``rule``."""

        def register(view: F) -> F:
            self.add_url_rule(rule, options.pop("endpoint", None), view, **options)
            return view

        return register

    def _one_method(self, verb: str, rule: str, options: dict[str, Any]) -> Callable[[F], F]:
        if {"methods"} & options.keys():
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        options["methods"] = [verb]
        return self.route(rule, **options)

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._one_method("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._one_method("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._one_method("PUT", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._one_method("PATCH", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._one_method("DELETE", rule, options)

    @setup_step
    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Attach a function to an endpoint whose rule was added without a view."""

        def attach(view: F) -> F:
            self.view_functions.update({endpoint: view})
            return view

        return attach

    # -- hooks ----------------------------------------------------------------------------------

    def _hook(self, registry: Hooks, func: F) -> F:
        registry.setdefault(None, []).append(func)
        return func

    @setup_step
    def before_request(self, f: F) -> F:
        """``f()`` runs before the view; a value other than None becomes the response."""
        return self._hook(self.before_request_funcs, f)

    @setup_step
    def after_request(self, f: F) -> F:
        """``f(response)`` runs after the view, newest first, and returns the response."""
        return self._hook(self.after_request_funcs, f)

    @setup_step
    def teardown_request(self, f: F) -> F:
        """``f(error or None)`` runs when the request context goes, even after an error."""
        return self._hook(self.teardown_request_funcs, f)

    @setup_step
    def context_processor(self, f: F) -> F:
        """``f()`` returns a dict of names every rendered template can use."""
        return self._hook(self.template_context_processors, f)

    @setup_step
    def url_value_preprocessor(self, f: F) -> F:
        """``f(endpoint, view_args)`` runs before the before-request functions."""
        return self._hook(self.url_value_preprocessors, f)

    @setup_step
    def url_defaults(self, f: F) -> F:
        """``f(endpoint, values)`` may fill in values when ``url_for`` builds a URL."""
        return self._hook(self.url_default_functions, f)

    # -- error handlers -------------------------------------------------------------------------

    def errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[F], F]:
        """``@errorhandler(404)`` or ``@errorhandler(SomeError)``: ``f(error)`` answers it."""

        key = code_or_exception

        def register(handler: F) -> F:
            self.register_error_handler(key, handler)
            return handler

        return register

    @setup_step
    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, f: ErrorHandler
    ) -> None:
        exc_class, status = exception_key(code_or_exception)
        by_status = self.error_handler_spec.setdefault(None, {})
        by_status.setdefault(status, {})[exc_class] = f


def exception_key(what: type[BaseException] | int) -> tuple[type[BaseException], int | None]:
    """The (class, status code) an error handler is filed under; codes map to werkzeug's class."""
    klass = default_exceptions.get(what) if isinstance(what, int) else what
    if klass is None:
        raise ValueError(
            f"'{what}' is not a recognized HTTP error code; register the handler for a"
            " subclass of HTTPException with that code instead."
        )
    if not isinstance(klass, type):
        raise TypeError(
            f"{klass!r} is an instance, not a class: handlers are registered for exception"
            " classes or HTTP status codes."
        )
    if Exception not in klass.__mro__:
        raise ValueError(
            f"'{klass.__name__}' is not a subclass of Exception: handlers are registered for"
            " exception classes or HTTP status codes."
        )
    return klass, (klass.code if issubclass(klass, HTTPException) else None)


def methods_of(view: Callable[..., Any] | None, given: Iterable[str] | str | None) -> set[str]:
    """The methods a rule accepts: those given, else the view's ``methods``, else GET."""
    chosen = given if given is not None else getattr(view, "methods", None) or ("GET",)
    if isinstance(chosen, str | bytes):
        raise TypeError(
            f"methods must be a list of method names such as ['GET', 'POST'], not {chosen!r}"
        )
    return {name.upper() for name in chosen}
