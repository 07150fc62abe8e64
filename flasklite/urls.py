"""URL building and the bound URL adapters: the part of the app object ``url_for`` uses.

``AppBase`` (``base.py``) inherits it; the adapters are also what ``ctx.py`` hands to werkzeug's
matcher.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.routing import BuildError, Map, MapAdapter
from werkzeug.wsgi import get_host

from .globals import _cv_ctx
from .routing import wsgi_path_text

if TYPE_CHECKING:
    from .config import Config
    from .scaffold import Hooks

# Bound adapters are kept per (host, script name, scheme); the host comes from the client.
_ADAPTERS_KEPT = 256
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


class UrlBuilding:
    """``create_url_adapter``, ``url_for`` and the ``url_defaults`` functions."""

    config: Config
    url_map: Map
    url_default_functions: Hooks
    _bound_adapters: dict[tuple[str, str, str], MapAdapter]

    def create_url_adapter(self, environ: dict[str, Any] | None) -> MapAdapter | None:
        """The URL map bound to a request's host, script name and scheme — or, without a request,
        to ``SERVER_NAME``/``APPLICATION_ROOT``/``PREFERRED_URL_SCHEME`` (None if unset)."""
        cfg = self.config
        if environ is None:
            if cfg["SERVER_NAME"] is None:
                return None
            root, scheme = cfg["APPLICATION_ROOT"], cfg["PREFERRED_URL_SCHEME"]
            return self.url_map.bind(cfg["SERVER_NAME"], script_name=root, url_scheme=scheme)
        host = (
            environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        )
        cache_key = (host, environ.get("SCRIPT_NAME", ""), environ.get("wsgi.url_scheme", "http"))
        bound = self._bound_adapters.get(cache_key)
        if bound is None:
            if len(self._bound_adapters) >= _ADAPTERS_KEPT:
                self._bound_adapters.clear()
            bound = self.url_map.bind(
                cfg["SERVER_NAME"] or get_host(environ),
                script_name=wsgi_path_text(cache_key[1]).rstrip("/") or "/",
                url_scheme=cache_key[2],
            )
            self._bound_adapters[cache_key] = bound
        return bound

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Let the ``url_defaults`` functions of the endpoint's scopes fill in ``values``."""
        for scope in scopes_of(endpoint):
            for func in self.url_default_functions.get(scope, ()):
                func(endpoint, values)

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
        """The URL of ``endpoint``: relative inside a request, absolute outside one. Values
        that are not rule arguments become the query string."""
        ctx = _cv_ctx.get(None)
        in_request = ctx is not None and ctx.environ is not None
        adapter = ctx.url_adapter if ctx is not None else self.create_url_adapter(None)
        if adapter is None:
            raise RuntimeError(
                "Unable to build URLs outside an active request without 'SERVER_NAME'"
                " configured. Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME'"
                " as needed."
            )
        external = _external
        if external is None:
            external = _scheme is not None if in_request else True
        if _scheme is not None and not external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            url = adapter.build(
                endpoint, values, method=_method, url_scheme=_scheme, force_external=external
            )
        except BuildError as failure:
            return self.handle_url_build_error(failure, endpoint, values)
        return url if _anchor is None else url + "#" + quote(_anchor, safe=_ANCHOR_SAFE)

    def handle_url_build_error(self, error: BuildError, endpoint: str, values: Any) -> str:
        raise error


@functools.lru_cache(maxsize=1024)
def scopes_of(endpoint: str | None) -> tuple[str | None, ...]:
    """The scopes of an endpoint, app-wide first: ``"a.b.view"`` → ``(None, "a", "a.b")``."""
    if endpoint is None or "." not in endpoint:
        return (None,)
    parts = endpoint.split(".")[:-1]
    return (None, *(".".join(parts[: i + 1]) for i in range(len(parts))))
