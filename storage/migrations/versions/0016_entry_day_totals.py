"""per-day totals of the active entries, kept by the writers (`entry_day_totals`, three
grains), and indexes that page a contact's, a company's and a template's entries by entry
number (issue 14)

Revision ID: 0016_entry_day_totals
Revises: 0014_phones

The table starts empty and is filled from the entries here (what `interlog stats rebuild`
does), so an upgraded database answers its statistics at once. The indexes are plain
CREATE INDEX (on a large PostgreSQL log, build them beforehand with CREATE INDEX
CONCURRENTLY under the same names to keep writers going).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = '0016_entry_day_totals'
down_revision = '0014_phones'
branch_labels = None
depends_on = None

ENTRY_INDEXES = {
    'ix_entries_contact_no': ['contact_id', 'entry_no'],
    'ix_entries_company_no': ['contact_company_no', 'entry_no'],
    'ix_entries_template_no': ['template_code', 'entry_no'],
}


def upgrade() -> None:
    op.create_table(
        'entry_day_totals',
        sa.Column('grain', sa.SmallInteger(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('contact_no', sa.String(length=20), nullable=False),
        sa.Column('company_no', sa.String(length=20), nullable=False),
        sa.Column('template_code', sa.String(length=10), nullable=False),
        sa.Column('group_code', sa.String(length=10), nullable=False),
        sa.Column('information_flow', sa.String(length=8), nullable=False),
        sa.Column('salesperson_code', sa.String(length=20), nullable=False),
        sa.Column('user_upn', sa.String(length=254), nullable=False),
        sa.Column('slot', sa.SmallInteger(), nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.Column('cost', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('duration_min', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('reached', sa.Integer(), nullable=False),
        sa.Column('attempted', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('grain', 'day', 'contact_id', 'contact_no', 'company_no',
                                'template_code', 'group_code', 'information_flow',
                                'salesperson_code', 'user_upn', 'slot',
                                name=op.f('pk_entry_day_totals')),
    )
    op.create_index('ix_entry_day_totals_contact', 'entry_day_totals',
                    ['grain', 'contact_id', 'day'])
    op.create_index('ix_entry_day_totals_company', 'entry_day_totals',
                    ['grain', 'company_no', 'day'])
    op.create_index('ix_entry_day_totals_salesperson', 'entry_day_totals',
                    ['grain', 'salesperson_code', 'day'])
    for name, columns in ENTRY_INDEXES.items():
        op.create_index(name, 'interaction_log_entries', columns)
    from storage.aggregates import rebuild

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    for name in ENTRY_INDEXES:
        op.drop_index(name, table_name='interaction_log_entries')
    op.drop_index('ix_entry_day_totals_salesperson', table_name='entry_day_totals')
    op.drop_index('ix_entry_day_totals_company', table_name='entry_day_totals')
    op.drop_index('ix_entry_day_totals_contact', table_name='entry_day_totals')
    op.drop_table('entry_day_totals')
