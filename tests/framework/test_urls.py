"""``url_for`` inside and outside requests, under a SCRIPT_NAME prefix, and the adapter cache."""

from __future__ import annotations

import pytest
from werkzeug.routing import BuildError
from werkzeug.test import EnvironBuilder

from flasklite import Flask, url_for
from flasklite.urls import _ADAPTERS_KEPT

from .conftest import AppFactory, call_wsgi


@pytest.fixture
def urls_app(make_app: AppFactory) -> Flask:
    app = make_app()
    app.get("/")(lambda: "index")
    app.get("/items/<int:item_id>", endpoint="item")(lambda item_id: "item")
    app.route("/both", methods=["GET", "POST"], endpoint="both")(lambda: "")
    return app


def test_url_for_builds_relative_urls_in_a_request(urls_app: Flask) -> None:
    with urls_app.test_request_context("/"):
        assert url_for("<lambda>") == "/"
        assert url_for("item", item_id=3) == "/items/3"
        assert url_for("static", filename="css/site.css") == "/static/css/site.css"


def test_unknown_values_become_query_args(urls_app: Flask) -> None:
    with urls_app.test_request_context("/"):
        assert url_for("item", item_id=3, page=2, q="a b") == "/items/3?page=2&q=a+b"


def test_external_anchor_and_scheme(urls_app: Flask) -> None:
    with urls_app.test_request_context("/", base_url="http://example.com:8080"):
        assert url_for("item", item_id=1, _external=True) == "http://example.com:8080/items/1"
        assert url_for("item", item_id=1, _anchor="part 2") == "/items/1#part%202"
        assert url_for("item", item_id=1, _scheme="https", _external=True).startswith("https://")
        with pytest.raises(ValueError, match="_external"):
            url_for("item", item_id=1, _scheme="https", _external=False)


def test_method_selects_the_rule(make_app: AppFactory) -> None:
    app = make_app()
    app.get("/read", endpoint="thing")(lambda: "")
    app.add_url_rule("/write", "thing", methods=["POST"])
    with app.test_request_context("/"):
        assert url_for("thing", _method="GET") == "/read"
        assert url_for("thing", _method="POST") == "/write"


def test_url_for_respects_script_name_prefix(urls_app: Flask) -> None:
    urls_app.get("/links", endpoint="links")(
        lambda: {
            "item": url_for("item", item_id=7),
            "ext": url_for("item", item_id=7, _external=True),
        }
    )
    environ = EnvironBuilder(path="/links", base_url="http://example.com/prefix/").get_environ()
    assert environ["SCRIPT_NAME"] == "/prefix"
    status, _, body = call_wsgi(urls_app, environ)
    assert status.startswith("200")
    assert body == b'{"ext":"http://example.com/prefix/items/7","item":"/prefix/items/7"}\n'


def test_redirect_for_missing_slash_keeps_script_name(make_app: AppFactory) -> None:
    app = make_app()
    app.get("/dir/")(lambda: "")
    environ = EnvironBuilder(path="/dir", base_url="http://example.com/prefix/").get_environ()
    status, headers, _ = call_wsgi(app, environ)
    assert status.startswith("308")
    assert dict(headers)["Location"] == "http://example.com/prefix/dir/"


def test_url_for_outside_request_needs_server_name(urls_app: Flask) -> None:
    with urls_app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("item", item_id=1)


def test_url_for_outside_request_uses_server_name_and_is_external(make_app: AppFactory) -> None:
    app = make_app(SERVER_NAME="api.example.com", PREFERRED_URL_SCHEME="https",
                   APPLICATION_ROOT="/v1")  # fmt: skip
    app.get("/items/<int:item_id>", endpoint="item")(lambda item_id: "")
    with app.app_context():
        assert url_for("item", item_id=2) == "https://api.example.com/v1/items/2"
        assert url_for("item", item_id=2, _external=False) == "/v1/items/2"


def test_unknown_endpoint_raises_build_error(urls_app: Flask) -> None:
    with urls_app.test_request_context("/"), pytest.raises(BuildError):
        url_for("nope")


def test_bound_adapter_is_reused_per_host_and_bounded(urls_app: Flask) -> None:
    with urls_app.test_request_context("/", base_url="http://a.example"):
        first = url_for("item", item_id=1, _external=True)
    cached = dict(urls_app._bound_adapters)
    with urls_app.test_request_context("/", base_url="http://a.example"):
        assert url_for("item", item_id=1, _external=True) == first
    assert urls_app._bound_adapters == cached  # same host: no new binding
    with urls_app.test_request_context("/", base_url="http://b.example"):
        assert url_for("item", item_id=1, _external=True) == "http://b.example/items/1"
    for n in range(_ADAPTERS_KEPT + 10):
        with urls_app.test_request_context("/", base_url=f"http://h{n}.example"):
            url_for("item", item_id=1)
    assert len(urls_app._bound_adapters) <= _ADAPTERS_KEPT
