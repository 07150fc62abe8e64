"""The engine's settings, its life across fork(), connections at teardown, 503 and readiness."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.db import DatabaseSettings, get_db
from app.migrate import alembic_config
from devtools.native_stack import free_port


def test_default_url_is_a_sqlite_file_in_the_instance_folder(tmp_path: Path) -> None:
    settings = DatabaseSettings.load({}, {}, instance_path=tmp_path)
    assert settings.url.get_backend_name() == "sqlite"
    assert settings.url.database == str(tmp_path / "app.db")
    assert settings.auto_migrate  # a dev database needs no migration step


def test_postgres_url_uses_psycopg3_and_the_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret:/@\n")
    settings = DatabaseSettings.load(
        {},
        {"DATABASE_URL": "postgresql://app@db:5432/app", "DATABASE_PASSWORD_FILE": str(secret)},
    )
    assert settings.url.drivername == "postgresql+psycopg"
    assert settings.url.password == "s3cret:/@"
    assert not settings.auto_migrate  # a server database is migrated by its own step


def test_pool_settings_come_from_the_environment() -> None:
    environ = {
        "DATABASE_URL": "postgresql://db/app",
        "DATABASE_POOL_SIZE": "3",
        "DATABASE_MAX_OVERFLOW": "2",
        "DATABASE_STATEMENT_TIMEOUT_MS": "1500",
    }
    settings = DatabaseSettings.load({}, environ)
    assert (settings.pool_size, settings.max_overflow) == (3, 2)
    assert settings.statement_timeout_ms == 1500


def test_a_bad_number_fails_at_start() -> None:
    with pytest.raises(ValueError, match="DATABASE_POOL_SIZE"):
        DatabaseSettings.load({}, {"DATABASE_POOL_SIZE": "many"})


def test_create_app_opens_no_connection(sqlite_url: str) -> None:
    # What preload_app relies on: the master imports the app and forks with no pool to share.
    app = create_app({"DATABASE_URL": sqlite_url})
    assert get_db(app)._engine is None
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


def test_a_forked_child_builds_its_own_engine(app: Any) -> None:
    database = get_db(app)
    parent_engine = database.engine
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it got a new engine, and that it works
        try:
            fresh = database.engine is not parent_engine
            database.ping()
            os.write(write_end, b"new" if fresh else b"shared")
        finally:
            os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 16)
    os.waitpid(pid, 0)
    assert answer == b"new"
    assert database.engine is parent_engine
    database.ping()  # the parent's pool survived the child's exit


def test_connection_returns_to_the_pool_even_when_the_view_raises(app: Any) -> None:
    database = get_db(app)

    @app.get("/boom-after-query")
    def boom() -> str:
        database.connection().exec_driver_sql("SELECT 1")
        raise RuntimeError("the view failed after using the database")

    app.testing = False  # let the 500 handler answer instead of propagating
    assert app.test_client().get("/boom-after-query").status_code == 500
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert app.test_client().get("/api/items/1").status_code == 200
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_unreachable_database_is_503_with_retry_after() -> None:
    url = f"postgresql+psycopg://app:x@127.0.0.1:{free_port()}/app"  # nothing listens there
    app = create_app({"DATABASE_URL": url, "DATABASE_RETRY_AFTER": "7"})
    client = app.test_client()
    for path in ("/api/items", "/api/items/1"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"
        assert response.json["error"]["code"] == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["status"] == "database unavailable"
    assert client.get("/healthz").status_code == 200  # liveness never asks the database


def test_readiness_refuses_a_schema_behind_the_code(sqlite_url: str) -> None:
    from alembic import command

    app = create_app({"DATABASE_URL": sqlite_url, "DATABASE_AUTO_MIGRATE": "false"})
    client = app.test_client()
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json["status"] == "schema behind"
    with get_db(app).engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    assert client.get("/readyz").json == {"status": "ready"}
    get_db(app).dispose()


def test_an_exhausted_pool_is_503_after_the_pool_timeout(sqlite_url: str) -> None:
    app = create_app(
        {"DATABASE_URL": sqlite_url, "DATABASE_POOL_SIZE": "1", "DATABASE_POOL_TIMEOUT": "1"}
    )
    database = get_db(app)
    with database.engine.connect():  # the pool's only connection, held elsewhere
        response = app.test_client().get("/api/items")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert app.test_client().get("/api/items").status_code == 200  # given back: served again
    database.dispose()
