"""Per-day totals of the active entries, kept by the writers in the entries' own transaction.

`entry_day_totals` holds, for each UTC day and key, the number of active (not canceled)
entries, their cost and duration, and how many failed, reached the contact and were
initiated by us: every figure a sum, so that a write adds or takes away its own rows
(`apply`) with an upsert, whatever other writers do at the same time. The last date
interacted and the last date attempted are the newest days whose `reached` and `attempted`
are above zero.

Seven grains, each row tagged with its own (`grain`), so that a question reads the fewest
rows that can answer it:

- `CONTACT`: day, contact (id and number), company, template, group, flow (no user: a busy
  contact's day would otherwise hold a row per user, nearly one per entry);
- `SALESPERSON`: day, template, group, flow, salesperson, user;
- `DAY`: day, template, group, flow;
- `CONTACT_MONTH`, `CONTACT_YEAR`: a calendar month or year (`day` is its first day) and
  the contact's number only: a ranking of contacts over whole months or years reads one row
  per contact and period, not one per contact, day and template (nearly one per entry), and
  over one month or year needs no GROUP BY (`storage.periods.one_period`);
- `SALESPERSON_MONTH`, `SALESPERSON_YEAR`: a month or year, template, salesperson, user (the
  user keeps two people's writers off each other's row, as in the day grain).

`spans` cuts a filter's dates (`storage/periods.py`) into whole years, whole months and
the days left, so that a ranking reads each part from the coarsest grain that holds it.

A column not in a grain holds 0 or "" (never NULL: a unique key must compare equal). A
company is the entry's `contact_company_no`, or its contact's number when that contact is
a company (`storage/stats.py`'s key). Rows whose figures fall to zero stay until
`rebuild`; readers leave them out (`HAVING sum(entries) > 0`).

The writers in `storage/entry_writes.py` and `storage/entry_reclassify.py` call `apply`
with the entry numbers they insert, cancel, restore, move or reclassify; `rebuild`
(`interlog stats rebuild`) recomputes every row from the entries after a bulk load or a
restore. Which filters the table can answer, and how, is `grain_for` and `where`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.dialect import (
    is_postgresql,
    one_of_param,
    one_of_value,
    prepared,
    upsert,
)
from storage.driver import run
from storage.local_time import days_are_utc
from storage.models import Base, Contact, InteractionLogEntry
from storage.periods import periods
from storage.vocabulary import ContactType, InitiatedBy

if TYPE_CHECKING:
    from storage.entry_queries import EntryFilter

CONTACT, SALESPERSON, DAY = 1, 2, 3
CONTACT_MONTH, CONTACT_YEAR, SALESPERSON_MONTH, SALESPERSON_YEAR = 4, 5, 6, 7
GRAINS = (CONTACT, SALESPERSON, DAY, CONTACT_MONTH, CONTACT_YEAR, SALESPERSON_MONTH,
          SALESPERSON_YEAR)
# The key columns each grain fills (after `grain` and `day`).
KEYS: dict[int, tuple[str, ...]] = {
    CONTACT: ("contact_id", "contact_no", "company_no", "template_code", "group_code",
              "information_flow"),
    SALESPERSON: ("template_code", "group_code", "information_flow", "salesperson_code",
                  "user_upn"),
    DAY: ("template_code", "group_code", "information_flow"),
    CONTACT_MONTH: ("contact_no",),
    CONTACT_YEAR: ("contact_no",),
    SALESPERSON_MONTH: ("template_code", "salesperson_code", "user_upn"),
    SALESPERSON_YEAR: ("template_code", "salesperson_code", "user_upn"),
}
# The period a grain's `day` stands for.
PERIOD = {CONTACT: "day", SALESPERSON: "day", DAY: "day", CONTACT_MONTH: "month",
          CONTACT_YEAR: "year", SALESPERSON_MONTH: "month", SALESPERSON_YEAR: "year"}
# A ranking's grains by period (`spans`), from the finest.
RANKED = {"contact": (CONTACT, CONTACT_MONTH, CONTACT_YEAR),
          "salesperson": (SALESPERSON, SALESPERSON_MONTH, SALESPERSON_YEAR)}
SLOTS = 8  # rows per key of the day grain that concurrent writers spread over (`_slot`)
FIGURES = ("entries", "cost", "duration_min", "failed", "reached", "attempted")


class EntryDayTotal(Base):
    """The active entries of one day and key: how many, cost, duration, failed, reached and
    attempted by us (see the module's doc)."""

    __tablename__ = "entry_day_totals"

    grain: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(primary_key=True)
    contact_no: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    company_no: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    template_code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    group_code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    information_flow: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    salesperson_code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    user_upn: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    slot: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, default=0)
    entries: Mapped[int] = mapped_column(default=0)
    cost: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2), default=0)
    duration_min: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2), default=0)
    failed: Mapped[int] = mapped_column(default=0)
    reached: Mapped[int] = mapped_column(default=0)
    attempted: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.Index("ix_entry_day_totals_contact", "grain", "contact_id", "day"),
        sa.Index("ix_entry_day_totals_company", "grain", "company_no", "day"),
        sa.Index("ix_entry_day_totals_salesperson", "grain", "salesperson_code", "day"),
    )


