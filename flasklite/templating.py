"""Jinja2 integration: one cached environment per app, ``render_template``."""

from __future__ import annotations

import functools
from collections.abc import Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import Template

from .flashing import get_flashed_messages
from .globals import _cv_ctx, g, request, session
from .resources import AppTemplateLoader
from .signals import before_render_template, template_rendered

if TYPE_CHECKING:
    from .base import AppBase

_AUTOESCAPE_SUFFIXES = (".html", ".htm", ".xml", ".xhtml", ".svg")
_TEMPLATE_CACHE_SIZE = 400  # Jinja's default cache_size


def select_autoescape(filename: str | None) -> bool:
    """Autoescape HTML/XML templates, and templates from strings (as Flask)."""
    return filename is None or filename.endswith(_AUTOESCAPE_SUFFIXES)


# Jinja asks for every render (EvalContext); the answer only depends on the name.
_cached_select_autoescape = functools.lru_cache(maxsize=1024)(select_autoescape)


class Environment(jinja2.Environment):
    """The app's Jinja environment; in production a template is looked up by name in a plain
    dict before Jinja's (locked) cache, since it is never re-checked for changes then."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.templates_by_name: dict[str, Template] = {}

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one plain dict: its own over the environment's.

        Jinja's default is a ``ChainMap``, which every render copies into the render's context
        key by key in Python; a plain dict is copied in one C call, which saves more than half
        the time of rendering a small template. Jinja documents that globals should not change
        once templates are loaded; the app's ``add_template_global`` calls ``forget_templates``
        so its registrations are seen anyway.
        """
        return {**self.globals, **(d or {})}

    def forget_templates(self) -> None:
        """Drop every loaded template, so the next render sees the current globals."""
        self.templates_by_name.clear()
        if self.cache is not None:
            self.cache.clear()

    def lookup(self, name: str | Template | Iterable[str | Template]) -> Template:
        """``get_or_select_template``, skipping Jinja's locked LRU cache for a plain name when
        templates are not re-checked for changes (production): the compiled template would be
        returned unchanged anyway."""
        if type(name) is not str or self.auto_reload:
            return self.get_or_select_template(name)  # type: ignore[arg-type]
        template = self.templates_by_name.get(name)
        if template is None:
            template = self.get_template(name)
            if len(self.templates_by_name) >= _TEMPLATE_CACHE_SIZE:
                self.templates_by_name.clear()
            self.templates_by_name[name] = template
        return template


def create_jinja_environment(app: AppBase) -> Environment:
    """Build the app's Jinja environment once (``app.jinja_env`` caches it).

    Compiled templates are cached; ``auto_reload`` (re-checking the template file's mtime on
    every render) is on only when ``TEMPLATES_AUTO_RELOAD`` is true or, when that is unset, in
    debug mode.
    """
    auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
    if auto_reload is None:
        auto_reload = app.debug
    # The app's template folder, then each blueprint's (resources.py).
    options: dict[str, Any] = {
        "loader": AppTemplateLoader(app),
        "autoescape": _cached_select_autoescape,
        "auto_reload": bool(auto_reload),
    }
    options.update(app.jinja_options)
    env = Environment(**options)
    # ``request``, ``session`` and ``g`` are the proxies: resolved when the template reads them,
    # so no per-render context processor is needed for them.
    env.globals.update(url_for=app.url_for, config=app.config, request=request, g=g)
    env.globals.update(session=session, get_flashed_messages=get_flashed_messages)
    # The ``tojson`` filter serializes with the app's JSON provider (Jinja's documented hook).
    env.policies["json.dumps_function"] = lambda obj, **kwargs: app.json.dumps(obj, **kwargs)
    env.globals.update(app.template_globals)
    env.filters.update(app.template_filters)
    env.tests.update(app.template_tests)
    return env


def _announce(signal: Any, app: AppBase, template: Template, context: dict[str, Any]) -> None:
    """Send a template signal (to its listeners: the caller checks there are some)."""
    about = {"template": template, "context": context}
    signal.send(app, _async_wrapper=app.ensure_sync, **about)


def _render(app: AppBase, template: Template, context: dict[str, Any]) -> str:
    app.update_template_context(context)
    if before_render_template.receivers:  # checked here: most renders have no listener
        _announce(before_render_template, app, template, context)
    rendered = template.render(context)
    if template_rendered.receivers:
        _announce(template_rendered, app, template, context)
    return rendered


def _current_app() -> AppBase:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(
            "Rendering a template needs an application context: call it from a view, or inside"
            " `with app.app_context():`."
        )
    return ctx.app


def render_template(
    template_name_or_list: str | Template | list[str | Template], **context: Any
) -> str:
    """Render a template from the app's ``templates/`` folder with the given context."""
    app = _current_app()
    return _render(app, app.jinja_env.lookup(template_name_or_list), context)


def render_template_string(source: str, **context: Any) -> str:
    """Render a template from a string (always autoescaped)."""
    app = _current_app()
    return _render(app, app.jinja_env.from_string(source), context)
