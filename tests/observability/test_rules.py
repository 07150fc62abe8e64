"""monitoring/: the Prometheus config and its rules pass promtool, and the alerts fire when they
should (promtool's rule unit tests in monitoring/rules_test.yml)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.prereqs import require_executable

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"
PROMTOOL_HINT = "install Debian's `prometheus` package (`bash .ci/standins-prometheus.sh` does)"


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "rules", "rules.yml"],
        ["check", "config", "prometheus.yml"],
        ["test", "rules", "rules_test.yml"],
    ],
    ids=["check-rules", "check-config", "test-rules"],
)
def test_promtool_accepts_the_monitoring_files(argv: list[str]) -> None:
    promtool = require_executable("promtool", PROMTOOL_HINT)
    done = subprocess.run(
        [promtool, *argv], cwd=MONITORING, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
