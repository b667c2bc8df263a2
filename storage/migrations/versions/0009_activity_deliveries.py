"""activity deliveries: each Teams activity and outgoing-webhook body is acted on once

Revision ID: 0009_activity_deliveries
Revises: 0008_vocabulary

One row per delivery key (a sha256 of the conversation and activity ids, or of a webhook's
body), inserted in the same transaction as the command's writes, holding the answer given
the first time. Rows older than the retention are purged by the bot (`received_at` index).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_activity_deliveries'
down_revision = '0008_vocabulary'
branch_labels = None
depends_on = None

CHANNELS = ('teams', 'teams-webhook')


def upgrade() -> None:
    allowed = ', '.join(f"'{word}'" for word in CHANNELS)
    op.create_table(
        'activity_deliveries',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('answer_text', sa.Text(), nullable=False),
        sa.Column('answer_card', sa.JSON(), nullable=True),
        sa.Column('entry_nos', sa.JSON(), nullable=False),
        sa.CheckConstraint(f'channel in ({allowed})',
                           name=op.f('ck_activity_deliveries_channel')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_activity_deliveries')),
    )
    with op.batch_alter_table('activity_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_deliveries_received_at'),
                              ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activity_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_deliveries_received_at'))
    op.drop_table('activity_deliveries')
