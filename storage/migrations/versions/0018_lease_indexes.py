"""Indexes for the mailbox queue's next-due queries

Revision ID: 0018_lease_indexes
Revises: 0017_teams_conversations

`leases.take_next` finds the next due mailbox with LIMIT 1 queries that each walk one index
(expired leases, pending requests, oldest sync) instead of sorting the whole queue on an
expression, so its cost stays flat as the tenant grows (issue 14 item 4).
"""

from __future__ import annotations

from alembic import op

revision = '0018_lease_indexes'
down_revision = '0017_teams_conversations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mailbox_leases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailbox_leases_last_synced_at'),
                              ['last_synced_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailbox_leases_lease_expires_at'),
                              ['lease_expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mailbox_leases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailbox_leases_lease_expires_at'))
        batch_op.drop_index(batch_op.f('ix_mailbox_leases_last_synced_at'))