def _table() -> sa.Table:
    return EntryDayTotal.__table__  # type: ignore[return-value]


def day_of(session: Session, column: Any, period: str = "day") -> Any:
    """The UTC day of a date-time or date column (a DATE; SQLite's `YYYY-MM-DD` text), or
    the first day of its `period` ("month", "year")."""
    if period == "day":
        return sa.cast(column, sa.Date) if is_postgresql(session) else sa.func.date(column)
    if is_postgresql(session):
        return sa.cast(sa.func.date_trunc(sa.literal_column(f"'{period}'"), column), sa.Date)
    return sa.func.date(column, sa.literal_column(f"'start of {period}'"))


def _written(where: Sequence[Any], canceled: bool) -> Any:
    """The entries `where` selects (active, or with `canceled` canceled), with their keys
    and figures as the grains need them. A company is the entry's own, else its contact's
    number when that contact is a company: looked up by the contact's key only for the
    entries without one (COALESCE stops at the first value), so a write never reads the
    whole contacts table."""
    e = InteractionLogEntry
    own = (sa.select(sa.case((Contact.type == ContactType.COMPANY.value, e.contact_no),
                             else_=""))
           .where(Contact.id == e.contact_id).scalar_subquery())

    def tally(condition: Any) -> Any:
        return sa.case((condition, 1), else_=0)

    return sa.select(
        e.occurred_at.label("at"), e.contact_id, e.contact_no,
        sa.func.coalesce(e.contact_company_no, own).label("company_no"), e.template_code,
        e.group_code, sa.func.coalesce(e.information_flow, "").label("information_flow"),
        e.salesperson_code, sa.func.coalesce(e.user_upn, "").label("user_upn"), e.cost,
        e.duration_min, tally(e.attempt_failed.is_(True)).label("failed"),
        tally(e.attempt_failed.is_(False)).label("reached"),
        tally(e.initiated_by == InitiatedBy.US.value).label("attempted"),
    ).where(*where, e.canceled.is_(canceled))


def _blank(name: str) -> Any:
    """What a column not in a grain holds."""
    return sa.literal_column("0" if name in ("contact_id", "slot") else "''")


def _slot(session: Session, grain: int) -> Any:
    """The slot a writer adds to: in the day grain on PostgreSQL, one of `SLOTS` by its
    server process, so that concurrent writers of the same day and template (every capture
    worker, every bot command) do not all wait on one row until each commits; readers sum
    the slots as they sum the days. Elsewhere 0 (a contact's or a user's rows are rarely
    written by two transactions at once; SQLite has one writer)."""
    if grain == DAY and is_postgresql(session):
        return sa.func.pg_backend_pid() % SLOTS
    return sa.literal_column("0")


KEY_NAMES = ("contact_id", "contact_no", "company_no", "template_code", "group_code",
             "information_flow", "salesperson_code", "user_upn")


