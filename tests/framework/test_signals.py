"""Signals (blinker): who sends what, with which arguments, and that nothing is sent (or built)
when no receiver is connected."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from blinker import Signal

from flasklite import (
    Flask,
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    before_render_template,
    got_request_exception,
    render_template_string,
    request_finished,
    request_started,
    request_tearing_down,
    template_rendered,
)
from flasklite import signals as signals_module

from .conftest import AppFactory


@contextmanager
def recording(signal: Signal, sender: Any) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def receiver(sent_by: Any, **kwargs: Any) -> None:
        calls.append({"sender": sent_by, **kwargs})

    with signal.connected_to(receiver, sender):
        yield calls


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    app = make_app()

    @app.get("/")
    def index() -> str:
        return render_template_string("hello {{ name }}", name="ann")

    @app.get("/boom")
    def boom() -> str:
        raise ValueError("kaput")

    return app


def test_request_signals_in_order(app: Flask) -> None:
    order: list[str] = []

    def started(sender: Any) -> None:
        order.append("started")

    def finished(sender: Any, response: Any) -> None:
        order.append(f"finished {response.status_code}")

    def torn_down(sender: Any, exc: Any) -> None:
        order.append(f"tearing down {exc!r}")

    app.before_request(lambda: order.append("before_request"))
    with (
        request_started.connected_to(started, app),
        request_finished.connected_to(finished, app),
        request_tearing_down.connected_to(torn_down, app),
    ):
        app.test_client().get("/")
    assert order == ["started", "before_request", "finished 200", "tearing down None"]


def test_got_request_exception_carries_the_error(app: Flask) -> None:
    with (
        recording(got_request_exception, app) as errors,
        recording(request_tearing_down, app) as teardowns,
    ):
        assert app.test_client().get("/boom").status_code == 500
    assert [type(call["exception"]) for call in errors] == [ValueError]
    assert isinstance(teardowns[0]["exc"], ValueError)


def test_template_signals_carry_template_and_context(app: Flask) -> None:
    with (
        recording(before_render_template, app) as before,
        recording(template_rendered, app) as after,
    ):
        assert app.test_client().get("/").get_data() == b"hello ann"
    for calls in (before, after):
        assert len(calls) == 1
        assert calls[0]["context"]["name"] == "ann"
        assert calls[0]["template"].render(name="bob") == "hello bob"


def test_appcontext_signals(app: Flask) -> None:
    with (
        recording(appcontext_pushed, app) as pushed,
        recording(appcontext_popped, app) as popped,
        recording(appcontext_tearing_down, app) as torn,
    ):
        with app.app_context():
            assert len(pushed) == 1 and not popped
        assert len(popped) == 1 and torn == [{"sender": app, "exc": None}]
        app.test_client().get("/")  # a request is its own application context
        assert len(pushed) == 2 and len(popped) == 2 and len(torn) == 2
        with app.app_context():
            app.test_client().get("/")  # inside one: it shares it, no second push
        assert len(pushed) == 3 and len(popped) == 3


def test_receivers_for_another_app_are_not_called(app: Flask, make_app: AppFactory) -> None:
    other = make_app()
    with recording(request_started, other) as calls:
        app.test_client().get("/")
    assert calls == []


def test_async_receivers_are_awaited(app: Flask) -> None:
    seen: list[int] = []

    async def receiver(sender: Any, response: Any) -> None:
        seen.append(response.status_code)

    with request_finished.connected_to(receiver, app):
        app.test_client().get("/")
    assert seen == [200]


@pytest.mark.parametrize("name", signals_module.__all__)
def test_nothing_is_sent_without_receivers(
    app: Flask, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no receiver connected, a signal is never even called: the flow checks
    ``receivers`` first, so building its keyword arguments costs nothing either."""
    signal = getattr(signals_module, name)
    # Receivers other tests connected for their own apps (weak=False) would count here.
    monkeypatch.setattr(signal, "receivers", {})

    def must_not_send(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"{name} was sent with no receiver connected")

    monkeypatch.setattr(signal, "send", must_not_send)
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/boom").status_code == 500
    with app.app_context():
        pass
