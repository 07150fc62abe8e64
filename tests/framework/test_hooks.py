"""Before/after/teardown functions and their order in the request flow."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from flasklite import Flask, Response, g

from .conftest import AppFactory


def test_before_request_functions_run_in_registration_order(app: Flask, client: Client) -> None:
    order: list[str] = []
    app.before_request(lambda: order.append("first"))
    app.before_request(lambda: order.append("second"))
    app.get("/")(lambda: order.append("view") or "ok")
    assert client.get("/").text == "ok"
    assert order == ["first", "second", "view"]


def test_before_request_return_value_short_circuits_view(app: Flask, client: Client) -> None:
    calls: list[str] = []
    app.before_request(lambda: "from hook")
    app.before_request(lambda: calls.append("later hook"))
    app.get("/")(lambda: calls.append("view") or "view")
    assert client.get("/").text == "from hook"
    assert calls == []


def test_before_request_runs_before_routing_errors(app: Flask, client: Client) -> None:
    app.before_request(lambda: "intercepted")
    assert client.get("/no-such-page").text == "intercepted"


def test_after_request_functions_run_in_reverse_order(app: Flask, client: Client) -> None:
    def add(tag: str):  # type: ignore[no-untyped-def]
        def hook(response: Response) -> Response:
            response.headers.add("X-Order", tag)
            return response

        hook.__name__ = f"hook_{tag}"
        return hook

    app.after_request(add("registered-first"))
    app.after_request(add("registered-second"))
    app.get("/")(lambda: "")
    assert client.get("/").headers.getlist("X-Order") == ["registered-second", "registered-first"]


def test_after_request_can_replace_the_response(app: Flask, client: Client) -> None:
    app.after_request(lambda response: Response("replaced", status=202))
    app.get("/")(lambda: "original")
    response = client.get("/")
    assert (response.status_code, response.text) == (202, "replaced")


def test_after_request_also_processes_error_responses(app: Flask, client: Client) -> None:
    @app.after_request
    def mark(response: Response) -> Response:
        response.headers["X-Seen"] = "1"
        return response

    assert client.get("/missing").headers["X-Seen"] == "1"


def test_teardown_request_receives_none_on_success(app: Flask, client: Client) -> None:
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)
    app.get("/")(lambda: "ok")
    client.get("/")
    assert seen == [None]


def test_teardown_request_receives_the_unhandled_error(make_app: AppFactory) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)
    app.teardown_appcontext(seen.append)
    boom = RuntimeError("boom")

    @app.get("/")
    def fail() -> str:
        raise boom

    assert app.test_client().get("/").status_code == 500
    assert seen == [boom, boom]


def test_teardown_request_sees_error_even_when_it_propagates(make_app: AppFactory) -> None:
    app = make_app(TESTING=True)
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)

    @app.get("/")
    def fail() -> str:
        raise KeyError("x")

    with pytest.raises(KeyError):
        app.test_client().get("/")
    assert len(seen) == 1 and isinstance(seen[0], KeyError)


def test_handled_http_error_is_not_passed_to_teardown(app: Flask, client: Client) -> None:
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)
    client.get("/missing")
    assert seen == [None]


def test_g_is_fresh_for_every_request(app: Flask, client: Client) -> None:
    @app.get("/")
    def view() -> str:
        before = g.get("count", 0)
        g.count = before + 1
        return str(g.count)

    assert client.get("/").text == "1"
    assert client.get("/").text == "1"


def test_g_set_in_before_request_is_seen_by_view(app: Flask, client: Client) -> None:
    @app.before_request
    def load_user() -> None:
        g.user = "ada"

    app.get("/")(lambda: g.user)
    assert client.get("/").text == "ada"


def test_abort_in_before_request_is_handled_like_in_a_view(app: Flask, client: Client) -> None:
    from flasklite import abort

    app.before_request(lambda: abort(401))
    app.get("/")(lambda: "never")
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"]["name"] == "Unauthorized"


def test_error_in_after_request_becomes_500(make_app: AppFactory) -> None:
    app = make_app()

    @app.after_request
    def broken(response: Response) -> Response:
        raise RuntimeError("after_request bug")

    app.get("/")(lambda: "ok")
    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "after_request bug" not in response.text
