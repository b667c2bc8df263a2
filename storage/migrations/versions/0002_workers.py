"""workers, leases, subscriptions

Revision ID: 0002_workers
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_workers'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('graph_subscriptions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('mailbox', sa.String(length=254), nullable=False),
    sa.Column('resource', sa.String(length=400), nullable=False),
    sa.Column('client_state', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('renewed_at', sa.DateTime(), nullable=True),
    sa.Column('pending_action', sa.String(length=10), nullable=True),
    sa.CheckConstraint("pending_action in ('renew', 'recreate')", name=op.f('ck_graph_subscriptions_pending_action')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_graph_subscriptions'))
    )
    with op.batch_alter_table('graph_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_graph_subscriptions_mailbox'), ['mailbox'], unique=False)

    op.create_table('mailbox_leases',
    sa.Column('mailbox', sa.String(length=254), nullable=False),
    sa.Column('sync_requested_at', sa.DateTime(), nullable=True),
    sa.Column('requested_count', sa.Integer(), nullable=False),
    sa.Column('leased_by', sa.String(length=120), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_request_at', sa.DateTime(), nullable=True),
    sa.Column('last_synced_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('not_before', sa.DateTime(), nullable=True),
    sa.Column('sync_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('mailbox', name=op.f('pk_mailbox_leases'))
    )
    with op.batch_alter_table('mailbox_leases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailbox_leases_sync_requested_at'), ['sync_requested_at'], unique=False)

    op.create_table('sync_intervals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox', sa.String(length=254), nullable=False),
    sa.Column('worker_id', sa.String(length=120), nullable=False),
    sa.Column('trigger', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_intervals'))
    )
    with op.batch_alter_table('sync_intervals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_intervals_mailbox'), ['mailbox'], unique=False)

    op.create_table('workers',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.Column('stopped_at', sa.DateTime(), nullable=True),
    sa.Column('current_mailbox', sa.String(length=254), nullable=True),
    sa.Column('syncs_done', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workers'))
    )


def downgrade() -> None:
    op.drop_table('workers')
    with op.batch_alter_table('sync_intervals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_intervals_mailbox'))

    op.drop_table('sync_intervals')
    with op.batch_alter_table('mailbox_leases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailbox_leases_sync_requested_at'))

    op.drop_table('mailbox_leases')
    with op.batch_alter_table('graph_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_graph_subscriptions_mailbox'))

    op.drop_table('graph_subscriptions')
