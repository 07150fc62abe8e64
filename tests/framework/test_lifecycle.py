"""How long things live: application contexts around requests, ``g``, and the app itself."""

from __future__ import annotations

import gc
import weakref

from flasklite import Flask, g, jsonify, render_template_string

from .conftest import AppFactory


def test_teardown_appcontext_runs_once_per_request(app: Flask) -> None:
    calls: list[BaseException | None] = []
    app.teardown_appcontext(calls.append)
    app.get("/")(lambda: "ok")
    client = app.test_client()
    client.get("/")
    client.get("/")
    assert calls == [None, None]


def test_request_inside_an_app_context_leaves_its_teardown_to_that_context(app: Flask) -> None:
    calls: list[str] = []
    app.teardown_appcontext(lambda error: calls.append("appcontext"))
    app.teardown_request(lambda error: calls.append("request"))
    app.get("/")(lambda: "ok")
    with app.app_context():
        app.test_client().get("/")
        assert calls == ["request"]  # the enclosing context is still active
    assert calls == ["request", "appcontext"]  # once, when the context that owns it ends


def test_request_shares_g_with_an_enclosing_app_context(app: Flask) -> None:
    @app.get("/")
    def view() -> str:
        seen = g.get("user", "nobody")
        g.visits = g.get("visits", 0) + 1
        return str(seen)

    with app.app_context():
        g.user = "ada"
        client = app.test_client()
        assert client.get("/").text == "ada"
        client.get("/")
        assert g.visits == 2  # what the requests wrote is there after them
    with app.app_context():
        assert "user" not in g  # a new context starts empty


def test_request_without_enclosing_context_gets_a_fresh_g(app: Flask) -> None:
    @app.get("/")
    def view() -> str:
        fresh = "marker" not in g
        g.marker = True
        return str(fresh)

    client = app.test_client()
    assert client.get("/").text == "True"
    assert client.get("/").text == "True"


def test_nested_request_context_shares_the_outer_requests_g(app: Flask) -> None:
    with app.test_request_context("/outer"):
        g.seen = "outer"
        with app.test_request_context("/inner"):
            assert g.seen == "outer"


def test_app_context_of_another_app_is_not_shared(make_app: AppFactory) -> None:
    first, second = make_app(), make_app()
    with first.app_context():
        g.owner = "first"
        with second.test_request_context("/"):
            assert "owner" not in g


def test_app_is_freed_when_its_last_reference_goes(make_app: AppFactory) -> None:
    app = make_app()
    app.get("/")(lambda: jsonify(ok=True))
    app.get("/page", endpoint="page")(lambda: render_template_string("{{ url_for('page') }}"))
    client = app.test_client()
    assert client.get("/").get_json() == {"ok": True}  # the JSON provider refers to the app
    assert client.get("/page").text == "/page"  # so do the Jinja environment and URL adapters
    assert client.get("/missing", headers={"Accept": "application/json"}).status_code == 404
    del client
    gone = weakref.ref(app)
    del app
    gc.collect()  # the app's own cycles (bound methods in its rules) need the collector
    assert gone() is None


def test_json_provider_holds_its_app_weakly(make_app: AppFactory) -> None:
    app = make_app()
    held = [*vars(app.json).values(), *gc.get_referents(app.json)]
    assert all(value is not app for value in held)
    assert app.json.app_ref() is app
