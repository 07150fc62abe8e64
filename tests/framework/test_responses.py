"""``make_response`` conversions and the response fast paths."""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from werkzeug.datastructures import Headers
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Response as WerkzeugResponse

from flasklite import Flask, Response, jsonify, make_response, redirect

from .conftest import call_wsgi


def _view(app: Flask, rv: Any) -> None:
    app.add_url_rule("/", "view", lambda: rv)


@pytest.mark.parametrize(
    ("rv", "body", "content_type"),
    [
        ("héllo", "héllo".encode(), "text/html; charset=utf-8"),
        (b"raw", b"raw", "text/html; charset=utf-8"),
        ({"b": 1, "a": [1, 2]}, b'{"a":[1,2],"b":1}\n', "application/json"),
        ([1, "two"], b'[1,"two"]\n', "application/json"),
    ],
)
def test_body_types_are_converted(app: Flask, rv: Any, body: bytes, content_type: str) -> None:
    _view(app, rv)
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.data == body
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(len(body))


def test_response_object_is_returned_as_is(app: Flask, client: Client) -> None:
    _view(app, Response("x", status=201, mimetype="text/plain"))
    response = client.get("/")
    assert (response.status_code, response.mimetype, response.text) == (201, "text/plain", "x")


def test_generator_is_streamed_chunk_by_chunk(app: Flask) -> None:
    def lines() -> Iterator[str]:
        for i in range(3):
            yield f"line {i}\n"

    app.get("/")(lambda: lines())
    environ = EnvironBuilder(path="/").get_environ()
    chunks: list[bytes] = []
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["headers"] = dict(headers)
        return None

    body = app(environ, start_response)
    try:
        chunks.extend(body)
    finally:
        body.close()  # type: ignore[attr-defined]
    assert chunks == [b"line 0\n", b"line 1\n", b"line 2\n"]
    assert "Content-Length" not in captured["headers"]


@pytest.mark.parametrize(
    ("rv", "status", "header"),
    [
        (("made", 201), 201, None),
        (("made", "202 Accepted"), 202, None),
        (("made", HTTPStatus.CREATED), 201, None),
        (([1, 2], 201), 201, None),
        ((b"made", 201, [("X-A", "1")]), 201, "1"),
        (("made", {"X-A": "1"}), 200, "1"),
        (("made", [("X-A", "1")]), 200, "1"),
        (("made", Headers({"X-A": "1"})), 200, "1"),
        (("made", 203, {"X-A": "1"}), 203, "1"),
        (({"k": "v"}, 201, {"X-A": "1"}), 201, "1"),
        ((Response("made"), 206, {"X-A": "1"}), 206, "1"),
    ],
)
def test_tuples_set_status_and_headers(app: Flask, rv: Any, status: int, header: Any) -> None:
    _view(app, rv)
    response = app.test_client().get("/")
    assert response.status_code == status
    assert response.headers.get("X-A") == header


def test_none_raises_type_error_naming_the_view(make_app: Any) -> None:
    app = make_app(TESTING=True)

    @app.get("/")
    def forgot_return() -> None:
        pass

    with pytest.raises(TypeError, match="'forgot_return' did not return a valid response"):
        app.test_client().get("/")


def test_bad_tuple_length_raises_type_error(make_app: Any) -> None:
    app = make_app(TESTING=True)
    _view(app, ("a", 200, {}, "extra"))
    with pytest.raises(TypeError, match="valid response tuple"):
        app.test_client().get("/")


def test_unsupported_type_raises_type_error(make_app: Any) -> None:
    app = make_app(TESTING=True)
    _view(app, 3.5)
    with pytest.raises(TypeError, match="it was a float"):
        app.test_client().get("/")


def test_wsgi_callable_is_wrapped(app: Flask, client: Client) -> None:
    _view(app, WerkzeugResponse("from werkzeug", status=202))
    response = client.get("/")
    assert (response.status_code, response.text) == (202, "from werkzeug")


