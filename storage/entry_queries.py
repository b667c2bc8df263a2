"""Interaction log queries: the entries window's filters, its pages (by entry number), its
counts and totals, an entry as JSON.

Every function takes the caller's `Session` and only reads. The writes are in
`storage/entry_writes.py`.

The filters and the listing (`stream_entries`) name the log's Core table (`storage.tables`):
`interlog entries list` reads it through a `Connection`, and this module imports the ORM and
the models only in the functions that return mapped objects (issue 16).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from storage.errors import InterlogError
from storage.local_time import day_start_utc
from storage.tables import ENTRIES
from storage.vocabulary import ContactType

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from storage.models import Contact, InteractionLogEntry


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
    # The zone whose days `since`/`until` are: UTC (the API, the CLI), the user's on the pages
    # (None: the server's own, as storage/local_time.py).
    day_zone: tzinfo | None = UTC

    def where(self) -> list[sa.ColumnElement[bool]]:
        if self.status not in ("active", "canceled", "all"):
            raise InterlogError(f"status {self.status!r}: expected active, canceled or all")
        e = ENTRIES.c
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
        low, high = self.bounds()
        if low is not None:
            clauses.append(e.occurred_at >= low)
        if high is not None:
            clauses.append(e.occurred_at < high)
        return clauses

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The naive-UTC moments `since` and `until` select from (included) and to
        (excluded), None for an open end."""
        low = day_start_utc(self.since, self.day_zone) if self.since is not None else None
        high = None
        if self.until is not None and self.until < date.max:  # date.max: no end (+1 overflows)
            high = day_start_utc(self.until + timedelta(days=1), self.day_zone)
        return low, high


def not_canceled() -> sa.ColumnElement[bool]:
    """The active entries: `canceled IS NOT true`, which no index serves. Nearly every entry
    is active, and SQLite, with no statistics, would otherwise read them all through the
    index on `canceled` (`canceled = 0`) instead of the filter's own index (a company's, a
    contact's): 39 → 3 ms for a company's totals in 100,000 entries (bench/company_bench.py).
    """
    return ENTRIES.c.canceled.is_not(True)


def company_entries(company_no: str) -> sa.ColumnElement[bool]:
    """The entries of company `company_no`: its persons' and its own (`_company_terms`)."""
    return sa.or_(*_company_terms(company_no))


def _company_terms(company_no: str) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """A company's persons' entries (they carry its number) and its own (found by its contact
    id), each a term an index serves."""
    from storage.models import Contact

    e = ENTRIES.c
    own = sa.select(Contact.id).where(Contact.no == company_no).scalar_subquery()
    return e.contact_company_no == company_no, e.contact_id == own


def entries_of(contact: Contact, *, status: str = "all") -> EntryFilter:
    """The entries a contact's page, `show` and statistics count: a person's own; a
    company's own and its persons' (NAV's roll-up)."""
    if contact.type == ContactType.COMPANY:
        return EntryFilter(company_no=contact.no, status=status)
    return EntryFilter(contact_id=contact.id, status=status)


def query_entries(
    session: Session, filters: EntryFilter, *, limit: int | None = None, offset: int = 0,
    newest_first: bool = False, after: int | None = None, before: int | None = None,
) -> list[InteractionLogEntry]:
    """The entries the filters select in entry-number order (`newest_first`: descending),
    only those numbered above `after` and below `before` (keyset pages: an index on the
    filter's column and the entry number reads just the page; `offset` reads and skips)."""
    from storage import entry_days
    from storage.models import InteractionLogEntry

    e = InteractionLogEntry
    if limit is not None and not offset:
        numbers = entry_days.numbers(session, filters, limit=limit, newest_first=newest_first,
                                     cursor=_cursor(after, before))
        if numbers is not None:
            page = sa.orm.aliased(InteractionLogEntry, name="page")
            return list(session.scalars(sa.select(page).where(page.entry_no.in_(numbers))
                                        .order_by(page.entry_no.desc() if newest_first
                                                  else page.entry_no)))
    order = e.entry_no.desc() if newest_first else e.entry_no
    stmt = sa.select(e).where(*filters.where(), *_cursor(after, before)).order_by(order)
    return list(session.scalars(stmt.offset(offset or None).limit(limit)))


def _cursor(after: int | None, before: int | None) -> list[sa.ColumnElement[bool]]:
    e = ENTRIES.c
    return ([e.entry_no > after] if after is not None else []) + (
        [e.entry_no < before] if before is not None else [])


@dataclass(frozen=True)
class EntryPage:
    """A page of the log, newest first, and the cursors to its neighbours: `newer` (entries
    above it: `after=newer`) and `older` (below it: `before=older`), None at either end."""

    entries: list[InteractionLogEntry]
    newer: int | None
    older: int | None


def entry_page(session: Session, filters: EntryFilter, size: int, *,
               after: int | None = None, before: int | None = None) -> EntryPage:
    """`size` entries newest first: the newest (no cursor), those just below `before`, or
    those just above `after` (a page back). Reads at most `size` + 1 rows and probes one
    row on the other side, whatever the log's size."""
    if after is not None:
        rows = query_entries(session, filters, limit=size + 1, after=after)
        entries, more = rows[:size][::-1], len(rows) > size
        newer = entries[0].entry_no if more and entries else None
        edge = entries[-1].entry_no if entries else after + 1
        older = edge if _beyond(session, filters, before=edge) else None
        return EntryPage(entries, newer, older)
    rows = query_entries(session, filters, limit=size + 1, before=before, newest_first=True)
    entries, more = rows[:size], len(rows) > size
    older = entries[-1].entry_no if more else None
    newer = None
    if before is not None:
        edge = entries[0].entry_no if entries else before - 1
        newer = edge if _beyond(session, filters, after=edge) else None
    return EntryPage(entries, newer, older)


