"""Teams conversation references (proactive outcome cards) and the cards offered

Revision ID: 0017_teams_conversations
Revises: 0016_entry_day_totals

`teams_conversations`: one row per user who installed the app in their personal scope
(where a proactive card goes), with their outcome-card setting and the last card's time.
`outcome_offers`: one row per entry ever offered in an outcome card (issue 15 item 3).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017_teams_conversations'
down_revision = '0016_entry_day_totals'
branch_labels = None
depends_on = None

STATES = ('offering', 'sent', 'failed')


def upgrade() -> None:
    op.create_table(
        'teams_conversations',
        sa.Column('aad_object_id', sa.String(length=64), nullable=False),
        sa.Column('tenant_id', sa.String(length=64), nullable=False),
        sa.Column('service_url', sa.String(length=500), nullable=False),
        sa.Column('conversation_id', sa.String(length=500), nullable=False),
        sa.Column('user_id', sa.String(length=200), nullable=False),
        sa.Column('bot_id', sa.String(length=200), nullable=False),
        sa.Column('channel_id', sa.String(length=40), nullable=False),
        sa.Column('locale', sa.String(length=20), nullable=False),
        sa.Column('installed_at', sa.DateTime(), nullable=False),
        sa.Column('cards_since', sa.DateTime(), nullable=True),
        sa.Column('last_card_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('aad_object_id', name=op.f('pk_teams_conversations')),
    )
    allowed = ', '.join(f"'{word}'" for word in STATES)
    op.create_table(
        'outcome_offers',
        sa.Column('entry_no', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('aad_object_id', sa.String(length=64), nullable=False),
        sa.Column('offered_at', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('activity_id', sa.String(length=200), nullable=False),
        sa.CheckConstraint(f'state in ({allowed})', name=op.f('ck_outcome_offers_state')),
        sa.PrimaryKeyConstraint('entry_no', name=op.f('pk_outcome_offers')),
    )
    op.create_index(op.f('ix_outcome_offers_aad_object_id'), 'outcome_offers',
                    ['aad_object_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outcome_offers_aad_object_id'), table_name='outcome_offers')
    op.drop_table('outcome_offers')
    op.drop_table('teams_conversations')
