"""Fixtures for the database tests: a migrated SQLite app (no server), a native PostgreSQL.

PostgreSQL comes from the Debian package (`apt-get install postgresql`, which
.ci/provision.sh installs); without it the PostgreSQL tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app import create_app
from flasklite import Flask
from tests.support.prereqs import missing

if TYPE_CHECKING:
    from devtools.native_db import NativePostgres

PG_HINT = "install Debian's `postgresql` package (`sudo bash .ci/provision.sh`)"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    """The service on a fresh SQLite file, migrated to head on first use."""
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_url})
    yield app
    app.extensions["db"].dispose()


def native_postgres_or_skip(run_dir: Path, max_connections: int = 100) -> NativePostgres:
    from devtools.native_db import NativePostgres, find_bindir

    if find_bindir() is None:
        missing("PostgreSQL (initdb, pg_ctl)", PG_HINT)
    return NativePostgres(run_dir, max_connections=max_connections)


@contextlib.contextmanager
def private_cluster(max_connections: int = 100) -> Iterator[NativePostgres]:
    """A cluster in a new folder under /tmp (pytest's own tmp folders are private to root,
    and the server runs as an unprivileged user), removed afterwards."""
    run_dir = Path(tempfile.mkdtemp(prefix="wsgi-stack-pg-"))
    try:
        cluster = native_postgres_or_skip(run_dir, max_connections)
        with cluster:
            yield cluster
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[NativePostgres]:
    """One native PostgreSQL for the session, on a free loopback port, as a non-root user."""
    with private_cluster() as cluster:
        yield cluster


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()