def _grouped(session: Session, grain: int, rows: Any, sign: int) -> Any:
    """`rows` (`_written`'s, as a subquery or CTE) grouped at `grain` and signed, its
    columns named as the table's."""
    c = rows.c
    day = day_of(session, c.at, PERIOD[grain])
    keys = [day.label("day"), *((c[n] if n in KEYS[grain] else _blank(n)).label(n)
                                for n in KEY_NAMES)]

    def times(expr: Any) -> Any:
        return expr if sign == 1 else -expr

    figures = [times(sa.func.count()), *(times(sa.func.coalesce(sa.func.sum(c[n]), 0))
                                         for n in FIGURES[1:])]
    return (sa.select(sa.literal_column(str(grain)).label("grain"), *keys,
                      _slot(session, grain).label("slot"),
                      *(f.label(n) for n, f in zip(FIGURES, figures, strict=True)))
            .group_by(day, *(c[n] for n in KEYS[grain])))


def _upsert(session: Session, where: Sequence[Any], sign: int, canceled: bool) -> Any:
    """One statement adding to every grain: a round trip and a plan per write, not seven."""
    t = _table()
    written = _written(where, canceled).cte("written")  # read once, grouped seven ways
    rows = sa.union_all(*(_grouped(session, grain, written, sign)
                          for grain in GRAINS)).subquery()
    key = [c.name for c in t.primary_key.columns]
    select = sa.select(rows).order_by(*(rows.c[name] for name in key))  # one lock order
    stmt = upsert(session, t).from_select([c.name for c in rows.c], select)
    return stmt.on_conflict_do_update(
        index_elements=key, set_={name: t.c[name] + stmt.excluded[name] for name in FIGURES})


def apply(session: Session, entry_nos: Sequence[int], sign: int, *,
          canceled: bool = False) -> None:
    """Add (`sign` 1) or take away (-1) entries `entry_nos`, as they are now, in every grain.

    Only active entries count: an insert or a restore adds its entries after writing them; a
    move or a reclassification takes them away before it writes and adds them back after;
    a cancel takes away, after the flag is set, the entries it just canceled (`canceled`).
    Deleting canceled entries changes nothing."""
    if not entry_nos:
        return
    session.flush()  # loaded entries changed through the ORM are read as they are
    numbers = {"entry_nos": one_of_value(session, sorted(set(entry_nos)))}
    # Compiled once per dialect, sign and `canceled` (building it cost ~2 ms of CPU per
    # write) and run on the driver's cursor (`prepared`).
    stmt = prepared(session, ("aggregates.apply", sign, canceled), lambda: _upsert(
        session, [one_of_param(session, InteractionLogEntry.entry_no, "entry_nos")], sign,
        canceled))
    run(session, stmt, numbers)


def rebuild(session: Session) -> int:
    """Recompute every row from the entries; returns how many rows the table holds. The
    contact and salesperson grains are read from the entries, the others rolled up (plain
    INSERTs, unsorted: the table is empty)."""
    t = _table()
    session.execute(sa.delete(t))
    with _unindexed(session, t):
        for grain in (CONTACT, SALESPERSON):
            select = _grouped(session, grain, _written([], False).subquery(), 1)
            session.execute(sa.insert(t).from_select([c.name for c in select.selected_columns],
                                                     select))
        for source, grain in ((SALESPERSON, DAY), (CONTACT, CONTACT_MONTH),
                              (CONTACT_MONTH, CONTACT_YEAR), (SALESPERSON, SALESPERSON_MONTH),
                              (SALESPERSON_MONTH, SALESPERSON_YEAR)):
            _roll_up(session, source, grain)
    return session.scalar(sa.select(sa.func.count()).select_from(t)) or 0


@contextmanager
def _unindexed(session: Session, t: sa.Table) -> Iterator[None]:
    """On PostgreSQL, the table's key and indexes dropped while the block fills it and
    built once after (a row at a time into a 10-column key is ten times slower), sorting
    and hashing in memory; in the caller's transaction, so no one sees the table without
    them. SQLite, small, keeps them."""
    if not is_postgresql(session):
        yield
        return
    session.execute(sa.text("SET LOCAL work_mem = '256MB'"))
    session.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
    pk = t.primary_key
    session.execute(sa.schema.DropConstraint(pk))
    for index in t.indexes:
        session.execute(sa.schema.DropIndex(index))
    yield
    session.execute(sa.schema.AddConstraint(pk))
    for index in t.indexes:
        session.execute(sa.schema.CreateIndex(index))


