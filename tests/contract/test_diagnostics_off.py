"""The environ-revealing /_diag/* endpoints are off unless APP_DIAGNOSTICS turns them on.

They show headers, addresses and server internals (wsgiref even copies the process environment
into the environ), so the image's default configuration must never enable them: not the app's
defaults, not the Dockerfile, not docker-compose.yml, not the .env.example a user copies.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from werkzeug.test import Client

from app import create_app
from devtools.servers import REPO_ROOT, ProcessServer
from tests.contract.client import call
from wsgistack.settings import as_bool

DIAG_REQUESTS = (
    ("GET", "/_diag/environ"),
    ("GET", "/_diag/request"),
    ("GET", "/_diag/boom"),
    ("GET", "/_diag/sleep?seconds=0"),
    ("POST", "/_diag/echo"),
    ("GET", "/_diag/redirect"),
    ("GET", "/_diag/links"),
)
NAME = "APP_DIAGNOSTICS"
# ${NAME:-x} / ${NAME-x} / ${NAME}: Compose-style interpolation.
INTERPOLATION = re.compile(r"^\$\{\w+(?::?-(?P<default>[^}]*))?\}$")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [key for key in os.environ if key.startswith("APP_")]:
        monkeypatch.delenv(key)


@pytest.mark.parametrize(("method", "path"), DIAG_REQUESTS)
def test_create_app_without_app_diagnostics_answers_404(
    clean_env: None, method: str, path: str
) -> None:
    client = Client(create_app())
    response = client.open(path, method=method, data=b"x" if method == "POST" else None)
    assert response.status_code == 404


def test_app_diagnostics_turns_the_environ_endpoint_on(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The counterpart of the test above: proves the 404 comes from the setting, not a typo.
    monkeypatch.setenv(NAME, "1")
    assert Client(create_app()).get("/_diag/environ").status_code == 200


@pytest.fixture(scope="module")
def default_gunicorn() -> Iterator[ProcessServer]:
    server = ProcessServer("gunicorn-gthread", diagnostics=False)
    try:
        yield server.start()
    finally:
        server.stop()


def test_gunicorn_with_the_repository_config_and_no_env_hides_the_environ(
    default_gunicorn: ProcessServer,
) -> None:
    assert call(default_gunicorn.url, "GET", "/_diag/environ").status == 404
    assert call(default_gunicorn.url, "GET", "/_probe/text").status == 200


def resolved(value: Any) -> str:
    """What a configured value amounts to when the user sets nothing on the host."""
    text = str(value).strip().strip("\"'")
    match = INTERPOLATION.match(text)
    if match:
        text = match.group("default") or ""
    return text.strip().strip("\"'")


def assert_off(value: Any, where: str) -> None:
    text = resolved(value)
    assert text == "" or not as_bool("DIAGNOSTICS", text), f"{where} turns {NAME} on: {value!r}"


def without_comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


def test_dockerfile_does_not_turn_diagnostics_on() -> None:
    path = REPO_ROOT / "Dockerfile"
    assert path.is_file(), "the Dockerfile is missing"
    text = "\n".join(without_comments(path.read_text())).replace("\\\n", " ")
    # ENV/ARG NAME=value, ENV NAME value, or a bare ARG NAME (no default: unset).
    for match in re.finditer(rf"\b{NAME}\b(?:\s*=\s*|[ \t]+)?(\S*)", text):
        assert_off(match.group(1), "Dockerfile")


def test_env_example_does_not_turn_diagnostics_on() -> None:
    path = REPO_ROOT / ".env.example"
    assert path.is_file(), ".env.example is missing"
    for line in without_comments(path.read_text()):
        key, _, value = line.partition("=")
        if key.strip().removeprefix("export ").strip() == NAME:
            assert_off(value, ".env.example")


def compose_environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        # `- NAME=value`, or a bare `- NAME` that passes the host's (unset) value through.
        return dict(entry.partition("=")[::2] for entry in map(str, env))
    return dict(env)


def test_compose_file_does_not_turn_diagnostics_on() -> None:
    path = REPO_ROOT / "docker-compose.yml"
    assert path.is_file(), "docker-compose.yml is missing"
    compose = yaml.safe_load(path.read_text())
    services = compose.get("services") or {}
    assert services, "docker-compose.yml defines no services"
    for name, service in services.items():
        env = compose_environment(service or {})
        if NAME in env:
            assert_off(env[NAME], f"docker-compose.yml service {name}")
        env_files = service.get("env_file") or []
        for env_file in [env_files] if isinstance(env_files, str | dict) else env_files:
            file_name = env_file["path"] if isinstance(env_file, dict) else env_file
            env_path = (REPO_ROOT / file_name).resolve()
            # Only files in the repository are "the default configuration"; a user's .env is not.
            if env_path.is_file() and env_path.name != ".env":
                for line in without_comments(env_path.read_text()):
                    key, _, value = line.partition("=")
                    if key.strip() == NAME:
                        assert_off(value, f"{file_name} (env_file of {name})")


@pytest.mark.parametrize(
    ("value", "on"),
    [
        ("1", True),
        ("true", True),
        ("${APP_DIAGNOSTICS:-1}", True),
        ('"yes"', True),
        ("0", False),
        ("", False),
        ("${APP_DIAGNOSTICS:-false}", False),
        ("${APP_DIAGNOSTICS}", False),
    ],
)
def test_the_config_check_recognises_values_that_turn_diagnostics_on(value: str, on: bool) -> None:
    # Guards the guard: the file checks above would pass vacuously if assert_off let "1" through.
    if on:
        with pytest.raises(AssertionError):
            assert_off(value, "sample")
    else:
        assert_off(value, "sample")
