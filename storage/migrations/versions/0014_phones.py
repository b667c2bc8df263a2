"""contacts get phone numbers (`contact_phones`, E.164, one contact per number) and the
unmatched list lists phone numbers beside addresses (`kind`, `masked`): calls (issue 15)

Revision ID: 0014_phones
Revises: 0013_user_time_zone

A new table and two plain ADD COLUMNs with server defaults (existing rows are addresses,
not masked), so neither back-end rewrites `unmatched_addresses`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014_phones'
down_revision = '0013_user_time_zone'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'contact_phones',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.CheckConstraint("kind in ('phone', 'mobile')", name=op.f('ck_contact_phones_kind')),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                                name=op.f('fk_contact_phones_contact_id_contacts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_phones')),
        sa.UniqueConstraint('number', name=op.f('uq_contact_phones_number')),
    )
    op.create_index(op.f('ix_contact_phones_contact_id'), 'contact_phones', ['contact_id'])
    op.add_column('unmatched_addresses', sa.Column('kind', sa.String(length=8), nullable=False,
                                                   server_default='address'))
    op.add_column('unmatched_addresses', sa.Column('masked', sa.Boolean(), nullable=False,
                                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('unmatched_addresses') as batch:
        batch.drop_column('masked')
        batch.drop_column('kind')
    op.drop_index(op.f('ix_contact_phones_contact_id'), table_name='contact_phones')
    op.drop_table('contact_phones')
