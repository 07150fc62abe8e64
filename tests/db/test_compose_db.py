"""PostgreSQL in the compose stack: migrate before app, data across down/up, backup/restore,
and the database's outage seen through nginx.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devtools.compose_stack import REPO_ROOT, ComposeStack
from tests.support.prereqs import require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]
TIMEOUT = 15


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    require_docker()
    secret = tmp_path_factory.mktemp("secret") / "db_password"
    secret.write_text("a-test-only-password\n")
    # Plain compose bind-mounts the file as it is: the app (uid 10001) must be able to read it.
    secret.chmod(0o644)
    # An image tag of this run's own: the shared default tag may be rebuilt by anyone meanwhile,
    # and the down/up below starts containers again without building.
    image = f"wsgi-stack-app:db-test-{uuid.uuid4().hex[:8]}"
    env = {"DB_PASSWORD_FILE": str(secret), "APP_IMAGE": image}
    try:
        with ComposeStack(name="db", env=env) as stack:
            yield stack
    finally:
        subprocess.run(
            ["docker", "image", "rm", "--force", image], capture_output=True, timeout=120
        )


def make(stack: ComposeStack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**stack.env, "COMPOSE_PROJECT_NAME": stack.project}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_migrate_ran_once_and_app_is_ready(stack: ComposeStack) -> None:
    migrate = stack.container_ids("migrate", all_states=True)
    assert len(migrate) == 1
    state = stack.inspect(migrate[0])["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 0)
    assert requests.get(stack.url + "/readyz", timeout=TIMEOUT).json() == {"status": "ready"}


def test_database_is_not_published_and_password_is_not_in_the_environment(
    stack: ComposeStack,
) -> None:
    db = stack.inspect(stack.container_ids("db")[0])
    assert not any(
        db["NetworkSettings"]["Ports"].get(key) for key in db["NetworkSettings"]["Ports"]
    )
    app = stack.inspect(stack.container_ids("app")[0])
    assert not any("a-test-only-password" in entry for entry in app["Config"]["Env"])


def test_data_survives_down_and_up(stack: ComposeStack) -> None:
    created = requests.post(
        stack.url + "/api/items", json={"name": "kept", "quantity": 2}, timeout=TIMEOUT
    )
    assert created.status_code == 201
    location = created.headers["Location"]
    stack.compose("restart", "app", "db", timeout=300)  # a restart of every process
    stack.compose("up", "--detach", "--wait", "--wait-timeout", "300", timeout=600)
    assert requests.get(stack.url + location, timeout=TIMEOUT).json()["name"] == "kept"
    stack.compose("down", "--timeout", "40")  # not -v: the db-data volume stays
    stack.compose("up", "--detach", "--wait", "--wait-timeout", "300", timeout=600)
    stack.wait_http("/readyz")
    again = requests.get(stack.url + location, timeout=TIMEOUT)
    assert again.status_code == 200
    assert again.json()["name"] == "kept"


def test_backup_restore_round_trip(stack: ComposeStack, tmp_path: Path) -> None:
    created = requests.post(
        stack.url + "/api/items", json={"name": "backed-up", "quantity": 4}, timeout=TIMEOUT
    )
    location = created.headers["Location"]
    backup = tmp_path / "db.dump"
    done = make(stack, "db-backup", f"BACKUP={backup}")
    assert done.returncode == 0, done.stderr
    assert backup.stat().st_size > 0
    assert requests.delete(stack.url + location, timeout=TIMEOUT).status_code == 204
    assert requests.get(stack.url + location, timeout=TIMEOUT).status_code == 404
    done = make(stack, "db-restore", f"BACKUP={backup}")
    assert done.returncode == 0, done.stderr
    assert requests.get(stack.url + location, timeout=TIMEOUT).json()["name"] == "backed-up"


def test_database_stopped_gives_503_then_recovers(stack: ComposeStack) -> None:
    stack.compose("stop", "db")
    try:
        for _ in range(10):
            reply = requests.get(stack.url + "/api/items/1", timeout=TIMEOUT)
            assert reply.status_code == 503, reply.text
        assert requests.get(stack.url + "/healthz", timeout=TIMEOUT).status_code == 200
    finally:
        stack.compose("start", "db")
    stack.compose("up", "--detach", "--wait", "--wait-timeout", "120", "db", timeout=300)
    ok = [requests.get(stack.url + "/api/items/1", timeout=TIMEOUT).status_code for _ in range(5)]
    assert ok[-1] == 200
