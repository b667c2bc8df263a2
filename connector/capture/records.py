"""Bulk writes of the capture bookkeeping: the captured-items map and unmatched addresses.

Both are upserts (`INSERT … ON CONFLICT`, from `storage.dialect`: a bulk insert of a row per
captured item, a dialect upsert for the addresses), so that two workers writing the same
rows at once on PostgreSQL wait for each other instead of failing. Rows are sorted by their
conflict key so concurrent transactions lock them in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture.participants import Plan
from connector.capture.state import Copy, PageState, chunks
from storage import dialect
from storage.capture_models import CapturedItem, UnmatchedAddress
from storage.models import utcnow

COPY_COLUMNS = ("mailbox", "graph_id", "kind", "key", "is_organizer", "first_seen_at",
                "contact_ids")


def save_copies(session: Session, mailbox: str, plans: Sequence[Plan], state: PageState) -> None:
    """Record each plan's copy and the contacts it has given entries to (changed rows only)."""
    now = utcnow()
    rows = []
    for plan in plans:
        copy = state.copies.get(plan.graph_id)
        ids = frozenset(c.id for c in plan.contacts)
        given = ids if copy is None else copy.contact_ids | ids
        if copy is not None and copy.key == plan.key and given == copy.contact_ids:
            continue
        rows.append((mailbox, plan.graph_id, plan.kind.value, plan.key, plan.is_organizer, now,
                     ",".join(str(i) for i in sorted(given))))
        state.copies[plan.graph_id] = Copy(plan.graph_id, plan.kind, plan.key,
                                           plan.is_organizer, given)
    rows.sort(key=lambda r: r[1])  # by graph id: concurrent writers lock in one order
    dialect.bulk_insert(session, cast(sa.Table, CapturedItem.__table__), COPY_COLUMNS, rows,
                        conflict=("mailbox", "graph_id"),
                        update=("key", "contact_ids", "is_organizer"))


@dataclass
class Sighting:
    address: str
    name: str
    when: datetime
    subject: str
    counts: bool  # the item is new everywhere: add one to the address's count


def record_unmatched(session: Session, mailbox: str, sightings: Sequence[Sighting]) -> int:
    """Upsert unmatched addresses; returns how many were seen in items new everywhere."""
    merged: dict[str, Sighting] = {}
    counted: dict[str, int] = {}
    for s in sightings:
        counted[s.address] = counted.get(s.address, 0) + int(s.counts)
        seen = merged.get(s.address)
        if seen is None or s.when > seen.when:
            merged[s.address] = s
    rows = [
        {"address": a, "domain": a.rpartition("@")[2], "name": s.name[:200],
         "count": counted[a], "first_seen_at": s.when, "last_seen_at": s.when,
         "mailbox": mailbox, "example_subject": s.subject[:250]}
        for a, s in sorted(merged.items())
    ]
    if not rows:
        return 0
    session.execute(_unmatched_upsert(session), rows)
    # An address new to the table but found in an item already captured in another mailbox
    # was inserted with count 0 (the count is of distinct messages / meetings): make it 1.
    # These rows are already locked by the upsert above, so no new lock order arises.
    fresh = [r["address"] for r in rows if r["count"] == 0]
    for batch in chunks(fresh):
        session.execute(
            sa.update(UnmatchedAddress)
            .where(UnmatchedAddress.address.in_(batch), UnmatchedAddress.count == 0)
            .values(count=1)
        )
    return len(rows) - len(fresh)


def _unmatched_upsert(session: Session) -> Any:
    u = cast(sa.Table, UnmatchedAddress.__table__).c  # Core: no ORM bulk machinery per row
    stmt = dialect.upsert(session, UnmatchedAddress.__table__)
    x = stmt.excluded
    least, greatest = dialect.least(session), dialect.greatest(session)
    return stmt.on_conflict_do_update(
        index_elements=["address"],
        set_={
            "count": u.count + x.count,
            "first_seen_at": least(u.first_seen_at, x.first_seen_at),
            "last_seen_at": greatest(u.last_seen_at, x.last_seen_at),
        },
    )