def _beyond(session: Session, filters: EntryFilter, *, after: int | None = None,
            before: int | None = None) -> bool:
    """Whether any entry the filters select lies above `after` or below `before`."""
    from storage import entry_days

    e = ENTRIES.c
    numbers = entry_days.numbers(session, filters, limit=1, newest_first=after is None,
                                 cursor=_cursor(after, before))
    if numbers is None:
        numbers = (sa.select(e.entry_no).where(*filters.where(), *_cursor(after, before))
                   .order_by(e.entry_no if after is not None else e.entry_no.desc()).limit(1))
    return session.scalar(numbers) is not None


COUNT_LIMIT = 10_000  # counted exactly up to here; beyond, "more than" or an estimate


def count_upto(session: Session, filters: EntryFilter, limit: int = COUNT_LIMIT) -> int:
    """How many entries the filters select, canceled ones too, counting no further than
    `limit` + 1 (a return above `limit` means "more than `limit`").

    A company's entries are counted as two parts that no entry is in twice, its persons' and
    its own, each through its own index: counted as one OR, PostgreSQL read the table from
    its start until `limit` + 1 matched (97,000 rows for a busy company in 10M: 116 ms)."""
    if filters.company_no is None:
        parts = [filters.where()]
    else:
        rest = replace(filters, company_no=None).where()
        persons, own = _company_terms(filters.company_no)
        not_a_persons = ENTRIES.c.contact_company_no.is_distinct_from(
            filters.company_no)
        parts = [[*rest, persons], [*rest, own, not_a_persons]]
    firsts = [sa.select(sa.literal_column("1").label("one")).select_from(ENTRIES)
              .where(*where).limit(limit + 1).subquery() for where in parts]
    if len(firsts) == 1:
        return session.scalar(sa.select(sa.func.count()).select_from(firsts[0])) or 0
    both = sa.union_all(*(sa.select(part.c.one) for part in firsts)).subquery()
    bounded = sa.select(both.c.one).limit(limit + 1).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(bounded)) or 0


@dataclass(frozen=True)
class Totals:
    count: int
    cost: Decimal
    duration_min: Decimal
    estimated: bool = False  # PostgreSQL's estimate of the count, the amounts scaled to it


def totals(session: Session, filters: EntryFilter, *, limit: int | None = None) -> Totals:
    """Count, cost and duration of the entries the filters select, canceled ones left out.

    From the per-day totals the writers keep (`storage/aggregates.py`) when the filters
    allow; otherwise from the entries: all of them, or with `limit` on PostgreSQL no more
    than `limit` + 1, and beyond that the planner's estimate of the count, the amounts
    scaled from the rows read (`estimated`)."""
    from storage import aggregates  # its models and statements: not for a listing (issue 16)
    from storage.dialect import is_postgresql

    found = aggregates.totals(session, filters)
    if found is not None:
        return Totals(count=found[0], cost=Decimal(found[1]), duration_min=Decimal(found[2]))
    e = ENTRIES.c
    rows = sa.select(e.cost, e.duration_min).where(*filters.where(), not_canceled())
    bounded = limit is not None and is_postgresql(session)
    if bounded:
        rows = rows.limit(cast(int, limit) + 1)
    sub = rows.subquery()
    row = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sub.c.cost), 0),
                  sa.func.coalesce(sa.func.sum(sub.c.duration_min), 0))).one()
    count, cost, minutes = row[0], Decimal(row[1]), Decimal(row[2])
    if not bounded or count <= cast(int, limit):
        return Totals(count=count, cost=cost, duration_min=minutes)
    guess = max(count, _planned_rows(session, sa.select(e.entry_no).where(
        *filters.where(), not_canceled())))
    scale = Decimal(guess) / count
    return Totals(count=guess, cost=(cost * scale).quantize(Decimal("0.01")),
                  duration_min=(minutes * scale).quantize(Decimal("0.01")), estimated=True)


def _planned_rows(session: Session, stmt: sa.Select[Any]) -> int:
    """PostgreSQL's planner estimate of how many rows `stmt` returns (EXPLAIN, not run)."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect)
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled),
                                      compiled.params).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


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
    bind: Session | Connection, filters: EntryFilter, *, limit: int | None = None,
    batch: int = 1000,
) -> Iterator[InteractionLogEntry]:
    """The entries the filters select, newest first, read `batch` rows at a time (a
    server-side cursor on PostgreSQL): for output that may be the whole log, never held in
    memory at once. The session (or connection: `interlog entries list` reads without the
    ORM) must stay open while the iterator is read.

    Each is a read-only row with the entry's columns as attributes (what `entry_to_json`
    reads), not a mapped object: no relationships, nothing to change, and a third faster to
    read than ORM objects (100,000 entries as JSON lines, bench/cli_bench.py)."""
    stmt = (sa.select(*ENTRIES.columns).where(*filters.where())
            .order_by(ENTRIES.c.entry_no.desc()).limit(limit)
            .execution_options(yield_per=batch))
    yield from cast("Iterator[InteractionLogEntry]", iter(bind.execute(stmt)))
