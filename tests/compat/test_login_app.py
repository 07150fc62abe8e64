"""The sign-in app in ``login_app/app.py``, run unchanged on flasklite and, with its import
line pointed at ``flask``, on Flask: both must answer every step the same way."""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SOURCE = Path(__file__).with_name("login_app") / "app.py"


def load(framework: str) -> types.ModuleType:
    code = SOURCE.read_text()
    if framework == "flask":
        code = code.replace("from flasklite import", "from flask import")
    module = types.ModuleType(f"login_app_on_{framework}")
    module.__file__ = str(SOURCE)
    exec(compile(code, str(SOURCE), "exec"), module.__dict__)
    return module


@pytest.fixture(params=["flasklite", "flask"])
def app(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield load(request.param).create_app(TESTING=True)


def sign_in(client: Any, password: str = "correct horse", **extra: str) -> Any:
    form = {"name": "ann", "password": password, **extra}
    return client.post("/login", data=form, follow_redirects=True)


def test_pages_need_a_session(app: Any) -> None:
    response = app.test_client().get("/")
    assert response.status_code == 302 and response.location.endswith("/login")


def test_sign_in_sets_the_session_and_shows_the_flash_once(app: Any) -> None:
    client = app.test_client()
    page = sign_in(client)
    assert [r.status_code for r in page.history] == [302]
    text = page.get_data(as_text=True)
    assert "Welcome, ann!" in text and "Signed in as ann (1 visits)" in text
    again = client.get("/").get_data(as_text=True)
    assert "Welcome" not in again and "(2 visits)" in again
    assert "Cookie" in client.get("/").vary


def test_wrong_password_flashes_an_error_with_its_category(app: Any) -> None:
    client = app.test_client()
    page = sign_in(client, password="nope")
    assert '<p class="error">Wrong name or password.</p>' in page.get_data(as_text=True)
    client.post("/login", data={"name": "ann", "password": "nope"})  # not followed: unread
    assert client.get("/errors").get_json() == {"errors": ["Wrong name or password."]}
    assert client.get("/errors").get_json() == {"errors": []}


def test_remember_me_makes_a_permanent_cookie(app: Any) -> None:
    client = app.test_client()
    plain = client.post("/login", data={"name": "ann", "password": "correct horse"})
    assert "Expires=" not in plain.headers["Set-Cookie"]
    remembered = client.post(
        "/login", data={"name": "ann", "password": "correct horse", "remember": "1"}
    )
    cookie = remembered.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_out_keeps_the_flash_and_drops_the_user(app: Any) -> None:
    client = app.test_client()
    sign_in(client)
    page = client.post("/logout", follow_redirects=True)
    assert "Signed out." in page.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_session_transaction_and_with_client(app: Any) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "ann"
        session["visits"] = 41
    with client:
        assert "(42 visits)" in client.get("/").get_data(as_text=True)
        module_session = app.view_functions["home"].__globals__["session"]
        assert module_session["visits"] == 42
    with client.session_transaction() as session:
        assert session["visits"] == 42


def test_downloads(app: Any) -> None:
    client = app.test_client()
    sign_in(client)
    report = client.get("/report.csv")
    assert report.mimetype == "text/csv"
    assert report.headers["Content-Disposition"] == "attachment; filename=report.csv"
    assert report.get_data() == b"name,visits\nann,1\n"
    logo = client.get("/logo")
    assert logo.get_data() == b"the logo, as text\n"
    assert logo.headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/logo", headers={"If-None-Match": logo.headers["ETag"]}).status_code == 304
    partial = client.get("/logo", headers={"Range": "bytes=4-7"})
    assert partial.status_code == 206 and partial.get_data() == b"logo"
    logo.close()


def test_streamed_page_sees_the_session(app: Any) -> None:
    client = app.test_client()
    sign_in(client)
    response = client.get("/countdown")
    assert response.get_data(as_text=True) == "ann: 3\nann: 2\nann: 1\n"


def test_signals_were_sent(app: Any) -> None:
    client = app.test_client()
    sign_in(client)
    sign_in(client, password="bad")
    events = app.extensions["events"]
    assert ("rendered", "home.html") in events and ("rendered", "login.html") in events
    assert ("flashed", "success") in events and ("flashed", "error") in events
