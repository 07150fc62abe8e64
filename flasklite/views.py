"""Class-based views: ``View`` (one ``dispatch_request``) and ``MethodView`` (one method per HTTP
verb). ``as_view(name)`` turns either into an ordinary view function for ``add_url_rule``."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, ClassVar

from .globals import current_app, request

#: Lower-case names a ``MethodView`` subclass may define to handle that HTTP method.
HTTP_METHOD_NAMES = frozenset(("get", "post", "head", "options", "delete", "put", "trace", "patch"))

ViewFunction = Callable[..., Any]


def _run(handler: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    # An ``async def`` handler runs through the app's adapter, like an ``async def`` view
    # function; apps without one call the handler directly.
    ensure_sync: Callable[[Callable[..., Any]], Callable[..., Any]] | None = getattr(
        current_app, "ensure_sync", None
    )
    if ensure_sync is not None:
        handler = ensure_sync(handler)
    return handler(**kwargs)


class View:
    """Subclass, implement ``dispatch_request(**url_values)``, register ``Cls.as_view("name")``.

    Class attributes tune the generated function: ``methods`` (defaults to the route's),
    ``provide_automatic_options``, ``decorators`` (applied in list order, so the first one is
    innermost) and ``init_every_request`` (False shares one instance between requests: cheaper,
    but ``self`` must then hold no per-request state).
    """

    methods: ClassVar[Collection[str] | None] = None
    provide_automatic_options: ClassVar[bool | None] = None
    decorators: ClassVar[list[Callable[[ViewFunction], ViewFunction]]] = []
    init_every_request: ClassVar[bool] = True

    def dispatch_request(self, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement dispatch_request()")

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> ViewFunction:
        """A view function named ``name`` (the default endpoint) that dispatches to an instance
        built from ``class_args`` / ``class_kwargs``."""
        if cls.init_every_request:

            def view(**kwargs: Any) -> Any:
                # ``view.view_class`` (not ``cls``) so that replacing it after as_view() works.
                instance = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                return _run(instance.dispatch_request, kwargs)

        else:
            shared = cls(*class_args, **class_kwargs)

            def view(**kwargs: Any) -> Any:
                return _run(shared.dispatch_request, kwargs)

        for decorator in cls.decorators:
            view = decorator(view)

        # Set on the outermost function, which is what add_url_rule inspects: its name is the
        # default endpoint, and the class's routing attributes become the rule's defaults.
        view.__name__ = view.__qualname__ = name
        view.__doc__, view.__module__ = cls.__doc__, cls.__module__
        for attribute in ("methods", "provide_automatic_options"):
            setattr(view, attribute, getattr(cls, attribute))
        view.view_class = cls  # type: ignore[attr-defined]
        return view


class MethodView(View):
    """Dispatch on the request method: ``GET`` calls ``self.get(...)``, and so on.

    ``methods`` is filled in from the handlers a subclass (or its bases) defines, unless the
    subclass sets it. ``HEAD`` falls back to ``get`` when there is no ``head``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("methods") is not None:
            return
        found = {name.upper() for name in HTTP_METHOD_NAMES if callable(getattr(cls, name, None))}
        if found:
            cls.methods = found

    def dispatch_request(self, **kwargs: Any) -> Any:
        method = request.method
        handler = getattr(self, method.lower(), None)
        if handler is None and method == "HEAD":  # HEAD is GET without the body
            handler = getattr(self, "get", None)
        if handler is None:
            raise AssertionError(f"{type(self).__name__} has no handler for {request.method}")
        return _run(handler, kwargs)
