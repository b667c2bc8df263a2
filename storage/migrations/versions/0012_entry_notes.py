"""entries get a note (NAV's comment lines, one per line) and an index for a company's
entries (its own and its persons', NAV's roll-up)

Revision ID: 0012_entry_notes
Revises: 0011_captured_canceled

`note` is added with a server default of '' so that existing rows get an empty note; the
writers always give it. Both are plain ADD COLUMN / CREATE INDEX: on SQLite the table is
not rebuilt, so its AUTOINCREMENT sequence is untouched (nor by the downgrade's DROP COLUMN,
which SQLite 3.35+ does in place).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012_entry_notes'
down_revision = '0011_captured_canceled'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('interaction_log_entries',
                  sa.Column('note', sa.Text(), nullable=False, server_default=''))
    op.create_index('ix_entries_company_date', 'interaction_log_entries',
                    ['contact_company_no', 'occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_entries_company_date', table_name='interaction_log_entries')
    # SQLite 3.35+ drops a column in place (no rebuild, the sequence stays).
    op.drop_column('interaction_log_entries', 'note')
