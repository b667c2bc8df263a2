"""Bulk writes of the capture bookkeeping: the captured-items map and unmatched addresses.

Both are upserts (`INSERT … ON CONFLICT`, from `storage.dialect`: a bulk insert of a row per
captured item, a dialect upsert for the addresses), so that two workers writing the same
rows at once on PostgreSQL wait for each other instead of failing. Rows are sorted by their
conflict key so concurrent transactions lock them in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture.context import CaptureContext
from connector.capture.participants import Plan
from connector.capture.state import PageState, chunks
from connector.item_json import item_to_json
from connector.items import Address, GraphEvent, GraphMessage
from storage import dialect
from storage.capture_models import CapturedAddress, CapturedItem, UnmatchedAddress
from storage.vocabulary import ItemKind

ADDRESS_COLUMNS = ("captured_item_id", "address", "domain")

COPY_COLUMNS = ("mailbox", "graph_id", "kind", "key", "is_organizer", "first_seen_at",
                "contact_ids", "item", "subject", "occurred_at", "pending")
COPY_UPDATE = ("key", "contact_ids", "is_organizer", "item", "subject", "occurred_at", "pending")
Source = GraphMessage | GraphEvent
_KINDS = {kind: kind.value for kind in ItemKind}  # plain str: sqlite3 adapts enums slowly


def save_copies(
    session: Session, ctx: CaptureContext, mailbox: str, plans: Sequence[Plan],
    sources: Mapping[str, Source], state: PageState, now: datetime,
) -> None:  # fmt: skip
    """Record each plan's copy: its data (`item`, date, subject), whether it is a meeting
    still to come (`pending`), the contacts it has given entries to, and its external
    participants. Messages already kept are left alone; meetings are rewritten (moved)."""
    rows, rewritten = [], set()
    for plan in plans:
        copy = state.copies.get(plan.graph_id)
        if copy is not None:
            rewritten.add(plan.graph_id)
        pending = plan.kind == ItemKind.MEETING and plan.occurred_at > now
        ids = frozenset() if pending else frozenset(c.id for c in plan.contacts)
        given = ids if copy is None else copy.contact_ids | ids
        if (copy is not None and copy.stored and plan.kind == ItemKind.EMAIL
                and copy.key == plan.key and given == copy.contact_ids):
            continue
        # The entries' subject is kept: a redacted one stays redacted.
        item = item_to_json(sources[plan.graph_id], subject=plan.subject)
        rows.append((mailbox, plan.graph_id, _KINDS[plan.kind], plan.key, plan.is_organizer,
                     now, ",".join(map(str, sorted(given))), item,
                     plan.subject, plan.occurred_at, pending))
    rows.sort(key=lambda r: r[1])  # by graph id: concurrent writers lock in one order
    saved = dialect.bulk_insert(session, cast(sa.Table, CapturedItem.__table__), COPY_COLUMNS,
                                rows, conflict=("mailbox", "graph_id"), update=COPY_UPDATE,
                                returning=("id", "graph_id"))
    _save_addresses(session, ctx, saved, sources, rewritten)
    started = {p.graph_id for p in plans if p.kind == ItemKind.MEETING and p.occurred_at <= now}
    for batch in chunks(sorted(i for i, graph_id in saved if graph_id in started)):
        session.execute(sa.update(CapturedItem).where(CapturedItem.id.in_(batch))
                        .values(due_at=CapturedItem.occurred_at))


def _save_addresses(
    session: Session, ctx: CaptureContext, saved: Sequence[tuple[Any, ...]],
    sources: Mapping[str, Source], rewritten: set[str],
) -> None:  # fmt: skip
    """(Re)write the external participants of the copies just saved."""
    if not saved:
        return
    table = cast(sa.Table, CapturedAddress.__table__)
    ids = sorted(item_id for item_id, graph_id in saved if graph_id in rewritten)
    for batch in chunks(ids):
        session.execute(sa.delete(table).where(table.c.captured_item_id.in_(batch)))
    who = ctx.who
    rows = sorted({(item_id, p.address, p.domain) for item_id, graph_id in saved
                   for p in participants(sources[graph_id]) if not who(p).internal})
    dialect.bulk_insert(session, table, ADDRESS_COLUMNS, rows,
                        conflict=("captured_item_id", "address"))


def participants(item: Source) -> list[Address]:
    """Everyone on an item: sender and recipients, or organiser and attendees (no rooms)."""
    if isinstance(item, GraphMessage):
        people = [item.sender] if item.sender is not None else []
        return [*people, *item.to, *item.cc, *item.bcc]
    people = [item.organizer] if item.organizer is not None else []
    return [*people, *(a.address for a in item.attendees if a.type != "resource")]


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
    session.execute(unmatched_upsert(session), rows)
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


def unmatched_upsert(session: Session) -> Any:
    """The one upsert of unmatched addresses: counts add up, first and last seen widen
    (also used for the numbers seen in calls, `connector/calls/write.py`). Built once per
    dialect (building it again cost ~1 ms a page)."""
    return dialect.built_once(session, ("capture.unmatched",), lambda: _unmatched(session))


def _unmatched(session: Session) -> Any:
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
