"""``app.run()``: the seed's defaults, and the refusal of a remotely reachable debugger."""

from __future__ import annotations

from typing import Any

import pytest

from flasklite import Flask


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run_simple(host: str, port: int, application: Any, **options: Any) -> None:
        calls.append({"host": host, "port": port, "app": application, **options})

    monkeypatch.setattr("werkzeug.serving.run_simple", fake_run_simple)
    return calls


def test_run_defaults_to_loopback_port_5000_without_debug(
    app: Flask, captured: list[dict[str, Any]]
) -> None:
    app.run(load_dotenv=False)
    (call,) = captured
    assert (call["host"], call["port"], call["app"]) == ("127.0.0.1", 5000, app)
    assert call["use_reloader"] is False and call["use_debugger"] is False


def test_run_takes_host_and_port_from_server_name(
    app: Flask, captured: list[dict[str, Any]]
) -> None:
    app.config["SERVER_NAME"] = "dev.local:8123"
    app.run(load_dotenv=False)
    assert (captured[0]["host"], captured[0]["port"]) == ("dev.local", 8123)


def test_arguments_win_over_server_name(app: Flask, captured: list[dict[str, Any]]) -> None:
    app.config["SERVER_NAME"] = "dev.local:8123"
    app.run("127.0.0.2", 9000, load_dotenv=False)
    assert (captured[0]["host"], captured[0]["port"]) == ("127.0.0.2", 9000)


def test_ipv6_server_name_without_port(app: Flask, captured: list[dict[str, Any]]) -> None:
    app.config["SERVER_NAME"] = "[::1]"
    app.run(load_dotenv=False)
    assert (captured[0]["host"], captured[0]["port"]) == ("[::1]", 5000)


def test_server_name_without_port_means_5000(app: Flask, captured: list[dict[str, Any]]) -> None:
    app.config["SERVER_NAME"] = "dev.local"
    app.run(load_dotenv=False)
    assert captured[0]["host"] == "dev.local"
    assert captured[0]["port"] == 5000


def test_debug_sets_reloader_and_debugger_defaults(
    app: Flask, captured: list[dict[str, Any]]
) -> None:
    app.run(debug=True, load_dotenv=False)
    assert app.debug is True
    assert captured[0]["use_reloader"] is True and captured[0]["use_debugger"] is True
    app.run(debug=True, use_reloader=False, load_dotenv=False)
    assert captured[1]["use_reloader"] is False


def test_options_are_forwarded_to_run_simple(app: Flask, captured: list[dict[str, Any]]) -> None:
    app.run(host="127.0.0.2", port=0, threaded=False, ssl_context=None, load_dotenv=False)
    assert captured[0]["host"] == "127.0.0.2" and captured[0]["threaded"] is False
    assert "ssl_context" in captured[0]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_debugger_on_a_non_loopback_host_is_refused(
    app: Flask, captured: list[dict[str, Any]], host: str
) -> None:
    with pytest.raises(RuntimeError, match="executes arbitrary Python code"):
        app.run(host=host, debug=True, load_dotenv=False)
    assert captured == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.5"])
def test_debugger_on_loopback_is_allowed(
    app: Flask, captured: list[dict[str, Any]], host: str
) -> None:
    app.run(host=host, debug=True, load_dotenv=False)
    assert captured[0]["use_debugger"] is True


def test_explicit_override_allows_remote_debugger(
    app: Flask, captured: list[dict[str, Any]]
) -> None:
    app.run(host="0.0.0.0", debug=True, allow_remote_debugger=True, load_dotenv=False)
    assert captured[0]["host"] == "0.0.0.0"
    assert "allow_remote_debugger" not in captured[0]


def test_traceback_only_debugger_is_allowed_remotely(
    app: Flask, captured: list[dict[str, Any]]
) -> None:
    app.run(host="0.0.0.0", debug=True, use_evalex=False, load_dotenv=False)
    assert captured[0]["use_evalex"] is False


def test_non_debug_server_on_any_host_is_allowed(
    app: Flask, captured: list[dict[str, Any]]
) -> None:
    app.run(host="0.0.0.0", load_dotenv=False)
    assert captured[0]["host"] == "0.0.0.0"


def test_first_request_flag_is_reset_when_the_server_stops(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def serve_then_crash(*args: Any, **kwargs: Any) -> None:
        app.test_client().get("/")  # served a request: registration is now closed
        assert app.got_first_request
        raise KeyboardInterrupt

    monkeypatch.setattr("werkzeug.serving.run_simple", serve_then_crash)
    with pytest.raises(KeyboardInterrupt):
        app.run(load_dotenv=False)
    assert app.got_first_request is False
