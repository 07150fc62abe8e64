"""The pass/fail gate's rules, on locust's own stats objects (no network, no timing)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import pytest
from locust.stats import RequestStats


@dataclass
class Totals:
    """Stands in for ``environment.stats.total`` where exact rps/ratios are needed."""

    num_requests: int
    fail_ratio: float
    total_rps: float
    p95: float

    def get_response_time_percentile(self, percent: float) -> float:
        assert percent == 0.95
        return self.p95


def recorded(times_ms: list[int], failures: int = 0) -> RequestStats:
    stats = RequestStats()
    for time_ms in times_ms:
        stats.log_request("GET", "static /hello", time_ms, 13)
    for _ in range(failures):
        stats.log_request("GET", "static /hello", 1, 0)
        stats.log_error("GET", "static /hello", "status 502, expected 200")
    return stats


def test_gate_passes_a_clean_run_within_thresholds(common: ModuleType) -> None:
    limits = common.Thresholds(max_fail_ratio=0.01, max_p95_ms=500)

    assert common.gate_violations(recorded([5] * 100).total, limits) == []


def test_gate_fails_when_the_p95_is_over_the_limit(common: ModuleType) -> None:
    limits = common.Thresholds(max_p95_ms=100)
    total = recorded([5] * 90 + [900] * 10).total

    problems = common.gate_violations(total, limits)

    assert len(problems) == 1
    assert "p95 900 ms > LOAD_MAX_P95_MS=100" in problems[0]


def test_gate_fails_when_the_failure_ratio_is_over_the_limit(common: ModuleType) -> None:
    limits = common.Thresholds(max_fail_ratio=0.05)
    total = recorded([5] * 90, failures=10).total

    problems = common.gate_violations(total, limits)

    assert [p for p in problems if "failure ratio 0.100 > LOAD_MAX_FAIL_RATIO=0.05" in p]


def test_gate_tolerates_failures_under_the_ratio(common: ModuleType) -> None:
    limits = common.Thresholds(max_fail_ratio=0.2)

    assert common.gate_violations(recorded([5] * 90, failures=10).total, limits) == []


def test_gate_fails_a_run_that_sent_nothing(common: ModuleType) -> None:
    problems = common.gate_violations(recorded([]).total, common.Thresholds())

    assert problems == ["only 0 requests (LOAD_MIN_REQUESTS=1)"]


def test_gate_checks_minimum_rps_only_when_set(common: ModuleType) -> None:
    slow = Totals(num_requests=50, fail_ratio=0.0, total_rps=12.5, p95=5)

    assert common.gate_violations(slow, common.Thresholds()) == []
    assert common.gate_violations(slow, common.Thresholds(min_rps=100)) == [
        "12.5 requests/s < LOAD_MIN_RPS=100"
    ]


def test_thresholds_are_read_from_the_environment(common: ModuleType) -> None:
    limits = common.Thresholds.from_env(
        {
            "LOAD_MAX_FAIL_RATIO": "0.2",
            "LOAD_MAX_P95_MS": "250",
            "LOAD_MIN_REQUESTS": "10",
            "LOAD_MIN_RPS": "5",
        }
    )

    assert limits == common.Thresholds(
        max_fail_ratio=0.2, max_p95_ms=250, min_requests=10, min_rps=5
    )
    assert common.Thresholds.from_env({}) == common.Thresholds()


@pytest.mark.parametrize(
    ("name", "value"), [("LOAD_MAX_P95_MS", "fast"), ("LOAD_MIN_REQUESTS", "1.5")]
)
def test_a_malformed_threshold_is_an_error_not_a_default(
    common: ModuleType, name: str, value: str
) -> None:
    with pytest.raises(ValueError, match=name):
        common.Thresholds.from_env({name: value})
