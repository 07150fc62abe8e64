"""Create the items table, seeded with the example catalogue.

Revision 0001, the first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# The three items the service shipped with in memory: the pages, the docs and the load shapes
# (GET /api/items/1..3) keep working on a fresh database.
SEED = [
    {"id": 1, "name": "Widget", "quantity": 12},
    {"id": 2, "name": "Gadget", "quantity": 0},
    {"id": 3, "name": "Sprocket", "quantity": 250},
]


def upgrade() -> None:
    items = op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("name", name="items_name_key"),
        sa.CheckConstraint("quantity >= 0", name="items_quantity_not_negative"),
    )
    op.bulk_insert(items, SEED)
    if op.get_bind().dialect.name == "postgresql":
        # Explicit ids do not advance PostgreSQL's sequence; the next insert would take id 1.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))"
        )


def downgrade() -> None:
    op.drop_table("items")
