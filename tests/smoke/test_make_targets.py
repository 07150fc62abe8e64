"""The Makefile as a new user meets it: `make` lists every target, and the knobs reach the tools."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = re.compile(r"^([a-zA-Z0-9][a-zA-Z0-9_-]*):(?!=)", re.MULTILINE)


def make(*args: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_alone_lists_every_target() -> None:
    defined = set(TARGET.findall((ROOT / "Makefile").read_text()))
    listed = {line.split()[0] for line in make().splitlines() if line.strip()}
    assert "k8s-sync" in defined
    assert defined == listed


def test_make_dev_takes_port_and_host() -> None:
    dry = make("-n", "dev", "PORT=5123", "HOST=0.0.0.0")
    assert '-m wsgistack.devserver --port "5123" --host "0.0.0.0"' in dry
    assert '-m wsgistack.devserver --port "5000" --host "127.0.0.1"' in make("-n", "dev")


def test_make_load_leaves_the_default_host_to_the_compose_port() -> None:
    assert "--host" not in make("-n", "load").split("devtools.load", 1)[1]
    with_host = make("-n", "load", "HOST=http://127.0.0.1:9999")
    assert "--host http://127.0.0.1:9999" in with_host


def test_make_dev_installs_the_runtime_lock_alone_and_lint_the_dev_lock() -> None:
    # -B: show the install step even where this checkout's venv already has it.
    dev = make("-n", "-B", "dev")
    assert "--require-hashes -r requirements.txt" in dev
    assert "requirements-dev.txt" not in dev
    assert "--no-deps -e ." in dev
    lint = make("-n", "-B", "lint")
    assert "--require-hashes -r requirements-dev.txt" in lint
    assert "--no-deps -e ." in lint
