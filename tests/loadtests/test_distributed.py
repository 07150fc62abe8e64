"""The compose `load` profile: a locust master and N workers, in containers, against nginx.

Builds the app and locust images (stand-in base images, see .ci/provision.sh), starts
`docker compose --profile load up --scale locust-worker=2` under a project name of its own with
every port on a free loopback port, drives one short swarm through the master's web API, checks
that both workers reported and every shape succeeded, then `down -v` and removes its images.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devtools.dev_secret import ensure_key_file
from tests.loadtests.helpers import ALL_REQUESTS, LOCUSTFILES, ROOT, clean_env
from tests.support.prereqs import require_docker

# Cold image builds (pip installing locust and the app) can take minutes on a fresh CI machine.
pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError as exc:  # the master is still starting
            last = exc
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@dataclass(frozen=True)
class LoadProfile:
    master: str  # the master's web UI / API
    docker: str
    locust_image: str


@pytest.fixture()
def load_profile(tmp_path: Path) -> Iterator[LoadProfile]:
    """The compose stack with 2 locust workers."""
    docker = require_docker()
    project = f"load-{uuid.uuid4().hex[:8]}"
    web_port = free_port()
    env = clean_env(
        {
            "PYTHON_IMAGE": os.environ.get("PYTHON_IMAGE", "local/python:3.11-bookworm"),
            "NGINX_IMAGE": os.environ.get("NGINX_IMAGE", "local/nginx:1.22-bookworm"),
            "POSTGRES_IMAGE": os.environ.get("POSTGRES_IMAGE", "local/postgres:15-bookworm"),
            "APP_IMAGE": f"{project}-app:test",
            "LOCUST_IMAGE": f"{project}-locust:test",
            "HTTP_BIND": "127.0.0.1",
            "HTTP_PORT": str(free_port()),
            "HTTPS_PORT": str(free_port()),
            # The compose secret needs a key file; one of this test's own, never the checkout's.
            "APP_SECRET_KEY_PATH": str(ensure_key_file(tmp_path / "app_secret_key")),
            "LOCUST_WEB_PORT": str(web_port),
            # Keep the containers' share of this shared machine small.
            "WEB_CONCURRENCY": "2",
        }
    )
    compose = [docker, "compose", "-p", project, "--profile", "load"]

    def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*compose, *args], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    try:
        up = run("up", "--build", "--detach", "--scale", "locust-worker=2")
        assert up.returncode == 0, up.stderr[-3000:]
        yield LoadProfile(f"http://127.0.0.1:{web_port}", docker, env["LOCUST_IMAGE"])
    finally:
        logs = run("logs", "--no-color", "--tail", "40", "locust-master", timeout=60)
        print(logs.stdout[-4000:])
        run("down", "-v", "--remove-orphans", timeout=180)
        subprocess.run(
            [docker, "rmi", "-f", env["APP_IMAGE"], env["LOCUST_IMAGE"]],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip


def test_compose_load_profile_runs_every_shape_on_two_workers(load_profile: LoadProfile) -> None:
    master = load_profile.master
    wait_for(
        lambda: len(get_json(master + "/stats/requests").get("workers", [])) == 2,
        timeout=120,
        what="two locust workers to connect",
    )

    form = urllib.parse.urlencode({"user_count": 7, "spawn_rate": 7}).encode()
    with urllib.request.urlopen(master + "/swarm", data=form, timeout=10) as response:
        assert json.loads(response.read())["success"] is True

    def every_shape_requested() -> dict[str, Any] | None:
        stats: dict[str, Any] = get_json(master + "/stats/requests")
        requested = {e["name"] for e in stats["stats"] if e["num_requests"] > 0}
        return stats if requested >= ALL_REQUESTS else None

    try:
        stats = wait_for(every_shape_requested, timeout=60, what="every shape to be requested")
    finally:
        urllib.request.urlopen(master + "/stop", data=b"", timeout=10).close()  # POST

    by_name = {e["name"]: e for e in stats["stats"] if e["name"] != "Aggregated"}
    assert set(by_name) == ALL_REQUESTS
    assert {n: e["num_failures"] for n, e in by_name.items()} == dict.fromkeys(ALL_REQUESTS, 0)
    assert len(stats["workers"]) == 2
    assert all(worker["user_count"] >= 1 for worker in stats["workers"])

    # The image runs as non-root and carries no build-time CA material.
    inspect = subprocess.run(
        [load_profile.docker, "image", "inspect", "--format", "{{.Config.User}}",
         load_profile.locust_image],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert inspect.stdout.strip() == "10002:10002"
    leftovers = subprocess.run(
        [load_profile.docker, "run", "--rm", load_profile.locust_image, "sh", "-c",
         "ls /tmp/certs /tmp/ca-bundle.pem 2>/dev/null; ls /loadtests"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert leftovers.stdout.split() == sorted(p.name for p in LOCUSTFILES.glob("*.py"))
