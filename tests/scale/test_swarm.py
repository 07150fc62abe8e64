"""The same docker-compose.yml as a Docker Swarm stack: a rolling update under load loses nothing.

A single-node swarm on this machine (`docker swarm init --advertise-addr 127.0.0.1`), the stack
deployed by devtools.swarm (what `make swarm-up` runs), then `docker service update --force` of
the app: swarm replaces the replicas one at a time, starting each new one before stopping an old
one (update_config order: start-first), while a client keeps sending requests through nginx.
The stack is removed and the swarm left again in every case.
"""

from __future__ import annotations

import time
import uuid

import pytest

from devtools import swarm
from tests.scale.loadclient import LoadClient
from tests.support.prereqs import require_docker

# `swarm`: deselected unless `-m` names it (make test-swarm; see tests/conftest.py), since leaving
# the swarm disturbs every compose stack running on this engine.
pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.swarm]

REPLICAS = 2
SETTLE_SECONDS = 8  # past nginx's resolver valid=5s after the update has converged


def wait_for_nginx(port: int, timeout: float = 120) -> None:
    from devtools.native_stack import http_status

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_status(port, "/nginx-health") == 200:
            return
        time.sleep(0.5)
    raise AssertionError(f"nginx of the stack did not answer on 127.0.0.1:{port}")


def service_logs(stack: str) -> str:
    chunks = []
    for service in ("app", "nginx"):
        done = swarm.docker(
            "service", "logs", "--tail", "40", swarm.service_name(stack, service), check=False
        )
        chunks.append(f"--- {service} ---\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    tasks = swarm.docker("stack", "ps", "--no-trunc", stack, check=False)
    return "\n".join([tasks.stdout, *chunks])


def test_swarm_rolling_update_under_load_fails_no_request() -> None:
    require_docker()
    from devtools.compose_stack import standin_env
    from devtools.native_stack import free_port

    port = free_port()
    env = {**standin_env(), "APP_REPLICAS": str(REPLICAS), "HTTP_PORT": str(port)}
    env["HTTPS_PORT"] = str(free_port())
    stack = f"scale-{uuid.uuid4().hex[:8]}"
    state = swarm.swarm_state()
    assert state in {"inactive", "active"}, f"this engine's swarm is {state}"
    created = False
    try:
        created = swarm.ensure_swarm()
        swarm.build_images(env)
        swarm.deploy(stack, env)  # returns once every service has converged
        wait_for_nginx(port)

        with LoadClient(port, pause=0.05, max_seconds=300) as load:
            load.set_phase("before")
            load.wait_until(
                f"both of the {REPLICAS} replicas served requests",
                lambda: len(load.served_by("before")) == REPLICAS,
                60,
            )
            load.set_phase("rolling")
            app = swarm.service_name(stack, "app")
            # --force: a new task for every replica although nothing changed; --detach=false
            # returns when the update has converged (or failed, which raises).
            swarm.docker("service", "update", "--force", "--detach=false", app, timeout=600)
            load.set_phase("after")
            time.sleep(SETTLE_SECONDS)
            load.stop()

        summary = load.summary()
        inspect = swarm.docker("service", "inspect", app, "--format", "{{json .UpdateStatus}}")
        assert '"completed"' in inspect.stdout, f"update did not complete: {inspect.stdout}"
        assert load.failures() == [], f"{summary}\n{service_logs(stack)}"
        before, after = set(load.served_by("before")), set(load.served_by("after"))
        assert len(after) == REPLICAS, summary
        assert before.isdisjoint(after), f"the replicas were not replaced: {summary}"
        print(f"swarm rolling update of {REPLICAS} replicas: {summary}")
    finally:
        try:
            swarm.remove(stack, volumes=True)
        finally:
            if created:  # even when removal failed: never leave this engine in a swarm we made
                swarm.leave_swarm()
