"""The register: cases linked to their child's NHS number and UPRN, enquiries, and who was told of each

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel  # the models' column types (sqlmodel.sql.sqltypes.AutoString, UTCDateTime)


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('register_child_link',
    sa.Column('case_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('nhs_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('uprn', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('linked_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('linked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('case_ref')
    )
    with op.batch_alter_table('register_child_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_child_link_nhs_number'), ['nhs_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_register_child_link_uprn'), ['uprn'], unique=False)

    op.create_table('register_enquiry',
    sa.Column('enquiry_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('enquirer', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('profession', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('nhs_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('uprn', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('case_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('key_worker', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('advice', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('enquiry_id')
    )
    with op.batch_alter_table('register_enquiry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_enquiry_nhs_number'), ['nhs_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_register_enquiry_outcome'), ['outcome'], unique=False)

    op.create_table('register_notice',
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('enquiry_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recipient_role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('staff_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('case_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('why', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('reference')
    )
    with op.batch_alter_table('register_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_notice_enquiry_id'), ['enquiry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_register_notice_staff_ref'), ['staff_ref'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('register_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_notice_staff_ref'))
        batch_op.drop_index(batch_op.f('ix_register_notice_enquiry_id'))
    op.drop_table('register_notice')
    with op.batch_alter_table('register_enquiry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_enquiry_outcome'))
        batch_op.drop_index(batch_op.f('ix_register_enquiry_nhs_number'))
    op.drop_table('register_enquiry')
    with op.batch_alter_table('register_child_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_child_link_uprn'))
        batch_op.drop_index(batch_op.f('ix_register_child_link_nhs_number'))
    op.drop_table('register_child_link')
