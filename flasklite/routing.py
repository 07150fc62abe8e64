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
a loop instead of by recursion. On top of that, ``Matcher.match`` first follows the search's
first branch in a plain loop (the branch that succeeds for nearly every matching request) and
only runs the full search when that branch fails. ``match()`` does ``MapAdapter.match``'s part
for the common outcomes and hands anything that may redirect to werkzeug.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map as _WerkzeugMap
from werkzeug.routing import MapAdapter, Rule
from werkzeug.routing.converters import ValidationError
from werkzeug.routing.exceptions import (
    NoMatch,
    RequestAliasRedirect,
    RequestPath,
    WebsocketMismatch,
)
from werkzeug.routing.matcher import SlashRequired, State, StateMachineMatcher
from werkzeug.routing.rules import RuleFactory

_MERGE_SLASHES = re.compile("/{2,}")


# A dynamic transition, ready to try: (compiled regex, its converter group numbers in order,
# whether it is a single group, part.final, part.suffixed, next state).
_Transition = tuple[re.Pattern[str], tuple[int, ...], bool, bool, bool, State]
# What one search carries down the recursion: (method, websocket, methods that would have
# matched — for 405, [websocket mismatch seen]).
_Search = tuple[str, bool, set[str], list[bool]]


class Matcher(StateMachineMatcher):
    def __init__(self, merge_slashes: bool) -> None:
        super().__init__(merge_slashes)
        # id(State) → its dynamic transitions, compiled (built on first use after update()).
        self._transitions: dict[int, list[_Transition]] = {}

    def update(self) -> None:
        super().update()
        self._transitions.clear()

    def _compile(self, state: State) -> list[_Transition]:
        transitions = []
        for part, new_state in state.dynamic:
            regex = re.compile(part.content)
            names = sorted(
                (name for name in regex.groupindex if name.startswith("__werkzeug_")),
                key=lambda name: int(name[11:]),
            )
            groups = tuple(regex.groupindex[name] for name in names)
            transitions.append(
                (regex, groups, len(groups) == 1, part.final, part.suffixed, new_state)
            )
        self._transitions[id(state)] = transitions
        return transitions

    def match(
        self, domain: str, path: str, method: str, websocket: bool
    ) -> tuple[Rule, dict[str, Any]]:
        """The result of werkzeug's search (``_search``), found faster when the search's first
        branch succeeds, as it does for almost every request that matches.

        The search is depth-first, static transition before dynamic ones, in a fixed order, and
        returns the first rule that accepts the method. So when the first choice at every level
        leads to a state with an accepting rule, that rule is what the search returns: this
        loop follows exactly that branch, without the recursion and bookkeeping that only
        matter for backtracking and error reporting. Anything else (a dead end, a suffixed
        part, no accepting rule, a converter refusing its value) runs the full search, which
        then decides everything (404/405/redirects) itself.
        """
        parts = [domain, *path.split("/")]
        n = len(parts)
        state = self._root
        values: list[str] = []
        i = 0
        while i < n:
            part = parts[i]
            next_state = state.static.get(part)
            if next_state is not None:
                state = next_state
                i += 1
                continue
            if not state.dynamic:
                return self._search(domain, path, method, websocket)
            transitions = self._transitions.get(id(state))
            if transitions is None:
                transitions = self._compile(state)
            for transition in transitions:  # the first transition whose regex matches
                found = transition[0].match("/".join(parts[i:]) if transition[3] else part)
                if found is not None:
                    break
            else:
                return self._search(domain, path, method, websocket)
            _, groups, single, final, suffixed, new_state = transition
            if suffixed:
                return self._search(domain, path, method, websocket)
            if single:
                values.append(found.group(groups[0]))
            else:
                values.extend([found.group(g) for g in groups])
            state = new_state
            i = n if final else i + 1
        for rule in state.rules:
            if (rule.methods is None or method in rule.methods) and rule.websocket == websocket:
                break
        else:
            return self._search(domain, path, method, websocket)
        result: dict[str, Any] = {}
        for (name, converter), value in zip(rule._converters.items(), values, strict=False):
            try:
                result[str(name)] = converter.to_python(value)
            except ValidationError:
                return self._search(domain, path, method, websocket)
        if rule.defaults:
            result.update(rule.defaults)
        if rule.alias and rule.map.redirect_defaults:
            raise RequestAliasRedirect(result, rule.endpoint)
        return rule, result

    def _walk(
        self,
        state: State,
        parts: list[str],
        i: int,
        values: list[str],
        search: _Search,
    ) -> Any:
        """The recursive step of ``_search`` (werkzeug's inner ``_match``). A method rather
        than a closure: a closure that calls itself is a reference cycle, left for the
        garbage collector after every 404."""
        method, websocket, have_match_for, mismatch = search
        n = len(parts)
        # A state with only static transitions (no dynamic ones, no rules) has exactly one
        # way on, so werkzeug's recursion there is a tail call: follow it in a loop.
        while i < n and not state.dynamic and not state.rules:
            next_state = state.static.get(parts[i])
            if next_state is None:
                return None
            state = next_state
            i += 1
        if i == n:
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
            rv = self._walk(static, parts, i + 1, values, search)
            if rv is not None:
                return rv
        if state.dynamic:
            transitions = self._transitions.get(id(state))
            if transitions is None:
                transitions = self._compile(state)
            for regex, groups, single, final, suffixed, new_state in transitions:
                if final:
                    match = regex.match("/".join(parts[i:]))
                    remaining_parts, next_i = parts, n
                else:
                    match = regex.match(part)
                    remaining_parts, next_i = parts, i + 1
                if match is not None:
                    if suffixed and match.groups()[-1] == "/":
                        remaining_parts, next_i = [""], 0
                    # One converter is the common case: no list comprehension for it.
                    if single:
                        new_values = [*values, match.group(groups[0])]
                    else:
                        new_values = values + [match.group(g) for g in groups]
                    rv = self._walk(new_state, remaining_parts, next_i, new_values, search)
                    if rv is not None:
                        return rv

        if i == n - 1 and part == "":
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

    def _search(
        self, domain: str, path: str, method: str, websocket: bool
    ) -> tuple[Rule, dict[str, Any]]:
        """werkzeug's ``StateMachineMatcher.match``, line for line."""
        have_match_for: set[str] = set()
        mismatch = [False]  # websocket mismatch seen
        search = (method, websocket, have_match_for, mismatch)

        try:
            rv = self._walk(self._root, [domain, *path.split("/")], 0, [], search)
        except SlashRequired:
            raise RequestPath(f"{path}/") from None

        if self.merge_slashes and rv is None:
            path = _MERGE_SLASHES.sub("/", path)
            try:
                rv = self._walk(self._root, [domain, *path.split("/")], 0, [], search)
            except SlashRequired:
                raise RequestPath(f"{path}/") from None
            if rv is None or rv[0].merge_slashes is False:
                raise NoMatch(have_match_for, mismatch[0])
            raise RequestPath(f"{path}")
        if rv is not None:
            rule, values = rv
            result: dict[str, Any] = {}
            for (name, converter), value in zip(rule._converters.items(), values, strict=False):
                try:
                    result[str(name)] = converter.to_python(value)
                except ValidationError as e:
                    raise NoMatch(have_match_for, mismatch[0]) from e
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


