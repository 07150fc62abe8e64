"""Request-id middleware, the log filter, and ProxyFix wired from TRUSTED_PROXY_COUNT."""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import pytest
from werkzeug.middleware import proxy_fix as werkzeug_proxy_fix

from flasklite import Flask, request
from flasklite.middleware import (
    RequestIdLogFilter,
    RequestIdMiddleware,
    install_middleware,
    request_id_var,
)

from .conftest import AppFactory


@pytest.fixture
def mw_app(make_app: AppFactory) -> Flask:
    app = make_app()

    @app.get("/")
    def index() -> dict[str, Any]:
        app.logger.warning("inside the view")
        return {
            "rid": request.request_id,
            "environ": request.environ["REQUEST_ID"],
            "remote": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "root": request.root_path,
        }

    install_middleware(app)
    return app


def test_request_id_is_generated_and_exposed(mw_app: Flask) -> None:
    response = mw_app.test_client().get("/")
    rid = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert response.get_json()["rid"] == rid == response.get_json()["environ"]


def test_well_formed_incoming_request_id_is_kept(mw_app: Flask) -> None:
    response = mw_app.test_client().get("/", headers={"X-Request-ID": "edge-42.a:b_c"})
    assert response.headers["X-Request-ID"] == "edge-42.a:b_c"
    assert response.get_json()["rid"] == "edge-42.a:b_c"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, 'quote"', "semi;colon", "é"])
def test_malformed_incoming_request_id_is_replaced(mw_app: Flask, bad: str) -> None:
    response = mw_app.test_client().get("/", headers={"X-Request-ID": bad})
    assert response.headers["X-Request-ID"] != bad
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_request_id_is_generated_without_a_system_call(
    mw_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.urandom releases the GIL; under gunicorn's threads that costs a context switch a request.
    def no_urandom(size: int) -> bytes:
        raise AssertionError("os.urandom called per request")

    monkeypatch.setattr(os, "urandom", no_urandom)
    first, second = (mw_app.test_client().get("/").headers["X-Request-ID"] for _ in range(2))
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


def test_forked_workers_generate_different_request_ids(mw_app: Flask) -> None:
    # gunicorn forks its workers from one master: each must draw its own ids, not the same
    # sequence (CPython reseeds the random module in every forked child).
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one id, then leave without running pytest's teardown
        try:
            os.write(write_end, mw_app.test_client().get("/").headers["X-Request-ID"].encode())
        finally:
            os._exit(0)
    os.close(write_end)
    parent_id = mw_app.test_client().get("/").headers["X-Request-ID"]
    child_id = os.read(read_end, 64).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    assert re.fullmatch(r"[0-9a-f]{32}", child_id)
    assert child_id != parent_id


def test_request_id_header_appears_once_even_on_errors(mw_app: Flask) -> None:
    response = mw_app.test_client().get("/missing", headers={"X-Request-ID": "abc"})
    assert response.status_code == 404
    assert response.headers.getlist("X-Request-ID") == ["abc"]


def test_response_header_set_by_the_view_is_not_duplicated(make_app: AppFactory) -> None:
    app = make_app()
    app.get("/")(lambda: ("", {"X-Request-ID": "from-view"}))
    install_middleware(app)
    response = app.test_client().get("/", headers={"X-Request-ID": "abc"})
    assert response.headers.getlist("X-Request-ID") == ["abc"]


def test_served_by_is_sent_once_on_every_response_when_configured(make_app: AppFactory) -> None:
    app = make_app()
    app.get("/", endpoint="ok")(lambda: "ok")
    app.get("/claims", endpoint="claims")(lambda: ("", {"X-Served-By": "someone-else"}))

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("unhandled")

    install_middleware(app, served_by="replica-7")
    client = app.test_client()
    for path, status in [("/", 200), ("/missing", 404), ("/claims", 200), ("/boom", 500)]:
        response = client.get(path)
        assert response.status_code == status
        assert response.headers.getlist("X-Served-By") == ["replica-7"], path
        assert len(response.headers.getlist("X-Request-ID")) == 1, path

    plain = make_app()
    plain.get("/")(lambda: ("", {"X-Served-By": "the view's"}))
    install_middleware(plain)
    assert plain.test_client().get("/").headers.getlist("X-Served-By") == ["the view's"]


def test_log_records_carry_the_request_id(mw_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdLogFilter())
    with caplog.at_level(logging.WARNING):
        mw_app.test_client().get("/", headers={"X-Request-ID": "log-me"})
    (record,) = [r for r in caplog.records if r.getMessage() == "inside the view"]
    assert record.request_id == "log-me"  # type: ignore[attr-defined]
    assert request_id_var.get() == "-"  # reset after the request


def test_log_filter_outside_a_request_uses_dash() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
    assert RequestIdLogFilter().filter(record)
    assert record.request_id == "-"  # type: ignore[attr-defined]


def test_no_proxy_fix_by_default(mw_app: Flask) -> None:
    response = mw_app.test_client().get(
        "/", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )  # fmt: skip
    data = response.get_json()
    assert (data["remote"], data["scheme"]) == ("10.0.0.2", "http")


def _behind_one_proxy(make_app: AppFactory) -> Flask:
    """An app trusting one proxy whose view reports what the request says about the client."""
    app = make_app(TRUSTED_PROXY_COUNT=1)

    @app.get("/")
    def seen() -> dict[str, Any]:
        return {
            "remote": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "root": request.root_path,
        }

    install_middleware(app)
    return app


def test_trusted_proxy_count_enables_proxy_fix(make_app: AppFactory) -> None:
    app = _behind_one_proxy(make_app)
    response = app.test_client().get(
        "/",
        headers={
            "X-Forwarded-For": "198.51.100.1, 203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "shop.example",
            "X-Forwarded-Prefix": "/shop",
        },
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    # One trusted proxy: only the last X-Forwarded-For entry (what nginx saw) is believed.
    assert response.get_json() == {
        "remote": "203.0.113.9",
        "scheme": "https",
        "host": "shop.example",
        "root": "/shop",
    }
    assert "X-Request-ID" in response.headers


def test_middleware_passes_exc_info_through() -> None:
    seen: list[Any] = []

    def failing_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        try:
            raise ValueError
        except ValueError:
            import sys

            start_response("500 Internal Server Error", [("Content-Type", "text/plain")],
                           sys.exc_info())  # fmt: skip
        return [b""]

    def start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> None:
        seen.append((status, dict(headers), exc_info))

    RequestIdMiddleware(failing_app)({}, start_response)
    _status, headers, exc_info = seen[0]
    assert "X-Request-ID" in headers
    assert exc_info and exc_info[0][0] is ValueError


def test_proxy_fix_is_werkzeugs_own(make_app: AppFactory) -> None:
    """Not a rewrite: a security fix in werkzeug's ProxyFix reaches us with the upgrade."""
    app = _behind_one_proxy(make_app)
    assert type(app.wsgi_app) is werkzeug_proxy_fix.ProxyFix
