"""Journey records and notifications, as create_all made them before migrations

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.schema import CreateIndex, CreateTable

from activities.migrations import baseline

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same statements, in the same order, as create_all: each table, then its indexes.
    # op.execute (not create_all) so that `cpj db upgrade --sql` can print them too.
    for table in baseline.metadata().sorted_tables:
        op.execute(CreateTable(table))
        for index in sorted(table.indexes, key=lambda index: index.name or ""):
            op.execute(CreateIndex(index))


def downgrade() -> None:
    for table in reversed(baseline.metadata().sorted_tables):
        op.drop_table(table.name)
