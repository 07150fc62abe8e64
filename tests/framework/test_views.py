"""Class-based views: ``View`` and ``MethodView`` from ``flasklite.views``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.test import Client

from flasklite import Flask, request
from flasklite.views import MethodView, View


def allowed(client: Client, path: str) -> set[str]:
    return {m.strip() for m in client.options(path).headers["Allow"].split(",")}


def test_view_dispatches_with_url_values_and_class_methods(app: Flask, client: Client) -> None:
    class Greet(View):
        methods = ["GET", "POST"]

        def __init__(self, greeting: str) -> None:
            self.greeting = greeting

        def dispatch_request(self, **kwargs: Any) -> str:
            return f"{self.greeting}, {kwargs['name']} ({request.method})"

    app.add_url_rule("/hi/<name>", view_func=Greet.as_view("greet", "Hello"))
    assert client.get("/hi/ann").get_data(as_text=True) == "Hello, ann (GET)"
    assert client.post("/hi/bob").get_data(as_text=True) == "Hello, bob (POST)"
    assert client.put("/hi/bob").status_code == 405
    assert allowed(client, "/hi/x") == {"GET", "HEAD", "OPTIONS", "POST"}
    assert "greet" in app.view_functions


def test_method_view_methods_come_from_handlers_and_bases(app: Flask, client: Client) -> None:
    class Items(MethodView):
        def get(self) -> str:
            return "list"

        def post(self) -> tuple[str, int]:
            return "made", 201

    class ItemsWithDelete(Items):
        def delete(self) -> tuple[str, int]:
            return "", 204

    assert Items.methods == {"GET", "POST"}
    assert ItemsWithDelete.methods == {"GET", "POST", "DELETE"}
    app.add_url_rule("/items", view_func=ItemsWithDelete.as_view("items"))
    assert client.get("/items").get_data(as_text=True) == "list"
    assert client.post("/items").status_code == 201
    assert client.delete("/items").status_code == 204
    assert client.patch("/items").status_code == 405
    # HEAD falls back to get() and answers without a body.
    head = client.head("/items")
    assert head.status_code == 200 and head.data == b""


def test_init_every_request_controls_instances(app: Flask, client: Client) -> None:
    made: list[object] = []

    class Fresh(View):
        def __init__(self) -> None:
            made.append(self)

        def dispatch_request(self) -> str:
            return str(id(self))

    class Shared(Fresh):
        init_every_request = False

    app.add_url_rule("/fresh", view_func=Fresh.as_view("fresh"))
    app.add_url_rule("/shared", view_func=Shared.as_view("shared"))
    assert len(made) == 1  # Shared built its one instance in as_view
    client.get("/fresh"), client.get("/fresh")
    assert len(made) == 3
    first, second = client.get("/shared").data, client.get("/shared").data
    assert first == second and len(made) == 3


def test_decorators_apply_in_order(app: Flask, client: Client) -> None:
    def tag(label: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            def wrapped(**kwargs: Any) -> str:
                return f"{label}({view(**kwargs)})"

            return wrapped

        return decorator

    class Tagged(View):
        decorators = [tag("inner"), tag("outer")]

        def dispatch_request(self) -> str:
            return "view"

    app.add_url_rule("/tagged", view_func=Tagged.as_view("tagged"))
    assert client.get("/tagged").get_data(as_text=True) == "outer(inner(view))"


def test_provide_automatic_options_false_lets_the_view_answer(app: Flask, client: Client) -> None:
    class Custom(MethodView):
        provide_automatic_options = False

        def get(self) -> str:
            return "get"

        def options(self) -> tuple[str, int, dict[str, str]]:
            return "", 200, {"Allow": "GET", "X-Custom": "1"}

    app.add_url_rule("/custom", view_func=Custom.as_view("custom"))
    response = client.options("/custom")
    assert response.headers["X-Custom"] == "1"


def test_view_class_can_be_replaced_after_as_view(app: Flask, client: Client) -> None:
    class Broken(MethodView):
        def get(self) -> str:
            raise ZeroDivisionError

    class Fixed(Broken):
        def get(self) -> str:
            return "fixed"

    view = Broken.as_view("patched")
    view.view_class = Fixed  # type: ignore[attr-defined]
    app.add_url_rule("/patched", view_func=view)
    assert client.get("/patched").get_data(as_text=True) == "fixed"


def test_view_without_dispatch_request_fails_loudly(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    app.add_url_rule("/bare", view_func=View.as_view("bare"))
    with pytest.raises(NotImplementedError):
        app.test_client().get("/bare")
