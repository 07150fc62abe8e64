"""The items resource on SQLite: pagination, create, read, replace, patch, delete, conflicts."""

from __future__ import annotations

from typing import Any

import pytest

from app.items import INT_MAX, PAGE_SIZE_MAX


def create(client: Any, name: str, quantity: int = 1) -> Any:
    return client.post("/api/items", json={"name": name, "quantity": quantity})


def test_created_item_is_stored_with_location_and_etag(client: Any) -> None:
    created = create(client, "Cog", 5)
    assert created.status_code == 201
    assert created.json == {"id": 4, "name": "Cog", "quantity": 5}
    assert created.headers["Location"] == "/api/items/4"
    fetched = client.get("/api/items/4")
    assert fetched.json == created.json
    assert fetched.headers["ETag"] == created.headers["ETag"]


def test_duplicate_name_is_409(client: Any) -> None:
    assert create(client, "Cog").status_code == 201
    again = create(client, "Cog", 9)
    assert again.status_code == 409
    assert again.json["error"]["code"] == 409
    assert client.get("/api/items?limit=100").json["items"][-1]["quantity"] == 1


def test_pages_follow_the_cursor_to_the_end(client: Any) -> None:
    for number in range(7):
        create(client, f"part-{number}")
    seen: list[int] = []
    url = "/api/items?limit=4"
    while True:
        page = client.get(url).json
        assert len(page["items"]) <= 4
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/api/items?limit=4&cursor={page['next_cursor']}"
    assert seen == list(range(1, 11))


@pytest.mark.parametrize("query", ["limit=0", f"limit={PAGE_SIZE_MAX + 1}", "limit=x", "cursor=-1"])
def test_page_parameters_out_of_bounds_are_400(client: Any, query: str) -> None:
    response = client.get(f"/api/items?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == 400


def test_put_replaces_and_changes_the_etag(client: Any) -> None:
    etag = client.get("/api/items/1").headers["ETag"]
    replaced = client.put(
        "/api/items/1", json={"name": "Widget II", "quantity": 7}, headers={"If-Match": etag}
    )
    assert replaced.status_code == 200
    assert replaced.json == {"id": 1, "name": "Widget II", "quantity": 7}
    assert replaced.headers["ETag"] != etag


def test_stale_if_match_is_412_and_changes_nothing(client: Any) -> None:
    etag = client.get("/api/items/2").headers["ETag"]
    first = client.patch("/api/items/2", json={"quantity": 1}, headers={"If-Match": etag})
    assert first.status_code == 200
    second = client.patch("/api/items/2", json={"quantity": 99}, headers={"If-Match": etag})
    assert second.status_code == 412
    assert client.get("/api/items/2").json["quantity"] == 1
    gone = client.delete("/api/items/2", headers={"If-Match": etag})
    assert gone.status_code == 412


def test_patch_changes_only_the_fields_given(client: Any) -> None:
    response = client.patch("/api/items/3", json={"quantity": 0})
    assert response.json == {"id": 3, "name": "Sprocket", "quantity": 0}


def test_patch_validates_like_create(client: Any) -> None:
    response = client.patch("/api/items/3", json={"quantity": -1, "colour": "red"})
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"quantity", "colour"}


def test_rename_onto_a_taken_name_is_409(client: Any) -> None:
    assert client.patch("/api/items/3", json={"name": "Widget"}).status_code == 409


def test_delete_then_404(client: Any) -> None:
    etag = client.get("/api/items/1").headers["ETag"]
    assert client.delete("/api/items/1", headers={"If-Match": etag}).status_code == 204
    assert client.get("/api/items/1").status_code == 404
    assert client.delete("/api/items/1").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "nul\u0000byte", "quantity": 1}, "name"),
        ({"name": "huge", "quantity": INT_MAX + 1}, "quantity"),
    ],
)
def test_values_the_database_cannot_store_are_400(client: Any, body: Any, field: str) -> None:
    response = client.post("/api/items", json=body)
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]


def test_a_lone_surrogate_is_refused_while_parsing(client: Any) -> None:
    response = client.post("/api/items", json={"name": "lone \ud800", "quantity": 1})
    assert response.status_code == 400
    assert "surrogate" in response.json["error"]["message"]


def test_id_beyond_the_integer_range_is_404(client: Any) -> None:
    assert client.get(f"/api/items/{INT_MAX + 1}").status_code == 404


def test_home_page_lists_stored_items(client: Any) -> None:
    create(client, "Flange")
    assert "Flange" in client.get("/").get_data(as_text=True)
