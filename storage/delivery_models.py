"""The Teams deliveries already acted on: one row per activity (or outgoing-webhook body).

Teams redelivers an activity when the bot is slow, and an outgoing webhook's signed body can
be replayed: the row, inserted in the same transaction as the command's writes, makes the
second delivery read the first one's answer instead of acting again (`storage/deliveries.py`).
Rows are kept for `storage.deliveries.RETENTION`, then purged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow
from storage.vocabulary import DeliveryChannel, check_in


class ActivityDelivery(Base):
    """One delivery key, and the answer given to its first delivery."""

    __tablename__ = "activity_deliveries"

    # sha256 hex: of channel + conversation id + activity id (Bot Framework), or of the
    # exact body bytes (outgoing webhook: the HMAC covers the body, not an id).
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The reply given the first time (its text, its Adaptive Card or NULL), and the entry
    # numbers that delivery created or changed ([] for read-only commands).
    answer_text: Mapped[str] = mapped_column(sa.Text, default="")
    answer_card: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    entry_nos: Mapped[list[int]] = mapped_column(sa.JSON, default=list)

    __table_args__ = (check_in("channel", DeliveryChannel),)

    def __repr__(self) -> str:
        return (f"ActivityDelivery(key={self.key!r}, channel={self.channel!r}, "
                f"received_at={self.received_at!r}, entry_nos={self.entry_nos!r})")
