"""users get their own time zone (`[[user]] time_zone`): the bot reads and shows dates in it
when the Teams client does not say its own

Revision ID: 0013_user_time_zone
Revises: 0012_entry_notes

A plain ADD COLUMN with a server default of '' (no zone: the server's), so existing rows
need no rewrite and SQLite does not rebuild the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013_user_time_zone'
down_revision = '0012_entry_notes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('time_zone', sa.String(length=64), nullable=False,
                                     server_default=''))


def downgrade() -> None:
    op.drop_column('users', 'time_zone')
