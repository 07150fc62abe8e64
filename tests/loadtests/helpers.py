"""Helpers for the load-tooling tests: paths, a clean environment, one bounded locust run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILES = ROOT / "loadtests"
# The locustfiles name each request "<shape> <path>". These are the machinery's shapes, on the
# probe routes every service has; the example service's own (loadtests/example_*.py) are off
# unless their LOAD_WEIGHT_* is set, so these tests run the same against any service.
ALL_REQUESTS = {
    "static /_probe/text",
    "converter /_probe/number/[n]",
    "post /_probe/json",
    "not_found /no-such-page",
    "head /_probe/text",
    "stream /_probe/stream?lines=[n]",
}
SHAPES = ("static", "converter", "post", "not_found", "head", "stream")
# One user per shape: locust hands out users by weight, so equal weights make sure every shape
# runs whatever the defaults in the locustfiles become.
# The latency threshold is out of reach (10 min): a busy CI machine must not fail a run on speed;
# the one test about the latency gate sets its own impossible threshold instead.
FAST_ENV = {
    "LOAD_WAIT_MIN": "0",
    "LOAD_WAIT_MAX": "0.05",
    "LOAD_MAX_P95_MS": "600000",
    **{f"LOAD_WEIGHT_{shape.upper()}": "1" for shape in SHAPES},
}


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without any LOAD_* knob (so a developer's settings cannot change
    a test's outcome), plus the fast test settings and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAD_")}
    env.update(FAST_ENV)
    env.update(extra or {})
    return env


@dataclass
class LocustRun:
    returncode: int
    output: str
    summary: dict[str, Any] | None

    def rows(self) -> dict[str, dict[str, Any]]:
        """Summary rows by request name, without the Aggregated total."""
        assert self.summary is not None, f"locust wrote no summary:\n{self.output[-3000:]}"
        return {r["name"]: r for r in self.summary["rows"] if r["name"] != "Aggregated"}


def run_locust(
    host: str,
    tmp_path: Path,
    *extra_args: str,
    locustfile: Path = LOCUSTFILES,
    users: int = 7,
    run_time: str = "4s",
    env: Mapping[str, str] | None = None,
) -> LocustRun:
    summary = tmp_path / "summary.json"
    argv = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
        "--host", host, "--users", str(users), "--spawn-rate", str(users),
        "--run-time", run_time, "--only-summary", *extra_args,
    ]  # fmt: skip
    done = subprocess.run(
        argv,
        cwd=ROOT,
        env=clean_env({"LOAD_SUMMARY_JSON": str(summary), **(env or {})}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    data = json.loads(summary.read_text()) if summary.exists() else None
    return LocustRun(done.returncode, done.stdout + done.stderr, data)
