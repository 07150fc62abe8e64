"""The dev server `make dev` runs refuses a taken port with a message naming PORT=, and hands
the service's factory to `flasklite run`."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_taken_port_names_the_make_variable_and_the_next_port() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "wsgistack.devserver", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert f"make dev PORT={port + 1}" in done.stderr
    assert "Traceback" not in done.stderr


def test_port_check_passes_a_free_port() -> None:
    from wsgistack.devserver import port_problem

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert port_problem("127.0.0.1", free) is None


def test_it_runs_the_factory_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from wsgistack import devserver

    seen: list[list[str]] = []
    monkeypatch.setattr(devserver, "flasklite_main", seen.append)
    monkeypatch.setattr(devserver, "port_problem", lambda host, port: None)
    devserver.main(["--app", "svc:make", "--port", "8124"])
    assert seen == [["--app", "svc:make", "run", "--host", "127.0.0.1", "--port", "8124"]]
