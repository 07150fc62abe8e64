"""Jinja2 integration: one cached environment per app, ``render_template``."""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

import jinja2
import markupsafe
from jinja2 import FileSystemLoader, Template
from markupsafe import Markup

from .globals import _cv_ctx, g, request

if TYPE_CHECKING:
    from .base import AppBase

_AUTOESCAPE_SUFFIXES = (".html", ".htm", ".xml", ".xhtml", ".svg")
_TEMPLATE_CACHE_SIZE = 400  # Jinja's default cache_size


def select_autoescape(filename: str | None) -> bool:
    """Autoescape HTML/XML templates, and templates from strings (as Flask)."""
    return filename is None or filename.endswith(_AUTOESCAPE_SUFFIXES)


# Jinja asks for every render (EvalContext); the answer only depends on the name.
_cached_select_autoescape = functools.lru_cache(maxsize=1024)(select_autoescape)


class _EnvironmentGlobals(dict[str, Any]):
    """``jinja_env.globals``: a dict that pushes each change into every template's globals."""

    def __init__(self, initial: Mapping[str, Any]) -> None:
        super().__init__(initial)
        # id → weak reference: templates come and go (e.g. render_template_string), and dicts
        # are unhashable, so a WeakSet cannot hold them.
        self._views: dict[int, weakref.ReferenceType[_TemplateGlobals]] = {}

    def add_view(self, view: _TemplateGlobals) -> None:
        key, views = id(view), self._views

        def forget(ref: weakref.ReferenceType[_TemplateGlobals]) -> None:
            if views.get(key) is ref:
                del views[key]

        views[key] = weakref.ref(view, forget)

    def _live_views(self) -> list[_TemplateGlobals]:
        return [view for ref in list(self._views.values()) if (view := ref()) is not None]

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        for view in self._live_views():
            view._environment_set(key, value)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        for view in self._live_views():
            view._environment_del(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def popitem(self) -> tuple[str, Any]:
        key = next(reversed(self))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self):
            del self[key]

    def __ior__(self, other: Any) -> _EnvironmentGlobals:  # type: ignore[override,misc]
        self.update(other)
        return self


class _TemplateGlobals(dict[str, Any]):
    """One template's globals: its own over the environment's, as Jinja's ``ChainMap``, but
    kept merged in one plain dict. Jinja copies a template's globals into the context of every
    render, and copying a ``ChainMap`` costs more than rendering a small template; a dict copy
    is a single C call. Changes to ``jinja_env.globals`` are pushed in (``_EnvironmentGlobals``),
    writes go to the template's own layer, so reads behave exactly like the ``ChainMap``."""

    def __init__(self, environment: _EnvironmentGlobals, own: Mapping[str, Any] | None) -> None:
        self.environment = environment
        self.own: dict[str, Any] = dict(own or {})
        super().__init__(environment)
        super().update(self.own)
        environment.add_view(self)

    def _environment_set(self, key: str, value: Any) -> None:
        if key not in self.own:
            dict.__setitem__(self, key, value)

    def _environment_del(self, key: str) -> None:
        if key not in self.own:
            dict.pop(self, key, None)

    def __setitem__(self, key: str, value: Any) -> None:
        self.own[key] = value
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        del self.own[key]  # like ChainMap: only the template's own layer can be deleted from
        if key in self.environment:
            dict.__setitem__(self, key, self.environment[key])
        else:
            dict.__delitem__(self, key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str, *default: Any) -> Any:
        if key in self.own:
            value = self[key]
            del self[key]
            return value
        if default:
            return default[0]
        raise KeyError(key)


# markupsafe's own escaping of a str, without its generic path: its ``escape`` builds the result
# with ``Markup(text)``, whose Python ``__new__`` checks for ``__html__`` (a plain str has none)
# before calling ``str.__new__``: a second Python call for every ``{{ value }}`` rendered.
_escape_inner: Any = getattr(markupsafe, "_escape_inner", None)
_new_str = str.__new__


def _escape(s: Any, /) -> Markup:
    if type(s) is str:
        return _new_str(Markup, _escape_inner(s))
    return markupsafe.escape(s)


class _Template(Template):
    """Jinja's template, whose compiled code escapes output with ``_escape`` (same result)."""

    @classmethod
    def _from_namespace(
        cls,
        environment: jinja2.Environment,
        namespace: MutableMapping[str, Any],
        globals: MutableMapping[str, Any],
    ) -> Template:
        # The compiled module imports markupsafe's escape as a global; only that exact function
        # (markupsafe 3's, which calls _escape_inner) is swapped.
        if _escape_inner is not None and namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)


class Environment(jinja2.Environment):
    """The app's Jinja environment, with globals kept render-friendly (see ``_TemplateGlobals``)
    and templates looked up by name from a plain dict when they are not auto-reloaded."""

    template_class = _Template

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals: _EnvironmentGlobals = _EnvironmentGlobals(self.globals)
        self.templates_by_name: dict[str, Template] = {}

    def make_globals(self, d: Mapping[str, Any] | None) -> _TemplateGlobals:
        return _TemplateGlobals(self.globals, d)

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
    loader = None
    if app.template_folder is not None:
        loader = FileSystemLoader(os.path.join(app.root_path, app.template_folder))
    env = Environment(
        loader=loader, autoescape=_cached_select_autoescape, auto_reload=bool(auto_reload)
    )
    # ``request`` and ``g`` are the proxies: resolved when the template reads them, so no
    # per-render context processor is needed for them.
    env.globals.update(url_for=app.url_for, config=app.config, request=request, g=g)
    env.globals.update(app._template_globals)
    env.filters.update(app._template_filters)
    env.tests.update(app._template_tests)
    return env


def _render(app: AppBase, template: Template, context: dict[str, Any]) -> str:
    app.update_template_context(context)
    environment = template.environment
    if environment.is_async or type(template).render is not Template.render:
        return template.render(context)
    # Template.render's own body, minus its dict(context) copy: new_context copies the values
    # into the render's namespace anyway, so the second copy is pure per-render overhead.
    ctx = template.new_context(context)
    try:
        return environment.concat(template.root_render_func(ctx))
    except Exception:
        environment.handle_exception()


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
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)
