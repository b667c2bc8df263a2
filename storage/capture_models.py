"""Tables of the capture domain: which Graph items were captured, and addresses nobody matched.

`CapturedItem` maps one mailbox's copy of a message or event (`mailbox`, `graph_id`) to the
key its entries are deduplicated on (`internetMessageId` or `iCalUId`) and remembers which
contacts that copy has already given entries to, and `DeletedEntryKey` remembers the keys
of captured entries deleted with `entries delete-canceled`, so that neither a re-sync nor
another mailbox's copy ever brings back an entry someone canceled and deleted.
`CapturedItem` also keeps the item itself (`item`: the parsed message or event as JSON, see
`connector/item_json.py`), its date and, for a meeting that has not started yet, `pending`:
capture plans it again from this data when it starts, with no Graph request. Its external
participants are indexed in `CapturedAddress`, so that the items involving an address or a
domain are found without reading the items.
`UnmatchedAddress` keeps every external address that would have been logged had it matched
a contact, for an admin to review.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, utcnow
from storage.vocabulary import ItemKind, check_in


class CapturedItem(Base):
    """One mailbox's copy of a captured message or event."""

    __tablename__ = "captured_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(sa.String(254))  # lower-case UPN
    graph_id: Mapped[str] = mapped_column(sa.String(512))  # case-sensitive (immutable id)
    kind: Mapped[str] = mapped_column(sa.String(8))  # email | meeting
    key: Mapped[str] = mapped_column(sa.String(500), index=True)  # internetMessageId / iCalUId
    is_organizer: Mapped[bool] = mapped_column(default=False)  # the organizer's own copy
    # Sorted, comma-separated ids of the contacts this copy has given entries to.
    contact_ids: Mapped[str] = mapped_column(sa.Text, default="")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The item as last captured (`connector/item_json.py`); None for copies captured before
    # migration 0010. Its subject is the one the entries get (`Private` when redacted).
    item: Mapped[str | None] = mapped_column(sa.Text)
    subject: Mapped[str] = mapped_column(sa.String(250), default="")
    occurred_at: Mapped[datetime | None] = mapped_column(index=True)  # naive UTC; mail: its date
    # A meeting not started when last captured: its entries are still to come (it is upcoming).
    pending: Mapped[bool] = mapped_column(default=False)
    # When capture saw the meeting canceled in Outlook or deleted by its organizer (naive
    # UTC); None while it stands. A copy canceled while `pending` stays pending: it never
    # happened, and a contact added later gets nothing of it (`connector/capture/past.py`).
    canceled_at: Mapped[datetime | None]
    # A meeting's start when it was last read started (naive UTC): moved into the future
    # afterwards, a contact added meanwhile is logged at this date, as the others were.
    due_at: Mapped[datetime | None]

    __table_args__ = (
        sa.UniqueConstraint("mailbox", "graph_id"),
        check_in("kind", ItemKind),
        sa.Index("ix_captured_items_pending_occurred_at", "pending", "occurred_at"),
    )

    def __repr__(self) -> str:
        return f"CapturedItem(mailbox={self.mailbox!r}, kind={self.kind!r}, key={self.key!r})"


class CapturedAddress(Base):
    """An external participant of a captured copy (sender, recipients, organiser, attendees)."""

    __tablename__ = "captured_addresses"

    captured_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("captured_items.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(254), primary_key=True, index=True)  # lower
    domain: Mapped[str] = mapped_column(sa.String(253), index=True)

    def __repr__(self) -> str:
        return f"CapturedAddress({self.captured_item_id!r}, {self.address!r})"


class DeletedEntryKey(Base):
    """A tombstone: a captured entry `entries delete-canceled` deleted.

    Capture never re-creates an entry whose dedupe key (`kind`, `key`, `contact_id`) has a
    tombstone — not even from another colleague's copy of the same message synced later.
    """

    __tablename__ = "deleted_entry_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # email | meeting
    key: Mapped[str] = mapped_column(sa.String(500))  # internetMessageId / iCalUId
    contact_id: Mapped[int]  # no foreign key: the tombstone outlives the contact
    entry_no: Mapped[int]  # the entry that was deleted (for the audit trail)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("key", "kind", "contact_id"),
        check_in("kind", ItemKind),
    )

    def __repr__(self) -> str:
        return f"DeletedEntryKey({self.kind!r}, {self.key!r}, contact={self.contact_id!r})"


class UnmatchedAddress(Base):
    """An external address seen in captured traffic that matched no contact and no company."""

    __tablename__ = "unmatched_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(254), unique=True)  # lower-case
    domain: Mapped[str] = mapped_column(sa.String(253), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")  # display name, first seen
    count: Mapped[int] = mapped_column(default=1)  # distinct messages / meetings
    first_seen_at: Mapped[datetime]  # naive UTC, when the traffic happened
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    mailbox: Mapped[str] = mapped_column(sa.String(254))  # where it was first seen
    example_subject: Mapped[str] = mapped_column(sa.String(250), default="")
    # address (mail, meetings) or phone (calls: `address` holds the E.164 number; masked:
    # Microsoft hid its last digits, so it can never match a contact). Migration 0014.
    kind: Mapped[str] = mapped_column(sa.String(8), default="address", server_default="address")
    masked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    def __repr__(self) -> str:
        return f"UnmatchedAddress(address={self.address!r}, count={self.count!r})"


def list_unmatched(
    session: Session, *, domain: str | None = None, limit: int | None = None
) -> list[UnmatchedAddress]:
    """Unmatched addresses, most frequent first (then most recently seen)."""
    stmt = sa.select(UnmatchedAddress)
    if domain:
        stmt = stmt.where(UnmatchedAddress.domain == domain.strip().lower().lstrip("@"))
    stmt = stmt.order_by(UnmatchedAddress.count.desc(), UnmatchedAddress.last_seen_at.desc(),
                         UnmatchedAddress.address)
    return list(session.scalars(stmt.limit(limit)))


def unmatched_to_json(row: UnmatchedAddress) -> dict[str, object]:
    return {
        "address": row.address,
        "name": row.name,
        "domain": row.domain,
        "count": row.count,
        "first_seen": row.first_seen_at.isoformat(timespec="seconds"),
        "last_seen": row.last_seen_at.isoformat(timespec="seconds"),
        "mailbox": row.mailbox,
        "example_subject": row.example_subject,
        "kind": row.kind,  # address | phone (calls: docs/calls.md)
        "masked": row.masked,
    }
