"""The request object: built on first use, JSON parsing errors, body limits, request id."""

from __future__ import annotations

import io
from typing import Any

import pytest
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from flasklite import Flask, Request, request

from .conftest import AppFactory, call_wsgi


def test_request_populates_environ_like_werkzeug() -> None:
    environ = EnvironBuilder().get_environ()
    req = Request(environ)
    assert environ["werkzeug.request"] is req


def test_url_rule_view_args_and_endpoint(app: Flask, client: Client) -> None:
    @app.get("/u/<int:n>")
    def user(n: int) -> dict[str, Any]:
        assert request.url_rule is not None
        return {"rule": request.url_rule.rule, "args": request.view_args, "ep": request.endpoint}

    assert client.get("/u/3").get_json() == {"rule": "/u/<int:n>", "args": {"n": 3}, "ep": "user"}


def test_get_json_parses_json_body(app: Flask, client: Client) -> None:
    app.post("/")(lambda: {"got": request.get_json()})
    assert client.post("/", json={"a": [1]}).get_json() == {"got": {"a": [1]}}


def _post_bad_json(app: Flask) -> Any:
    app.post("/")(lambda: {"got": request.get_json()})
    return app.test_client().post(
        "/",
        data="{not json",
        content_type="application/json",
        headers={"Accept": "application/json"},
    )


def test_bad_json_is_400_without_the_parser_detail(make_app: AppFactory) -> None:
    response = _post_bad_json(make_app())
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert message == "The request body is not valid JSON."


def test_bad_json_detail_is_shown_in_debug(make_app: AppFactory) -> None:
    response = _post_bad_json(make_app(DEBUG=True, PROPAGATE_EXCEPTIONS=False))
    assert response.status_code == 400
    assert "Failed to decode JSON object: Expecting" in response.get_json()["error"]["message"]


def test_json_with_wrong_content_type_is_415(app: Flask, client: Client) -> None:
    app.post("/")(lambda: {"got": request.get_json()})
    response = client.post("/", data='{"a": 1}', content_type="text/plain")
    assert response.status_code == 415
    assert "application/json" in response.text


def test_silent_get_json_returns_none(app: Flask, client: Client) -> None:
    app.post("/")(lambda: {"got": request.get_json(silent=True)})
    assert client.post("/", data="nope", content_type="application/json").get_json() == {
        "got": None
    }


def test_body_over_max_content_length_is_413(make_app: AppFactory) -> None:
    app = make_app(MAX_CONTENT_LENGTH=10)
    app.post("/")(lambda: str(len(request.get_data())))
    client = app.test_client()
    assert client.post("/", data=b"x" * 10).text == "10"
    assert client.post("/", data=b"x" * 11).status_code == 413


def test_max_content_length_applies_to_json_and_form(make_app: AppFactory) -> None:
    app = make_app(MAX_CONTENT_LENGTH=16)
    app.post("/json", endpoint="j")(lambda: {"v": request.get_json()})
    app.post("/form", endpoint="f")(lambda: dict(request.form))
    client = app.test_client()
    assert client.post("/json", json={"k": "x" * 40}).status_code == 413
    assert client.post("/form", data={"k": "x" * 40}).status_code == 413
    assert client.post("/form", data={"k": "x"}).get_json() == {"k": "x"}


def test_request_id_comes_from_environ_or_is_generated(app: Flask) -> None:
    with app.test_request_context(environ_base={"REQUEST_ID": "abc"}):
        assert request.request_id == "abc"
    with app.test_request_context():
        generated = request.request_id
        assert len(generated) == 32
        assert request.request_id == generated


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON",
     "application/problem+json", "text/plain", "application/jsonx", ""],
)  # fmt: skip
def test_is_json_agrees_with_werkzeug(content_type: str) -> None:
    environ = EnvironBuilder(method="POST", data=b"{}", content_type=content_type).get_environ()
    assert Request(environ).is_json == WerkzeugRequest(environ).is_json


def test_missing_form_key_is_400(app: Flask, client: Client) -> None:
    app.post("/")(lambda: request.form["name"])
    response = client.post("/", data={"other": "x"})
    assert response.status_code == 400
    assert "name" not in response.text  # the key is shown only in debug mode


