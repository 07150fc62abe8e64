"""The ported URL matcher answers exactly as werkzeug's on many rules, paths and methods."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map as WerkzeugMap
from werkzeug.routing import RequestRedirect, Rule
from werkzeug.routing.converters import BaseConverter, ValidationError

from flasklite.routing import Map, Matcher, match


class EvenConverter(BaseConverter):
    """Rejects odd numbers in to_python: a match that fails conversion is a 404 in werkzeug."""

    regex = r"\d+"

    def to_python(self, value: str) -> int:
        if int(value) % 2:
            raise ValidationError()
        return int(value)


def rules() -> list[Rule]:
    return [
        Rule("/", endpoint="root"),
        Rule("/a", endpoint="a", methods=["GET", "POST"]),
        Rule("/a/", endpoint="a_slash", methods=["PUT"]),
        Rule("/b/", endpoint="b"),
        Rule("/c/", endpoint="c_loose", strict_slashes=False),
        Rule("/n/<int:n>", endpoint="int"),
        Rule("/n/<float:f>", endpoint="float"),
        Rule("/n/<name>", endpoint="string"),
        Rule("/n/<int:n>/", endpoint="int_slash", methods=["POST"]),
        Rule("/n/special", endpoint="special"),
        Rule("/u/<uuid:u>", endpoint="uuid"),
        Rule("/p/<path:rest>", endpoint="path"),
        Rule("/p/<path:rest>/edit", endpoint="path_edit"),
        Rule("/s/<path:rest>/", endpoint="path_slash"),
        Rule("/f/file-<int:n>.txt", endpoint="mixed"),
        Rule("/f/<any(x, y):which>", endpoint="any"),
        Rule("/e/<even:n>", endpoint="even"),
        Rule("/d/", endpoint="defaults", defaults={"page": 1}),
        Rule("/d/<int:page>", endpoint="defaults"),
        Rule("/m//double", endpoint="double", merge_slashes=False),
        Rule("/w/<int:n>", endpoint="ws", websocket=True),
        Rule("/build/<int:n>", endpoint="build_only", build_only=True),
        Rule("/x/<a>/<b>", endpoint="two"),
        Rule("/x/<int:a>/fixed", endpoint="two_fixed"),
    ]


SEGMENTS = ["", "a", "b", "c", "n", "p", "s", "f", "e", "d", "m", "w", "x", "u", "1", "2", "42",
            "1.5", "-1", "special", "file-3.txt", "edit", "double", "y", "z", "build",
            "00000000-0000-0000-0000-000000000001"]  # fmt: skip


def paths() -> list[str]:
    found = {"/", "", "//", "/a//", "//a", "/m//double", "/m/double", "/p/a//b/edit"}
    for depth in (1, 2, 3):
        for combo in itertools.product(SEGMENTS, repeat=depth):
            if depth == 3 and combo[0] not in {"n", "p", "x", "f", "s"}:
                continue
            path = "/" + "/".join(combo)
            found.update({path, path + "/"})
    return sorted(found)


def outcome(
    map_: WerkzeugMap, path: str, method: str, websocket: bool, direct: bool = False
) -> Any:
    adapter = map_.bind("example.com", "/", url_scheme="ws" if websocket else "http")
    try:
        if direct:  # the framework's shortcut around MapAdapter.match
            rule, args = match(adapter, path, method, "q=1", websocket)
        else:
            rule, args = adapter.match(
                path, method, return_rule=True, query_args="q=1", websocket=websocket
            )
    except RequestRedirect as e:
        return ("redirect", e.new_url)
    except MethodNotAllowed as e:
        return ("405", sorted(e.valid_methods or ()))
    except HTTPException as e:
        return (type(e).__name__,)
    return ("match", rule.endpoint, rule.rule, args)


def test_map_uses_the_ported_matcher() -> None:
    assert isinstance(Map()._matcher, Matcher)
    assert Map([Rule("/x", endpoint="x")]).bind("h").match("/x") == ("x", {})


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
def test_ported_matcher_answers_like_werkzeug(method: str) -> None:
    converters = {"even": EvenConverter}
    ours, theirs = Map(rules(), converters=converters), WerkzeugMap(rules(), converters=converters)
    checked = 0
    for path in paths():
        for websocket in (False, True) if method == "GET" else (False,):
            assert outcome(ours, path, method, websocket) == outcome(
                theirs, path, method, websocket
            ), (path, method, websocket)
            checked += 1
    assert checked > 2000


def test_rules_added_after_matching_are_found() -> None:
    url_map = Map([Rule("/<int:n>", endpoint="int")])
    adapter = url_map.bind("h")
    assert adapter.match("/1") == ("int", {"n": 1})
    url_map.add(Rule("/<name>", endpoint="name"))
    assert adapter.match("/x") == ("name", {"name": "x"})
    assert adapter.match("/2") == ("int", {"n": 2})


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_match_function_answers_like_adapter_match(method: str) -> None:
    # routing.match is what requests use: same results, exceptions and redirect URLs.
    converters = {"even": EvenConverter}
    ours, theirs = Map(rules(), converters=converters), WerkzeugMap(rules(), converters=converters)
    for path in paths():
        for websocket in (False, True) if method == "GET" else (False,):
            assert outcome(ours, path, method, websocket, direct=True) == outcome(
                theirs, path, method, websocket
            ), (path, method, websocket)


def test_match_function_leaves_redirect_rules_to_werkzeug() -> None:
    url_map = Map(
        [
            Rule("/old/<int:n>", endpoint="old", redirect_to="/new/<n>"),
            Rule("/new/<int:n>", endpoint="new"),
            Rule("/alias/<int:n>", endpoint="new", alias=True),
        ]
    )
    adapter = url_map.bind("h")
    for path in ("/old/3", "/alias/4"):
        with pytest.raises(RequestRedirect) as direct:
            match(adapter, path, "GET", "", False)
        with pytest.raises(RequestRedirect) as werkzeug:
            adapter.match(path, "GET", return_rule=True)
        assert direct.value.new_url == werkzeug.value.new_url
