"""captured data: keep each captured item, its date and participants; pending meetings

Revision ID: 0010_captured_data
Revises: 0009_activity_deliveries
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_captured_data'
down_revision = '0009_activity_deliveries'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('captured_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('subject', sa.String(length=250), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('occurred_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('pending', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_captured_items_occurred_at'), ['occurred_at'],
                              unique=False)
        batch_op.create_index('ix_captured_items_pending_occurred_at', ['pending', 'occurred_at'],
                              unique=False)

    op.create_table('captured_addresses',
    sa.Column('captured_item_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.ForeignKeyConstraint(['captured_item_id'], ['captured_items.id'], name=op.f('fk_captured_addresses_captured_item_id_captured_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('captured_item_id', 'address', name=op.f('pk_captured_addresses'))
    )
    with op.batch_alter_table('captured_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_captured_addresses_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_captured_addresses_domain'), ['domain'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('captured_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_captured_addresses_domain'))
        batch_op.drop_index(batch_op.f('ix_captured_addresses_address'))
    op.drop_table('captured_addresses')
    with op.batch_alter_table('captured_items', schema=None) as batch_op:
        batch_op.drop_index('ix_captured_items_pending_occurred_at')
        batch_op.drop_index(batch_op.f('ix_captured_items_occurred_at'))
        batch_op.drop_column('pending')
        batch_op.drop_column('occurred_at')
        batch_op.drop_column('subject')
        batch_op.drop_column('item')
