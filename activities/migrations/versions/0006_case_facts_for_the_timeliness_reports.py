"""Case facts for the timeliness reports and the census: one row per journey, kept by the record writer

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel  # autogenerate names the models' column types (sqlmodel.sql.sqltypes.AutoString)


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_facts',
    sa.Column('journey', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('case_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('profile_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('journey')
    )
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_facts_case_ref'), ['case_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_facts_profile_id'), ['profile_id'], unique=False)
    # Existing records are folded by `cpj report rebuild` (README, "Timeliness reports"), not here: a
    # migration that read every record would hold the upgrade (and the worker's start) for as long.


def downgrade() -> None:
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_facts_profile_id'))
        batch_op.drop_index(batch_op.f('ix_case_facts_case_ref'))

    op.drop_table('case_facts')
