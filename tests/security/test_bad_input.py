"""The bad-input corpus (``corpus/*.yaml``) over raw sockets, against each target stack.

Every case must end in one of its acceptable outcomes (a 4xx, or the connection closed) within
the configured nginx timeout plus a margin; never a 5xx the case does not name, a traceback, a
version string or a missing security header. After each case the stack must still serve a normal
request, with the same gunicorn workers and nothing new in the error log.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from devtools.resilience import request
from tests.security.checks import (
    TRACEBACK_PATTERNS,
    VERSION_PATTERNS,
    problems_with_outcome,
)
from tests.security.conftest import Target
from tests.security.corpus import Case, load_corpus
from tests.security.rawhttp import RawResult, send_raw

CASES = load_corpus()
FAST = [c for c in CASES if not c.slow and c.target == "stack"]
SLOW = [c for c in CASES if c.slow and c.target == "stack"]
DIRECT = [c for c in CASES if c.target == "app"]

# Lines in gunicorn's or the app's stderr that mean something broke (a rejected request is only
# a warning): tracebacks, errors, worker deaths and timeouts.
BAD_LOG = re.compile(
    r"Traceback|\"level\": \"(error|critical)\"|WORKER TIMEOUT|was sent SIGKILL|exited with code",
    re.IGNORECASE,
)


def run_case(target: Target, case: Case, deadline: float, port: int | None = None) -> RawResult:
    variables = target.variables()
    if port is not None:
        variables["host"] = f"127.0.0.1:{port}"
    parts = case.build(variables, deadline)
    return send_raw(
        "127.0.0.1", port or target.port, parts, deadline=deadline, head_only=case.head_only
    )


def assert_still_healthy(target: Target, workers_before: set[int] | None, log_offset: int) -> None:
    outcome, body, _ = request(target.url, "/healthz")
    assert outcome.status == 200, f"the stack no longer serves /healthz: {outcome} {body[:200]!r}"
    if workers_before is not None and target.worker_pids is not None:
        assert target.worker_pids() == workers_before, "a gunicorn worker died and was replaced"
    new_log = target.error_log()[log_offset:]
    bad = [line for line in new_log.splitlines() if BAD_LOG.search(line)]
    assert not bad, "gunicorn/app logged a failure:\n" + "\n".join(bad[:5])


@pytest.mark.parametrize("case", FAST, ids=lambda c: c.id)
def test_bad_request_gets_a_clean_refusal_and_the_stack_keeps_serving(
    target: Target, case: Case
) -> None:
    workers = target.worker_pids() if target.worker_pids else None
    log_offset = len(target.error_log())
    result = run_case(target, case, target.slow_deadline)
    problems = problems_with_outcome(result, case.expect, case.must_not_contain)
    assert not problems, f"{case.id} ({case.why}):\n  " + "\n  ".join(problems)
    assert_still_healthy(target, workers, log_offset)


@pytest.fixture(scope="session")
def slow_results(target: Target) -> dict[str, RawResult]:
    """All slow cases at once: each waits on a server timeout, so running them side by side
    costs one timeout instead of one per case."""
    deadline = target.slow_deadline
    with ThreadPoolExecutor(max_workers=len(SLOW)) as pool:
        futures = {case.id: pool.submit(run_case, target, case, deadline) for case in SLOW}
        return {case_id: future.result() for case_id, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW, ids=lambda c: c.id)
def test_slow_client_is_cut_off_within_the_configured_timeout(
    target: Target, slow_results: dict[str, RawResult], case: Case
) -> None:
    result = slow_results[case.id]
    problems = problems_with_outcome(result, case.expect, case.must_not_contain)
    assert not problems, (
        f"{case.id} ({case.why}); deadline {target.slow_deadline:g}s "
        f"(nginx header {target.header_timeout:g}s / body {target.body_timeout:g}s + margin):\n  "
        + "\n  ".join(problems)
    )
    assert_still_healthy(target, None, len(target.error_log()))


@pytest.mark.parametrize("case", DIRECT, ids=lambda c: c.id)
def test_gunicorn_alone_refuses_bad_requests_cleanly(native: Target, case: Case) -> None:
    """The same rules straight to gunicorn, minus the headers only nginx adds."""
    port = int(native.gunicorn_urls[0].rsplit(":", 1)[1])
    workers = native.worker_pids() if native.worker_pids else None
    log_offset = len(native.error_log())
    result = run_case(native, case, native.slow_deadline, port=port)
    problems = []
    if result.label() not in case.expect:
        problems.append(f"got {result.describe()}, expected one of {sorted(case.expect)}")
    for pattern in VERSION_PATTERNS + TRACEBACK_PATTERNS:
        if pattern.search(result.body):
            problems.append(f"the body matches {pattern.pattern!r}")
    assert not problems, f"{case.id} ({case.why}):\n  " + "\n  ".join(problems)
    assert_still_healthy(native, workers, log_offset)
