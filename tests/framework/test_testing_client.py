"""The test client (``testing.FlaskClient``) and ``test_request_context``'s environ."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import pytest

from flasklite import Flask, g, redirect, request, session
from flasklite.json.provider import DefaultJSONProvider
from flasklite.testing import EnvironBuilder, FlaskClient

from .conftest import AppFactory

KEY = "a-test-secret-key-that-is-long-enough"


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    app = make_app(SECRET_KEY=KEY)

    @app.route("/echo", methods=["GET", "POST"])
    def echo() -> Any:
        g.seen = "yes"
        session["last"] = request.path
        return {
            "json": request.get_json(silent=True),
            "remote": request.remote_addr,
            "agent": request.user_agent.string,
            "url": request.url,
        }

    @app.get("/hop/<int:n>")
    def hop(n: int) -> Any:
        return redirect(f"/hop/{n - 1}") if n else "landed"

    return app


def test_client_class_is_configurable(app: Flask) -> None:
    assert isinstance(app.test_client(), FlaskClient)

    class Custom(FlaskClient):
        pass

    app.test_client_class = Custom
    assert isinstance(app.test_client(), Custom)


def test_with_client_keeps_the_last_requests_context(app: Flask) -> None:
    client = app.test_client()
    with client:
        client.get("/echo?x=1")
        assert request.args["x"] == "1"
        assert g.seen == "yes"
        assert session["last"] == "/echo"
        client.get("/hop/0")
        assert request.path == "/hop/0"
    with pytest.raises(RuntimeError):
        request.path  # noqa: B018 - the block ended: the context is gone


def test_with_client_runs_teardown_once_when_the_request_ends(app: Flask) -> None:
    torn: list[str] = []
    app.teardown_request(lambda exc: torn.append(request.path))
    client = app.test_client()
    with client:
        client.get("/echo")
        assert torn == ["/echo"]
    assert torn == ["/echo"]


def test_client_blocks_do_not_nest(app: Flask) -> None:
    client = app.test_client()
    with client, pytest.raises(RuntimeError, match="nest"):
        client.__enter__()


def test_session_transaction_reads_and_writes_the_cookie(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as sess:
        assert dict(sess) == {}
        sess["user"] = "ann"
    client.get("/echo")
    with client.session_transaction() as sess:
        assert sess == {"user": "ann", "last": "/echo"}
        sess.clear()
    with client.session_transaction() as sess:
        assert dict(sess) == {}


def test_session_transaction_follows_the_cookie_settings(app: Flask) -> None:
    app.config.update(SESSION_COOKIE_DOMAIN="example.com", SESSION_COOKIE_PATH="/app")
    client = app.test_client()
    with client.session_transaction("http://www.example.com/app/") as sess:
        sess["n"] = 1
    cookie = client.get_cookie("session", domain="example.com", path="/app")
    assert cookie is not None
    with client.session_transaction("http://www.example.com/app/") as sess:
        assert sess["n"] == 1


def test_session_transaction_needs_cookies_and_a_session(app: Flask, make_app: AppFactory) -> None:
    with (
        pytest.raises(TypeError, match=r"[Cc]ookies"),
        app.test_client(use_cookies=False).session_transaction(),
    ):
        pass
    no_key = make_app()
    with (
        pytest.raises(RuntimeError, match="did not open a session"),
        no_key.test_client().session_transaction(),
    ):
        pass


def test_environ_base_for_every_request_and_per_request(app: Flask) -> None:
    client = app.test_client()
    data = client.get("/echo").get_json()
    assert data["remote"] == "127.0.0.1"
    assert data["agent"] == f"Werkzeug/{importlib.metadata.version('werkzeug')}"
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert client.get("/echo").get_json()["remote"] == "192.0.2.7"
    per_request = client.get("/echo", environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert per_request.get_json()["remote"] == "192.0.2.9"


def test_json_bodies_and_responses_use_the_apps_provider(app: Flask) -> None:
    class Tagged(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            if isinstance(obj, set):
                obj = sorted(obj)
            return super().dumps(obj, **kwargs)

    app.json = Tagged(app)
    response = app.test_client().post("/echo", json={3, 1, 2})
    assert response.get_json()["json"] == [1, 2, 3]


def test_follow_redirects_keeps_the_history(app: Flask) -> None:
    response = app.test_client().get("/hop/2", follow_redirects=True)
    assert response.get_data() == b"landed"
    assert [r.request.path for r in response.history] == ["/hop/2", "/hop/1"]


def test_urls_follow_server_name_root_and_scheme(app: Flask) -> None:
    app.config.update(
        SERVER_NAME="api.example.com", APPLICATION_ROOT="/v1", PREFERRED_URL_SCHEME="https"
    )
    assert app.test_client().get("/echo").get_json()["url"] == "https://api.example.com/v1/echo"
    with app.test_request_context("/echo?a=1"):
        assert request.url == "https://api.example.com/v1/echo?a=1"
    with app.test_request_context("/echo", subdomain="eu"):
        assert request.host == "eu.api.example.com"
    with app.test_request_context("http://other.test/x"):
        assert request.url == "http://other.test/v1/x"


def test_builder_refuses_base_url_with_subdomain(app: Flask) -> None:
    with pytest.raises(ValueError):
        EnvironBuilder(app, "/", base_url="http://x/", subdomain="y")


def test_requests_accept_builders_and_environs(app: Flask) -> None:
    client = app.test_client()
    builder = EnvironBuilder(app, "/echo", json={"a": 1})
    assert client.open(builder).get_json()["json"] == {"a": 1}
    environ = EnvironBuilder(app, "/echo").get_environ()
    assert client.open(environ).get_json()["remote"] == "127.0.0.1"
