"""The application's set-up half: config, properties, contexts, URL building, templates and
static files. The request flow itself is in ``app.py`` (``Flask`` subclasses ``AppBase``)."""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.routing import BuildError, MapAdapter
from werkzeug.utils import send_from_directory
from werkzeug.wsgi import get_host

from .config import Config, ConfigAttribute
from .ctx import _AppCtxGlobals
from .globals import _cv_ctx
from .helpers import JSONProvider, get_root_path
from .logging import create_logger
from .scaffold import Scaffold
from .templating import create_jinja_environment
from .wrappers import Request, Response, _decode

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

_ADAPTER_CACHE_SIZE = 256
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


class AppBase(Scaffold):
    """Configuration and services of the app object; see ``Flask`` in ``app.py``."""

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    app_ctx_globals_class = _AppCtxGlobals
    json_provider_class = JSONProvider

    testing = ConfigAttribute[bool]("TESTING")

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        template_folder: str | os.PathLike[str] | None = "templates",
        root_path: str | None = None,
    ) -> None:
        super().__init__()
        self.import_name = import_name
        self.root_path = root_path if root_path is not None else get_root_path(import_name)
        self.template_folder = template_folder
        self._static_folder = os.fspath(static_folder) if static_folder is not None else None
        if static_url_path is None and self._static_folder is not None:
            static_url_path = "/" + os.path.basename(self._static_folder.rstrip("/\\"))
        self.static_url_path = static_url_path.rstrip("/") if static_url_path else None
        self.config = Config(self.root_path, DEFAULT_CONFIG)
        #: Per-extension state, as in Flask (``app.extensions["name"] = ...``).
        self.extensions: dict[str, Any] = {}
        self.json = self.json_provider_class(self)
        self._jinja_env: Environment | None = None
        self._logger: logging.Logger | None = None
        self._url_adapters: dict[tuple[str, ...], MapAdapter] = {}
        # Host values that passed the TRUSTED_HOSTS check, and the list they passed against.
        self._trusted_hosts_checked: object = None
        self._trusted_host_keys: set[tuple[str | None, ...]] = set()
        self._error_bodies: dict[tuple[Any, ...], bytes] = {}  # see make_error_response
        self._text_content_type: tuple[type[Response], str, tuple[str, str]] | None = None
        if self._static_folder is not None and self.static_url_path is not None:
            # Always registered (as Flask) so url_for("static", ...) builds; in the stack nginx
            # answers /static/ before a request ever reaches the app.
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                view_func=self.send_static_file,
            )

    # -- properties -----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        if self.import_name == "__main__":
            filename = getattr(sys.modules["__main__"], "__file__", None)
            return os.path.splitext(os.path.basename(filename))[0] if filename else "__main__"
        return self.import_name

    @property
    def debug(self) -> bool:
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self._jinja_env is not None and self.config["TEMPLATES_AUTO_RELOAD"] is None:
            self._jinja_env.auto_reload = value

    @property
    def logger(self) -> logging.Logger:
        if self._logger is None:
            self._logger = create_logger(self)
        return self._logger

    @property
    def jinja_env(self) -> Environment:
        if self._jinja_env is None:
            self._jinja_env = create_jinja_environment(self)
        return self._jinja_env

    def _jinja_env_changed(self) -> None:
        if self._jinja_env is not None:
            self._jinja_env.filters.update(self._template_filters)
            self._jinja_env.globals.update(self._template_globals)
            self._jinja_env.tests.update(self._template_tests)

    @property
    def static_folder(self) -> str | None:
        if self._static_folder is None:
            return None
        return os.path.join(self.root_path, self._static_folder)

    # -- contexts, URLs, templates, static files -------------------------------------------------

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """The URL map bound to a request's host, script name and scheme — or, outside a request,
        to ``SERVER_NAME``/``APPLICATION_ROOT``/``PREFERRED_URL_SCHEME`` (None if unset).

        Binding builds a new adapter, so bound adapters are cached per (host, script name,
        scheme). The Host header comes from the client, so the cache is bounded.
        """
        config = self.config
        if request is None:
            if config["SERVER_NAME"] is None:
                return None
            return self.url_map.bind(
                config["SERVER_NAME"],
                script_name=config["APPLICATION_ROOT"],
                url_scheme=config["PREFERRED_URL_SCHEME"],
            )
        environ = request.environ
        # The bound adapter depends on the host (the Host header, or SERVER_NAME:SERVER_PORT
        # without one), the script name and the scheme; nothing else goes into the key.
        host = environ.get("HTTP_HOST")
        if host is None:
            host = f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
        script_name = environ.get("SCRIPT_NAME", "")
        scheme = environ.get("wsgi.url_scheme", "http")
        key = (host, script_name, scheme)
        adapter = self._url_adapters.get(key)
        if adapter is None:
            if len(self._url_adapters) >= _ADAPTER_CACHE_SIZE:
                self._url_adapters.clear()
            adapter = self.url_map.bind(
                config["SERVER_NAME"] or get_host(environ),
                script_name=_decode(script_name).rstrip("/") or "/",
                url_scheme=scheme,
            )
            self._url_adapters[key] = adapter
        return adapter

    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        ctx = _cv_ctx.get(None)
        if ctx is not None and ctx.request is not None:
            adapter = ctx.url_adapter
            if _external is None:
                _external = _scheme is not None
        else:
            adapter = ctx.url_adapter if ctx is not None else self.create_url_adapter(None)
            if adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without 'SERVER_NAME'"
                    " configured. Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME'"
                    " as needed."
                )
            if _external is None:
                _external = True
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        assert adapter is not None
        try:
            rv = adapter.build(
                endpoint,
                values,
                method=_method,
                url_scheme=_scheme,
                force_external=_external,
            )
        except BuildError as error:
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            rv = f"{rv}#{quote(_anchor, safe=_ANCHOR_SAFE)}"
        return rv

    def handle_url_build_error(self, error: BuildError, endpoint: str, values: Any) -> str:
        raise error

    def update_template_context(self, context: dict[str, Any]) -> None:
        """Merge the context processors' values into ``context`` (the caller's values win)."""
        if not self.template_context_processors:
            return
        orig = context.copy()
        for func in self.template_context_processors:
            context.update(func())
        context.update(orig)

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        value = self.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return value  # type: ignore[no-any-return]

    def send_static_file(self, filename: str) -> Response:
        """The view of ``/static/<path:filename>``: the file with ETag/Last-Modified and 304 on
        a conditional request; ``..`` or absolute paths get 404 (werkzeug's ``safe_join``)."""
        if self.static_folder is None:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        ctx = _cv_ctx.get()
        assert ctx.request is not None
        rv = send_from_directory(
            self.static_folder,
            filename,
            ctx.request.environ,
            max_age=self.get_send_file_max_age(filename),
            response_class=self.response_class,
            _root_path=self.root_path,
        )
        return rv  # type: ignore[return-value]

    def do_teardown_request(self, exc: BaseException | None) -> None:
        for func in reversed(self.teardown_request_funcs):
            func(exc)

    def do_teardown_appcontext(self, exc: BaseException | None) -> None:
        for func in reversed(self.teardown_appcontext_funcs):
            func(exc)
