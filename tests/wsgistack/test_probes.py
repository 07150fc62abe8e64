"""The probe routes: always on, bounded, and hostile input gets a small JSON 4xx."""

from __future__ import annotations

import json

import pytest

from tests.wsgistack.conftest import MakeService


@pytest.fixture
def client(make_service: MakeService):  # type: ignore[no-untyped-def]
    return make_service().test_client()


def test_text_answers_get_and_head(client) -> None:
    reply = client.get("/_probe/text")
    assert reply.status_code == 200
    assert reply.mimetype == "text/plain"
    assert reply.data == b"Hello, World!"
    head = client.head("/_probe/text")
    assert head.status_code == 200
    assert head.data == b""


def test_json_echoes_an_object(client) -> None:
    reply = client.post("/_probe/json", json={"name": "bolt", "quantity": 3})
    assert reply.status_code == 200
    assert reply.json == {"echo": {"name": "bolt", "quantity": 3}}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"[1, 2]", "application/json", 400),  # not an object
        (b"{", "application/json", 400),  # not JSON
        (b"{}", "text/plain", 400),  # not declared JSON
        (b"[" * 50 + b"]" * 50, "application/json", 400),  # too deep
        (json.dumps({"k": "x" * 20000}).encode(), "application/json", 413),  # too large
        (b'{"n": ' + b"9" * 5000 + b"}", "application/json", 400),  # number too long
    ],
)
def test_json_refuses_hostile_bodies_with_a_small_json_error(
    client, body: bytes, content_type: str, status: int
) -> None:
    reply = client.post("/_probe/json", data=body, content_type=content_type)
    assert reply.status_code == status
    assert reply.json["error"]["code"] == status
    assert len(reply.data) < 300


def test_number_converts_and_bounds(client) -> None:
    assert client.get("/_probe/number/42").json == {"number": 42}
    for path in ("/_probe/number/1000001", "/_probe/number/abc", "/_probe/number/" + "9" * 5000):
        reply = client.get(path)
        assert reply.status_code == 404, path
        assert reply.json["error"]["code"] == 404


def test_stream_sends_one_chunk_per_line(client) -> None:
    reply = client.get("/_probe/stream?lines=3", buffered=False)
    assert list(reply.response) == [b"line 1\n", b"line 2\n", b"line 3\n"]
    assert reply.headers["X-Accel-Buffering"] == "no"


@pytest.mark.parametrize("query", ["lines=-1", "lines=1001", "lines=many", "lines=" + "9" * 5000])
def test_stream_refuses_out_of_range_line_counts(client, query: str) -> None:
    reply = client.get(f"/_probe/stream?{query}")
    assert reply.status_code == 400
    assert reply.json["error"]["code"] == 400
    assert len(reply.data) < 300


def test_probes_answer_wrong_methods_with_405_json(client) -> None:
    reply = client.delete("/_probe/text")
    assert reply.status_code == 405
    assert reply.json["error"]["code"] == 405
