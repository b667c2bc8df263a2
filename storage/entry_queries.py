"""Interaction log queries: the entries window's filters, its totals, an entry as JSON.

Every function takes the caller's `Session` and only reads. The writes are in
`storage/entry_writes.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.errors import InterlogError
from storage.models import Contact, InteractionLogEntry
from storage.vocabulary import ContactType


@dataclass(frozen=True)
class EntryFilter:
    """The filters of the Interaction Log Entries window; `None` means any.

    `company_no` selects a company's entries as NAV rolls them up: the company contact's own
    and those of its persons (each entry keeps the company its contact had when logged).
    `evaluation` "" selects the entries not evaluated yet.
    """

    contact_id: int | None = None
    company_no: str | None = None
    template_code: str | None = None
    group_code: str | None = None
    salesperson_code: str | None = None
    user_upn: str | None = None
    source: str | None = None
    status: str = "all"  # active | canceled | all
    since: date | None = None
    until: date | None = None  # inclusive
    document_no: str | None = None
    evaluation: str | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        if self.status not in ("active", "canceled", "all"):
            raise InterlogError(f"status {self.status!r}: expected active, canceled or all")
        e = InteractionLogEntry
        clauses: list[sa.ColumnElement[bool]] = []
        equal = {
            e.contact_id: self.contact_id,
            e.template_code: self.template_code.upper() if self.template_code else None,
            e.group_code: self.group_code.upper() if self.group_code else None,
            e.salesperson_code: self.salesperson_code,
            e.user_upn: self.user_upn.lower() if self.user_upn else None,
            e.source: self.source,
            e.document_no: self.document_no,
            e.evaluation: self.evaluation,
        }
        clauses += [column == value for column, value in equal.items() if value is not None]
        if self.company_no is not None:
            clauses.append(company_entries(self.company_no))
        if self.status == "active":
            clauses.append(not_canceled())
        elif self.status == "canceled":
            clauses.append(e.canceled.is_(True))
        if self.since is not None:
            clauses.append(e.occurred_at >= datetime.combine(self.since, time()))
        if self.until is not None and self.until < date.max:  # date.max: no end (+1 day overflows)
            clauses.append(e.occurred_at < datetime.combine(self.until + timedelta(days=1), time()))
        return clauses


def not_canceled() -> sa.ColumnElement[bool]:
    """The active entries: `canceled IS NOT true`, which no index serves. Nearly every entry
    is active, and SQLite, with no statistics, would otherwise read them all through the
    index on `canceled` (`canceled = 0`) instead of the filter's own index (a company's, a
    contact's): 39 → 3 ms for a company's totals in 100,000 entries (bench/company_bench.py).
    """
    return InteractionLogEntry.canceled.is_not(True)


def company_entries(company_no: str) -> sa.ColumnElement[bool]:
    """The entries of company `company_no`: its persons' (their entries carry its number) and
    its own (found by its contact id, so that both terms use an index)."""
    e = InteractionLogEntry
    own = sa.select(Contact.id).where(Contact.no == company_no).scalar_subquery()
    return sa.or_(e.contact_company_no == company_no, e.contact_id == own)


def entries_of(contact: Contact, *, status: str = "all") -> EntryFilter:
    """The entries a contact's page, `show` and statistics count: a person's own; a
    company's own and its persons' (NAV's roll-up)."""
    if contact.type == ContactType.COMPANY:
        return EntryFilter(company_no=contact.no, status=status)
    return EntryFilter(contact_id=contact.id, status=status)


def query_entries(
    session: Session, filters: EntryFilter, *, limit: int | None = None, offset: int = 0,
    newest_first: bool = False,
) -> list[InteractionLogEntry]:
    order = InteractionLogEntry.entry_no.desc() if newest_first else InteractionLogEntry.entry_no
    stmt = sa.select(InteractionLogEntry).where(*filters.where()).order_by(order)
    return list(session.scalars(stmt.offset(offset).limit(limit)))


@dataclass(frozen=True)
class Totals:
    count: int
    cost: Decimal
    duration_min: Decimal


def totals(session: Session, filters: EntryFilter) -> Totals:
    """Count, cost and duration of the entries the filters select, canceled ones left out."""
    e = InteractionLogEntry
    row = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(e.cost), 0),
                  sa.func.coalesce(sa.func.sum(e.duration_min), 0))
        .where(*filters.where(), not_canceled())
    ).one()
    return Totals(count=row[0], cost=Decimal(row[1]), duration_min=Decimal(row[2]))


def entry_to_json(entry: InteractionLogEntry) -> dict[str, object]:
    """An entry as `interlog entries list --json` prints it (the design's field names)."""
    return {
        "entry_no": entry.entry_no,
        "contact_no": entry.contact_no,
        "contact_company_no": entry.contact_company_no,
        "contact_name": entry.contact_name,
        "date": entry.occurred_at.date().isoformat(),
        "time": entry.occurred_at.time().replace(microsecond=0).isoformat(),
        "template_code": entry.template_code,
        "group_code": entry.group_code,
        "information_flow": entry.information_flow,
        "initiated_by": entry.initiated_by,
        "subject": entry.subject,
        "duration_min": float(entry.duration_min),
        "cost": float(entry.cost),
        "correspondence_type": entry.correspondence_type,
        "canceled": entry.canceled,
        "attempt_failed": entry.attempt_failed,
        "evaluation": entry.evaluation,
        "note": entry.note,
        "source": entry.source,
        "user": entry.user_upn,
        "salesperson_code": entry.salesperson_code,
        "segment_no": entry.segment_no,
        "document_type": entry.document_type,
        "document_no": entry.document_no,
        "internet_message_id": entry.internet_message_id,
        "ical_uid": entry.ical_uid,
        "web_link": entry.web_link,
    }


def stream_entries(
    session: Session, filters: EntryFilter, *, limit: int | None = None, batch: int = 1000,
) -> Iterator[InteractionLogEntry]:
    """The entries the filters select, newest first, read `batch` rows at a time (a
    server-side cursor on PostgreSQL): for output that may be the whole log, never held in
    memory at once. The session must stay open while the iterator is read.

    Each is a read-only row with the entry's columns as attributes (what `entry_to_json`
    reads), not a mapped object: no relationships, nothing to change, and a third faster to
    read than ORM objects (100,000 entries as JSON lines, bench/cli_bench.py)."""
    e = InteractionLogEntry
    stmt = (sa.select(*e.__table__.columns).where(*filters.where())
            .order_by(e.entry_no.desc()).limit(limit).execution_options(yield_per=batch))
    yield from cast(Iterator[InteractionLogEntry], iter(session.execute(stmt)))
