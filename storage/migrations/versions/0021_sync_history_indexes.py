"""The workers' sync intervals by start, for their pruning (storage/sync_history.py): they
are deleted oldest first after `[worker] keep_history_days`, and without an index each prune
would read the whole table (~26 million rows a day at 50,000 mailboxes, docs/scale.md). And
the runs' streams by stream and run: whether calls are due, asked before every worker's
sync, read every run's streams.

Revision ID: 0021_sync_history_indexes
Revises: 0020_period_totals
"""

from __future__ import annotations

from alembic import op

revision = '0021_sync_history_indexes'
down_revision = '0020_period_totals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_sync_intervals_started_at', 'sync_intervals', ['started_at'])
    op.create_index('ix_sync_run_streams_stream_run', 'sync_run_streams', ['stream', 'run_id'])


def downgrade() -> None:
    op.drop_index('ix_sync_run_streams_stream_run', table_name='sync_run_streams')
    op.drop_index('ix_sync_intervals_started_at', table_name='sync_intervals')
