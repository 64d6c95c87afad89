"""The records schema as ``SQLModel.metadata.create_all`` made it before migrations: frozen, never edited.

Revision 0001 creates exactly these tables, and a database made the old way is adopted
(stamped at 0001) only when its tables are these. Later changes are later revisions.
"""

from __future__ import annotations

import sqlalchemy as sa

REVISION = "0001"


def metadata() -> sa.MetaData:
    schema = sa.MetaData()
    sa.Table(
        "journey_record", schema,
        sa.Column("key", sa.String(), primary_key=True, nullable=False),
        sa.Column("case_ref", sa.String(), nullable=False, index=True),
        sa.Column("workflow_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False, index=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "notification", schema,
        sa.Column("reference", sa.String(), primary_key=True, nullable=False),
        sa.Column("case_ref", sa.String(), nullable=False, index=True),
        sa.Column("workflow_id", sa.String(), nullable=False),
        sa.Column("template", sa.String(), nullable=False),
        sa.Column("recipient_role", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    return schema
