"""Finding the view for a request: werkzeug's ``Map``/``MapAdapter``, with a dict in front.

Most routes of a JSON service are plain paths (``/healthz``, ``/api/items``). For those, a dict
keyed by the raw ``PATH_INFO`` and then by method answers in two lookups (Bottle does the same);
werkzeug's matcher is asked only when the dict has nothing to say. The dict holds a rule only if
werkzeug would pick that same rule by path and method alone, so both routes give one answer, and
every refusal (404, 405 with ``Allow``, the 308 to the slash URL) is werkzeug's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import (
    BaseConverter,
    IntegerConverter,
    Map,
    MapAdapter,
    ValidationError,
    parse_converter_args,
)
from werkzeug.routing import Rule as WerkzeugRule

#: raw PATH_INFO → request method → rule.
ExactPaths = dict[str, dict[str, WerkzeugRule]]


class Rule(WerkzeugRule):
    """A URL rule that remembers whether the framework answers its OPTIONS requests."""

    provide_automatic_options: bool = False


def _plain_rule(rule: WerkzeugRule, endpoints_with_defaults: set[str]) -> bool:
    """Whether werkzeug answers a match of ``rule`` with the rule itself, nothing else.

    Left out: rules whose endpoint has defaults anywhere (werkzeug may redirect those to the
    canonical URL), redirects and aliases, host/subdomain rules, WebSocket and build-only rules,
    and rules that accept any method.
    """
    special = rule.redirect_to is not None or rule.alias or rule.host or rule.subdomain
    usable = not (special or rule.websocket or rule.build_only) and rule.methods is not None
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
        if rule.arguments or not _plain_rule(rule, defaulted):
            continue
        # PEP 3333 hands the path over as latin-1 characters of the raw (UTF-8) bytes.
        wsgi_path = rule.rule.encode("utf-8").decode("latin-1")
        by_method = table.setdefault(wsgi_path, {})
        for method in sorted(rule.methods or ()):
            if method != "OPTIONS" and method not in by_method:
                by_method[method] = rule
    return table


# -- rules with converters ------------------------------------------------------------------
#
# A rule is read as a list of path segments, each one of: a literal string; ONE_SEGMENT, a
# single converter filling the segment (or anything else confined to one segment); or
# ANY_REST, a converter that may span slashes (``path``), which may match everything after it.
# Rules are compared by these shapes: a rule takes the fast route only when no other rule
# sharing one of its methods could match any of the same paths. Then for a path and method
# that fits it, werkzeug's search could only end at that rule too, so both give one answer.

ONE_SEGMENT = object()
ANY_REST = object()
Shape = tuple[object, ...]  # of str | ONE_SEGMENT | ANY_REST

_PLACEHOLDER = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<arguments>.*?)\))?:)?"
    r"(?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)>"
)


@dataclass(frozen=True)
class Segment:
    """One segment of a rule that takes the fast route: a literal, or one converter."""

    literal: str | None
    variable: str = ""
    pattern: re.Pattern[str] | None = None
    converter: BaseConverter | None = None


@dataclass(frozen=True)
class PatternRoute:
    rule: WerkzeugRule
    segments: tuple[Segment, ...]
    #: The whole path as one expression, if the route has one (``whole_path_pattern``), and
    #: (variable, converter) for its groups, in order.
    whole: re.Pattern[str] | None = None
    converting: tuple[tuple[str, ValueReader], ...] = ()


#: What turns a matched part of the path into the view's value (None: the text as it is).
ValueReader = Callable[[str], Any] | None


def value_reader(converter: BaseConverter) -> ValueReader:
    """``converter.to_python``, or what it comes down to for werkzeug's own converters in
    their plain form: nothing for those that keep ``BaseConverter``'s (the text is the value),
    ``int`` for ``int`` without ``fixed_digits``, ``min`` or ``max`` (``int`` is all its
    ``to_python`` does then). One call fewer per value on the common routes."""
    if type(converter).to_python is BaseConverter.to_python:
        return None
    if type(converter) is not IntegerConverter:
        return converter.to_python
    unbounded = converter.min is None and converter.max is None
    return int if unbounded and not converter.fixed_digits else converter.to_python


#: werkzeug's own converter classes: their regexes match the same text inside a longer
#: expression as on their own (no anchors, no look-arounds). Others go segment by segment.
_BUILT_IN_CONVERTERS = frozenset(Map.default_converters.values())


def whole_path_pattern(segments: tuple[Segment, ...]) -> re.Pattern[str] | None:
    """``/literal/(regex)/…`` for a route's segments, when each converter is werkzeug's own.

    A path with as many segments as the route (its bucket says so) matches this exactly when
    each part matches its segment: the expression's slashes must take the path's slashes, so no
    group can hold one, and the groups are the parts. One regex call instead of one a segment.
    """
    pieces = []
    for segment in segments:
        if segment.literal is not None:
            pieces.append(re.escape(segment.literal))
        elif type(segment.converter) in _BUILT_IN_CONVERTERS:
            pieces.append(f"({segment.converter.regex})")  # type: ignore[union-attr]
        else:
            return None
    compiled = re.compile("/" + "/".join(pieces))
    # A regex with capturing groups of its own would shift the numbering.
    wanted = sum(segment.literal is None for segment in segments)
    return compiled if compiled.groups == wanted else None


def pattern_route(rule: WerkzeugRule, segments: tuple[Segment, ...]) -> PatternRoute:
    whole = whole_path_pattern(segments)
    if whole is None:
        return PatternRoute(rule, segments)
    converting = tuple(
        (segment.variable, value_reader(segment.converter))
        for segment in segments
        if segment.converter is not None
    )
    return PatternRoute(rule, segments, whole, converting)


def _read_rule(rule: WerkzeugRule) -> tuple[Shape, tuple[Segment, ...] | None]:
    """The rule's shape, and its segments when it can take the fast route (else None)."""
    shape: list[object] = []
    segments: list[Segment] | None = []
    for text in rule.rule.split("/")[1:]:
        found = list(_PLACEHOLDER.finditer(text))
        if not found:
            shape.append(text)
            if segments is not None:
                segments.append(Segment(literal=text))
            continue
        converters = []
        for placeholder in found:
            args, kwargs = parse_converter_args(placeholder["arguments"] or "")
            kind = placeholder["converter"] or "default"
            converter = rule.get_converter(placeholder["variable"], kind, args, kwargs)
            converters.append(converter)
        if not all(c.part_isolating for c in converters):
            shape.append(ANY_REST)
            segments = None
            continue
        shape.append(ONE_SEGMENT)
        whole = len(found) == 1 and found[0].span() == (0, len(text))
        if segments is not None and whole:
            pattern = re.compile(converters[0].regex)
            variable = found[0]["variable"]
            segments.append(Segment(None, variable, pattern, converters[0]))
        else:
            segments = None  # text around a converter: left to werkzeug
    return tuple(shape), None if segments is None else tuple(segments)


