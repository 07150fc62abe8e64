"""Streamed responses that still see the request: ``stream_with_context``, ``stream_template``
and ``stream_template_string``.

A generator returned from a view runs after the view has returned and its request context has
been popped, so ``request``, ``session`` and ``g`` are gone by then. ``stream_with_context``
pushes the context once more around the generator, which keeps it (and delays its teardown)
until the last chunk has been sent or the server closes the response.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from functools import wraps
from typing import Any, TypeVar, overload

from jinja2 import Template

from .globals import _cv_ctx
from .signals import before_render_template, template_rendered

T = TypeVar("T")


def _stream_in(ctx: Any, chunks: Iterable[T]) -> Generator[T | None, None, None]:
    with ctx:
        yield None  # primed below, so the context is pushed while the view still holds it
        try:
            yield from chunks
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


@overload
def stream_with_context(generator_or_function: Iterator[T]) -> Iterator[T]: ...


@overload
def stream_with_context(
    generator_or_function: Callable[..., Iterator[T]],
) -> Callable[..., Iterator[T]]: ...


def stream_with_context(generator_or_function: Any) -> Any:
    """Keep the current request context for the lifetime of a streamed body.

    Wrap a generator (``stream_with_context(gen())``) or decorate a generator function; must be
    called inside the request (in the view)."""
    if callable(generator_or_function) and not isinstance(generator_or_function, Iterator):
        function = generator_or_function

        @wraps(function)
        def decorated(*args: Any, **kwargs: Any) -> Iterator[Any]:
            return stream_with_context(function(*args, **kwargs))  # type: ignore[no-any-return]

        return decorated
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request context is active, such as"
            " in a view function."
        )
    stream = _stream_in(ctx, iter(generator_or_function))
    next(stream)  # push the context now, while it is still the current one
    return stream


def _generate(app: Any, template: Template, context: dict[str, Any]) -> Iterator[str]:
    app.update_template_context(context)
    if before_render_template.receivers:
        before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )

    def chunks() -> Iterator[str]:
        yield from template.generate(context)
        if template_rendered.receivers:
            template_rendered.send(
                app, _async_wrapper=app.ensure_sync, template=template, context=context
            )

    ctx = _cv_ctx.get(None)
    if ctx is not None and ctx.request is not None:
        return stream_with_context(chunks())
    return chunks()


def _current_app() -> Any:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError("Streaming a template needs an application context.")
    return ctx.app


def stream_template(
    template_name_or_list: str | Template | list[str | Template], **context: Any
) -> Iterator[str]:
    """Render a template piece by piece as a response body: ``return stream_template(...)``.
    The request context stays available to the template while it streams."""
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _generate(app, template, context)


def stream_template_string(source: str, **context: Any) -> Iterator[str]:
    """``stream_template`` for a template given as a string."""
    app = _current_app()
    return _generate(app, app.jinja_env.from_string(source), context)


__all__ = ["stream_template", "stream_template_string", "stream_with_context"]
