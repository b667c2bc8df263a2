"""The entries' indexes: one to page a date range day by day, fewer to write (issue 14)

Revision ID: 0019_entry_indexes
Revises: 0018_lease_indexes

`ix_entries_day_no` (PostgreSQL only: the UTC day of `occurred_at`, a naive-UTC timestamp,
then the entry number) lets a page of a date range read each day's first entries by number
(storage/entry_days.py) instead of walking back past every newer entry.

Dropped, as every capture writes each index: the single-column indexes on `contact_id` and
`template_code` (the first column of `ix_entries_contact_no`/`ix_entries_contact_date` and
`ix_entries_template_no`, which serve the same lookups), and the index on `canceled`,
replaced by `ix_entries_canceled_no`, the entry numbers of the canceled entries only (an
active entry costs it nothing). `ix_entries_company_date` and `ix_entries_contact_date` stay:
a company's or a contact's entries in a date range read just the range through them (a
company's November in a 10M log: 1.3 ms, against 25 ms through `ix_entries_company_no`).

On a large PostgreSQL log, build the new indexes beforehand with CREATE INDEX CONCURRENTLY
under the same names to keep writers going.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019_entry_indexes'
down_revision = '0018_lease_indexes'
branch_labels = None
depends_on = None

TABLE = 'interaction_log_entries'
DROPPED = {
    'ix_interaction_log_entries_contact_id': ['contact_id'],
    'ix_interaction_log_entries_template_code': ['template_code'],
    'ix_interaction_log_entries_canceled': ['canceled'],
}


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade() -> None:
    if _postgresql():
        op.create_index('ix_entries_day_no', TABLE, [sa.text('(occurred_at::date)'), 'entry_no'])
    op.create_index('ix_entries_canceled_no', TABLE, ['entry_no'],
                    postgresql_where=sa.text('canceled IS true'),
                    sqlite_where=sa.text('canceled IS 1'))
    for name in DROPPED:
        op.drop_index(name, table_name=TABLE)


def downgrade() -> None:
    for name, columns in DROPPED.items():
        op.create_index(name, TABLE, columns)
    op.drop_index('ix_entries_canceled_no', table_name=TABLE)
    if _postgresql():
        op.drop_index('ix_entries_day_no', table_name=TABLE)
