"""Finding the view for a request: werkzeug's ``Map``/``MapAdapter``, with a dict in front.

Most routes of a JSON service are plain paths (``/healthz``, ``/api/items``). For those, a dict
keyed by the raw ``PATH_INFO`` and then by method answers in two lookups (Bottle does the same);
werkzeug's matcher is asked only when the dict has nothing to say. The dict holds a rule only if
werkzeug would pick that same rule by path and method alone, so both routes give one answer, and
every refusal (404, 405 with ``Allow``, the 308 to the slash URL) is werkzeug's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.routing import Map, MapAdapter
from werkzeug.routing import Rule as WerkzeugRule

#: raw PATH_INFO → request method → rule.
ExactPaths = dict[str, dict[str, WerkzeugRule]]


class Rule(WerkzeugRule):
    """A URL rule that remembers whether the framework answers its OPTIONS requests."""

    provide_automatic_options: bool = False


def _path_only(rule: WerkzeugRule, endpoints_with_defaults: set[str]) -> bool:
    """Whether werkzeug would choose ``rule`` for its exact path by the method alone.

    Left out: rules with converters, rules whose endpoint has defaults anywhere (werkzeug may
    redirect those to the canonical URL), redirects, host/subdomain rules, WebSocket and
    build-only rules, and rules that accept any method.
    """
    plain = not (rule.arguments or rule.redirect_to is not None or rule.host or rule.subdomain)
    usable = plain and not (rule.websocket or rule.build_only) and rule.methods is not None
    return usable and rule.endpoint not in endpoints_with_defaults


def exact_paths(url_map: Map) -> ExactPaths:
    """Build the exact-path dict from the map. Runs at registration time only.

    OPTIONS stays with werkzeug (an automatic answer needs every allowed method); for a path and
    method claimed twice, the rule registered first wins, as in werkzeug's matcher.
    """
    table: ExactPaths = {}
    if url_map.host_matching:
        return table
    all_rules = list(url_map.iter_rules())
    defaulted = {str(r.endpoint) for r in all_rules if r.defaults}
    for rule in all_rules:
        if not _path_only(rule, defaulted):
            continue
        # PEP 3333 hands the path over as latin-1 characters of the raw (UTF-8) bytes.
        wsgi_path = rule.rule.encode("utf-8").decode("latin-1")
        by_method = table.setdefault(wsgi_path, {})
        for method in sorted(rule.methods or ()):
            if method != "OPTIONS" and method not in by_method:
                by_method[method] = rule
    return table


def wsgi_path_text(raw: str) -> str:
    """A WSGI path (latin-1 characters of the raw bytes) as the text it spells in UTF-8."""
    return raw.encode("latin-1").decode("utf-8", "replace")


def wants_websocket(environ: Mapping[str, Any]) -> bool:
    """A WebSocket handshake: ``Upgrade: websocket`` with ``upgrade`` among the Connection
    tokens. Such a request only matches WebSocket rules; we register none, so werkzeug answers."""
    if str(environ.get("HTTP_UPGRADE", "")).lower() != "websocket":
        return False
    tokens = str(environ.get("HTTP_CONNECTION", "")).lower().split(",")
    return "upgrade" in (token.strip() for token in tokens)


def match_with_werkzeug(
    adapter: MapAdapter, environ: Mapping[str, Any], method: str
) -> tuple[WerkzeugRule, dict[str, Any]]:
    """The rule and URL values werkzeug finds, or the HTTP exception it raises.

    ``PATH_INFO`` is passed as the server gave it (not with a slash added): a request for the
    mount point itself must be redirected to the slash, as ``bind_to_environ`` would.
    """
    rule, values = adapter.match(
        wsgi_path_text(environ.get("PATH_INFO", "")),
        method,
        return_rule=True,
        query_args=environ.get("QUERY_STRING", ""),
        websocket="HTTP_UPGRADE" in environ and wants_websocket(environ),
    )
    return rule, dict(values)


__all__ = ["ExactPaths", "Map", "MapAdapter", "Rule", "exact_paths", "match_with_werkzeug"]
