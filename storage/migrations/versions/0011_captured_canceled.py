"""captured meetings remember when they were canceled: a contact added later gets a meeting
canceled after it started as a canceled entry, and nothing of one canceled before

Revision ID: 0011_captured_canceled
Revises: 0010_captured_data
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_captured_canceled'
down_revision = '0010_captured_data'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('captured_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('canceled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('captured_items', schema=None) as batch_op:
        batch_op.drop_column('due_at')
        batch_op.drop_column('canceled_at')
