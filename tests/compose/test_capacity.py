"""Capacity and hostile clients against the compose stack, one stack for the whole module (the
container-kill test runs last: it is the one that changes the stack). The scenarios and their
verdicts are in devtools/capacity.py, so `make resilience` prints what these tests assert."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from devtools import capacity
from devtools.compose_stack import ComposeStack
from devtools.resilience import ScenarioResult, request

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack() -> Iterator[ComposeStack]:
    with ComposeStack(env={"APP_DIAGNOSTICS": "1"}, name="capacity") as own:
        yield own


def check(scenario: Callable[[ComposeStack], ScenarioResult], stack: ComposeStack) -> None:
    result = scenario(stack)
    print("\n".join([result.name, *result.notes]))  # the measurements, shown with -rP
    assert result.passed, (
        f"{result.name}: sent {result.sent}, failed {result.failed}, expected {result.expected}\n"
        + "\n".join(result.notes)
    )


def test_sustained_load_over_keep_alive_never_runs_out_of_ports(stack: ComposeStack) -> None:
    check(capacity.sustained_load, stack)


def test_hostile_json_burst_is_refused_small_while_healthz_stays_fast(
    stack: ComposeStack,
) -> None:
    check(capacity.amplification_burst, stack)


def test_overload_is_shed_with_503_and_retry_after_not_dropped(stack: ComposeStack) -> None:
    check(capacity.overload_ramp, stack)


def test_scaling_out_and_back_in_spreads_load_and_loses_nothing(stack: ComposeStack) -> None:
    check(capacity.scale_out_and_in, stack)


def test_host_nginx_is_refused_on_the_published_port_and_served_in_network(
    stack: ComposeStack,
) -> None:
    published = request(stack.url, "/_probe/text", headers={"Host": "nginx:8080"})[0]
    assert published.status == 400
    # What the load profile's locust containers do: nginx's in-network port, Host nginx:8081.
    script = (
        "import http.client; c = http.client.HTTPConnection('nginx', 8081, timeout=10);"
        " c.request('GET', '/_probe/text'); print(c.getresponse().status)"
    )
    assert stack.exec("app", "python3", "-c", script).stdout.strip() == "200"


def test_compose_prints_no_swarm_only_warnings(stack: ComposeStack) -> None:
    done = stack.compose("config", "--quiet")
    assert "Swarm" not in done.stderr and "only applies" not in done.stderr, done.stderr


def test_app_container_comes_back_after_a_crash_and_after_docker_kill(
    stack: ComposeStack,
) -> None:
    check(capacity.container_kill, stack)
