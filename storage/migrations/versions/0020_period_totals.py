"""per-month and per-year totals beside the per-day ones (`entry_day_totals`, grains 4–7),
so that the statistics' rankings of contacts and salespeople over whole months or years read
one row per contact (or salesperson, user and template) and period (issue 14)

Revision ID: 0020_period_totals
Revises: 0019_entry_indexes

No schema change: the new grains are rows of the same table, kept by the same writers
(`storage.aggregates.apply`). The table is rebuilt from the entries here (what `interlog
stats rebuild` does), so an upgraded database holds the new grains at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = '0020_period_totals'
down_revision = '0019_entry_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from storage.aggregates import rebuild

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM entry_day_totals WHERE grain > 3"))
