"""``Request`` and ``Response`` run werkzeug's constructor when first needed: the object must
look the same as if it had run at once, whatever was done to it before."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, cast

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from flasklite import Flask
from flasklite.wrappers import BoundedJSON, Request, Response


def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    seen.append((status, headers))


seen: list[tuple[str, list[tuple[str, str]]]] = []


def test_plain_response_sends_type_and_length_without_headers_object() -> None:
    seen.clear()
    answer = Response("héllo", status=201)
    body = answer({"REQUEST_METHOD": "GET"}, _start)
    assert list(body) == ["héllo".encode()]
    assert seen == [
        ("201 CREATED", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "6")])
    ]
    assert answer.deferred is not None  # nothing read its headers


def test_deferred_response_reads_like_an_eager_one() -> None:
    answer = Response(b"abc", mimetype="application/json")
    assert answer.status_code == 200 and answer.get_data() == b"abc"
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Content-Length"] == "3"
    assert answer.deferred is None


def test_changes_before_construction_are_kept() -> None:
    answer = Response("abc")
    answer.status = 404
    answer.direct_passthrough = True
    answer.headers["X-Extra"] = "1"  # runs the deferred constructor
    assert answer.status == "404 NOT FOUND" and answer.direct_passthrough is True
    assert answer.headers.get("Content-Length") == "3" and answer.headers["X-Extra"] == "1"


def test_close_callback_of_deferred_response_runs() -> None:
    closed: list[bool] = []
    answer = Response("abc")
    answer.call_on_close(lambda: closed.append(True))
    body = answer({"REQUEST_METHOD": "GET"}, lambda *a: None)
    assert b"".join(body) == b"abc"
    cast(Any, body).close()
    assert closed == [True]


def test_unknown_attribute_is_an_attribute_error_without_construction() -> None:
    answer = Response("abc")
    assert not hasattr(answer, "no_such_thing")
    assert answer.deferred is not None
    request = Request(EnvironBuilder(path="/x").get_environ())
    assert not hasattr(request, "no_such_thing")
    assert request.construction_deferred


def test_request_reads_body_without_werkzeug_constructor() -> None:
    environ = EnvironBuilder(path="/x", method="POST", json={"a": 1}).get_environ()
    request = Request(environ)
    assert request.get_json() == {"a": 1}
    assert request.construction_deferred
    assert environ["werkzeug.request"] is request


def test_request_attributes_set_before_construction_are_kept() -> None:
    app = Flask(__name__)
    paths: list[str] = []

    @app.before_request
    def rewrite() -> None:
        from flasklite import request

        request.path = "/rewritten"

    @app.get("/p")
    def view() -> str:
        from flasklite import request

        paths.append(request.path)
        return request.method  # constructed here, after the rewrite

    assert app.test_client().get("/p?q=1").data == b"GET"
    assert paths == ["/rewritten"]


@pytest.mark.parametrize(
    "text",
    ["", " ", "{}", ' {"a": 1} \n', "[1] x", "[1] [2]", "\ufeff{}", "nul", '{"a":', "1 2"],
)
def test_request_json_parse_matches_json_loads(text: str) -> None:
    def outcome(parse: Any) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            return type(error), str(error)

    assert outcome(BoundedJSON.loads) == outcome(json.loads)


@pytest.mark.parametrize("value", [201, HTTPStatus.CREATED, "201 CREATED", " 418 ", "299", "x"])
def test_status_is_what_werkzeug_makes_of_it(value: Any) -> None:
    ours, theirs = Response(), WerkzeugResponse()
    for _ in range(2):  # the second time from the cache
        ours.status = theirs.status = value
        assert (ours.status, ours.status_code) == (theirs.status, theirs.status_code)


@pytest.mark.parametrize("value", [200.0, "", None])
def test_bad_status_is_refused_as_werkzeug_refuses_it(value: Any) -> None:
    Response().status = 200  # an equal value in the cache must not answer for these
    with pytest.raises((TypeError, ValueError, AttributeError)) as ours:
        Response().status = value
    with pytest.raises((TypeError, ValueError, AttributeError)) as theirs:
        WerkzeugResponse().status = value
    assert ours.type is theirs.type


def test_forced_werkzeug_response_keeps_its_status() -> None:
    forced = Response.force_type(WerkzeugResponse("gone", status=410))
    assert (forced.status, forced.status_code) == ("410 GONE", 410)


def test_each_attribute_werkzeugs_constructor_sets_reads_as_werkzeug_makes_it() -> None:
    environ = EnvironBuilder(path="/a b/ä", query_string="q=1", method="PUT").get_environ()
    theirs = WerkzeugRequest(environ)
    names = set(vars(theirs)) - {"environ", "shallow"}
    assert names  # werkzeug still sets some: otherwise nothing is deferred
    for name in sorted(names):
        ours = Request(dict(environ))
        assert ours.construction_deferred
        value = getattr(ours, name)  # the first read runs the constructor
        assert not ours.construction_deferred
        expected = getattr(theirs, name)
        if name == "headers":
            value, expected = list(value), list(expected)
        assert value == expected, name


def test_headers_added_while_deferred_are_sent_in_order_and_kept_on_construction() -> None:
    seen.clear()
    answer = Response("abc")
    answer.add_header("Set-Cookie", "a=1; Path=/")
    answer.add_header("Vary", "Cookie")
    body = answer({"REQUEST_METHOD": "GET"}, _start)
    assert b"".join(body) == b"abc" and answer.deferred is not None
    assert seen[0][1] == [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "3"),
        ("Set-Cookie", "a=1; Path=/"),
        ("Vary", "Cookie"),
    ]
    answer.headers.add("X-Later", "1")  # builds the headers: the pairs kept aside come along
    assert answer.headers.to_wsgi_list()[2:] == [
        ("Set-Cookie", "a=1; Path=/"),
        ("Vary", "Cookie"),
        ("X-Later", "1"),
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [("X-Bad", "a\r\nSet-Cookie: evil=1"), ("Content-Length", "99"), ("Location", "/x")],
)
def test_add_header_leaves_what_werkzeug_must_judge_to_werkzeug(name: str, value: str) -> None:
    answer = Response("abc")
    eager = WerkzeugResponse("abc")
    try:
        eager.headers.add(name, value)
    except ValueError:
        with pytest.raises(ValueError):
            answer.add_header(name, value)
        return
    answer.add_header(name, value)
    assert answer.deferred is None  # the constructor ran and the header went into Headers
    assert answer.headers.getlist(name) == eager.headers.getlist(name)