def test_make_response_helper_allows_adding_headers(app: Flask, client: Client) -> None:
    @app.get("/")
    def view() -> Response:
        response = make_response("body", 201)
        response.headers["X-Extra"] = "yes"
        return response

    response = client.get("/")
    assert (response.status_code, response.headers["X-Extra"]) == (201, "yes")


def test_jsonify_forms(app: Flask) -> None:
    with app.app_context():
        assert jsonify({"a": 1}).get_json() == {"a": 1}
        assert jsonify(1, 2).get_json() == [1, 2]
        assert jsonify(a=1).get_json() == {"a": 1}
        assert jsonify("x").get_json() == "x"
        with pytest.raises(TypeError):
            jsonify(1, a=2)


def test_jsonify_is_indented_in_debug(app: Flask) -> None:
    app.debug = True
    with app.app_context():
        assert jsonify({"a": 1}).data == b'{\n  "a": 1\n}\n'


def test_redirect_helper(app: Flask, client: Client) -> None:
    app.get("/old")(lambda: redirect("/new"))
    response = client.get("/old")
    assert response.status_code == 302
    assert response.headers["Location"] == "/new"


def _our_call(response: Response, method: str = "GET") -> tuple[Any, ...]:
    return call_wsgi(response, EnvironBuilder(method=method).get_environ())


def _observable(response: Response) -> tuple[Any, ...]:
    return (
        response.status,
        response.status_code,
        response.response,
        response.direct_passthrough,
        response.headers.to_wsgi_list(),
        response.get_data(),
    )


def _werkzeug_call(response: Response, method: str = "GET") -> tuple[Any, ...]:
    environ = EnvironBuilder(method=method).get_environ()
    return call_wsgi(lambda e, s: WerkzeugResponse.__call__(response, e, s), environ)


def _sending_cases() -> list[Response]:
    with_location = Response("moved", status=301)
    with_location.headers["Location"] = "/ünïcode path"
    no_length = Response("x")
    del no_length.headers["Content-Length"]
    passthrough = Response(b"raw", direct_passthrough=True)
    return [
        Response("hello"),
        Response(b"bytes", status=201, mimetype="text/plain"),
        Response("", status=204),
        Response("gone", status=304),
        Response("early", status=102),
        with_location,
        no_length,
        passthrough,
        Response(["a", "b"]),
        Response("teapot", status="418 I'M A TEAPOT"),
    ]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_plain_responses_send_what_werkzeug_sends(method: str) -> None:
    for case in _sending_cases():
        assert _our_call(case, method) == _werkzeug_call(case, method), case


def test_close_callbacks_run_when_the_body_is_closed() -> None:
    closed: list[str] = []
    response = Response("body")
    response.call_on_close(lambda: closed.append("closed"))
    _status, _headers, body = _our_call(response)
    assert body == b"body" and closed == ["closed"]


def test_close_callbacks_of_a_converted_werkzeug_response_run(app: Flask, client: Client) -> None:
    closed: list[str] = []

    @app.get("/")
    def view() -> WerkzeugResponse:
        plain = WerkzeugResponse("from werkzeug")
        plain.call_on_close(lambda: closed.append("closed"))
        return plain

    assert client.get("/").text == "from werkzeug"
    assert closed == ["closed"]


def test_text_content_type_follows_a_replaced_response_class(app: Flask, client: Client) -> None:
    app.get("/")(lambda: "plain")
    assert client.get("/").headers["Content-Type"] == "text/html; charset=utf-8"

    class PlainResponse(Response):
        default_mimetype = "text/plain"

    app.response_class = PlainResponse
    response = client.get("/")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_no_content_response_has_no_content_type(app: Flask, client: Client) -> None:
    app.delete("/thing")(lambda: ("", 204))
    response = client.delete("/thing")  # the validator rejects a 204 with a Content-Type
    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    assert response.data == b""


