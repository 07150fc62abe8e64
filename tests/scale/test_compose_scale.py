"""`docker compose up --scale app=N` under load: nginx finds new replicas and loses none.

nginx resolves `app` through Docker's DNS every 5 s (nginx/conf.d/default.conf), so replicas that
appear are used without a reload, and replicas that go away are skipped: a request that meets a
stopping replica is retried on another one (proxy_next_upstream), so the client sees no error.
"""

from __future__ import annotations

import time

import pytest

from tests.scale.loadclient import LoadClient
from tests.support.prereqs import require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]

REPLICAS = 3
# Longer than nginx's resolver `valid=5s`, so the last phase runs on a fresh resolution.
SETTLE_SECONDS = 8


def test_compose_replicas_all_serve_and_scaling_down_fails_no_request() -> None:
    require_docker()
    from devtools.compose_stack import ComposeStack

    with (
        ComposeStack(name="scale", env={"APP_REPLICAS": "1"}) as stack,
        LoadClient(stack.port) as load,
    ):
        load.set_phase("one")
        load.wait_until("the single replica answers", lambda: bool(load.served_by("one")), 30)

        load.set_phase("scaling-up")
        # --no-recreate: the running replica keeps serving while the new ones start.
        scale = ["up", "--detach", "--wait", "--no-recreate", "--no-build", "--scale"]
        stack.compose(*scale, f"app={REPLICAS}", "app", timeout=300)
        assert len(stack.container_ids("app")) == REPLICAS

        load.set_phase("three")
        load.wait_until(
            f"each of the {REPLICAS} replicas served requests",
            lambda: len(load.served_by("three")) == REPLICAS,
            60,
        )

        load.set_phase("scaling-down")
        # Compose stops the extra replicas with SIGTERM: gunicorn drains, nginx retries elsewhere.
        stack.compose(*scale, "app=1", "app", timeout=300)
        assert len(stack.container_ids("app")) == 1

        load.set_phase("one-again")
        # Past nginx's resolver `valid=5s`: from here on nginx knows only the remaining replica.
        time.sleep(SETTLE_SECONDS)
        load.set_phase("settled")
        load.wait_until(
            "the remaining replica served 30 requests",
            lambda: sum(load.served_by("settled").values()) >= 30,
            60,
        )
        load.stop()

        summary = load.summary()
        assert load.failures() == [], summary
        survivors = load.served_by("settled")
        assert len(survivors) == 1, summary
        assert set(survivors) <= set(load.served_by("three")), summary
        print(f"compose scale 1 -> {REPLICAS} -> 1: {summary}")
