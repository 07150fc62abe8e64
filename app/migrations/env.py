"""Alembic's entry point: run the revision scripts on one connection, online only.

``python -m app.migrate`` hands over its connection (``config.attributes["connection"]``); the
plain ``alembic`` command gets none, and an engine is built from the ``DATABASE_*`` variables.
Offline SQL generation is not offered: every deployment here migrates a live database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from app.db import DatabaseSettings, build_engine, metadata


def migrate_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported; connect to a database")
    given: Connection | None = context.config.attributes.get("connection")
    if given is not None:
        migrate_on(given)
        return
    engine = build_engine(DatabaseSettings.load())
    try:
        with engine.connect() as connection:
            migrate_on(connection)
            connection.commit()
    finally:
        engine.dispose()


main()
