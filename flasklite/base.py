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
from werkzeug.utils import send_from_directory
from werkzeug.wsgi import get_host

from .config import Config, ConfigAttribute
from .ctx import _AppCtxGlobals
from .globals import _cv_ctx
from .helpers import JSONProvider, get_root_path
from .logging import create_logger
from .routing import (
    ExactPaths,
    PatternRoutes,
    Rule,
    exact_paths,
    pattern_routes,
)
from .scaffold import ErrorHandler, F, Scaffold, methods_of, setup_step
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
}

_HANDLER_LOOKUPS_KEPT = 512
_HOSTS_KEPT = 64


class AppBase(UrlBuilding, Scaffold):
    """Settings and services of the app object; see ``Flask`` in ``app.py``."""

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    app_ctx_globals_class = _AppCtxGlobals
    json_provider_class: type[JSONProvider] = JSONProvider
    url_rule_class: type[Rule] = Rule
    url_map_class: type[Map] = Map

    testing = ConfigAttribute[bool]("TESTING")

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        template_folder: str | os.PathLike[str] | None = "templates",
        root_path: str | None = None,
    ) -> None:
        super().__init__(import_name)
        self.root_path = get_root_path(import_name) if root_path is None else root_path
        self.template_folder = template_folder
        self._static_dir = None if static_folder is None else os.fspath(static_folder)
        self._static_prefix = None if static_url_path is None else static_url_path.rstrip("/")
        self.config = Config(self.root_path, DEFAULT_CONFIG)
        #: Per-extension state, as in Flask (``app.extensions["name"] = ...``).
        self.extensions: dict[str, Any] = {}
        self.url_map = self.url_map_class()
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
        self._serving = False
        self._hosts_passed: tuple[object, set[tuple[Any, ...]]] = (None, set())
        prefix = self.static_url_path
        if self._static_dir is not None and prefix is not None:
            # Registered even though nginx serves /static/ in the stack: url_for needs the rule.
            self.add_url_rule(
                prefix + "/<path:filename>", endpoint="static", view_func=self.send_static_file
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
    def jinja_env(self) -> Environment:
        if self._jinja_env is None:
            self._jinja_env = create_jinja_environment(self)
        return self._jinja_env

    @property
    def static_folder(self) -> str | None:
        """The absolute static folder (``static_folder`` is relative to ``root_path``)."""
        return None if self._static_dir is None else os.path.join(self.root_path, self._static_dir)

    @property
    def static_url_path(self) -> str | None:
        """Where static files are served; ``""`` serves them at the root of the site."""
        if self._static_prefix is not None:
            return self._static_prefix
        if self._static_dir is None:
            return None
        return "/" + os.path.basename(self._static_dir.rstrip("/\\"))

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
        self.exact_routes = exact_paths(self.url_map)
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
        self.shape_routes = pattern_routes(self.url_map)
        return self.shape_routes

    def scopes_for(self, endpoint: str | None) -> tuple[str | None, ...]:
        """The registry scopes a request to ``endpoint`` uses, app-wide first."""
        return scopes_of(endpoint)

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

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Every view and hook is called through this; ``async def`` support replaces it."""
        return func

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
        """Teardown functions of the request's scopes, innermost scope and newest first."""
        for scope in reversed(tuple(scopes)):
            for func in reversed(self.teardown_request_funcs.get(scope, ())):
                self.ensure_sync(func)(exc)

    def do_teardown_appcontext(self, exc: BaseException | None) -> None:
        for func in self.teardown_appcontext_funcs[::-1]:
            self.ensure_sync(func)(exc)

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

    def send_static_file(self, filename: str) -> Response:
        """A file of the static folder, with ETag/Last-Modified and 304 for a conditional
        request; ``..`` and absolute paths get 404 (werkzeug's ``safe_join``)."""
        folder = self.static_folder
        if folder is None:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        environ = _cv_ctx.get().environ
        assert environ is not None
        sent = send_from_directory(
            folder,
            filename,
            environ,
            max_age=self.get_send_file_max_age(filename),
            response_class=self.response_class,
        )
        assert isinstance(sent, Response)
        return sent


def _registering(add: Callable[..., None], name: str | None) -> Callable[[F], F]:
    def register(f: F) -> F:
        add(f, name)
        return f

    return register
