"""activity deliveries: each Teams activity and outgoing-webhook body is acted on once

Revision ID: 0009_activity_deliveries
Revises: 0008_vocabulary
"""

from __future__ import annotations

revision = '0009_activity_deliveries'
down_revision = '0008_vocabulary'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the change that adds the deliveries table


def downgrade() -> None:
    pass
