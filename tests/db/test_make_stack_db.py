"""`make stack` (devtools.native_stack up/down) starts PostgreSQL in its run folder, migrates it
before gunicorn starts, stops it on `down` and keeps its data for the next `up`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devtools.native_db import find_bindir
from devtools.native_stack import REPO_ROOT, free_port
from tests.support.prereqs import missing, require_executable


@pytest.fixture
def run_root() -> Iterator[Path]:
    # Under /tmp itself: the server's unprivileged user must be able to enter it.
    root = Path(tempfile.mkdtemp(prefix="wsgi-stack-make-stack-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def cli(command: str, run_root: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["STACK_PORT"] = str(port)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "devtools.native_stack",
            command,
            "--run-dir",
            str(run_root / "stack"),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_stack_runs_on_native_postgres_and_keeps_its_data(run_root: Path) -> None:
    require_executable("nginx")
    if find_bindir() is None:
        missing("PostgreSQL (initdb, pg_ctl)", "install Debian's `postgresql` package")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        up = cli("up", run_root, port)
        assert up.returncode == 0, up.stderr
        assert "PostgreSQL on 127.0.0.1" in up.stdout
        assert requests.get(f"{url}/readyz", timeout=15).json() == {"status": "ready"}
        created = requests.post(
            f"{url}/api/items", json={"name": "native", "quantity": 1}, timeout=15
        )
        assert created.status_code == 201
        down = cli("down", run_root, port)
        assert down.returncode == 0, down.stderr
        assert not (run_root / "postgres" / "data" / "postmaster.pid").exists()
        again = cli("up", run_root, port)
        assert again.returncode == 0, again.stderr
        kept = requests.get(url + created.headers["Location"], timeout=15)
        assert kept.json()["name"] == "native"
    finally:
        cli("down", run_root, port)
