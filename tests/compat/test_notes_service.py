"""The tutorial-shaped service behaves the same on flasklite and on Flask."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from .conftest import AuthActions


def test_factory_takes_test_config(notes_module: Any) -> None:
    assert not notes_module.create_app().testing
    assert notes_module.create_app({"TESTING": True}).testing


def test_instance_config_file_is_read(notes_module: Any) -> None:
    app = notes_module.create_app()
    Path(app.instance_path, "config.py").write_text("SECRET_KEY = 'from-instance'\n")
    assert notes_module.create_app().config["SECRET_KEY"] == "from-instance"
    assert app.config["DATABASE"].startswith(app.instance_path)


def test_hello(client: Any) -> None:
    assert client.get("/hello").data == b"Hello, World!"


def test_db_connection_is_per_context_and_closed(app: Any, notes_module: Any) -> None:
    with app.app_context():
        db = notes_module.db.get_db()
        assert db is notes_module.db.get_db()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


def test_init_db_command(runner: Any, app: Any, notes_module: Any) -> None:
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized" in result.output
    with app.app_context():
        count = notes_module.db.get_db().execute("SELECT COUNT(*) FROM note").fetchone()[0]
    assert count == 0


def test_register_then_login(client: Any, auth: AuthActions) -> None:
    made = client.post("/auth/register", json={"username": "a", "password": "a"})
    assert made.status_code == 201 and made.get_json()["login"] == "/auth/login"
    again = client.post("/auth/register", json={"username": "a", "password": "a"})
    assert again.status_code == 409
    assert auth.login("a", "a").get_json()["next"] == "/"
    assert auth.login("a", "wrong").status_code == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [({}, b"Username is required."), ({"username": "x"}, b"Password is required.")],
)
def test_register_validates(client: Any, body: dict[str, str], message: bytes) -> None:
    response = client.post("/auth/register", json=body)
    assert response.status_code == 400 and message in response.data


def test_index_lists_notes_and_shows_user(client: Any, auth: AuthActions) -> None:
    page = client.get("/").data
    assert b"Log In" in page and b"first" in page and b"by test" in page
    assert b'href="/auth/login"' in page
    assert b"<span>test</span>" in client.get("/", headers=auth.headers()).data


@pytest.mark.parametrize("path", ["/create", "/1/update", "/1/delete"])
def test_login_required_redirects(client: Any, path: str) -> None:
    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")


def test_create_update_delete(client: Any, auth: AuthActions) -> None:
    headers = auth.headers()
    made = client.post("/create", json={"title": "new", "body": "b"}, headers=headers)
    assert made.status_code == 201 and made.headers["Location"].endswith("/2/update")
    updated = client.post("/2/update", json={"title": "renamed"}, headers=headers)
    assert updated.get_json() == {"id": 2, "title": "renamed"}
    assert b"renamed" in client.get("/").data
    assert client.post("/2/delete", headers=headers).status_code == 204
    assert client.post("/2/update", json={"title": "x"}, headers=headers).status_code == 404


def test_only_the_author_may_change_a_note(client: Any, auth: AuthActions) -> None:
    client.post("/auth/register", json={"username": "other", "password": "o"})
    headers = {"Authorization": f"Bearer {auth.login('other', 'o').get_json()['token']}"}
    assert client.post("/1/update", json={"title": "x"}, headers=headers).status_code == 403
    assert client.post("/1/delete", headers=headers).status_code == 403
