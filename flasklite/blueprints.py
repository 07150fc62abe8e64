"""Blueprints: a group of routes, hooks and handlers recorded now and applied to an app when it
is registered (``app.register_blueprint(bp, url_prefix=...)``), possibly several times under
different names, possibly nested in another blueprint.

Nothing here runs per request: registration copies everything into the app's own registries,
scoped by the blueprint's dotted name, so the request flow only looks at dicts it already has.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .cli import AppGroup
from .resources import PackageFiles
from .scaffold import F, Scaffold

if TYPE_CHECKING:
    from .app import Flask

DeferredSetup = Callable[["BlueprintSetupState"], None]


class _DefaultCliGroup:
    """Marker: the blueprint's commands go in a group named after the blueprint."""


DEFAULT_CLI_GROUP: Any = _DefaultCliGroup()

# The blueprint registries that registration copies into the app, re-keyed by blueprint name.
SCOPED_REGISTRIES = (
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "url_default_functions",
    "url_value_preprocessors",
    "template_context_processors",
    "error_handler_spec",
)


def join_url_prefix(outer: str | None, inner: str | None) -> str | None:
    if outer and inner:
        return outer.rstrip("/") + "/" + inner.lstrip("/")
    return inner or outer


def join_subdomain(outer: str | None, inner: str | None) -> str | None:
    if outer and inner:
        return f"{inner}.{outer}"
    return inner or outer


class BlueprintSetupState:
    """One registration of a blueprint on an app: the options it was registered with, and an
    ``add_url_rule`` that applies them (prefix, subdomain, defaults, dotted endpoint)."""

    def __init__(
        self, blueprint: Blueprint, app: Flask, options: dict[str, Any], first_registration: bool
    ) -> None:
        self.app, self.blueprint, self.options = app, blueprint, options
        #: False when the same blueprint object was already registered under another name;
        #: ``record_once`` callbacks run only on the first.
        self.first_registration = first_registration
        self.subdomain: str | None = options.get("subdomain", blueprint.subdomain)
        self.url_prefix: str | None = options.get("url_prefix", blueprint.url_prefix)
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        self.url_defaults: dict[str, Any] = {
            **blueprint.url_values_defaults,
            **options.get("url_defaults", {}),
        }

    @property
    def full_name(self) -> str:
        """The dotted name endpoints and scoped hooks use: ``"parent.child"``."""
        return f"{self.name_prefix}.{self.name}" if self.name_prefix else self.name

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        if self.url_prefix:
            rule = self.url_prefix.rstrip("/") + "/" + rule.lstrip("/") if rule else self.url_prefix
        if "subdomain" not in options:
            options["subdomain"] = self.subdomain
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint or a view function")
            endpoint = view_func.__name__
        defaults = {**self.url_defaults, **(options.pop("defaults", None) or {})}
        self.app.add_url_rule(
            rule,
            f"{self.full_name}.{endpoint}",
            view_func,
            defaults=defaults or None,
            **options,
        )