def _roll_up(session: Session, source: int, grain: int) -> None:
    """`grain`'s rows summed from `source`'s, written in period order: a month's rows lie
    together on disk, as writers leave them, not where a hash happened to put them (a month's
    ranking of 53,000 contacts read 6,000 pages)."""
    t = _table()
    day = day_of(session, t.c.day, PERIOD[grain])
    keys: dict[str, Any] = {"grain": sa.literal_column(str(grain)), "day": day}
    keys.update({name: t.c[name] if name in KEYS[grain] else _blank(name)
                 for name in (*KEY_NAMES, "slot")})
    groups = [day, *(t.c[name] for name in KEYS[grain])]
    select = (sa.select(*keys.values(), *(sa.func.sum(t.c[f]) for f in FIGURES))
              .where(t.c.grain == source).group_by(*groups).order_by(day))
    session.execute(sa.insert(t).from_select([*keys, *FIGURES], select))


def grain_for(filters: EntryFilter, by: str | None = None) -> int | None:
    """The coarsest grain that answers the filters (and statistics by `by`), or None when a
    filter only the entries have is set (source, document, evaluation, canceled ones), a
    contact goes with a salesperson or a user (no grain holds both), or the dates are days
    of a zone other than UTC (a page's user in Mexico City)."""
    if (filters.source is not None or filters.document_no is not None
            or filters.evaluation is not None or filters.status == "canceled"):
        return None
    if (filters.since is not None or filters.until is not None) and not days_are_utc(
            filters.day_zone):  # the rows are UTC days; a page's local days are not
        return None
    person = filters.salesperson_code is not None or filters.user_upn is not None
    if (filters.contact_id is not None or filters.company_no is not None
            or by in ("contact", "company")):
        return None if person or by == "salesperson" else CONTACT
    return SALESPERSON if person or by == "salesperson" else DAY


def _equal(filters: EntryFilter) -> dict[str, Any]:
    """The key columns the filters set, and their values."""
    equal = {
        "contact_id": filters.contact_id, "company_no": filters.company_no,
        "template_code": filters.template_code.upper() if filters.template_code else None,
        "group_code": filters.group_code.upper() if filters.group_code else None,
        "salesperson_code": filters.salesperson_code,
        "user_upn": filters.user_upn.lower() if filters.user_upn else None,
    }
    return {name: value for name, value in equal.items() if value is not None}


def where(filters: EntryFilter, grain: int) -> list[sa.ColumnElement[bool]]:
    """The filters on the rows of `grain` (which `grain_for` or `spans` chose for them): a
    month's or year's row is selected by its first day, so `since` and `until` must then be
    a period's first and last day."""
    t = _table()
    clauses: list[sa.ColumnElement[bool]] = [t.c.grain == grain]
    clauses += [t.c[name] == value for name, value in _equal(filters).items()]
    if filters.since is not None:
        clauses.append(t.c.day >= filters.since)
    if filters.until is not None and filters.until < date.max:
        clauses.append(t.c.day <= filters.until)
    return clauses


def totals(session: Session, filters: EntryFilter) -> tuple[int, Any, Any] | None:
    """Count, cost and duration of the active entries the filters select, from the rows;
    None when the rows cannot answer (`grain_for`)."""
    grain = grain_for(filters)
    if grain is None:
        return None
    t = _table()
    row = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(t.c.entries), 0),
                  sa.func.coalesce(sa.func.sum(t.c.cost), 0),
                  sa.func.coalesce(sa.func.sum(t.c.duration_min), 0))
        .where(*where(filters, grain))).one()
    return int(row[0]), row[1], row[2]


def spans(filters: EntryFilter, by: str) -> list[list[sa.ColumnElement[bool]]] | None:
    """The rows that count the entries by `by` ("contact" or "salesperson", `RANKED`) under
    `filters`, as one WHERE per part of the dates (`periods`): whole years from the year
    grain, whole months from the month grain, the days left from the day grain. None when
    the coarse grains do not hold a filter (or `grain_for` finds no grain at all)."""
    if by not in RANKED or grain_for(filters, by) is None:
        return None
    grains = dict(zip(("day", "month", "year"), RANKED[by], strict=True))
    if not set(_equal(filters)) <= set(KEYS[grains["year"]]):
        return None
    return [where(replace(filters, since=first, until=last), grains[period])
            for period, first, last in periods(filters.since, filters.until)]
