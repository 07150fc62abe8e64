"""``Request`` and ``Response`` run werkzeug's constructor when first needed: the object must
look the same as if it had run at once, whatever was done to it before."""

from __future__ import annotations

from typing import Any, cast

from werkzeug.test import EnvironBuilder

from flasklite import Flask
from flasklite.wrappers import Request, Response


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
