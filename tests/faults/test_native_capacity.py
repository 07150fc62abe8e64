"""Slow clients and a dead gunicorn master on the native stack (nginx -> gunicorn on loopback).
Each scenario starts its own stack; the verdicts come from devtools/capacity.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools import capacity
from devtools.native_stack import REPO_ROOT, free_port, http_status, pid_alive
from devtools.resilience import wait_until
from tests.support.prereqs import require_executable
from wsgistack.gunicorn_hooks import default_multiproc_dir

pytestmark = pytest.mark.slow


def test_slow_body_flood_from_one_address_leaves_others_served() -> None:
    require_executable("nginx")
    result = capacity.slow_body_flood()
    assert result.passed, "\n".join(result.notes)


def test_master_sigkill_workers_leave_promptly_and_the_master_is_restarted() -> None:
    require_executable("nginx")
    result = capacity.master_kill()
    assert result.passed, "\n".join(result.notes)


def test_make_stack_supervisor_restarts_a_killed_master(tmp_path: Path) -> None:
    """`make stack` (python -m devtools.native_stack up): the background supervisor starts a new
    master after a SIGKILL, and `down` stops everything it started."""
    require_executable("nginx")
    # SQLite: PostgreSQL (make stack's default database) is not what this test is about.
    database = f"sqlite:///{tmp_path / 'app.db'}"
    env = {**os.environ, "STACK_PORT": str(free_port()), "DATABASE_URL": database}
    cli = [sys.executable, "-m", "devtools.native_stack"]
    run_dir = ["--run-dir", str(tmp_path)]
    up = subprocess.run(
        [*cli, "up", *run_dir], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert up.returncode == 0, up.stderr
    state_file = tmp_path / "state.json"
    state = json.loads(state_file.read_text())
    try:
        port = int(state["url"].rsplit(":", 1)[1])
        (master,) = state["gunicorn_pids"]
        os.kill(master, signal.SIGKILL)

        def new_master_serving() -> bool:
            current = json.loads(state_file.read_text())["gunicorn_pids"]
            return current != [master] and http_status(port, "/_probe/text") == 200

        assert wait_until(new_master_serving, 60, 0.5)
        # The killed master could not remove its metrics directory; the new one did.
        assert not Path(default_multiproc_dir(master)).exists()
    finally:
        down = subprocess.run(
            [*cli, "down", *run_dir],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert down.returncode == 0, down.stderr
    time.sleep(0.5)
    assert not pid_alive(state["supervisor_pid"])
    assert not pid_alive(state["nginx_pid"])
