"""The ported URL matcher answers exactly as werkzeug's on many rules, paths and methods."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map as WerkzeugMap
from werkzeug.routing import RequestRedirect, Rule
from werkzeug.routing.converters import BaseConverter, ValidationError

from app.framework.routing import Map, Matcher


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


def outcome(map_: WerkzeugMap, path: str, method: str, websocket: bool) -> Any:
    adapter = map_.bind("example.com", "/", url_scheme="ws" if websocket else "http")
    try:
        rule, args = adapter.match(path, method, return_rule=True, websocket=websocket)
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