def test_json_provider_matches_flask_defaults_and_settings(app: Flask) -> None:
    import dataclasses
    import datetime
    import decimal
    import uuid

    @dataclasses.dataclass
    class Point:
        x: int

    value = {
        "b": decimal.Decimal("1.5"),
        "a": uuid.UUID(int=1),
        "d": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "p": Point(1),
        "é": "ü",
    }
    assert app.json.dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'  # Flask's dumps: not compact
    with app.app_context():
        data = jsonify(value).get_data(as_text=True)
    assert data == (
        '{"a":"00000000-0000-0000-0000-000000000001","b":"1.5",'
        '"d":"Tue, 02 Jan 2024 03:04:05 GMT","p":{"x":1},"\\u00e9":"\\u00fc"}\n'
    )
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.json.compact = False
    with app.app_context():
        assert jsonify({"b": 1, "é": 2}).get_data(as_text=True) == '{\n  "b": 1,\n  "é": 2\n}\n'
    with pytest.raises(TypeError, match="not JSON serializable"):
        app.json.dumps(object())


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("hello",), {}),
        ((b"bytes",), {}),
        (("",), {}),
        (("created", 201), {}),
        (("plain",), {"mimetype": "text/plain"}),
        (("{}",), {"mimetype": "application/json", "status": 404}),
        (("ünïcode",), {"mimetype": "application/xml"}),
        # Not the shortcut's: werkzeug's own constructor runs, compared all the same.
        (("x",), {"headers": {"X-A": "1"}}),
        (("x",), {"content_type": "text/csv"}),
        (("x", "418 I'M A TEAPOT"), {}),
        ((["a", "b"],), {}),
    ],
)
def test_constructor_builds_what_werkzeugs_builds(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    def both() -> tuple[Response, Response]:
        werkzeugs = Response.__new__(Response)
        WerkzeugResponse.__init__(werkzeugs, *args, **kwargs)
        return Response(*args, **kwargs), werkzeugs

    for method in ("GET", "HEAD"):  # sent untouched (the shortcut's headers never built)
        ours, werkzeugs = both()
        assert _our_call(ours, method) == _werkzeug_call(werkzeugs, method)
    ours, werkzeugs = both()
    assert _observable(ours) == _observable(werkzeugs)


def test_constructor_respects_a_subclass_that_stores_bodies_its_own_way() -> None:
    class Upper(Response):
        def set_data(self, value: bytes | str) -> None:
            super().set_data(value.upper())

    assert Upper("quiet").get_data() == b"QUIET"


def test_a_subclass_with_its_own_status_is_constructed_and_sent_through_it() -> None:
    class Teapot(Response):
        @property
        def status(self) -> str:
            return "418 I'M A TEAPOT"

        @status.setter
        def status(self, value: Any) -> None:
            Response.status.fset(self, value)  # type: ignore[attr-defined]

        @property
        def status_code(self) -> int:
            return 418

    sent: list[str] = []
    answer = Teapot("tea", status=200)
    body = answer(
        {"REQUEST_METHOD": "GET"}, lambda status, headers, exc_info=None: sent.append(status)
    )
    assert b"".join(body) == b"tea" and sent == ["418 I'M A TEAPOT"]


def test_a_subclass_with_its_own_status_code_is_sent_by_werkzeug() -> None:
    class NoContent(Response):
        @property
        def status_code(self) -> int:
            return 204

    body = NoContent("dropped")({"REQUEST_METHOD": "GET"}, lambda *args: None)
    assert b"".join(body) == b""  # werkzeug sends no body for a 204


def test_constructor_respects_a_subclass_without_automatic_content_length() -> None:
    class NoLength(Response):
        automatically_set_content_length = False

    assert "Content-Length" not in NoLength("quiet").headers
    assert NoLength("quiet").get_data() == b"quiet"


def test_given_content_length_is_replaced_as_werkzeug_does() -> None:
    ours = Response("four", headers={"Content-Length": "99"})
    werkzeugs = WerkzeugResponse("four", headers={"Content-Length": "99"})
    assert ours.headers.getlist("Content-Length") == werkzeugs.headers.getlist("Content-Length")
