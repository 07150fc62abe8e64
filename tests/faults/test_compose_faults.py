"""Fault scenarios against the Docker Compose stack: each brings up its own compose project
(own name, free 127.0.0.1 port, `down -v` at the end) because it stops containers.
The scenarios are in ``devtools/resilience.py`` (``make resilience`` runs them with --compose)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devtools import resilience
from tests.support.prereqs import require_docker

pytestmark = [pytest.mark.slow, pytest.mark.docker]


def check(scenario: Callable[[], resilience.ScenarioResult]) -> None:
    require_docker()
    result = scenario()
    assert result.passed, (
        f"{result.name}: sent {result.sent}, failed {result.failed}, expected {result.expected}\n"
        + "\n".join(result.notes)
    )


def test_stopped_app_container_gives_502_page_then_serves_again_without_nginx_restart() -> None:
    check(resilience.compose_app_down)


def test_compose_stop_lets_slow_requests_finish_and_exits_cleanly() -> None:
    check(resilience.compose_graceful_stop)


def test_rolling_restart_of_two_app_replicas_loses_no_request() -> None:
    check(resilience.compose_rolling_restart)
