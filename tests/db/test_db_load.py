"""The database locustfiles run clean against the stack on PostgreSQL (a short, bounded run)."""

from __future__ import annotations

from pathlib import Path

from devtools.native_db import NativePostgres
from devtools.native_stack import NativeStack
from tests.db.pgcheck import fresh_database, migrate
from tests.loadtests.helpers import LOCUSTFILES, SHAPES, run_locust
from tests.support.prereqs import require_executable

DB_REQUESTS = {
    "db_read /api/items?limit=[n]",
    "db_read /api/items/[id]",
    "db_write post /api/items",
    "db_write patch /api/items/[id]",
    "db_write delete /api/items/[id]",
}


def test_db_shapes_run_without_failures(postgres: NativePostgres, tmp_path: Path) -> None:
    require_executable("nginx")
    url = fresh_database(postgres)
    assert migrate(url, "upgrade").returncode == 0
    only_db = {f"LOAD_WEIGHT_{shape.upper()}": "0" for shape in SHAPES}
    only_db |= {"LOAD_WEIGHT_DB_READ": "1", "LOAD_WEIGHT_DB_WRITE": "1"}
    with NativeStack(app_env={"DATABASE_URL": url}, run_dir=tmp_path / "stack") as stack:
        run = run_locust(stack.url, tmp_path, locustfile=LOCUSTFILES, users=4, env=only_db)
    assert run.returncode == 0, run.output[-3000:]
    rows = run.rows()
    assert set(rows) == DB_REQUESTS
    assert all(row["failures"] == 0 and row["requests"] > 0 for row in rows.values()), rows
