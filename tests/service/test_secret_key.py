"""SECRET_KEY from a file or the environment, and production's refusal of weak keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from wsgistack.secret_key import read_configured_key, require_production_secret_key, weakness

ROOT = Path(__file__).resolve().parents[2]
STRONG = "k" * 40


@pytest.fixture(autouse=True)
def no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_SECRET_KEY", "APP_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_key_from_a_file_wins_and_is_stripped(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(STRONG + "\n")
    assert read_configured_key({"SECRET_KEY_FILE": str(key_file)}) == (STRONG, "file")


def test_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SECRET_KEY", STRONG)
    app = create_app({"TESTING": True})
    assert app.config["SECRET_KEY"] == STRONG
    require_production_secret_key(app)  # accepted


def test_numeric_environment_value_is_a_string() -> None:
    assert read_configured_key({"SECRET_KEY": 12345}) == ("12345", "environment")


def test_both_sources_at_once_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        read_configured_key({"SECRET_KEY": STRONG, "SECRET_KEY_FILE": str(tmp_path / "k")})


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot be read"):
        read_configured_key({"SECRET_KEY_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize("key", ["", "   ", "change-me", "CHANGEME", "secret", "short-key"])
def test_weak_keys_are_named(key: str) -> None:
    assert weakness(key)


def test_without_a_key_outside_production_a_random_one_is_used() -> None:
    first = create_app({"TESTING": True}).config["SECRET_KEY"]
    second = create_app({"TESTING": True}).config["SECRET_KEY"]
    assert first and second and first != second and not weakness(first)
    with pytest.raises(RuntimeError, match="no key is configured"):
        require_production_secret_key(create_app({"TESTING": True}))


def import_wsgi(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import app.wsgi"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("env", [{}, {"APP_SECRET_KEY": "change-me"}, {"APP_SECRET_KEY": "abc"}])
def test_production_entry_point_refuses_weak_keys(env: dict[str, str]) -> None:
    done = import_wsgi(env)
    assert done.returncode != 0
    assert "Refusing to start: SECRET_KEY signs the session cookie" in done.stderr


def test_production_entry_point_starts_with_a_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(STRONG)
    done = import_wsgi({"APP_SECRET_KEY_FILE": str(key_file)})
    assert done.returncode == 0, done.stderr


def test_docker_secret_path_is_read_when_nothing_else_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wsgistack.secret_key

    mounted = tmp_path / "app_secret_key"
    mounted.write_text(STRONG + "\n")
    monkeypatch.setattr(wsgistack.secret_key, "DEFAULT_KEY_FILE", mounted)
    assert read_configured_key({"SECRET_KEY": None}) == (STRONG, "file")
    # An explicit key wins over the mounted file.
    assert read_configured_key({"SECRET_KEY": "other"}) == ("other", "environment")
