"""The database: settings from the environment, one engine (one pool) per process, one
connection per request, returned at teardown.

gunicorn imports the app in its master (``preload_app``) and forks the workers from it. A pooled
connection that existed before the fork would be shared by every worker - two processes talking
on one socket - so nothing here connects at import or in ``create_app``: the engine is built on
first use in each process, and a process that finds an engine inherited from its parent drops
that pool without closing the parent's sockets (``dispose(close=False)``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    CheckConstraint,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from flasklite import Flask, Response, current_app, g
from wsgistack.errors import error_response

log = logging.getLogger(__name__)

DB_FILE_NAME = "app.db"
#: Raised when the database cannot be reached or does not answer in time: a 503, never a 500.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
)

metadata = MetaData()

#: The table the migrations create (app/migrations/versions); queries are written against it.
items_table = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    # Bumped by every update: the item's ETag, and the guard of optimistic concurrency.
    Column("version", Integer, nullable=False, server_default="1"),
    UniqueConstraint("name", name="items_name_key"),
    CheckConstraint("quantity >= 0", name="items_quantity_not_negative"),
)


def default_instance_path() -> Path:
    """``instance/`` beside the ``app`` package: local state, git-ignored."""
    return Path(__file__).resolve().parent.parent / "instance"


def _setting(config: Mapping[str, Any], environ: Mapping[str, str], key: str, default: str) -> str:
    """``config[key]`` (create_app overrides) first, then the environment, then ``default``."""
    value = config.get(key)
    if value is None or value == "":
        value = environ.get(key, "").strip() or default
    return str(value)


def _number(config: Mapping[str, Any], environ: Mapping[str, str], key: str, default: str) -> int:
    value = _setting(config, environ, key, default)
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{key}={value!r} is not a whole number") from None
    if number < 0:
        raise ValueError(f"{key}={number} must be zero or more")
    return number


@dataclass(frozen=True)
class DatabaseSettings:
    """What the engine is built from; every field has a ``DATABASE_*`` variable (docs/database.md
    has the table and the pool arithmetic)."""

    url: URL
    pool_size: int = 4
    max_overflow: int = 0
    pool_timeout: int = 2
    pool_recycle: int = 1800
    pre_ping: bool = True
    connect_timeout: int = 2
    statement_timeout_ms: int = 5000
    retry_after: int = 5
    auto_migrate: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @classmethod
    def load(
        cls,
        config: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        instance_path: Path | None = None,
    ) -> DatabaseSettings:
        config = config or {}
        environ = os.environ if environ is None else environ
        instance = instance_path or default_instance_path()
        raw_url = _setting(config, environ, "DATABASE_URL", f"sqlite:///{instance / DB_FILE_NAME}")
        url = make_url(raw_url)
        if url.drivername == "postgresql":
            # A bare postgresql:// means psycopg2 to SQLAlchemy 2.0; this project ships psycopg 3.
            url = url.set(drivername="postgresql+psycopg")
        password_file = _setting(config, environ, "DATABASE_PASSWORD_FILE", "")
        if password_file:
            # A secret file (compose/Swarm secret, Kubernetes Secret volume) keeps the password
            # out of the environment, which `docker inspect` and /proc show to anyone who looks.
            url = url.set(password=Path(password_file).read_text().rstrip("\r\n"))
        auto = _setting(config, environ, "DATABASE_AUTO_MIGRATE", "")
        sqlite = url.get_backend_name() == "sqlite"
        return cls(
            url=url,
            pool_size=max(1, _number(config, environ, "DATABASE_POOL_SIZE", "4")),
            max_overflow=_number(config, environ, "DATABASE_MAX_OVERFLOW", "0"),
            pool_timeout=_number(config, environ, "DATABASE_POOL_TIMEOUT", "2"),
            pool_recycle=_number(config, environ, "DATABASE_POOL_RECYCLE", "1800"),
            pre_ping=_setting(config, environ, "DATABASE_PRE_PING", "true").lower()
            in {"1", "true", "yes", "on"},
            connect_timeout=max(1, _number(config, environ, "DATABASE_CONNECT_TIMEOUT", "2")),
            statement_timeout_ms=_number(config, environ, "DATABASE_STATEMENT_TIMEOUT_MS", "5000"),
            retry_after=max(1, _number(config, environ, "DATABASE_RETRY_AFTER", "5")),
            # A SQLite file is a development database: bring it to the head on first use so
            # `make dev` needs no step. A server database is migrated once, before deployment.
            auto_migrate=auto.lower() in {"1", "true", "yes", "on"} if auto else sqlite,
        )


def build_engine(settings: DatabaseSettings) -> Engine:
    """An engine with its pool; it opens no connection until asked for one."""
    pool: dict[str, Any] = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.pool_timeout,
        "pool_recycle": settings.pool_recycle,
        # One cheap round trip when a connection leaves the pool: a connection the server closed
        # (restart, failover, idle timeout) is replaced instead of failing the request.
        "pool_pre_ping": settings.pre_ping,
    }
    if settings.is_sqlite:
        path = settings.url.database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # SQLite has no statement timeout; `timeout` bounds the wait for another writer's lock.
        connect_args: dict[str, Any] = {"timeout": max(1, settings.statement_timeout_ms // 1000)}
        engine = create_engine(settings.url, connect_args=connect_args, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options = f"-c statement_timeout={settings.statement_timeout_ms}"
    connect_args = {
        "connect_timeout": settings.connect_timeout,
        "options": options,
        "application_name": os.environ.get("DATABASE_APPLICATION_NAME", "wsgi-stack"),
    }
    return create_engine(settings.url, connect_args=connect_args, **pool)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers do not wait for the writer, which matters with several dev workers.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """The app's handle on its database: ``db.connection()`` inside a request."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self._pid = 0
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """This process's engine, built on first use (never in the gunicorn master)."""
        pid = os.getpid()
        if self._engine is None or self._pid != pid:
            with self._lock:
                if self._engine is None or self._pid != pid:
                    self._engine = self._new_engine(inherited=self._engine)
                    self._pid = pid
        return self._engine

    def _new_engine(self, inherited: Engine | None) -> Engine:
        if inherited is not None:
            # The parent's sockets stay open for the parent; this process only forgets them.
            inherited.dispose(close=False)
        engine = build_engine(self.settings)
        if self.settings.auto_migrate:
            self._migrate_sqlite(engine)
        return engine

    def _migrate_sqlite(self, engine: Engine) -> None:
        from app.migrate import upgrade_with  # Alembic only where it is used

        # Several dev workers start at once: a file lock lets one of them migrate.
        lock_path = Path(str(self.settings.url.database or "db") + ".migrate-lock")
        with open(lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with engine.begin() as conn:
                    upgrade_with(conn)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def dispose(self) -> None:
        """Close this process's pooled connections (tests, shutdown)."""
        if self._engine is not None and self._pid == os.getpid():
            self._engine.dispose()
        self._engine = None

    def connection(self) -> Connection:
        """The current request's connection, checked out of the pool on first use."""
        conn: Connection | None = g.get("db_connection")
        if conn is None:
            conn = self.engine.connect()
            g.setdefault("db_connection", conn)
        return conn

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def release_connection(_error: BaseException | None = None) -> None:
    """Teardown: give the request's connection back to the pool, view error or not.

    ``close()`` rolls back whatever the view left uncommitted, so a failed request can never
    leave a transaction open on a pooled connection.
    """
    conn: Connection | None = g.pop("db_connection", None)
    if conn is not None:
        try:
            conn.close()
        except UNAVAILABLE_ERRORS:
            # The server went away mid-request: the pool discards the broken connection.
            log.warning("database connection lost while returning it to the pool")


def unavailable(error: Exception) -> Response:
    """503 + Retry-After for a database that is down, slow or saturated: the client (or nginx,
    or a load balancer) can retry; a 500 would say the request itself was at fault."""
    log.warning("database unavailable: %s", error.__class__.__name__)
    message = "The database is unavailable; retry in a few seconds."
    response = error_response(503, "Service Unavailable", message)
    response.headers["Retry-After"] = str(get_db(current_app).settings.retry_after)
    return response


def init_db(app: Flask, settings: DatabaseSettings | None = None) -> Database:
    """Attach a Database to ``app`` (``app.extensions["db"]``) without connecting."""
    if settings is None:
        settings = DatabaseSettings.load(app.config)
    database = Database(settings)
    app.extensions["db"] = database
    app.teardown_appcontext(release_connection)
    for error_class in UNAVAILABLE_ERRORS:
        app.register_error_handler(error_class, unavailable)
    return database


def schema_ready() -> tuple[dict[str, Any], int] | None:
    """/readyz's check (wsgistack.add_readiness_check): None when the database answers and its
    schema is the one this code expects, else the 503 to answer."""
    # Imported here so that `python -m app.migrate` does not find itself imported first.
    from app.migrate import schema_readiness

    reply = schema_readiness(get_db(current_app))
    return None if reply[1] == 200 else reply


def get_db(app: Flask) -> Database:
    database: Database = app.extensions["db"]
    return database
