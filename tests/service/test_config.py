from __future__ import annotations

import pytest

from app import create_app
from app.config import DEFAULTS


def test_defaults_are_documented_values() -> None:
    app = create_app()
    assert app.config["SERVICE_NAME"] == "wsgi-stack"
    assert app.config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    assert app.config["TRUSTED_PROXY_COUNT"] == 0
    assert app.config["DEBUG"] is False
    assert app.config["DIAGNOSTICS"] is False
    assert set(DEFAULTS) <= set(app.config)


def test_environment_overrides_defaults_with_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_MAX_CONTENT_LENGTH", "1024")
    monkeypatch.setenv("APP_TRUSTED_PROXY_COUNT", "1")
    monkeypatch.setenv("APP_DIAGNOSTICS", "yes")
    monkeypatch.setenv("APP_SERVICE_NAME", "billing")
    monkeypatch.setenv("APP_LOG_LEVEL", "warning")
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 1024
    assert app.config["TRUSTED_PROXY_COUNT"] == 1
    assert app.config["DIAGNOSTICS"] is True
    assert app.config["SERVICE_NAME"] == "billing"
    assert app.config["LOG_LEVEL"] == "WARNING"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("APP_MAX_CONTENT_LENGTH", "ten", "APP_MAX_CONTENT_LENGTH='ten' is not a whole number"),
        ("APP_MAX_CONTENT_LENGTH", "0", "APP_MAX_CONTENT_LENGTH=0 must be at least 1"),
        ("APP_MAX_CONTENT_LENGTH", "1.5", "is not a whole number"),
        ("APP_TRUSTED_PROXY_COUNT", "-1", "APP_TRUSTED_PROXY_COUNT=-1 must be at least 0"),
        ("APP_DEBUG", "maybe", "APP_DEBUG='maybe' is not a boolean"),
        ("APP_LOG_LEVEL", "LOUD", "APP_LOG_LEVEL='LOUD' is not one of"),
    ],
)
def test_bad_settings_fail_at_start_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create_app()


def test_overrides_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SERVICE_NAME", "from-env")
    assert create_app({"SERVICE_NAME": "from-code"}).config["SERVICE_NAME"] == "from-code"


def test_trusted_proxy_count_makes_forwarded_client_visible() -> None:
    def remote_addr_seen(count: int) -> str:
        app = create_app({"TESTING": True, "TRUSTED_PROXY_COUNT": count, "DIAGNOSTICS": True})
        response = app.test_client().get(
            "/_diag/environ",
            headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        return f"{response.json['REMOTE_ADDR']} {response.json['wsgi.url_scheme']}"

    assert remote_addr_seen(0) == "10.0.0.2 http"
    assert remote_addr_seen(1) == "203.0.113.7 https"


def test_only_local_host_names_are_trusted_by_default(client) -> None:
    assert client.get("/hello", headers={"Host": "localhost:8080"}).status_code == 200
    assert client.get("/hello", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    spoofed = client.get("/", headers={"Host": "evil.example", "Accept": "text/html"})
    assert spoofed.status_code == 400
    assert "http://evil.example" not in spoofed.get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('["api.example.com", ".example.org"]', ["api.example.com", ".example.org"]),
        ("api.example.com, localhost", ["api.example.com", "localhost"]),
        ("*", None),
    ],
)
def test_trusted_hosts_from_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str] | None
) -> None:
    monkeypatch.setenv("APP_TRUSTED_HOSTS", value)
    app = create_app()
    assert app.config["TRUSTED_HOSTS"] == expected
    if expected:
        host = expected[0].lstrip(".")
        assert app.test_client().get("/hello", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("value", ["", "a,*", "[1, 2]", "{}"])
def test_bad_trusted_hosts_fail_at_start(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("APP_TRUSTED_HOSTS", value)
    with pytest.raises(ValueError, match="APP_TRUSTED_HOSTS="):
        create_app()
