"""The werkzeug debugger runs Python typed into a browser: it must never be reachable in a stack.

Three locks: ``app.wsgi`` (the production entry point) refuses to import with APP_DEBUG on;
``app.run()`` refuses the interactive debugger on a non-loopback host without an explicit
override; and neither running stack answers the debugger's resource URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools.resilience import request
from tests.security.conftest import Target

REPO = Path(__file__).resolve().parents[2]
DEBUGGER_RESOURCE = "/?__debugger__=yes&cmd=resource&f=style.css"


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", "True"])
def test_production_entry_point_refuses_app_debug(value: str) -> None:
    env = {**os.environ, "APP_DEBUG": value}
    done = subprocess.run(
        [sys.executable, "-c", "import app.wsgi"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0, f"app.wsgi imported with APP_DEBUG={value}"
    assert "APP_DEBUG" in done.stderr, done.stderr[-2000:]


def test_production_entry_point_imports_without_app_debug() -> None:
    """The control: the refusal above is about APP_DEBUG, not a broken module."""
    env = {k: v for k, v in os.environ.items() if k != "APP_DEBUG"}
    env.setdefault("APP_SECRET_KEY", "a-control-test-key-long-enough-to-pass")
    done = subprocess.run(
        [sys.executable, "-c", "import app.wsgi"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def run_simple_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace werkzeug's server with a recorder, so app.run() returns instead of serving."""
    import werkzeug.serving

    calls: list[dict[str, Any]] = []

    def fake_run_simple(hostname: str, port: int, application: Any, **options: Any) -> None:
        calls.append({"host": hostname, "port": port, **options})

    monkeypatch.setattr(werkzeug.serving, "run_simple", fake_run_simple)
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_run_refuses_the_debugger_on_a_public_interface(
    run_simple_calls: list[dict[str, Any]], host: str
) -> None:
    from app import create_app

    app = create_app({"TESTING": True})
    with pytest.raises(RuntimeError, match=r"(?i)debugger"):
        app.run(debug=True, host=host)
    assert run_simple_calls == [], "the server started anyway"


def test_debug_from_the_environment_is_refused_on_a_public_interface(
    run_simple_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`APP_DEBUG=1 python -m app --host 0.0.0.0`: debug switched on by a copied .env."""
    from app import create_app

    monkeypatch.setenv("APP_DEBUG", "1")
    app = create_app()
    assert app.debug
    with pytest.raises(RuntimeError, match=r"(?i)debugger"):
        app.run(host="0.0.0.0")
    assert run_simple_calls == []


def test_run_allows_the_debugger_on_loopback_and_with_the_explicit_override(
    run_simple_calls: list[dict[str, Any]],
) -> None:
    from app import create_app

    app = create_app({"TESTING": True})
    app.run(debug=True, host="127.0.0.1")
    app.run(debug=True, host="0.0.0.0", allow_remote_debugger=True)
    assert [(c["host"], c.get("use_debugger")) for c in run_simple_calls] == [
        ("127.0.0.1", True),
        ("0.0.0.0", True),
    ]


def test_debugger_resource_is_absent_from_the_stack(target: Target) -> None:
    outcome, body, headers = request(target.url, DEBUGGER_RESOURCE)
    assert outcome.status is not None and outcome.status < 500, outcome
    assert not headers.get("content-type", "").startswith("text/css"), headers
    assert b"debugger" not in body.lower(), body[:300]
    console, body, _ = request(target.url, "/console")
    assert console.status == 404, (console, body[:300])
