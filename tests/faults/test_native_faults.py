"""Fault scenarios against the native stack (nginx -> gunicorn on loopback).

The scenarios live in ``devtools/resilience.py`` so that ``make resilience`` prints exactly what
these tests assert. Each starts its own stack (they kill and stop processes), keeps its load
bounded in count and time, and stops everything even when it fails.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devtools import resilience
from tests.support.prereqs import require_executable

pytestmark = pytest.mark.slow


def check(scenario: Callable[[], resilience.ScenarioResult]) -> resilience.ScenarioResult:
    require_executable("nginx")
    result = scenario()
    assert result.passed, (
        f"{result.name}: sent {result.sent}, failed {result.failed}, expected {result.expected}\n"
        + "\n".join(result.notes)
    )
    return result


def test_killed_worker_loses_only_its_in_flight_requests() -> None:
    result = check(resilience.worker_sigkill)
    assert result.sent > 0


def test_hanging_handler_gets_nginx_504_page_while_others_succeed_gthread() -> None:
    check(resilience.hung_handler)


def test_hanging_handler_sync_worker_is_killed_and_replaced() -> None:
    check(lambda: resilience.hung_handler("sync"))


def test_stopped_app_gives_502_page_then_serves_again_without_nginx_restart() -> None:
    check(resilience.app_down)


def test_sigterm_lets_slow_requests_finish_and_exits_within_grace_period() -> None:
    check(resilience.graceful_sigterm)


def test_rolling_restart_of_two_replicas_loses_no_request() -> None:
    result = check(resilience.rolling_restart)
    assert result.failed == 0 and result.sent > 0
