"""Short, bounded locust runs against a native nginx -> gunicorn stack.

Each run: a user per shape, a few seconds. Assertions are about outcomes (exit code,
which requests ran, which failed), never about how fast anything was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.loadtests.helpers import ALL_REQUESTS, LOCUSTFILES, run_locust


def test_every_shape_runs_and_succeeds_through_nginx(stack: Any, tmp_path: Path) -> None:
    run = run_locust(stack.url, tmp_path)

    assert run.returncode == 0, run.output[-3000:]
    rows = run.rows()
    assert set(rows) == ALL_REQUESTS
    assert {name: row["failures"] for name, row in rows.items()} == dict.fromkeys(ALL_REQUESTS, 0)
    assert all(row["requests"] > 0 for row in rows.values())
    assert run.summary is not None and run.summary["passed"] is True
    assert "load gate: PASS" in run.output


def test_tags_run_only_the_selected_shapes(stack: Any, tmp_path: Path) -> None:
    run = run_locust(stack.url, tmp_path, "--tags", "stream", "head", users=2, run_time="2s")

    assert run.returncode == 0, run.output[-3000:]
    assert set(run.rows()) == {"stream /_probe/stream?lines=[n]", "head /_probe/text"}
    # The other shapes' users are dropped, not spawned with nothing to do.
    assert "No tasks defined" not in run.output
    assert "had no tasks left" not in run.output


def test_gate_fails_the_run_when_the_upstream_is_stopped(own_stack: Any, tmp_path: Path) -> None:
    own_stack.stop_replica(0)

    # --exit-code-on-error 0 switches off locust's own "any failure -> 1": the exit code must
    # come from the gate.
    run = run_locust(own_stack.url, tmp_path, "--exit-code-on-error", "0", run_time="3s")

    assert run.returncode != 0
    assert "load gate: FAIL" in run.output
    assert "failure ratio 1.000" in run.output
    rows = run.rows()
    assert rows and all(row["failures"] == row["requests"] > 0 for row in rows.values())


def test_gate_fails_a_clean_run_when_a_latency_threshold_is_broken(
    stack: Any, tmp_path: Path
) -> None:
    # No response can take less than -1 ms: this breaks the p95 threshold on a healthy stack
    # without asserting anything about how fast the stack is.
    run = run_locust(stack.url, tmp_path, env={"LOAD_MAX_P95_MS": "-1"}, run_time="2s")

    assert run.returncode == 1, run.output[-3000:]
    assert "load gate: FAIL" in run.output
    assert "LOAD_MAX_P95_MS=-1" in run.output
    assert all(row["failures"] == 0 for row in run.rows().values())


def test_a_single_locustfile_runs_alone(stack: Any, tmp_path: Path) -> None:
    run = run_locust(
        stack.url, tmp_path, locustfile=LOCUSTFILES / "json_post.py", users=1, run_time="2s"
    )

    assert run.returncode == 0, run.output[-3000:]
    assert set(run.rows()) == {"post /_probe/json"}


BROKEN_LOCUSTFILE = """
from _common import ShapeUser
from locust import task


class BrokenUser(ShapeUser):
    @task
    def request_then_crash(self) -> None:
        self.client.get("/_probe/text")
        raise RuntimeError("a bug in task code")
"""


def test_gate_fails_when_task_code_raises_even_if_requests_pass(stack: Any, tmp_path: Path) -> None:
    locustfile = tmp_path / "broken.py"
    locustfile.write_text(BROKEN_LOCUSTFILE)

    # _common is found the way a copier's own locustfile next to it would find it.
    run = run_locust(
        stack.url,
        tmp_path,
        locustfile=locustfile,
        users=1,
        run_time="2s",
        env={"PYTHONPATH": str(LOCUSTFILES), "LOAD_MAX_FAIL_RATIO": "1"},
    )

    assert run.returncode == 1, run.output[-3000:]
    assert "exception raised in task code" in run.output
    assert all(row["failures"] == 0 for row in run.rows().values())
