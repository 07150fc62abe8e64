"""Against a native PostgreSQL (Debian package, non-root, free port): migrations, the resource,
pools per gunicorn worker with no connection shared or leaked, and a database outage.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from app import create_app
from devtools.native_db import NativePostgres
from devtools.native_stack import REPO_ROOT, NativeStack, free_port
from tests.db.conftest import private_cluster
from tests.db.pgcheck import children, fresh_database, migrate, sessions, sockets_to_port
from tests.support.prereqs import require_executable

WORKERS, THREADS, POOL = 2, 4, 2
_names = itertools.count()  # unique item names across every load in the session


def test_migrations_go_up_and_down(postgres: NativePostgres) -> None:
    url = fresh_database(postgres)
    tables = "SELECT count(*) FROM pg_tables WHERE tablename = 'items' AND schemaname = 'public'"
    assert migrate(url, "check").returncode == 1  # empty: behind
    assert migrate(url, "upgrade").returncode == 0
    assert migrate(url, "check").returncode == 0
    # The migration ran in the new database only (psql connects to the cluster's `app`).
    assert postgres.psql(tables) == "0"
    down = migrate(url, "downgrade", "base")
    assert down.returncode == 0, down.stderr
    assert "database at base" in down.stdout
    assert migrate(url, "check").returncode == 1
    assert migrate(url, "upgrade").returncode == 0


def test_resource_on_postgres(postgres: NativePostgres) -> None:
    url = fresh_database(postgres)
    assert migrate(url, "upgrade").returncode == 0
    app = create_app({"DATABASE_URL": url})
    client = app.test_client()
    try:
        created = client.post("/api/items", json={"name": "Cog", "quantity": 5})
        assert created.status_code == 201
        assert created.json["id"] == 4  # the seed advanced the id sequence
        assert client.post("/api/items", json={"name": "Cog", "quantity": 1}).status_code == 409
        etag = created.headers["ETag"]
        patched = client.patch("/api/items/4", json={"quantity": 6}, headers={"If-Match": etag})
        assert patched.status_code == 200
        stale = client.patch("/api/items/4", json={"quantity": 7}, headers={"If-Match": etag})
        assert stale.status_code == 412
        assert client.get("/readyz").json == {"status": "ready"}
    finally:
        app.extensions["db"].dispose()


@pytest.fixture
def stack_on(tmp_path: Path) -> Iterator[Any]:
    """A NativeStack factory on a given database URL (two workers, four threads, pool of 2)."""
    require_executable("nginx")
    started: list[NativeStack] = []

    def start(url: str, name: str) -> NativeStack:
        stack = NativeStack(
            app_env={
                "DATABASE_URL": url,
                "DATABASE_POOL_SIZE": str(POOL),
                "DATABASE_APPLICATION_NAME": name,
                "DATABASE_CONNECT_TIMEOUT": "2",
                "DATABASE_POOL_TIMEOUT": "2",
                "DATABASE_RETRY_AFTER": "3",
            },
            gunicorn_env={"WEB_CONCURRENCY": str(WORKERS), "GUNICORN_THREADS": str(THREADS)},
            run_dir=tmp_path / f"stack-{len(started)}",
        )
        started.append(stack)
        stack.start()
        return stack

    yield start
    for stack in started:
        stack.stop()


def hammer(url: str, requests_total: int, item_ids: range) -> Counter[int]:
    """A bounded mixed load (reads, writes, list pages) from 8 threads; the status counts."""

    def one(number: int) -> int:
        if number % 5 == 0:
            reply = requests.post(
                f"{url}/api/items", json={"name": f"load-{next(_names)}", "quantity": 1}, timeout=15
            )
        elif number % 5 == 1:
            reply = requests.get(f"{url}/api/items?limit=5", timeout=15)
        else:
            reply = requests.get(f"{url}/api/items/{item_ids[number % len(item_ids)]}", timeout=15)
        return reply.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return Counter(pool.map(one, range(requests_total)))


def test_each_worker_has_its_own_pool_and_none_leaks(
    postgres: NativePostgres, stack_on: Any
) -> None:
    url = fresh_database(postgres)
    assert migrate(url, "upgrade").returncode == 0
    stack = stack_on(url, "wsgi-stack-leak-test")
    statuses = hammer(stack.url, 300, range(1, 4))
    assert set(statuses) <= {200, 201}, statuses
    # Bounded by the arithmetic docs/database.md gives: workers x (pool_size + max_overflow).
    assert 1 <= sessions(postgres, "wsgi-stack-leak-test") <= WORKERS * POOL
    master = stack.gunicorn_pids[0]
    workers = children(master)
    assert len(workers) == WORKERS
    assert sockets_to_port(master, postgres.port) == set()  # preload_app: the master never connects
    held = [sockets_to_port(worker, postgres.port) for worker in workers]
    for index, mine in enumerate(held):
        assert len(mine) <= POOL
        for other in held[index + 1 :]:
            assert not mine & other  # no socket inherited by two processes


def test_database_outage_gives_503_then_recovers_without_restart(stack_on: Any) -> None:
    with private_cluster() as cluster:
        assert migrate(cluster.url, "upgrade").returncode == 0
        stack = stack_on(cluster.url, "wsgi-stack-outage-test")
        # Straight to gunicorn: what the app answers, before any proxy policy.
        app_url = stack.gunicorn_urls[0]
        assert set(hammer(app_url, 40, range(1, 4))) <= {200, 201}
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as runner:
            load = runner.submit(hammer, app_url, 800, range(1, 4))
            time.sleep(0.2)
            cluster.stop()  # under load: sessions cut mid-query, new connections refused
            during = load.result()
        assert set(during) <= {200, 201, 503} and during[503] > 0, during
        assert time.monotonic() - began < 90  # each answer within the connect timeout
        reply = requests.get(f"{app_url}/api/items/1", timeout=15)
        assert reply.headers["Retry-After"] == "3"
        assert reply.json()["error"]["code"] == 503
        assert requests.get(f"{app_url}/readyz", timeout=15).status_code == 503
        assert requests.get(f"{app_url}/healthz", timeout=15).status_code == 200
        cluster.start()
        deadline = time.monotonic() + 30
        while requests.get(f"{app_url}/readyz", timeout=15).status_code != 200:
            assert time.monotonic() < deadline, "not ready again 30 s after the database came back"
            time.sleep(0.5)
        after = hammer(app_url, 60, range(1, 4))
        assert set(after) <= {200, 201}, after  # the same workers, pools refreshed by pre-ping


def test_concurrent_migrations_serialise(postgres: NativePostgres) -> None:
    # What several pods' init containers do on a fresh database at once.
    url = fresh_database(postgres)
    argv = [sys.executable, "-m", "app.migrate", "upgrade"]
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.Popen(
            argv, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], errors
    assert migrate(url, "check").returncode == 0


def test_statement_timeout_ends_a_slow_query_with_503(postgres: NativePostgres) -> None:
    url = fresh_database(postgres)
    assert migrate(url, "upgrade").returncode == 0
    app = create_app({"DATABASE_URL": url, "DATABASE_STATEMENT_TIMEOUT_MS": "200"})
    database = app.extensions["db"]

    @app.get("/slow")
    def slow() -> str:
        database.connection().exec_driver_sql("SELECT pg_sleep(5)")
        return "finished"

    began = time.monotonic()
    response = app.test_client().get("/slow")
    assert response.status_code == 503
    assert time.monotonic() - began < 4  # cut by the server, not waited out
    assert app.test_client().get("/api/items/1").status_code == 200
    database.dispose()


def test_migrate_waits_for_a_database_that_is_still_starting() -> None:
    with private_cluster() as cluster:
        cluster.stop()
        argv = [sys.executable, "-m", "app.migrate", "--wait", "60", "upgrade"]
        env = {"DATABASE_URL": cluster.url, "PATH": "/usr/bin:/bin"}
        waiting = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stderr=subprocess.DEVNULL)
        time.sleep(3)
        assert waiting.poll() is None  # still waiting, not failed
        cluster.start()
        assert waiting.wait(timeout=60) == 0
        assert migrate(cluster.url, "check").returncode == 0


def test_migrate_gives_up_after_its_wait() -> None:
    url = f"postgresql+psycopg://app:x@127.0.0.1:{free_port()}/app"
    began = time.monotonic()
    done = migrate(url, "--wait", "2", "upgrade")
    assert done.returncode == 2
    assert "database unavailable" in done.stderr
    assert 2 <= time.monotonic() - began < 30
