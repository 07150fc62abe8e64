"""Application/request contexts and the ``request``/``g``/``current_app`` proxies."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.local import LocalProxy
from werkzeug.test import Client

from flasklite import Flask, current_app, g, has_app_context, has_request_context, request
from flasklite.globals import _cv_ctx


def test_proxies_are_werkzeug_local_proxies() -> None:
    for proxy in (request, g, current_app):
        assert isinstance(proxy, LocalProxy)


def test_request_proxy_reads_like_the_request_it_stands_for(app: Flask) -> None:
    # The proxy forwards every public name at once: LocalProxy must have none of its own.
    assert [name for name in dir(LocalProxy) if not name.startswith("_")] == []
    with app.test_request_context("/p?q=1", method="POST", json={"a": 1}):
        real = request._get_current_object()  # type: ignore[attr-defined]
        for name in ("path", "method", "args", "headers", "url_rule", "view_args", "is_json"):
            assert getattr(request, name) == getattr(real, name), name
        assert request.get_json() == {"a": 1}
        request.custom = "set"  # type: ignore[attr-defined]
        assert real.custom == "set" and request.custom == "set"  # type: ignore[attr-defined]
        assert request == real and repr(request) == repr(real) and bool(request)
        with pytest.raises(AttributeError):
            request.no_such_attribute  # noqa: B018
        with pytest.raises(AttributeError):
            request._no_such_private  # noqa: B018


def test_request_outside_a_request_explains_what_to_do() -> None:
    with pytest.raises(RuntimeError, match="outside of request context") as info:
        request.method  # noqa: B018
    assert "test_request_context" in str(info.value)


def test_current_app_and_g_outside_an_app_context_raise() -> None:
    with pytest.raises(RuntimeError, match="outside of application context"):
        current_app.name  # noqa: B018
    with pytest.raises(RuntimeError, match="outside of application context"):
        g.x = 1


def test_request_inside_app_context_only_still_raises(app: Flask) -> None:
    with app.app_context():
        assert current_app.name == "testapp"
        assert has_app_context() and not has_request_context()
        with pytest.raises(RuntimeError, match="outside of request context"):
            request.path  # noqa: B018


def test_app_context_provides_g_for_its_duration(app: Flask) -> None:
    with app.app_context():
        g.value = 1
        assert g.get("value") == 1 and "value" in g
        assert g.pop("value") == 1 and g.setdefault("other", 2) == 2
    with app.app_context():
        assert "value" not in g


def test_test_request_context_exposes_request(app: Flask) -> None:
    with app.test_request_context("/path?q=1", method="POST"):
        assert (request.path, request.method, request.args["q"]) == ("/path", "POST", "1")
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
    assert _cv_ctx.get(None) is None


def test_contexts_nest_and_restore(app: Flask) -> None:
    with app.test_request_context("/outer"):
        with app.test_request_context("/inner"):
            assert request.path == "/inner"
        assert request.path == "/outer"


def test_popping_the_wrong_context_raises(app: Flask) -> None:
    outer = app.test_request_context("/outer")
    inner = app.test_request_context("/inner")
    outer.push()
    inner.push()
    with pytest.raises(AssertionError, match="Popped wrong context"):
        outer.pop()
    # The variable was still reset to what it was before ``outer`` was pushed.
    assert _cv_ctx.get(None) is None


def test_no_context_remains_after_a_request(app: Flask, client: Client) -> None:
    app.get("/")(lambda: "ok")
    client.get("/")
    assert _cv_ctx.get(None) is None


def test_no_context_remains_after_a_propagated_error(app: Flask) -> None:
    app.config["TESTING"] = True

    @app.get("/")
    def view() -> str:
        raise ValueError

    with pytest.raises(ValueError):
        app.test_client().get("/")
    assert _cv_ctx.get(None) is None


def test_concurrent_threads_see_their_own_request(app: Flask) -> None:
    barrier = threading.Barrier(4)

    @app.get("/<int:n>")
    def view(n: int) -> str:
        g.n = n
        barrier.wait(timeout=5)  # all four requests are inside the view at once
        return f"{request.view_args['n'] if request.view_args else '?'}:{g.n}"

    def fetch(n: int) -> str:
        return app.test_client().get(f"/{n}").text

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(fetch, range(4))) == ["0:0", "1:1", "2:2", "3:3"]


def test_concurrent_greenlets_see_their_own_request(app: Flask) -> None:
    import gevent  # locust's dependency; greenlets get their own contextvars context

    @app.get("/<int:n>")
    def view(n: int) -> str:
        g.n = n
        gevent.sleep(0.01)  # switch to the other greenlets while inside the view
        return f"{request.path}:{g.n}"

    def fetch(n: int) -> str:
        return app.test_client().get(f"/{n}").text

    jobs = [gevent.spawn(fetch, n) for n in range(4)]
    gevent.joinall(jobs, timeout=10, raise_error=True)
    assert [job.value for job in jobs] == ["/0:0", "/1:1", "/2:2", "/3:3"]
