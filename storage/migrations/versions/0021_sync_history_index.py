"""The workers' sync intervals by start, for their pruning (storage/sync_history.py): they
are deleted oldest first after `[worker] keep_history_days`, and without an index each prune
would read the whole table (~26 million rows a day at 50,000 mailboxes, docs/scale.md).

Revision ID: 0021_sync_history_index
Revises: 0020_period_totals
"""

from __future__ import annotations

from alembic import op

revision = '0021_sync_history_index'
down_revision = '0020_period_totals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_sync_intervals_started_at', 'sync_intervals', ['started_at'])


def downgrade() -> None:
    op.drop_index('ix_sync_intervals_started_at', table_name='sync_intervals')
