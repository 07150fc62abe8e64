"""URL matching: werkzeug's state-machine matcher, ported line for line with its per-request
overheads removed.

werkzeug 3.1's ``StateMachineMatcher.match`` walks a tree of states, one URL segment at a time,
static transitions before dynamic ones, backtracking on failure. It is about half of the time
of a request to a route with a converter. ``Matcher.match`` below runs the same algorithm, in
the same order, with the same results and exceptions (the tests compare both on many rules and
paths); it only avoids work werkzeug repeats on every call: the regex of each dynamic part is
compiled once (werkzeug looks it up in ``re``'s cache on every attempt), the converter groups of
each part are ordered once (werkzeug sorts them on every match), the segment list is walked by
index instead of being sliced at every level, and runs of purely static states are followed in
a loop instead of by recursion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from werkzeug.routing import Map as _WerkzeugMap
from werkzeug.routing import Rule
from werkzeug.routing.converters import ValidationError
from werkzeug.routing.exceptions import NoMatch, RequestAliasRedirect, RequestPath
from werkzeug.routing.matcher import SlashRequired, State, StateMachineMatcher
from werkzeug.routing.rules import RuleFactory, RulePart

_MERGE_SLASHES = re.compile("/{2,}")


class Matcher(StateMachineMatcher):
    def __init__(self, merge_slashes: bool) -> None:
        super().__init__(merge_slashes)
        # RulePart → (compiled regex, names of its converter groups in order)
        self._compiled: dict[int, tuple[re.Pattern[str], tuple[str, ...]]] = {}

    def update(self) -> None:
        super().update()
        self._compiled.clear()

    def _compile(self, part: RulePart) -> tuple[re.Pattern[str], tuple[str, ...]]:
        compiled = self._compiled.get(id(part))
        if compiled is None:
            regex = re.compile(part.content)
            names = sorted(
                (name for name in regex.groupindex if name.startswith("__werkzeug_")),
                key=lambda name: int(name[11:]),
            )
            compiled = self._compiled[id(part)] = (regex, tuple(names))
        return compiled

    def match(
        self, domain: str, path: str, method: str, websocket: bool
    ) -> tuple[Rule, dict[str, Any]]:
        have_match_for: set[str] = set()
        mismatch = [False]  # websocket mismatch seen
        compile_part = self._compile

        def _match(state: State, parts: list[str], i: int, values: list[str]) -> Any:
            # A state with only static transitions (no dynamic ones, no rules) has exactly one
            # way on, so werkzeug's recursion there is a tail call: follow it in a loop.
            while i < len(parts) and not state.dynamic and not state.rules:
                next_state = state.static.get(parts[i])
                if next_state is None:
                    return None
                state = next_state
                i += 1
            if i == len(parts):
                for rule in state.rules:
                    if rule.methods is not None and method not in rule.methods:
                        have_match_for.update(rule.methods)
                    elif rule.websocket != websocket:
                        mismatch[0] = True
                    else:
                        return rule, values
                if "" in state.static:
                    for rule in state.static[""].rules:
                        if websocket == rule.websocket and (
                            rule.methods is None or method in rule.methods
                        ):
                            if rule.strict_slashes:
                                raise SlashRequired()
                            return rule, values
                return None

            part = parts[i]
            static = state.static.get(part)
            if static is not None:
                rv = _match(static, parts, i + 1, values)
                if rv is not None:
                    return rv
            for test_part, new_state in state.dynamic:
                regex, names = compile_part(test_part)
                if test_part.final:
                    match = regex.match("/".join(parts[i:]))
                    remaining_parts, next_i = parts, len(parts)
                else:
                    match = regex.match(part)
                    remaining_parts, next_i = parts, i + 1
                if match is not None:
                    if test_part.suffixed and match.groups()[-1] == "/":
                        remaining_parts, next_i = [""], 0
                    groups = [match.group(name) for name in names]
                    rv = _match(new_state, remaining_parts, next_i, values + groups)
                    if rv is not None:
                        return rv

            if i == len(parts) - 1 and parts[i] == "":
                for rule in state.rules:
                    if rule.strict_slashes:
                        continue
                    if rule.methods is not None and method not in rule.methods:
                        have_match_for.update(rule.methods)
                    elif rule.websocket != websocket:
                        mismatch[0] = True
                    else:
                        return rule, values
            return None

        try:
            rv = _match(self._root, [domain, *path.split("/")], 0, [])
        except SlashRequired:
            raise RequestPath(f"{path}/") from None

        if self.merge_slashes and rv is None:
            path = _MERGE_SLASHES.sub("/", path)
            try:
                rv = _match(self._root, [domain, *path.split("/")], 0, [])
            except SlashRequired:
                raise RequestPath(f"{path}/") from None
            if rv is None or rv[0].merge_slashes is False:
                raise NoMatch(have_match_for, mismatch[0])
            raise RequestPath(f"{path}")
        if rv is not None:
            rule, values = rv
            result: dict[str, Any] = {}
            for name, value in zip(rule._converters.keys(), values, strict=False):
                try:
                    value = rule._converters[name].to_python(value)
                except ValidationError as e:
                    raise NoMatch(have_match_for, mismatch[0]) from e
                result[str(name)] = value
            if rule.defaults:
                result.update(rule.defaults)
            if rule.alias and rule.map.redirect_defaults:
                raise RequestAliasRedirect(result, rule.endpoint)
            return rule, result
        raise NoMatch(have_match_for, mismatch[0])


class Map(_WerkzeugMap):
    """werkzeug's ``Map`` with the faster, equivalent ``Matcher``."""

    def __init__(self, rules: Iterable[RuleFactory] | None = None, **kwargs: Any) -> None:
        super().__init__(None, **kwargs)
        self._matcher = Matcher(self._matcher.merge_slashes)  # before any rule is added
        for rulefactory in rules or ():
            self.add(rulefactory)
        self._remap = True
