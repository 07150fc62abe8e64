"""The sign-in flow (app/auth.py): session, flashed messages and the CSRF token in the session."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from app import create_app
from flasklite import Flask

PASSWORD = "a long enough test password"


@pytest.fixture(autouse=True)
def no_auth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_SECRET_KEY", "APP_SECRET_KEY_FILE", "APP_SIGNIN_USERS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def app() -> Flask:
    # A cheap hash method: the tests check the flow, not the hashing cost.
    users = {"ann": generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")}
    return create_app({"TESTING": True, "SIGNIN_USERS": users})


def token_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def open_form(client: Any) -> str:
    page = client.get("/signin")
    assert page.status_code == 200
    return token_of(page.get_data(as_text=True))


def sign_in(client: Any, password: str = PASSWORD, name: str = "ann") -> Any:
    token = open_form(client)
    return client.post("/signin", data={"csrf_token": token, "name": name, "password": password})


def test_form_has_a_token_and_no_inline_script_or_style(client: Any) -> None:
    html = client.get("/signin").get_data(as_text=True)
    assert token_of(html)
    assert "<script" not in html and "<style" not in html and "style=" not in html


def test_signing_in_leads_to_the_account_page(client: Any) -> None:
    response = sign_in(client)
    assert response.status_code == 302 and response.location == "/account"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie
    page = client.get("/account").get_data(as_text=True)
    assert "Signed in as <strong>ann</strong>" in page
    assert "Signed in as ann." in page  # the flash, shown once
    assert "Signed in as ann." not in client.get("/account").get_data(as_text=True)


def test_signing_in_starts_a_fresh_session(client: Any) -> None:
    before = open_form(client)
    client.post("/signin", data={"csrf_token": before, "name": "ann", "password": PASSWORD})
    with client.session_transaction() as session:
        assert session["user"] == "ann" and "csrf_token" not in session
    assert open_form(client) != before


@pytest.mark.parametrize(
    ("name", "password"),
    [("ann", "wrong"), ("nobody", PASSWORD), ("ann", "x" * 100_000), ("a" * 5000, PASSWORD)],
)
def test_wrong_credentials_flash_an_error(client: Any, name: str, password: str) -> None:
    response = sign_in(client, password=password, name=name)
    assert response.status_code == 302 and response.location == "/signin"
    page = client.get("/signin").get_data(as_text=True)
    assert "Wrong name or password." in page
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_a_post_without_the_sessions_token_is_refused(client: Any, token: str | None) -> None:
    open_form(client)
    form = {"name": "ann", "password": PASSWORD}
    if token is not None:
        form["csrf_token"] = token
    response = client.post("/signin", data=form, headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "did not come from this site" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_token_from_another_session_is_refused(app: Flask) -> None:
    other = app.test_client()
    stolen = open_form(other)
    victim = app.test_client()
    open_form(victim)
    form = {"csrf_token": stolen, "name": "ann", "password": PASSWORD}
    assert victim.post("/signin", data=form).status_code == 400


def test_account_needs_a_signed_in_user(client: Any) -> None:
    response = client.get("/account")
    assert response.status_code == 302 and response.location == "/signin"
    assert "Sign in to see that page." in client.get("/signin").get_data(as_text=True)


def test_signing_out_needs_the_token_and_forgets_the_user(client: Any) -> None:
    sign_in(client)
    assert client.post("/signout").status_code == 400
    page = client.get("/account").get_data(as_text=True)
    response = client.post("/signout", data={"csrf_token": token_of(page)})
    assert response.status_code == 302 and response.location == "/signin"
    assert client.get("/account").status_code == 302


def test_a_tampered_session_cookie_signs_nobody_in(client: Any) -> None:
    sign_in(client)
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value[:-2] + "AA")
    assert client.get("/account").status_code == 302


def test_users_must_be_name_to_hash_pairs() -> None:
    with pytest.raises(ValueError, match="APP_SIGNIN_USERS"):
        create_app({"TESTING": True, "SIGNIN_USERS": ["ann"]})


def test_api_responses_do_not_vary_by_cookie(client: Any) -> None:
    assert "Cookie" not in client.get("/api/items/1").vary


@pytest.mark.parametrize("cookie", ["session=\xff\xfe", 'session="unterminated', "session=a b; c"])
def test_a_garbled_cookie_header_gets_the_form_with_a_fresh_session(
    client: Any, cookie: str
) -> None:
    page = client.get("/signin", headers={"Cookie": cookie})
    assert page.status_code == 200 and token_of(page.get_data(as_text=True))
    assert page.headers["Set-Cookie"].startswith("session=")
