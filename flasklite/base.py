"""The app object's set-up half: settings, registration, URL building, templates, static files.

``Flask`` (``app.py``) adds the request flow on top of ``AppBase``; the decorators it shares
with blueprints live in ``scaffold.py``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, MapAdapter
from werkzeug.wsgi import get_host

from .assembly import AppAssembly
from .asyncsupport import AsyncSupport
from .config import Config, ConfigAttribute
from .ctx import _AppCtxGlobals
from .globals import _cv_ctx
from .json.provider import DefaultJSONProvider, JSONProvider
from .logging import create_logger
from .resources import PackageFiles
from .routing import (
    ExactPaths,
    PatternRoutes,
    Rule,
    exact_paths,
    pattern_routes,
)
from .scaffold import ErrorHandler, F, Scaffold, methods_of, setup_step
from .sessions import (
    SESSION_DEFAULTS,
    SecureCookieSessionInterface,
    SessionInterface,
    permanent_session_lifetime,
)
from .signals import appcontext_tearing_down, request_tearing_down
from .templating import create_jinja_environment
from .urls import UrlBuilding, scopes_of
from .wrappers import Request, Response

if TYPE_CHECKING:
    from .templating import Environment

DEFAULT_CONFIG: dict[str, Any] = {
    "DEBUG": False,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,  # None: re-raise when TESTING or DEBUG
    "TRAP_HTTP_EXCEPTIONS": False,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "PREFERRED_URL_SCHEME": "http",
    "MAX_CONTENT_LENGTH": None,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TEMPLATES_AUTO_RELOAD": None,
    "TRUSTED_PROXY_COUNT": 0,
    # Host names the app accepts in the Host header (werkzeug rules: ".example.com" also
    # matches subdomains); None accepts any. Others get 400 before routing, so no link or
    # redirect is ever built from a host the client made up.
    "TRUSTED_HOSTS": None,
    "USE_X_SENDFILE": False,
    **SESSION_DEFAULTS,  # SECRET_KEY, SESSION_COOKIE_*, PERMANENT_SESSION_LIFETIME, ...
}

_HANDLER_LOOKUPS_KEPT = 512
_HOSTS_KEPT = 64
#: The hook functions that apply to one endpoint, in call order.
HookChain = tuple[Callable[..., Any], ...]


class AppBase(AppAssembly, PackageFiles, AsyncSupport, UrlBuilding, Scaffold):
    """Settings and services of the app object; see ``Flask`` in ``app.py``."""

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    app_ctx_globals_class = _AppCtxGlobals
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    #: How sessions are opened and saved (``sessions.py``); shared by apps unless replaced.
    session_interface: SessionInterface = SecureCookieSessionInterface()
    #: Extra keyword arguments for the Jinja environment (read when it is first built).
    jinja_options: dict[str, Any] = {}
    url_rule_class: type[Rule] = Rule
    url_map_class: type[Map] = Map

    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute["str | bytes | None"]("SECRET_KEY")

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(import_name)
        self.init_package_files(
            import_name, static_folder, static_url_path, template_folder, root_path
        )
        self.init_assembly(instance_path)
        config_root = self.instance_path if instance_relative_config else self.root_path
        self.config = Config(config_root, DEFAULT_CONFIG)
        #: Match a rule's ``subdomain`` against the Host (needs ``SERVER_NAME``); off by
        #: default, so a request's host never restricts which rules match.
        self.subdomain_matching = subdomain_matching
        #: Per-extension state, as in Flask (``app.extensions["name"] = ...``).
        self.extensions: dict[str, Any] = {}
        self.url_map = self.url_map_class(host_matching=host_matching)
        #: Rules found by exact path, then by shape, before werkzeug's matcher (``routing.py``).
        self.exact_routes: ExactPaths = {}
        self.shape_routes: PatternRoutes | None = None  # built on first use
        self.teardown_appcontext_funcs: list[Callable[[BaseException | None], Any]] = []
        self.template_filters: dict[str, Callable[..., Any]] = {}
        self.template_globals: dict[str, Any] = {}
        self.template_tests: dict[str, Callable[..., bool]] = {}
        self.json = self.json_provider_class(self)
        self._jinja_env: Environment | None = None
        self._app_logger: logging.Logger | None = None
        self._bound_adapters: dict[tuple[str, str, str], MapAdapter] = {}
        self._handler_lookups: dict[tuple[Any, ...], ErrorHandler | None] = {}
        self._hooks_by_endpoint: dict[str | None, tuple[HookChain, HookChain]] = {}
        self._serving = False
        self._sync_callables: dict[Any, Callable[..., Any]] = {}  # see AsyncSupport
        self._hosts_passed: tuple[object, set[tuple[Any, ...]]] = (None, set())
        if static_host is not None and not host_matching:
            raise AssertionError("static_host needs host_matching=True (and vice versa).")
        prefix = self.static_url_path
        if self._static_dir is not None and prefix is not None:
            if host_matching and static_host is None:
                raise AssertionError("host_matching=True needs a static_host for static files.")
            # Registered even though nginx serves /static/ in the stack: url_for needs the rule.
            self.add_url_rule(
                prefix + "/<path:filename>",
                endpoint="static",
                view_func=self.send_static_file,
                host=static_host,
            )

    # -- properties -----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The import name, or for a script run directly, the script's file name."""
        if self.import_name != "__main__":
            return self.import_name
        script = getattr(sys.modules["__main__"], "__file__", None)
        return os.path.splitext(os.path.basename(script))[0] if script else "__main__"

    @property
    def debug(self) -> bool:
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        env = self._jinja_env
        if env is not None and self.config["TEMPLATES_AUTO_RELOAD"] is None:
            env.auto_reload = value

    @property
    def got_first_request(self) -> bool:
        return self._serving

    @property
    def logger(self) -> logging.Logger:
        if self._app_logger is None:
            self._app_logger = create_logger(self)
        return self._app_logger

    @property
    def permanent_session_lifetime(self) -> timedelta:
        """``PERMANENT_SESSION_LIFETIME`` as a ``timedelta``."""
        return permanent_session_lifetime(self)

    @property
    def jinja_env(self) -> Environment:
        if self._jinja_env is None:
            self._jinja_env = self.create_jinja_environment()
        return self._jinja_env

    def create_jinja_environment(self) -> Environment:
        """Build the Jinja environment (once; override to customise it)."""
        return create_jinja_environment(self)

    # -- registration ---------------------------------------------------------------------------

    def _check_setup_finished(self, step: str) -> None:
        # Request threads read the registries without locks, so they are frozen once serving.
        if self._serving:
            raise AssertionError(
                f"The setup method {step!r} can no longer be called on the application. It has"
                " already handled its first request; register routes, hooks and handlers before"
                " the app starts serving."
            )

    @setup_step
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Connect ``rule`` to ``endpoint`` (by default the view function's name).

        Methods default to GET; werkzeug adds HEAD, and OPTIONS is answered for the view unless
        it lists OPTIONS itself. A second, different function for one endpoint is refused.
        """
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint or a view function")
            endpoint = view_func.__name__
        methods = methods_of(view_func, options.pop("methods", None))
        extra = set(getattr(view_func, "required_methods", ()))
        auto_options = provide_automatic_options
        if auto_options is None:
            auto_options = getattr(view_func, "provide_automatic_options", None)
        if auto_options is None:
            auto_options = "OPTIONS" not in methods
            if auto_options:
                extra.add("OPTIONS")
        known = self.view_functions.get(endpoint)
        if view_func is not None and known is not None and known != view_func:
            raise AssertionError(
                "View function mapping is overwriting an existing endpoint function:"
                f" {endpoint!r} is already {known.__qualname__}; pass endpoint=... to one of them"
            )
        new_rule = self.url_rule_class(rule, methods=methods | extra, endpoint=endpoint, **options)
        new_rule.provide_automatic_options = auto_options
        self.url_map.add(new_rule)
        if view_func is not None:
            self.view_functions[endpoint] = view_func
        # Subdomain matching makes a rule's answer depend on the Host: werkzeug decides alone.
        self.exact_routes = {} if self.subdomain_matching else exact_paths(self.url_map)
        self.shape_routes = None

    @setup_step
    def teardown_appcontext(self, f: F) -> F:
        """``f(error or None)`` runs when an application context ends."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setup_step
    def add_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        self.template_filters[name or f.__name__] = f
        if self._jinja_env is not None:
            self._jinja_env.filters[name or f.__name__] = f

    @setup_step
    def add_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        self.template_globals[name or f.__name__] = f
        if self._jinja_env is not None:
            self._jinja_env.globals[name or f.__name__] = f
            self._jinja_env.forget_templates()  # loaded templates hold a copy of the globals

    @setup_step
    def add_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        self.template_tests[name or f.__name__] = f
        if self._jinja_env is not None:
            self._jinja_env.tests[name or f.__name__] = f

    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        return _registering(self.add_template_filter, name)

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        return _registering(self.add_template_global, name)

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        return _registering(self.add_template_test, name)

    # -- services the request flow uses ---------------------------------------------------------

    def build_shape_routes(self) -> PatternRoutes:
        """The table of rules with converters matched by shape (once, when serving starts)."""
        if self.subdomain_matching:  # the Host decides too: werkzeug alone can answer
            table = PatternRoutes({}, frozenset(), open_start=True)
        else:
            table = pattern_routes(self.url_map)
        self.shape_routes = table
        return table

    def scopes_for(self, endpoint: str | None) -> tuple[str | None, ...]:
        """The registry scopes a request to ``endpoint`` uses, app-wide first."""
        return scopes_of(endpoint)

    def request_hooks(self, endpoint: str | None) -> tuple[HookChain, HookChain]:
        """(URL value preprocessors, before-request functions) for a request to ``endpoint``,
        app-wide scope first. Worked out once per endpoint when serving (the registries are
        frozen then), so an endpoint without hooks of its own pays one dict look-up."""
        found = self._hooks_by_endpoint.get(endpoint)
        if found is None:
            scopes = scopes_of(endpoint)
            found = (
                tuple(f for s in scopes for f in self.url_value_preprocessors.get(s, ())),
                tuple(f for s in scopes for f in self.before_request_funcs.get(s, ())),
            )
            if self._serving:  # endpoints are the registered ones (or None): a bounded set
                self._hooks_by_endpoint[endpoint] = found
        return found

    def check_trusted_host(self, environ: dict[str, Any]) -> None:
        """Raise werkzeug's ``SecurityError`` (400) when the Host is not in ``TRUSTED_HOSTS``.

        The check IDNA-encodes every listed name, which costs more than a whole request, so
        a host that passed is remembered (per list); a refused one is never stored, so clients
        cannot fill the memory with made-up names.
        """
        listed = self.config["TRUSTED_HOSTS"]
        seen = (environ.get("HTTP_HOST"), environ.get("SERVER_NAME"), environ.get("SERVER_PORT"))
        if self._hosts_passed[0] is not listed:
            self._hosts_passed = (listed, set())
        if seen not in self._hosts_passed[1]:
            get_host(environ, trusted_hosts=listed)
            if len(self._hosts_passed[1]) < _HOSTS_KEPT:
                self._hosts_passed[1].add(seen)

    def error_handler_for(
        self, error: BaseException, scopes: tuple[str | None, ...]
    ) -> ErrorHandler | None:
        """The registered handler for ``error``: a handler for its status code before one for
        its class, the innermost scope before the app, the nearest class in the MRO first.

        ``scopes`` lists the request's scopes app-first, as the hooks run. Answers are cached
        per (class, code, scopes): registries are frozen once the app serves.
        """
        code = error.code if isinstance(error, HTTPException) else None
        key = (type(error), code, scopes)
        if key in self._handler_lookups:
            return self._handler_lookups[key]
        spec = self.error_handler_spec
        found: ErrorHandler | None = None
        for status in dict.fromkeys((code, None)):
            tables = [spec[s][status] for s in reversed(scopes) if status in spec.get(s, {})]
            for klass in type(error).__mro__ if tables else ():
                found = next((t[klass] for t in tables if klass in t), None)
                if found is not None:
                    break
            if found is not None:
                break
        if len(self._handler_lookups) < _HANDLER_LOOKUPS_KEPT:  # classes may be made at run time
            self._handler_lookups[key] = found
        return found

    def do_teardown_request(self, exc: BaseException | None, scopes: Iterable[str | None]) -> None:
        """Teardown functions of the request's scopes, innermost scope and newest first; then
        the ``request_tearing_down`` signal."""
        for scope in reversed(tuple(scopes)):
            for func in reversed(self.teardown_request_funcs.get(scope, ())):
                self.ensure_sync(func)(exc)
        if request_tearing_down.receivers:
            request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def do_teardown_appcontext(self, exc: BaseException | None) -> None:
        for func in self.teardown_appcontext_funcs[::-1]:
            self.ensure_sync(func)(exc)
        if appcontext_tearing_down.receivers:
            appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    # -- templates and static files -------------------------------------------------------------

    def update_template_context(self, context: dict[str, Any]) -> None:
        """Add the context processors' names to ``context``; names the caller passed win."""
        processors = self.template_context_processors
        if not processors:
            return  # none registered: the common case costs one check
        ctx = _cv_ctx.get(None)
        endpoint = ctx.endpoint if ctx is not None else None
        extra: dict[str, Any] = {}
        for scope in scopes_of(endpoint):
            for func in processors.get(scope, ()):
                extra.update(self.ensure_sync(func)())
        for name, value in extra.items():
            context.setdefault(name, value)

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        age = self.config["SEND_FILE_MAX_AGE_DEFAULT"]
        return int(age.total_seconds()) if isinstance(age, timedelta) else age


def _registering(add: Callable[..., None], name: str | None) -> Callable[[F], F]:
    def register(f: F) -> F:
        add(f, name)
        return f

    return register