def match(
    adapter: MapAdapter, path_info: str, method: str, query_args: str, websocket: bool
) -> tuple[Rule, dict[str, Any]]:
    """``adapter.match(path_info, method, return_rule=True, query_args=query_args,
    websocket=websocket)``, with the same results and exceptions, minus the wrapper's per-call
    work for the common outcomes: a match that needs no redirect, 404 and 405. Whatever may
    become a redirect (slash or merged slashes, alias, defaults, ``redirect_to``) is handed to
    ``adapter.match``, which computes it again and builds the redirect URL as werkzeug does."""
    url_map = adapter.map
    if url_map._remap:  # the check update() starts with, without the call
        url_map.update()
    method = (method or adapter.default_method).upper()
    domain_part = adapter.server_name
    if not url_map.host_matching and adapter.subdomain is not None:
        domain_part = adapter.subdomain
    path_part = f"/{path_info.lstrip('/')}" if path_info else ""
    try:
        rule, values = url_map._matcher.match(domain_part, path_part, method, websocket)
    except NoMatch as e:
        if e.have_match_for:
            raise MethodNotAllowed(valid_methods=list(e.have_match_for)) from None
        if e.websocket_mismatch:
            raise WebsocketMismatch() from None
        raise NotFound() from None
    except (RequestPath, RequestAliasRedirect):
        rule = None
    # werkzeug's get_default_redirect only considers the rules before this one in its
    # endpoint's (sorted) list, so the first rule of an endpoint is never redirected.
    if (
        rule is None
        or rule.redirect_to is not None
        or (url_map.redirect_defaults and url_map._rules_by_endpoint[rule.endpoint][0] is not rule)
    ):
        return adapter.match(  # type: ignore[return-value]
            path_info, method, return_rule=True, query_args=query_args, websocket=websocket
        )
    # The matcher builds a new dict for every match (typed as a Mapping): no copy needed.
    return rule, cast(dict[str, Any], values)