def _may_share_paths(first: Shape, second: Shape) -> bool:
    """Whether some path could match both shapes (erring towards yes)."""
    for mine, theirs in zip(first, second, strict=False):
        if mine is ANY_REST or theirs is ANY_REST:
            return True
        if isinstance(mine, str) and isinstance(theirs, str) and mine != theirs:
            return False
    return len(first) == len(second)


def _variants(shape: Shape) -> list[Shape]:
    """A shape and the shapes werkzeug may also answer for it with the slash added or removed
    (a strict-slash redirect, or a rule with ``strict_slashes=False``)."""
    if shape and shape[-1] == "":
        return [shape, shape[:-1]]
    return [shape, (*shape, "")]


@dataclass(frozen=True)
class PatternRoutes:
    """Rules matched by shape, bucketed by (segment count, first literal segment or None), and
    what it takes to know that no rule at all can match a path. A bucket of a literal first
    segment ends with the routes of (count, None): one look-up finds every candidate."""

    buckets: dict[tuple[int, str | None], list[PatternRoute]]
    #: The first segment of every rule whose first segment is a literal.
    first_segments: frozenset[str]
    #: Whether some rule starts with a converter (then any first segment may match).
    open_start: bool


def pattern_routes(url_map: Map) -> PatternRoutes:
    """Build the shape table. Done once the app starts serving: comparing every rule with every
    other on each ``add_url_rule`` would make start-up quadratic twice over."""
    buckets: dict[tuple[int, str | None], list[PatternRoute]] = {}
    all_rules = list(url_map.iter_rules())
    if url_map.host_matching:
        return PatternRoutes(buckets, frozenset(), open_start=True)
    read = [(rule, *_read_rule(rule)) for rule in all_rules]
    defaulted = {str(r.endpoint) for r in all_rules if r.defaults}
    for rule, shape, segments in read:
        if segments is None or not rule.arguments or not _plain_rule(rule, defaulted):
            continue
        # OPTIONS is on nearly every rule and never takes the fast route; it does not count.
        methods = set(rule.methods or ()) - {"OPTIONS"}
        clash = any(
            other is not rule
            and (other.methods is None or methods & set(other.methods))
            and any(_may_share_paths(shape, v) for v in _variants(other_shape))
            for other, other_shape, _ in read
        )
        if not clash:
            first = segments[0].literal if segments else None
            route = pattern_route(rule, segments)
            buckets.setdefault((len(segments), first), []).append(route)
    for (count, first), routes in buckets.items():
        if first is not None:
            routes.extend(buckets.get((count, None), ()))
    starts = [shape[0] if shape else "" for _, shape, _ in read]
    literal_starts = frozenset(start for start in starts if isinstance(start, str))
    # Rules with a host or subdomain part are matched on the host too: stay out of the way.
    special = any(rule.host or rule.subdomain for rule in all_rules)
    open_start = special or not all(isinstance(start, str) for start in starts)
    return PatternRoutes(buckets, literal_starts, open_start)


