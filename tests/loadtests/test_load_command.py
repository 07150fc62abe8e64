"""`make load` (python -m devtools.load): a headless run with reports and a per-shape table."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.loadtests.helpers import ROOT, SHAPES, clean_env


def make_load(host: str, results: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable, "-m", "devtools.load", "--host", host, "--users", "7",
        "--spawn-rate", "7", "--run-time", "3s", "--results-dir", str(results), *extra,
    ]  # fmt: skip
    return subprocess.run(
        argv, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120, check=False
    )


def test_make_load_writes_reports_and_prints_a_line_per_shape(stack: Any, tmp_path: Path) -> None:
    done = make_load(stack.url, tmp_path)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    table = done.stdout[done.stdout.index("shape      method") :]
    shapes_printed = {line.split()[0] for line in table.splitlines()[2:] if line.strip()}
    assert set(SHAPES) | {"all"} <= shapes_printed
    assert "p50 ms  p95 ms  p99 ms" in table
    assert "gate PASSED" in done.stdout
    for name in ("report.html", "load_stats.csv", "load_failures.csv", "summary.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert "<html" in (tmp_path / "report.html").read_text().lower()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["passed"] is True


def test_make_load_passes_extra_arguments_to_locust(stack: Any, tmp_path: Path) -> None:
    done = make_load(stack.url, tmp_path, "--", "--tags", "converter")

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    names = {row["name"] for row in json.loads((tmp_path / "summary.json").read_text())["rows"]}
    assert names == {"converter /_probe/number/[n]", "Aggregated"}


def test_make_load_says_how_to_start_the_stack_when_nothing_answers(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        host = f"http://127.0.0.1:{probe.getsockname()[1]}"
        done = make_load(host, tmp_path)

    assert done.returncode == 2
    assert "make stack" in done.stderr
    assert not (tmp_path / "summary.json").exists()


def test_make_load_defaults_to_the_compose_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devtools.load import compose_port

    monkeypatch.delenv("HTTP_PORT", raising=False)
    assert compose_port(tmp_path) == "8080"
    (tmp_path / ".env").write_text("# nginx\nHTTP_BIND=127.0.0.1\nHTTP_PORT=9181\n")
    assert compose_port(tmp_path) == "9181"
    monkeypatch.setenv("HTTP_PORT", "9282")  # the shell wins over .env, as in compose
    assert compose_port(tmp_path) == "9282"
