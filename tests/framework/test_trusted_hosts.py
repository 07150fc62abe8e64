"""TRUSTED_HOSTS: the Host header is checked before routing, so links are never built from a
host the client made up (Flask 3.1's setting, werkzeug's matching rules)."""

from __future__ import annotations

from werkzeug.test import Client

from flasklite import Flask, url_for

from .conftest import AppFactory


def link_app(make_app: AppFactory, **config: object) -> Flask:
    app = make_app(**config)
    app.get("/", endpoint="index")(lambda: url_for("link", _external=True))
    app.get("/static-route", endpoint="plain")(lambda: "plain")
    app.get("/link", endpoint="link")(lambda: "")
    return app


def test_any_host_is_accepted_by_default(make_app: AppFactory) -> None:
    client = link_app(make_app).test_client()
    assert client.get("/", headers={"Host": "evil.example"}).text == "http://evil.example/link"


def test_untrusted_host_is_400_before_any_view_runs(make_app: AppFactory) -> None:
    app = link_app(make_app, TRUSTED_HOSTS=["localhost", ".example.org"])
    client: Client = app.test_client()
    for path in ("/", "/static-route", "/nowhere"):
        response = client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 400, path
        assert "http://evil.example" not in response.text


def test_trusted_hosts_match_with_port_and_subdomain_rules(make_app: AppFactory) -> None:
    app = link_app(make_app, TRUSTED_HOSTS=["localhost", ".example.org"])
    client = app.test_client()
    assert client.get("/", headers={"Host": "localhost:8080"}).text == "http://localhost:8080/link"
    assert client.get("/", headers={"Host": "api.example.org"}).status_code == 200
    assert client.get("/", headers={"Host": "example.org.evil"}).status_code == 400


def test_a_trusted_host_seen_before_does_not_let_an_untrusted_one_through(
    make_app: AppFactory,
) -> None:
    client = link_app(make_app, TRUSTED_HOSTS=["localhost"]).test_client()
    for _ in range(3):
        assert client.get("/", headers={"Host": "localhost"}).status_code == 200
        assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_changing_trusted_hosts_takes_effect_for_hosts_already_seen(make_app: AppFactory) -> None:
    app = link_app(make_app, TRUSTED_HOSTS=["localhost", "shop.example"])
    client = app.test_client()
    assert client.get("/", headers={"Host": "shop.example"}).status_code == 200
    app.config["TRUSTED_HOSTS"] = ["localhost"]
    assert client.get("/", headers={"Host": "shop.example"}).status_code == 400
