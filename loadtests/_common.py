"""Shared pieces of the locustfiles: the base user, env-driven knobs and the CI pass/fail gate.

The leading underscore is load-bearing: `locust -f loadtests/` imports every ``*.py`` in the
folder tree *except* names starting with ``_`` (locust's ``get_abspaths_in``), so this module is
never mistaken for a locustfile. The locustfiles import it as ``_common``; locust puts their
folder on ``sys.path`` while importing them, both for ``-f loadtests/`` and ``-f loadtests/x.py``.
Being imported once per process (``sys.modules``), the gate listener is registered exactly once
however many locustfiles are loaded.

Environment variables (all optional):

| variable | default | meaning |
| --- | --- | --- |
| ``LOAD_WEIGHT_<SHAPE>`` | 1 | share of users on that shape (0 = off; equal: 7 users cover all) |
| ``LOAD_WAIT_MIN`` / ``LOAD_WAIT_MAX`` | 0.1 / 0.5 | think time between requests, seconds |
| ``LOAD_STREAM_LINES`` | 20 | lines asked of ``/_probe/stream`` |
| ``LOAD_MAX_FAIL_RATIO`` | 0.01 | gate: highest failure ratio that still passes |
| ``LOAD_MAX_P95_MS`` | 500 | gate: highest p95 response time (ms) over all requests |
| ``LOAD_MIN_REQUESTS`` | 1 | gate: a run that sent fewer requests proves nothing, so it fails |
| ``LOAD_MIN_RPS`` | 0 | gate: lowest overall requests/second (0 = not checked) |
| ``LOAD_SUMMARY_JSON`` | unset | file to write the final per-request-name numbers and verdict to |
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from locust import between, events
from locust import log as locust_log
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.runners import WorkerRunner

DEFAULT_HOST = "http://localhost:8080"
logger = logging.getLogger("loadtests")


def env_float(name: str, default: float, environ: Mapping[str, str] | None = None) -> float:
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a number") from exc


def env_int(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    value = env_float(name, default, environ)
    if value != int(value) or value < 0:
        raise ValueError(f"{name}={value!r} must be a whole number >= 0")
    return int(value)


def shape_weight(shape: str, default: int) -> int:
    """The user-class weight of one dispatch shape, from ``LOAD_WEIGHT_<SHAPE>``."""
    return env_int(f"LOAD_WEIGHT_{shape.upper()}", default)


class ShapeUser(FastHttpUser):
    """Base of every shape's user: FastHttpUser (geventhttpclient) so one generator process can
    push far more requests than the stack answers on the same machine, and the default host
    ``make stack`` / ``make up`` publish on. Abstract, so locust never runs it on its own even
    though every locustfile imports it into its namespace."""

    abstract = True
    host = DEFAULT_HOST
    wait_time = between(env_float("LOAD_WAIT_MIN", 0.1), env_float("LOAD_WAIT_MAX", 0.5))


class _Checkable(Protocol):
    """The part of locust's response context manager a check uses (success/failure marking)."""

    def success(self) -> None: ...
    def failure(self, exc: Any) -> None: ...


def verdict(response: _Checkable, problem: str | None) -> None:
    """Mark one response: a broken stack must count as failures, not as fast requests."""
    if problem is None:
        response.success()
    else:
        response.failure(problem)


# --- the CI gate --------------------------------------------------------------------------------


class _TotalStats(Protocol):
    """What the gate reads from ``environment.stats.total`` (a locust ``StatsEntry``)."""

    num_requests: int

    @property
    def fail_ratio(self) -> float: ...
    @property
    def total_rps(self) -> float: ...
    def get_response_time_percentile(self, percent: float) -> float: ...


@dataclass(frozen=True)
class Thresholds:
    max_fail_ratio: float = 0.01
    max_p95_ms: float = 500.0
    min_requests: int = 1
    min_rps: float = 0.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Thresholds:
        return cls(
            max_fail_ratio=env_float("LOAD_MAX_FAIL_RATIO", cls.max_fail_ratio, environ),
            max_p95_ms=env_float("LOAD_MAX_P95_MS", cls.max_p95_ms, environ),
            min_requests=env_int("LOAD_MIN_REQUESTS", cls.min_requests, environ),
            min_rps=env_float("LOAD_MIN_RPS", cls.min_rps, environ),
        )


