"""Parity: the same application code on this framework and on Flask answers the same.

Flask is a dev/bench dependency; only ``flasklite`` must not import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask
import pytest

import flasklite as fw

from .conftest import validated

ItemJSON = dict[str, Any]


def build(module: Any, root: Path) -> Any:
    """One app, written once against the Flask API, built with either module."""
    app = module.Flask("parity", root_path=str(root))

    @app.get("/")
    def index() -> str:
        return "<p>index</p>"

    @app.route("/items/<int:item_id>", methods=["GET", "PUT"])
    def item(item_id: int) -> Any:
        if item_id > 3:
            module.abort(404)
        return {"id": item_id, "method": module.request.method}

    @app.post("/items")
    def create() -> Any:
        data = module.request.get_json()
        return {"created": data}, 201, {"Location": module.url_for("item", item_id=9)}

    @app.get("/folder/")
    def folder() -> str:
        return "folder"

    @app.get("/tuple")
    def tuple_view() -> Any:
        return "teapot", 418, [("X-Extra", "1")]

    @app.get("/bytes")
    def bytes_view() -> bytes:
        return b"\x00\x01"

    @app.get("/list")
    def list_view() -> list[int]:
        return [3, 2, 1]

    @app.get("/stream")
    def stream() -> Any:
        return (f"line {i}\n" for i in range(3))

    @app.get("/go")
    def go() -> Any:
        return module.redirect(module.url_for("folder", q="x y", _anchor="top"))

    @app.get("/links")
    def links() -> Any:
        return {
            "ext": module.url_for("item", item_id=2, _external=True),
            "static": module.url_for("static", filename="a b.css"),
            "put": module.url_for("item", item_id=1, _method="PUT", page=3),
        }

    @app.get("/handled")
    def handled() -> str:
        raise KeyError("handled")

    @app.errorhandler(KeyError)
    def on_key_error(e: KeyError) -> Any:
        return {"handled": str(e)}, 409

    @app.errorhandler(404)
    def on_404(e: Any) -> Any:
        return f"custom 404: {e.code}", 404

    @app.before_request
    def gate() -> Any:
        if module.request.args.get("blocked"):
            return "blocked", 403
        return None

    @app.after_request
    def stamp(response: Any) -> Any:
        response.headers["X-Stamp"] = module.request.endpoint or "-"
        return response

    return app


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/", {}),
    ("HEAD", "/", {}),
    ("GET", "/items/2", {}),
    ("PUT", "/items/2", {}),
    ("DELETE", "/items/2", {}),
    ("OPTIONS", "/items/2", {}),
    ("GET", "/items/7", {}),
    ("GET", "/items/x", {}),
    ("POST", "/items", {"json": {"name": "widget"}}),
    ("POST", "/items", {"data": "x", "content_type": "text/plain"}),
    ("GET", "/folder", {"query_string": "a=1"}),
    ("GET", "/folder/", {}),
    ("GET", "/tuple", {}),
    ("GET", "/bytes", {}),
    ("GET", "/list", {}),
    ("GET", "/stream", {}),
    ("GET", "/go", {}),
    ("GET", "/links", {"base_url": "http://example.com/mount/"}),
    ("GET", "/handled", {}),
    ("GET", "/", {"query_string": "blocked=1"}),
    ("GET", "/static/missing.css", {}),
    ("GET", "/", {"headers": {"Connection": "keep-alive, Upgrade", "Upgrade": "websocket"}}),
    ("GET", "/items/1", {"headers": {"Connection": "Upgrade", "Upgrade": "WebSocket"}}),
    ("GET", "/", {"headers": {"Upgrade": "h2c"}}),
]

COMPARED_HEADERS = ("Content-Type", "Content-Length", "Location", "Allow", "X-Extra", "X-Stamp")


def answer(app: Any, method: str, path: str, kwargs: dict[str, Any]) -> tuple[Any, ...]:
    response = app.test_client().open(path, method=method, buffered=True, **kwargs)
    headers = {name: response.headers.get(name) for name in COMPARED_HEADERS}
    return response.status, headers, response.get_data()


@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS)
def test_same_answer_as_flask(root: Path, method: str, path: str, kwargs: dict[str, Any]) -> None:
    ours = answer(validated(build(fw, root)), method, path, kwargs)
    theirs = answer(build(flask, root), method, path, kwargs)
    assert ours == theirs


def test_bad_json_answer_hides_the_parser_detail_like_flask(root: Path) -> None:
    """Outside debug neither quotes the parser's complaint (it echoes the client's input); ours
    still says that the body was not valid JSON."""
    kwargs = {"data": "{bad", "content_type": "application/json"}
    ours = answer(validated(build(fw, root)), "POST", "/items", kwargs)
    theirs = answer(build(flask, root), "POST", "/items", kwargs)
    assert ours[0] == theirs[0] == "400 BAD REQUEST"
    assert b"not valid JSON" in ours[2]
    assert b"Failed to decode JSON object" not in ours[2] + theirs[2]
