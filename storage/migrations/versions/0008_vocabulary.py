"""closed vocabularies: CHECK constraints on the columns holding them

Revision ID: 0008_vocabulary
Revises: 0007_entry_tombstones
"""

from __future__ import annotations

revision = '0008_vocabulary'
down_revision = '0007_entry_tombstones'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
