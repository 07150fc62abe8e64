"""URL processors, build-error handlers, ``self`` as a URL value, host and subdomain matching."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from werkzeug.routing import BuildError
from werkzeug.test import Client

from flasklite import Flask, g, request, url_for


def test_app_url_value_preprocessor_and_defaults(app: Flask, client: Client) -> None:
    @app.url_value_preprocessor
    def pull_tenant(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.tenant = (values or {}).pop("tenant", None)

    @app.url_defaults
    def add_tenant(endpoint: str, values: dict[str, Any]) -> None:
        if "tenant" not in values and app.url_map.is_endpoint_expecting(endpoint, "tenant"):
            values["tenant"] = g.tenant

    @app.get("/<tenant>/report")
    def report() -> str:
        return f"{g.tenant} {url_for('report')}"

    assert client.get("/acme/report").data == b"acme /acme/report"


def test_build_error_handlers_can_supply_a_url(app: Flask) -> None:
    seen: list[str] = []

    def external_docs(error: BuildError, endpoint: str, values: dict[str, Any]) -> str | None:
        seen.append(endpoint)
        return "https://docs.example.test/" if endpoint == "docs" else None

    app.url_build_error_handlers.append(external_docs)
    with app.test_request_context("/"):
        assert url_for("docs") == "https://docs.example.test/"
        with pytest.raises(BuildError):
            url_for("unknown")
    assert seen == ["docs", "unknown"]


def test_handle_url_build_error_can_be_overridden(make_app: Any) -> None:
    class Lenient(Flask):
        def handle_url_build_error(self, error: BuildError, endpoint: str, values: Any) -> str:
            return f"#missing-{endpoint}"

    app = Lenient("lenient")
    with app.test_request_context("/"):
        assert url_for("nowhere") == "#missing-nowhere"


def test_self_is_an_ordinary_url_value(app: Flask) -> None:
    @app.get("/who/<self>")
    def who(self: str) -> str:
        return self

    with app.test_request_context("/"):
        assert url_for("who", self="me") == "/who/me"
        assert app.url_for("who", self="me") == "/who/me"
    assert app.test_client().get("/who/me").data == b"me"


def test_relative_endpoint_outside_a_blueprint(app: Flask) -> None:
    @app.get("/")
    def home() -> str:
        return url_for(".home")

    assert app.test_client().get("/").data == b"/"


def test_host_matching_with_static_host(root: Path) -> None:
    (root / "static" / "site.css").write_text("css")
    app = Flask("hosts", root_path=str(root), host_matching=True, static_host="static.example.test")

    @app.get("/", host="www.example.test")
    def home() -> str:
        return url_for("static", filename="site.css")

    @app.get("/", host="api.example.test", endpoint="api_home")
    def api_home() -> str:
        return request.host

    client = app.test_client()
    assert client.get("/", base_url="http://www.example.test").data == (
        b"http://static.example.test/static/site.css"
    )
    assert client.get("/", base_url="http://api.example.test").data == b"api.example.test"
    assert client.get("/static/site.css", base_url="http://static.example.test").data == b"css"
    assert client.get("/", base_url="http://other.example.test").status_code == 404


def test_static_host_needs_host_matching() -> None:
    with pytest.raises(AssertionError):
        Flask("x", static_host="static.example.test")


def test_subdomain_matching(make_app: Any) -> None:
    app = Flask("subs", subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"

    @app.get("/", subdomain="<user>")
    def profile(user: str) -> str:
        return user

    @app.get("/")
    def index() -> str:
        return "index"

    client = app.test_client()
    assert client.get("/", base_url="http://ann.example.test").data == b"ann"
    assert client.get("/", base_url="http://example.test").data == b"index"
    with app.app_context():
        assert url_for("profile", user="bob") == "http://bob.example.test/"


def test_without_subdomain_matching_server_name_does_not_restrict(make_app: Any) -> None:
    app = make_app(SERVER_NAME="example.test")

    @app.get("/")
    def index() -> str:
        return "index"

    client = app.test_client()
    assert client.get("/", base_url="http://example.test").data == b"index"
    assert client.get("/", base_url="http://other.test").data == b"index"
    with app.app_context():
        assert url_for("index") == "http://example.test/"