class Blueprint(PackageFiles, Scaffold):
    """Routes, hooks, handlers, template helpers and commands to register on apps later.

    Hooks and handlers registered on a blueprint apply to its own requests (and those of the
    blueprints nested in it); the ``app_*`` variants apply to every request of the app.
    """

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = DEFAULT_CLI_GROUP,
    ) -> None:
        super().__init__(import_name)
        self.init_package_files(
            import_name, static_folder, static_url_path, template_folder, root_path
        )
        if not name:
            raise ValueError("A blueprint needs a non-empty name.")
        if "." in name:
            raise ValueError(
                f"Blueprint name {name!r} contains a dot: dots separate nested blueprint names"
                " in endpoints, so a name cannot hold one."
            )
        self.name = name
        self.url_prefix, self.subdomain = url_prefix, subdomain
        # Named so it does not shadow the ``url_defaults`` decorator inherited from Scaffold.
        self.url_values_defaults: dict[str, Any] = dict(url_defaults or {})
        # Where its commands go: a group named after it (default), another name, or None.
        self.cli, self.cli_group = AppGroup(name), cli_group
        self.deferred_functions: list[DeferredSetup] = []
        self.nested: list[tuple[Blueprint, dict[str, Any]]] = []
        self.registered_once = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        # Registration copies the blueprint into the app; a later change would silently
        # apply to nothing, so it is refused instead.
        if not self.registered_once:
            return
        raise AssertionError(
            f"Setup method {f_name!r} cannot be called any more on blueprint"
            f" {self.name!r}: it has already been registered on an app, and changes made"
            " afterwards would not reach it. Set the blueprint up before registering it."
        )

    # -- deferred set-up ------------------------------------------------------------------------

    def record(self, func: DeferredSetup) -> None:
        """Call ``func(state)`` on every registration of this blueprint."""
        self._check_setup_finished("record")
        self.deferred_functions += [func]

    def record_once(self, func: DeferredSetup) -> None:
        """Call ``func(state)`` only on the first registration with any app."""

        def once(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(once)

    def make_setup_state(
        self,
        app: Flask,
        options: dict[str, Any],
        first_registration: bool = False,
    ) -> BlueprintSetupState:
        return BlueprintSetupState(self, app, options, first_registration)

    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest ``blueprint`` in this one: its endpoints become ``"outer.inner.view"``, its URL
        prefix and subdomain are joined to this one's when this blueprint is registered."""
        if blueprint is self:
            raise ValueError("A blueprint cannot be registered on itself.")
        self._check_setup_finished("register_blueprint")
        self.nested.append((blueprint, options))

    # -- routes (recorded, applied by each registration) ----------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        if endpoint is not None and "." in endpoint:
            raise ValueError(f"The endpoint {endpoint!r} contains a dot; blueprints add theirs.")
        if view_func is not None and "." in getattr(view_func, "__name__", ""):
            raise ValueError(f"The view function name {view_func.__name__!r} contains a dot.")
        if provide_automatic_options is not None:
            options["provide_automatic_options"] = provide_automatic_options
        self.record(lambda state: state.add_url_rule(rule, endpoint, view_func, **options))

    # -- app-wide variants ----------------------------------------------------------------------

    def app_for(self, method: str, *args: Any) -> Callable[[F], F]:
        """A decorator that calls ``app.<method>(*args)(f)`` on first registration."""

        def decorator(f: F) -> F:
            def apply(state: BlueprintSetupState) -> None:
                getattr(state.app, method)(*args)(f)

            self.record_once(apply)
            return f

        return decorator

    def on_app(self, method: str, f: F) -> F:
        """Register ``f`` with ``app.<method>(f)`` on first registration (app-wide)."""

        def apply(state: BlueprintSetupState) -> None:
            getattr(state.app, method)(f)

        self.record_once(apply)
        return f

    def before_app_request(self, f: F) -> F:
        return self.on_app("before_request", f)

    def after_app_request(self, f: F) -> F:
        return self.on_app("after_request", f)

    def teardown_app_request(self, f: F) -> F:
        return self.on_app("teardown_request", f)

    def app_context_processor(self, f: F) -> F:
        return self.on_app("context_processor", f)

    def app_url_value_preprocessor(self, f: F) -> F:
        return self.on_app("url_value_preprocessor", f)

    def app_url_defaults(self, f: F) -> F:
        return self.on_app("url_defaults", f)

    def app_errorhandler(self, code: type[BaseException] | int) -> Callable[[F], F]:
        return self.app_for("errorhandler", code)

    def app_template_filter(self, name: str | None = None) -> Callable[[F], F]:
        return self.app_for("template_filter", name)

    def app_template_global(self, name: str | None = None) -> Callable[[F], F]:
        return self.app_for("template_global", name)

    def app_template_test(self, name: str | None = None) -> Callable[[F], F]:
        return self.app_for("template_test", name)

    def add_app_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        self.record_once(lambda state: state.app.add_template_filter(f, name))

    def add_app_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        self.record_once(lambda state: state.app.add_template_global(f, name))

    def add_app_template_test(self, f: Callable[..., Any], name: str | None = None) -> None:
        self.record_once(lambda state: state.app.add_template_test(f, name))

    # -- registration ---------------------------------------------------------------------------

    def register(self, app: Flask, options: dict[str, Any]) -> None:
        """Apply this blueprint to ``app``; called by ``app.register_blueprint``."""
        first = not any(bp is self for bp in app.blueprints.values())
        state = self.make_setup_state(app, options, first_registration=first)
        name = state.full_name
        if not state.name or "." in state.name:
            raise ValueError(f"Blueprint name {state.name!r} must be non-empty and have no dot.")
        registered = app.blueprints.get(name)
        if registered is not None:
            how = "this" if registered is self else "a different"
            raise ValueError(
                f"The name {name!r} is already registered for {how} blueprint. Register it"
                " again with name='...' to give each registration a unique name."
            )
        app.blueprints[name] = self
        self.registered_once = True

        if self.has_static_folder and self.static_url_path is not None:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        # Every registration has a new name, so each gets its own scoped copy of the hooks.
        self._copy_scoped_registries(app, name)
        for setup in self.deferred_functions:
            setup(state)
        self._register_commands(app, options, name)
        for child, child_options in self.nested:
            merged = dict(child_options)
            merged["url_prefix"] = join_url_prefix(
                state.url_prefix, child_options.get("url_prefix", child.url_prefix)
            )
            merged["subdomain"] = join_subdomain(
                state.subdomain, child_options.get("subdomain", child.subdomain)
            )
            merged["name_prefix"] = name
            child.register(app, merged)

    def _copy_scoped_registries(self, app: Flask, name: str) -> None:
        for registry in SCOPED_REGISTRIES:
            ours: dict[str | None, Any] = getattr(self, registry)
            theirs: dict[str | None, Any] = getattr(app, registry)
            for scope, entries in ours.items():
                key = name if scope is None else f"{name}.{scope}"
                if isinstance(entries, dict):  # error_handler_spec: {code: {class: handler}}
                    target = theirs.setdefault(key, {})
                    for code, handlers in entries.items():
                        target.setdefault(code, {}).update(handlers)
                else:
                    theirs.setdefault(key, []).extend(entries)

    def _register_commands(self, app: Flask, options: dict[str, Any], name: str) -> None:
        if not self.cli.commands:
            return
        group_name = options.get("cli_group", self.cli_group)
        if group_name is None:  # straight into the app's command list
            app.cli.commands.update(self.cli.commands)
            return
        self.cli.name = name if group_name is DEFAULT_CLI_GROUP else group_name
        app.cli.add_command(self.cli)