def test_missing_form_key_is_named_in_debug(make_app: AppFactory) -> None:
    app = make_app(DEBUG=True, TRAP_BAD_REQUEST_ERRORS=False)
    app.post("/")(lambda: request.form["name"])
    response = app.test_client().post("/", data={"other": "x"})
    assert response.status_code == 400
    assert "name" in response.text


def test_deeply_nested_json_is_bad_json_not_a_server_error(app: Flask, client: Client) -> None:
    app.post("/")(lambda: {"got": request.get_json()})
    app.post("/silent", endpoint="silent")(lambda: {"got": request.get_json(silent=True)})
    nested = "[" * 100_000
    response = client.post(
        "/", data=nested, content_type="application/json", headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == 400
    silent = client.post("/silent", data=nested, content_type="application/json")
    assert silent.get_json() == {"got": None}


class InvalidChunkSize(Exception):
    """gunicorn's own class for a malformed chunk size is a plain Exception, not an OSError."""


class _BrokenChunkedInput(io.BytesIO):
    """What gunicorn's body reader does on a malformed chunk size."""

    def read(self, size: int | None = -1) -> bytes:
        raise InvalidChunkSize("Invalid chunk size")

    readline = read


def test_body_the_server_cannot_read_is_400_not_500(app: Flask) -> None:
    app.post("/data", endpoint="data")(lambda: str(len(request.get_data())))
    app.post("/json", endpoint="json")(lambda: {"got": request.get_json(silent=True)})
    app.post("/form", endpoint="form")(lambda: dict(request.form))
    for path, content_type in (
        ("/data", "application/octet-stream"),
        ("/json", "application/json"),
        ("/form", "application/x-www-form-urlencoded"),
    ):
        environ = EnvironBuilder(
            path=path,
            method="POST",
            content_type=content_type,
            headers={"Transfer-Encoding": "chunked", "Accept": "application/json"},
        ).get_environ()
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input"] = _BrokenChunkedInput()
        environ["wsgi.input_terminated"] = True
        status, _, body = call_wsgi(app, environ)
        assert status.startswith("400"), (path, status)
        assert b"could not be read" in body


class _BrokenInput(io.RawIOBase):
    """A body whose read fails, as a server's does when the client goes away mid-body."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise OSError("connection reset")


def _body_outcome(make: type[WerkzeugRequest], body: Any, length: str | None) -> list[Any]:
    environ = EnvironBuilder(method="POST").get_environ()
    environ["wsgi.input"] = body() if callable(body) else io.BytesIO(body)
    environ.pop("CONTENT_LENGTH", None)
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    req = make(environ)
    seen: list[Any] = []
    for read in (
        lambda: req.get_data(cache=False),
        lambda: req.get_data(),
        lambda: req.stream.read(),
        lambda: req.get_data(as_text=True),
    ):
        try:
            seen.append(read())
        except Exception as e:
            seen.append(type(e).__name__)
    return seen


@pytest.mark.parametrize(
    ("body", "length"),
    [
        (b'{"a": 1}', "8"),
        (b"abcdef", "3"),
        (b"abc", "5"),  # shorter than announced: the client went away
        (b"x" * 150_000, "150000"),  # more than one 64 KiB chunk
        (b"abc", "0"),
        (b"abc", None),
        (b"abc", " 3"),
        (b"abc", "-1"),
        (b"abc", "+3"),
        (b"abc", "\u0663"),  # a non-ASCII digit
        (_BrokenInput, "3"),
    ],
)
def test_body_is_read_like_werkzeug(body: Any, length: str | None) -> None:
    # get_data reads a plain Content-Length body directly; every read afterwards (the stream,
    # uncached reads) must still see what werkzeug's stream layers would give.
    assert _body_outcome(Request, body, length) == _body_outcome(WerkzeugRequest, body, length)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": [1, 2.5, null]}',
        b"7",
        b'"\xc3\xa9"',
        '{"a": 1}'.encode("utf-8-sig"),
        '{"a": 1}'.encode("utf-16"),
        '{"a": 1}'.encode("utf-16-le"),
        '{"a": 1}'.encode("utf-32"),
        b'"\xed\xa0\x80"',  # a lone surrogate: json.loads accepts it (surrogatepass)
        b'"\xff"',
        b"",
        b"{",
        b"1",
        b"\x00{",
        b"{\x00",
        b"\x001\x00",
        b" \xc3\xa9",
        '"\u00e9"'.encode("utf-16-be"),
        b'\xfe\xff\x00"',
    ],
)
def test_request_json_loads_like_json_module(app: Flask, data: bytes) -> None:
    import json

    def outcome(loads: Any) -> Any:
        try:
            return loads(data)
        except ValueError as e:
            return type(e).__name__, str(e)

    expected = outcome(json.loads)
    assert outcome(Request.json_module.loads) == expected
    with app.app_context():  # through the app's provider (app.json)
        assert outcome(Request.json_module.loads) == expected
        assert outcome(app.json.loads) == expected


def test_body_with_content_length_the_server_cannot_read_is_400(app: Flask) -> None:
    # The Content-Length fast path of get_data must refuse the same way as the stream path.
    app.post("/data", endpoint="data")(lambda: str(len(request.get_data())))
    environ = EnvironBuilder(
        path="/data", method="POST", data=b"0123456789", headers={"Accept": "application/json"}
    ).get_environ()
    environ["wsgi.input"] = _BrokenChunkedInput()
    status, _, _ = call_wsgi(app, environ)
    assert status.startswith("400"), status


def test_chunked_body_the_server_did_not_dechunk_is_411_not_silently_empty(app: Flask) -> None:
    # What wsgiref hands the app: chunked, but no CONTENT_LENGTH and no wsgi.input_terminated.
    app.post("/size", endpoint="size")(lambda: str(len(request.get_data())))
    environ = EnvironBuilder(
        path="/size", method="POST", headers={"Transfer-Encoding": "chunked"}
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(b"5\r\nhello\r\n0\r\n\r\n")
    status, _, body = call_wsgi(app, environ)
    assert status.startswith("411"), status
    assert b"send Content-Length" in body
    environ = EnvironBuilder(path="/size", method="POST", data=b"hello").get_environ()
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True
    environ.pop("CONTENT_LENGTH", None)
    assert call_wsgi(app, environ)[2] == b"5"


def test_body_stream_reads_lines_and_stops_at_content_length(app: Flask) -> None:
    @app.post("/lines")
    def lines() -> dict[str, Any]:
        first = request.stream.readline()
        rest = list(request.stream)
        return {"first": first.decode(), "rest": [line.decode() for line in rest]}

    environ = EnvironBuilder(path="/lines", method="POST", data=b"a\nb\nc\n").get_environ()
    environ["CONTENT_LENGTH"] = "4"  # the client sent more than it announced: not read
    _status, _headers, body = call_wsgi(app, environ)
    assert body == b'{"first":"a\\n","rest":["b\\n"]}\n'


def test_body_stream_offers_readlines_and_the_wrapped_streams_methods(app: Flask) -> None:
    with app.test_request_context("/", method="POST", data=b"x\ny\n"):
        stream = request.stream
        assert stream.readlines() == [b"x\n", b"y\n"]
        assert stream.readable() and stream.read() == b""
        assert stream.is_exhausted  # werkzeug's LimitedStream attribute, reached through it


@pytest.mark.parametrize(("body", "length"), [(b"ab\ncd\nef", "7"), (b"ab\ncd", "9"), (b"", "2")])
def test_partial_reads_of_the_body_match_werkzeugs_stream(body: bytes, length: str) -> None:
    def reads(make: type[WerkzeugRequest]) -> list[Any]:
        environ = EnvironBuilder(method="POST").get_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = length
        stream = make(environ).stream
        seen: list[Any] = []
        for step in (lambda: stream.read(2), stream.readline, stream.read, stream.read):
            try:
                seen.append(step())
            except Exception as e:
                seen.append(type(e).__name__)
        return seen

    assert reads(Request) == reads(WerkzeugRequest)


@pytest.mark.parametrize("make", [Request, WerkzeugRequest])
def test_stream_is_cached_and_can_be_replaced_or_reopened_as_in_werkzeug(make: Any) -> None:
    environ = EnvironBuilder(method="POST", data=b"from the client").get_environ()
    req = make(environ)
    assert req.stream is req.stream  # opened once
    req.stream = io.BytesIO(b"replaced")
    assert req.get_data(cache=False) == b"replaced"
    del req.stream  # opened again from the environ on the next read
    environ["wsgi.input"].seek(0)
    assert req.get_data(cache=False) == b"from the client"
