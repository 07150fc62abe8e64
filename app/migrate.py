"""Schema migrations (Alembic), run once before the code that needs them.

    python -m app.migrate upgrade [REVISION]     # default: head (`make migrate`)
    python -m app.migrate downgrade REVISION     # e.g. base, or -1
    python -m app.migrate current                # the database's revision
    python -m app.migrate check                  # exit 1 unless the database is at head
    python -m app.migrate revision -m MESSAGE    # a new empty revision (`make revision MSG=...`)

``--wait SECONDS`` (before the command; default 60, for SQLite 0) waits that long for the database to accept
connections before giving up with exit status 2.

The database comes from the same ``DATABASE_*`` variables the app reads (app/db.py). The
scripts live in ``app/migrations`` so the app image carries them without a build change; the
``alembic.ini`` at the repository root points there too, for the plain ``alembic`` command.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from app.db import UNAVAILABLE_ERRORS, Database, DatabaseSettings, build_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number, the same in every process that migrates this database.
MIGRATION_LOCK = 0x5753_4749_4D49_4752


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        # env.py uses this connection instead of building an engine of its own.
        config.attributes["connection"] = connection
    return config


def head_revisions() -> frozenset[str]:
    """The revisions the code expects; read from the scripts, no database involved."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def schema_readiness(database: Database) -> tuple[dict[str, Any], int]:
    """/readyz's answer: 200 only when the database answers and its schema is at head.

    Bounded by the engine's connect timeout and statement timeout; it uses a pooled connection,
    so it adds none to the workers x pool size the database must allow.
    """
    try:
        with database.engine.connect() as conn:
            current = current_revisions(conn)
    except UNAVAILABLE_ERRORS:
        return {"status": "database unavailable"}, 503
    expected = cached_heads()
    if current != expected:
        return {
            "status": "schema behind",
            "database": sorted(current),
            "expected": sorted(expected),
        }, 503
    return {"status": "ready"}, 200


@functools.cache
def cached_heads() -> frozenset[str]:
    return head_revisions()


def upgrade_with(connection: Connection, revision: str = "head") -> None:
    if connection.dialect.name == "postgresql":
        # Pods (init containers) and tasks may migrate at the same moment: one waits here until
        # the other has committed, then finds the schema at head and does nothing.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), revision)


def wait_for_database(engine: Engine) -> None:
    """One connection attempt; raises what UNAVAILABLE_ERRORS names while the server is away."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def run(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.migrate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate forward (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate back to REVISION (base = empty)")
    down.add_argument("revision")
    sub.add_parser("current", help="print the database's revision")
    sub.add_parser("check", help="exit 1 unless the database is at head")
    new = sub.add_parser("revision", help="write a new revision script")
    new.add_argument("-m", "--message", required=True)
    # Where nothing orders the start (Swarm tasks, Kubernetes init containers) the database may
    # still be starting: wait for it a while rather than fail and be restarted.
    parser.add_argument(
        "--wait", type=float, help="seconds to wait for the database (default 60; SQLite 0)"
    )
    args = parser.parse_args(argv)

    if args.command == "revision":
        command.revision(alembic_config(), message=args.message)
        return 0
    settings = DatabaseSettings.load()
    engine = build_engine(settings)
    # A SQLite file is there or not: nothing to wait for.
    wait = args.wait if args.wait is not None else (0.0 if settings.is_sqlite else 60.0)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                wait_for_database(engine)
                break
            except UNAVAILABLE_ERRORS as error:
                if time.monotonic() >= deadline:
                    name = error.__class__.__name__
                    print(f"database unavailable: {name}: {error}", file=sys.stderr)
                    return 2
                time.sleep(1)
        with engine.begin() as conn:
            if args.command == "upgrade":
                upgrade_with(conn, args.revision)
            elif args.command == "downgrade":
                command.downgrade(alembic_config(conn), args.revision)
            current = current_revisions(conn)
    finally:
        engine.dispose()
    heads = head_revisions()
    print(f"database at {', '.join(sorted(current)) or 'base'}; code expects {', '.join(heads)}")
    if args.command == "check" and current != heads:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
