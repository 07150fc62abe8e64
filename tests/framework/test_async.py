"""``async def`` views, hooks, error handlers and teardown functions, through asgiref."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from flasklite import Flask, g, request, session

from .conftest import AppFactory


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    app = make_app(SECRET_KEY="a-test-secret-key-that-is-long-enough")
    events: list[str] = []
    app.extensions["events"] = events

    @app.before_request
    async def before() -> None:
        await asyncio.sleep(0)
        g.started = "yes"

    @app.after_request
    async def after(response: Any) -> Any:
        response.headers["X-After"] = "async"
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {type(exc).__name__ if exc else None}")

    @app.get("/view/<name>")
    async def view(name: str) -> Any:
        await asyncio.sleep(0)
        session["name"] = name
        return {"name": name, "started": g.started, "path": request.path}

    @app.errorhandler(LookupError)
    async def missing(error: LookupError) -> Any:
        return {"error": str(error)}, 404

    @app.get("/fail")
    async def fail() -> str:
        raise KeyError("nothing here")

    return app


def test_async_view_hooks_and_context(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/view/ann")
    assert response.get_json() == {"name": "ann", "started": "yes", "path": "/view/ann"}
    assert response.headers["X-After"] == "async"
    assert app.extensions["events"] == ["teardown None"]
    with client.session_transaction() as sess:
        assert sess["name"] == "ann"


def test_async_error_handler(app: Flask) -> None:
    response = app.test_client().get("/fail")
    assert response.status_code == 404
    assert response.get_json() == {"error": "'nothing here'"}


def test_async_callable_object_view(make_app: AppFactory) -> None:
    class Greeter:
        async def __call__(self) -> str:
            return "hello from an object"

    app = make_app()
    app.add_url_rule("/obj", "obj", Greeter())
    assert app.test_client().get("/obj").get_data() == b"hello from an object"


def test_sync_functions_are_returned_unchanged(app: Flask) -> None:
    def plain() -> None:
        return None

    assert app.ensure_sync(plain) is plain


def test_async_to_sync_is_overridable(make_app: AppFactory) -> None:
    calls: list[str] = []

    class Custom(type(make_app())):  # type: ignore[misc]
        def async_to_sync(self, func: Any) -> Any:
            calls.append(func.__name__)
            return super().async_to_sync(func)

    app = Custom("custom")

    @app.get("/")
    async def index() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/").get_data() == b"ok"
    client.get("/")
    assert calls == ["index"]  # decided once per function


def test_a_clear_error_without_asgiref(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asgiref.sync", None)  # import fails as if not installed

    async def view() -> str:
        return "never"

    with pytest.raises(RuntimeError, match=r"wsgi-stack\[async\]"):
        app.ensure_sync(view)
