"""``app.config``: defaults, ``from_mapping``, ``from_prefixed_env``, attributes."""

from __future__ import annotations

import pytest

from flasklite import Flask


def test_defaults_match_flask(app: Flask) -> None:
    config = app.config
    assert config["DEBUG"] is False and config["TESTING"] is False
    assert config["PROPAGATE_EXCEPTIONS"] is None
    assert config["MAX_CONTENT_LENGTH"] is None
    assert config["SERVER_NAME"] is None
    assert config["TRUSTED_PROXY_COUNT"] == 0


def test_from_mapping_loads_only_uppercase_keys(app: Flask) -> None:
    app.config.from_mapping({"SECRET": "x", "lower": "ignored"}, OTHER=1)
    assert app.config["SECRET"] == "x" and app.config["OTHER"] == 1
    assert "lower" not in app.config


def test_from_prefixed_env_decodes_json_values(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_MAX_CONTENT_LENGTH", "1024")
    monkeypatch.setenv("APP_DEBUG", "true")
    monkeypatch.setenv("APP_NAME", "plain text")
    monkeypatch.setenv("APP_LIST", '["a", "b"]')
    monkeypatch.setenv("APP_DB__HOST", "db")
    monkeypatch.setenv("OTHER_THING", "1")
    app.config.from_prefixed_env("APP")
    assert app.config["MAX_CONTENT_LENGTH"] == 1024
    assert app.config["DEBUG"] is True and app.debug is True
    assert app.config["NAME"] == "plain text"
    assert app.config["LIST"] == ["a", "b"]
    assert app.config["DB"] == {"HOST": "db"}
    assert "THING" not in app.config


def test_from_object_and_namespace(app: Flask) -> None:
    class Settings:
        CACHE_TYPE = "simple"
        CACHE_TIMEOUT = 5
        ignored = True

    app.config.from_object(Settings)
    assert app.config.get_namespace("CACHE_") == {"type": "simple", "timeout": 5}
    assert "ignored" not in app.config


def test_debug_and_testing_attributes_mirror_config(app: Flask) -> None:
    app.debug = True
    app.testing = True
    assert app.config["DEBUG"] is True and app.config["TESTING"] is True
