"""The metrics of a real gunicorn with two workers, read from the master's /metrics."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import requests

from tests.observability.gunicorn_run import Gunicorn, total

pytestmark = pytest.mark.slow


def served_by_pids(gunicorn: Gunicorn) -> set[int]:
    lines = gunicorn.stdout.read_text().splitlines()
    return {json.loads(line)["pid"] for line in lines if '"type": "access"' in line}


def get_hello(gunicorn: Gunicorn, count: int) -> None:
    for _ in range(count):
        # A new connection each time, so the kernel hands them to either worker.
        assert requests.get(gunicorn.url + "/_probe/text", timeout=10).status_code == 200


def test_counts_are_exact_across_workers_and_survive_a_killed_worker(tmp_path: Path) -> None:
    with Gunicorn(tmp_path) as gunicorn:
        get_hello(gunicorn, 60)
        first_workers = gunicorn.worker_pids()
        assert served_by_pids(gunicorn) == first_workers, "both workers should have answered"

        victim = min(first_workers)
        os.kill(victim, signal.SIGKILL)
        gunicorn.wait_until(
            lambda: len(gunicorn.worker_pids()) == 2 and victim not in gunicorn.worker_pids(),
            "replacement worker",
        )
        get_hello(gunicorn, 40)

        samples = gunicorn.scrape()
        hello = {"route": "/_probe/text", "method": "GET", "status": "2xx"}
        assert total(samples, "http_request_duration_seconds_count", **hello) == 100
        assert total(samples, "http_request_duration_seconds_bucket", le="+Inf", **hello) == 100
        assert total(samples, "gunicorn_worker_restarts_total") == 1
        # The dead worker's gauge is gone (mark_process_dead); nothing is in flight once the
        # live workers have published (every second).
        gunicorn.wait_until(
            lambda: total(gunicorn.scrape(), "http_requests_in_flight") == 0, "in flight 0"
        )
        assert not list(gunicorn.metrics_dir.glob(f"gauge_livesum_{victim}.db"))


def test_metrics_are_on_their_own_port_not_the_apps(tmp_path: Path) -> None:
    with Gunicorn(tmp_path) as gunicorn:
        assert requests.get(gunicorn.url + "/metrics", timeout=10).status_code == 404
        reply = requests.get(f"http://127.0.0.1:{gunicorn.metrics_port}/metrics", timeout=10)
        assert reply.status_code == 200
        assert "# TYPE http_request_duration_seconds histogram" in reply.text
        # The app's own 404 for /metrics was counted under the shared label, not its path.
        assert 'route="unmatched"' in reply.text and 'route="/metrics"' not in reply.text


def test_master_start_empties_the_multiprocess_directory(tmp_path: Path) -> None:
    stale = tmp_path / "metrics"
    stale.mkdir()
    (stale / "counter_999999.db").write_bytes(b"left over from a previous run")
    with Gunicorn(tmp_path) as gunicorn:
        assert not (gunicorn.metrics_dir / "counter_999999.db").exists()
        get_hello(gunicorn, 3)
        assert (
            total(gunicorn.scrape(), "http_request_duration_seconds_count", route="/_probe/text")
            == 3
        )


def test_every_line_gunicorn_and_the_app_write_has_the_one_schema(tmp_path: Path) -> None:
    from tests.observability.schema import check_python_line

    with Gunicorn(tmp_path, env={"APP_DIAGNOSTICS": "1"}) as gunicorn:
        get_hello(gunicorn, 3)
        requests.get(gunicorn.url + "/nope", timeout=10)
        # An exception in a view: the app's ERROR line with its traceback.
        requests.get(gunicorn.url + "/_diag/boom", timeout=10)
        os.kill(min(gunicorn.worker_pids()), signal.SIGKILL)  # gunicorn's own ERROR line
        gunicorn.wait_until(lambda: len(gunicorn.worker_pids()) == 2, "replacement worker")
    lines = gunicorn.stdout.read_text().splitlines() + gunicorn.stderr.read_text().splitlines()
    records = [check_python_line(line) for line in lines]
    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "gunicorn.access", "app"} <= loggers, loggers
    assert any(r["level"] == "ERROR" and "exception" in r for r in records if r["logger"] == "app")