def gate_violations(total: _TotalStats, limits: Thresholds) -> list[str]:
    """Every broken threshold as a sentence; empty means the run passes."""
    problems: list[str] = []
    if total.num_requests < limits.min_requests:
        problems.append(
            f"only {total.num_requests} requests (LOAD_MIN_REQUESTS={limits.min_requests})"
        )
    if total.num_requests and total.fail_ratio > limits.max_fail_ratio:
        problems.append(
            f"failure ratio {total.fail_ratio:.3f} > LOAD_MAX_FAIL_RATIO={limits.max_fail_ratio}"
        )
    p95 = total.get_response_time_percentile(0.95) if total.num_requests else 0.0
    if p95 > limits.max_p95_ms:
        problems.append(f"p95 {p95:.0f} ms > LOAD_MAX_P95_MS={limits.max_p95_ms:g}")
    if limits.min_rps and total.total_rps < limits.min_rps:
        problems.append(f"{total.total_rps:.1f} requests/s < LOAD_MIN_RPS={limits.min_rps:g}")
    return problems


def write_summary(path: Path, environment: Environment, problems: list[str]) -> None:
    """Final numbers for `make load`'s table. Locust's own ``*_stats.csv`` is a snapshot taken
    every second and can miss the last one; this is written at the end, after the users stop."""
    entries = [*environment.stats.entries.values(), environment.stats.total]
    rows = [
        {
            "method": entry.method or "",
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.50) if entry.num_requests else None,
            "p95_ms": entry.get_response_time_percentile(0.95) if entry.num_requests else None,
            "p99_ms": entry.get_response_time_percentile(0.99) if entry.num_requests else None,
            "rps": entry.total_rps,
        }
        for entry in entries
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"passed": not problems, "problems": problems, "rows": rows}))


def apply_gate(environment: Environment, **_kwargs: Any) -> None:
    """Set the process exit code from the thresholds, so `locust --headless` fails a CI job.

    Workers hold only their share of the stats, so only the master (or a local run) judges.
    Locust already exits 1 when any request failed; the gate adds the thresholds on top (a
    tolerated failure ratio, p95, volume) and says which one broke.
    """
    if isinstance(environment.runner, WorkerRunner):
        return
    limits = Thresholds.from_env()
    total = environment.stats.total
    problems = gate_violations(total, limits)
    # Setting the exit code below replaces locust's own rules, so keep the ones that are not
    # about requests: an exception in a task is a broken locustfile, never a pass.
    runner = environment.runner
    if runner is not None and runner.exceptions:
        problems.append(f"{len(runner.exceptions)} kinds of exception raised in task code")
    if locust_log.unhandled_greenlet_exception:
        problems.append("an unhandled greenlet exception (see the log above)")
    p95 = total.get_response_time_percentile(0.95) if total.num_requests else 0.0
    summary = (
        f"requests={total.num_requests} failure_ratio={total.fail_ratio:.3f} "
        f"p95_ms={p95:.0f} rps={total.total_rps:.1f}"
    )
    summary_path = os.environ.get("LOAD_SUMMARY_JSON", "").strip()
    if summary_path:
        write_summary(Path(summary_path), environment, problems)
    if problems:
        logger.error("load gate: FAIL (%s): %s", summary, "; ".join(problems))
        environment.process_exit_code = 1
    else:
        logger.info("load gate: PASS (%s)", summary)
        # A failure ratio under the threshold is a pass, even though locust alone would exit 1.
        environment.process_exit_code = 0


def _has_work(holder: Any, tags: set[str] | None, exclude: set[str] | None) -> bool:
    """Whether a user class / TaskSet keeps any task under ``--tags`` / ``--exclude-tags``
    (the same rule as locust's ``filter_tasks_by_tags``, read-only)."""
    for task_ in holder.tasks:
        if hasattr(task_, "tasks"):
            if _has_work(task_, tags, exclude):
                return True
            continue
        task_tags: set[str] = getattr(task_, "locust_tag_set", set())
        if tags is not None and not task_tags & tags:
            continue
        if exclude is not None and task_tags & exclude:
            continue
        return True
    return False


def drop_users_left_without_tasks(environment: Environment, **_kwargs: Any) -> None:
    """Make ``--tags <shape>`` select shapes, not just tasks.

    Each shape is its own user class, so ``--tags stream`` would leave the other six classes
    with no task; locust would still spawn them and every such user dies with "No tasks
    defined". Dropping them here, before the first spawn (and before locust's own filtering,
    which would only warn), leaves the classes that still have work.
    """
    options = environment.parsed_options
    tags = environment.tags if environment.tags is not None else getattr(options, "tags", None)
    exclude = environment.exclude_tags
    if exclude is None:
        exclude = getattr(options, "exclude_tags", None)
    if not tags and not exclude:
        return
    kept = [
        user_class
        for user_class in environment.user_classes
        if _has_work(user_class, set(tags) if tags else None, set(exclude) if exclude else None)
    ]
    if not kept:
        raise SystemExit("load: no shape matches the given --tags / --exclude-tags")
    environment.user_classes[:] = kept


# Registered at import, which happens once per process however many locustfiles import us.
events.quitting.add_listener(apply_gate)  # type: ignore[no-untyped-call]
events.init.add_listener(drop_users_left_without_tasks)  # type: ignore[no-untyped-call]