def match_pattern(
    table: PatternRoutes, path: str, method: str
) -> tuple[WerkzeugRule, dict[str, Any]] | None:
    """The rule and converted values for ``path`` (decoded text) from the shape table, or None
    when the table has no answer (werkzeug's matcher then decides). Raises ``NotFound`` for a
    path whose first segment starts no rule: werkzeug's search could not take a single step."""
    if method == "OPTIONS" or "//" in path or not path.startswith("/"):
        return None  # automatic OPTIONS answers and slash redirects are werkzeug's
    # The segment count and the first segment, without splitting the path (only the
    # segment-by-segment check needs the parts).
    count = path.count("/")
    end = path.find("/", 1)
    first = path[1:] if end < 0 else path[1:end]
    buckets = table.buckets
    candidates = buckets.get((count, first))
    if candidates is None:
        if not table.open_start and first not in table.first_segments:
            raise NotFound()
        candidates = buckets.get((count, None)) or []
    for route in candidates:
        methods = route.rule.methods
        if methods is None or method not in methods:
            continue
        if route.whole is None:
            values = _convert(route.segments, path[1:].split("/"))
        else:
            values = _convert_whole(route, route.whole.fullmatch(path))
        if values is not None:
            return route.rule, values
    return None


def _convert_whole(route: PatternRoute, found: re.Match[str] | None) -> dict[str, Any] | None:
    if found is None:
        return None
    values: dict[str, Any] = {}
    try:
        if len(route.converting) == 1:  # the usual single value, without a loop
            variable, read = route.converting[0]
            text = found.group(1)
            values[variable] = text if read is None else read(text)
            return values
        # As many groups as converters (whole_path_pattern checks). zip's keyword argument
        # alone costs more than the rest of the loop.
        for (variable, read), text in zip(route.converting, found.groups()):  # noqa: B905
            values[variable] = text if read is None else read(text)
    except (ValidationError, ValueError):
        # ValueError: ``int`` refusing a number too long to convert, which werkzeug's own
        # converter turns into a failed match; its matcher then answers.
        return None
    return values


def _convert(segments: tuple[Segment, ...], parts: list[str]) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    # As long as each other (the bucket's key says so); see _convert_whole on zip.
    for segment, part in zip(segments, parts):  # noqa: B905
        if segment.literal is not None:
            if segment.literal != part:
                return None
            continue
        assert segment.pattern is not None and segment.converter is not None
        if segment.pattern.fullmatch(part) is None:
            return None
        try:
            values[segment.variable] = segment.converter.to_python(part)
        except ValidationError:
            return None
    return values


def wsgi_path_text(raw: str) -> str:
    """A WSGI path (latin-1 characters of the raw bytes) as the text it spells in UTF-8."""
    if raw.isascii():
        return raw  # the same text either way
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


__all__ = [
    "ExactPaths",
    "Map",
    "MapAdapter",
    "PatternRoutes",
    "Rule",
    "exact_paths",
    "match_pattern",
    "match_with_werkzeug",
    "pattern_routes",
]
