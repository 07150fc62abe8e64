"""`make load`'s server-side percentiles (devtools/load_metrics.py)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from devtools import load_metrics
from tests.observability.gunicorn_run import Gunicorn


def test_quantile_interpolates_within_the_bucket_like_prometheus() -> None:
    before = {0.1: 10.0, 0.5: 10.0, 1.0: 10.0, math.inf: 10.0}
    # 100 new requests: 50 under 0.1 s, 40 in (0.1, 0.5], 10 in (0.5, 1].
    after = {0.1: 60.0, 0.5: 100.0, 1.0: 110.0, math.inf: 110.0}
    assert load_metrics.quantile(0.5, before, after) == pytest.approx(0.1)
    assert load_metrics.quantile(0.7, before, after) == pytest.approx(0.1 + 0.4 * 20 / 40)
    assert load_metrics.quantile(0.95, before, after) == pytest.approx(0.5 + 0.5 * 5 / 10)
    assert load_metrics.quantile(0.5, after, after) is None


def test_client_percentiles_come_from_the_gate_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    rows = [{"name": "Aggregated", "p50_ms": 12.0, "p95_ms": 30.0, "p99_ms": 41.0}]
    summary.write_text(json.dumps({"passed": True, "problems": [], "rows": rows}))
    assert load_metrics.client_percentiles(summary) == {"p50": 12.0, "p95": 30.0, "p99": 41.0}


@pytest.mark.slow
def test_wrapped_command_gets_the_server_side_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Gunicorn(tmp_path) as gunicorn:
        source = f"http://127.0.0.1:{gunicorn.metrics_port}/metrics"
        before = load_metrics.snapshot(source)
        for _ in range(25):
            requests.get(gunicorn.url + "/_probe/text", timeout=10)
        after = load_metrics.snapshot(source)
        code = load_metrics.main(["--source", source, "--", sys.executable, "-c", "exit(3)"])
    assert code == 3
    text = load_metrics.report(before, after, source, {"p50": 5.0})
    assert "25 requests" in text and text.splitlines()[2].split()[-1] == "5"
    assert "server side" in capsys.readouterr().out


def test_metrics_cost_bench_prints_a_row_per_request_shape() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.metrics_cost", "--calls", "200"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith("/")]
    assert [row[0] for row in rows] == list(bench_paths())
    assert all(len(row) == 4 and float(row[1]) > 0 for row in rows)


def bench_paths() -> tuple[str, ...]:
    from bench.metrics_cost import PATHS

    return PATHS
