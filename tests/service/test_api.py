from __future__ import annotations

import json
from typing import Any

import pytest


def test_list_items_returns_the_catalogue(client) -> None:
    response = client.get("/api/items")
    assert response.status_code == 200
    assert [item["id"] for item in response.json["items"]] == [1, 2, 3]


def test_get_item_by_integer_id(client) -> None:
    response = client.get("/api/items/2")
    assert response.status_code == 200
    assert response.json == {"id": 2, "name": "Gadget", "quantity": 0}


def test_unknown_item_is_a_json_404(client) -> None:
    response = client.get("/api/items/99")
    assert response.status_code == 404
    assert response.json == {
        "error": {"code": 404, "name": "Not Found", "message": "There is no item 99."}
    }


def test_non_integer_item_id_does_not_match_the_route(client) -> None:
    response = client.get("/api/items/abc")
    assert response.status_code == 404
    assert response.json["error"]["code"] == 404


def test_create_item_answers_201_with_location(client) -> None:
    response = client.post("/api/items", json={"name": "Cog", "quantity": 5})
    assert response.status_code == 201
    assert response.json == {"id": 4, "name": "Cog", "quantity": 5}
    assert response.headers["Location"].endswith("/api/items/4")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"quantity": 1}, {"name": "is required and must be a non-empty string"}),
        ({"name": "  ", "quantity": 1}, {"name": "is required and must be a non-empty string"}),
        ({"name": "x" * 101, "quantity": 1}, {"name": "must be at most 100 characters"}),
        ({"name": "Cog", "quantity": -1}, {"quantity": "must be zero or more"}),
        ({"name": "Cog", "quantity": True}, {"quantity": "is required and must be an integer"}),
        ({"name": "Cog", "quantity": "3"}, {"quantity": "is required and must be an integer"}),
        ({"name": "Cog", "quantity": 1, "price": 2}, {"price": "is not a known field"}),
        ([1, 2], {"body": "must be a JSON object"}),
        ({"name": "a\u0000b", "quantity": 1}, {"name": "must not contain control characters"}),
        ({"name": "Cog", "quantity": 10**10}, {"quantity": "must be at most 1000000000"}),
        (
            {"name": 5, "quantity": "many"},
            {
                "name": "is required and must be a non-empty string",
                "quantity": "is required and must be an integer",
            },
        ),
    ],
)
def test_create_item_reports_each_invalid_field(client, body, fields) -> None:
    response = client.post("/api/items", json=body)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == 400
    assert error["message"] == "The item is not valid."
    assert error["fields"] == fields


def test_create_item_rejects_malformed_json(client) -> None:
    response = client.post("/api/items", data=b'{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["message"] == "The request body is not valid JSON."


def test_create_item_rejects_non_json_content_type(client) -> None:
    response = client.post("/api/items", data="name=Cog", content_type="text/plain")
    assert response.status_code == 400
    assert "Content-Type: application/json" in response.json["error"]["message"]


def test_create_item_rejects_body_over_the_configured_limit() -> None:
    from app import create_app

    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 64})
    response = app.test_client().post("/api/items", json={"name": "x" * 200, "quantity": 1})
    assert response.status_code == 413
    assert response.json["error"]["code"] == 413


def test_wrong_method_is_405_with_allow_header(client) -> None:
    response = client.delete("/api/items")
    assert response.status_code == 405
    assert response.json["error"]["code"] == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD", "OPTIONS"}


def test_chunked_body_the_server_did_not_dechunk_is_refused_with_411(client) -> None:
    # What wsgiref hands the app: chunked, but no CONTENT_LENGTH and no wsgi.input_terminated.
    response = client.post(
        "/api/items",
        data=b"",
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": False},
    )
    assert response.status_code == 411
    assert "send Content-Length" in response.json["error"]["message"]


def test_chunked_body_the_server_dechunked_is_read(client) -> None:
    response = client.post(
        "/api/items",
        data=b'{"name": "Cog", "quantity": 1}',
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 201


def test_unknown_fields_are_listed_up_to_20_with_a_count_of_the_rest(client: Any) -> None:
    payload = {"name": "bolt", "quantity": 1, **{f"extra{i:02d}": 0 for i in range(50)}}
    response = client.post(
        "/api/items", content_type="application/json", data=json.dumps(payload).encode()
    )
    assert response.status_code == 400
    fields = response.json["error"]["fields"]
    assert len(fields) == 21
    assert fields["..."] == "and 30 more unknown fields"


def test_a_long_unknown_field_name_is_cut_short_in_the_reply(client: Any) -> None:
    response = client.post(
        "/api/items",
        content_type="application/json",
        data=json.dumps({"name": "a", "quantity": 1, "k" * 5000: 0}).encode(),
    )
    assert response.status_code == 400
    assert len(response.data) < 1024
