"""Interaction statistics: number, cost, duration, last date interacted and last date
attempted, per template, group, contact, company, salesperson or month.

As NAV's FlowFields on Contact, Interaction Template and Interaction Group, canceled entries
are left out of every figure. The two dates are NAV's:

- `last_date` ("Date of Last Interaction"): the newest entry whose attempt did not fail;
- `last_attempt_date` ("Last Date Attempted"): the newest entry *we* initiated
  (`initiated_by = us`), whether or not it reached the contact (NAV's tooltip: "when you
  tried to call the contact, with or without success").

A company's row holds its own entries and those of its persons (NAV's roll-up): an entry's
company is the `contact_company_no` it was written with, or its contact when that contact is
a company. Entries of a person with no company are in no company's row.

Every function here is one query (a single GROUP BY): over the per-day totals the writers
keep (`storage/aggregates.py`, the coarsest grain that holds the filters and the key), or,
when a filter only the entries have is set (source, document, evaluation), over the
entries the filters select. Either way the figures are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage import aggregates
from storage.dialect import month_of, one_of, week_of
from storage.entry_queries import EntryFilter
from storage.errors import InterlogError
from storage.models import Contact, InteractionGroup, InteractionLogEntry, InteractionTemplate
from storage.periods import one_period
from storage.vocabulary import ContactType, InitiatedBy

BY = ("template", "group", "contact", "company", "salesperson", "month")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class StatRow:
    """One row of statistics: `key` is the code, contact or company number, or `YYYY-MM`."""

    key: str
    count: int
    cost: Decimal
    duration_min: Decimal
    last_date: date | None  # the newest entry whose attempt did not fail
    last_attempt_date: date | None  # the newest entry initiated by us


@dataclass(frozen=True)
class KeyCount:
    """How many active entries `key` (a contact's or salesperson's code) has: a ranking."""

    key: str
    count: int


@dataclass(frozen=True)
class WeekCount:
    """How many entries of `key` fall in the week that starts on Monday `week`."""

    week: date
    key: str
    count: int


def check_by(by: str) -> str:
    if by not in (*BY, "flow"):  # flow: the contact page's breakdown (`breakdown`)
        raise InterlogError(f"statistics by {by!r}: expected one of {', '.join(BY)}")
    return by


def _key(session: Session, by: str) -> Any:
    e = InteractionLogEntry
    if by == "company":
        own = sa.case((Contact.type == ContactType.COMPANY.value, e.contact_no))
        return sa.func.coalesce(e.contact_company_no, own)
    if by == "month":
        return month_of(session, e.occurred_at)
    return {"template": e.template_code, "group": e.group_code, "contact": e.contact_no,
            "salesperson": e.salesperson_code, "flow": e.information_flow}[by]


def _selected(session: Session, filters: EntryFilter, by: str, *columns: Any) -> sa.Subquery:
    """The active entries the filters select, with their `key` for `by`: a subquery, so that
    the outer GROUP BY names one column (PostgreSQL compares a grouped expression's bound
    parameters, and would refuse the same expression bound twice)."""
    e = InteractionLogEntry
    key = _key(session, check_by(by))
    stmt = (sa.select(key.label("key"), *columns).select_from(e)
            .where(*filters.where(), e.canceled.is_(False)))
    if by == "company":
        stmt = stmt.join(Contact, Contact.id == e.contact_id).where(key.is_not(None))
    return stmt.subquery()


def _totals_rows(session: Session, filters: EntryFilter, by: str, *columns: Any
                 ) -> sa.Subquery | None:
    """The per-day rows (`storage/aggregates.py`) the filters select, with their `key` for
    `by`; None when only the entries can answer."""
    grain = aggregates.grain_for(filters, check_by(by))
    if grain is None:
        return None
    t = aggregates.EntryDayTotal.__table__.c
    key = {"template": t.template_code, "group": t.group_code, "contact": t.contact_no,
           "company": t.company_no, "salesperson": t.salesperson_code,
           "month": month_of(session, t.day), "flow": t.information_flow}[by]
    clauses = aggregates.where(filters, grain)
    if by == "company":
        clauses.append(t.company_no != "")
    return sa.select(key.label("key"), *columns).where(*clauses).subquery()


def _slots_summed(rows: sa.Subquery) -> sa.Subquery:
    """`rows` summed per key and day: the day grain's slots (`aggregates._slot`) as one."""
    c = rows.c
    return (sa.select(c.key, c.day, *(sa.func.sum(c[name]).label(name) for name in (
        "entries", "cost", "duration_min", "reached", "attempted")))
        .group_by(c.key, c.day).subquery())


def _day(value: date | datetime | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite through an expression that lost its type
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def _amount(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENTS)


def stats(session: Session, filters: EntryFilter, by: str, *,
          top: int | None = None) -> list[StatRow]:
    """Rows of statistics by `by` (one of `BY`), in key order; with `top`, only the `top`
    rows with the most entries, most first."""
    t = aggregates.EntryDayTotal.__table__.c
    summed = _totals_rows(session, filters, by, t.day, t.entries, t.cost, t.duration_min,
                          t.reached, t.attempted)
    if summed is not None and aggregates.grain_for(filters, by) == aggregates.DAY:
        summed = _slots_summed(summed)  # a day's reached/attempted: over all its slots
    if summed is not None:
        summed = sa.select(summed.c.key, summed.c.entries, summed.c.cost,
                           summed.c.duration_min,
                           sa.case((summed.c.reached > 0, summed.c.day)).label("reached"),
                           sa.case((summed.c.attempted > 0, summed.c.day)).label("attempted"),
                           ).subquery()
        rows, count = summed, cast(Any, sa.func.sum(summed.c.entries))
    else:
        e = InteractionLogEntry
        us = e.initiated_by == InitiatedBy.US.value
        rows = _selected(session, filters, by, e.cost, e.duration_min,
                         sa.case((e.attempt_failed.is_(False), e.occurred_at)).label("reached"),
                         sa.case((us, e.occurred_at)).label("attempted"))
        count = sa.func.count()
    stmt = (sa.select(rows.c.key, count, sa.func.sum(rows.c.cost),
                      sa.func.sum(rows.c.duration_min), sa.func.max(rows.c.reached),
                      sa.func.max(rows.c.attempted))
            .group_by(rows.c.key).having(count > 0))
    if top is not None:
        stmt = stmt.order_by(count.desc(), rows.c.key).limit(top)
    else:
        stmt = stmt.order_by(rows.c.key)
    return [StatRow(key=key or "", count=int(n), cost=_amount(cost), duration_min=_amount(minutes),
                    last_date=_day(reached), last_attempt_date=_day(attempted))
            for key, n, cost, minutes, reached, attempted in session.execute(stmt)]


def ranking(session: Session, filters: EntryFilter, by: str, *,
            top: int | None = None) -> list[KeyCount]:
    """How many entries each key of `by` ("contact", "salesperson") has, most first (then
    by key); with `top`, only the `top` first. From the coarsest rows that hold the dates
    (`aggregates.spans`: a year's ranking reads one row per contact, or per salesperson,
    user and template), else as `stats`."""
    parts = aggregates.spans(filters, check_by(by))
    if parts is None:
        found = stats(session, filters, by, top=top)
        return sorted((KeyCount(row.key, row.count) for row in found),
                      key=lambda row: (-row.count, row.key))
    t = aggregates.EntryDayTotal.__table__.c
    key = t.contact_no if by == "contact" else t.salesperson_code
    one_row_a_contact = one_period(filters.since, filters.until)  # no GROUP BY then
    if by == "contact" and one_row_a_contact:
        one = session.execute(sa.select(key, t.entries).where(*parts[0], t.entries > 0)
                              .order_by(t.entries.desc(), key).limit(top))
        return [KeyCount(key, int(n)) for key, n in one]
    selects = [sa.select(key.label("key"), t.entries).where(*part) for part in parts]
    rows = (selects[0] if len(selects) == 1 else sa.union_all(*selects)).subquery()
    count = sa.func.sum(rows.c.entries)
    stmt = (sa.select(rows.c.key, count).group_by(rows.c.key).having(count > 0)
            .order_by(count.desc(), rows.c.key).limit(top))
    return [KeyCount(key or "", int(n)) for key, n in session.execute(stmt)]


def breakdown(session: Session, filters: EntryFilter, by: str
              ) -> list[tuple[str, int, Decimal, Decimal]]:
    """(key, count, cost, duration) by `by` ("group", or "flow": the information flow, ""
    for none), in key order: a contact page's tables."""
    return [(row.key, row.count, row.cost, row.duration_min) for row in stats(session, filters, by)]


def weekly(session: Session, filters: EntryFilter, by: str) -> list[WeekCount]:
    """How many entries each week (Monday to Sunday) for each key of `by`, oldest first."""
    t = aggregates.EntryDayTotal.__table__.c
    summed = _totals_rows(session, filters, by, week_of(session, t.day).label("week"),
                          t.entries)
    if summed is not None:
        rows, count = summed, cast(Any, sa.func.sum(summed.c.entries))
    else:
        rows = _selected(session, filters, by,
                         week_of(session, InteractionLogEntry.occurred_at).label("week"))
        count = sa.func.count()
    stmt = (sa.select(rows.c.week, rows.c.key, count).group_by(rows.c.week, rows.c.key)
            .having(count > 0).order_by(rows.c.week, rows.c.key))
    return [WeekCount(week=date.fromisoformat(str(week)[:10]), key=key or "", count=int(n))
            for week, key, n in session.execute(stmt)]


def labels(session: Session, by: str, keys: Sequence[str]) -> dict[str, str]:
    """What each key stands for: a template's or group's description, a contact's or
    company's name (one query; other kinds of key have none)."""
    column: Any
    match check_by(by):
        case "template":
            column, text = InteractionTemplate.code, InteractionTemplate.description
        case "group":
            column, text = InteractionGroup.code, InteractionGroup.description
        case "contact" | "company":
            column, text = Contact.no, Contact.name
        case _:
            return {}
    if not keys:
        return {}
    found = session.execute(sa.select(column, text).where(one_of(session, column, list(keys))))
    return {key: name for key, name in found}


def stat_to_json(row: StatRow) -> dict[str, object]:
    """A row as `interlog stats --json` prints it: amounts as numbers (as in an entry's
    JSON), dates `YYYY-MM-DD` or null."""
    return {
        "key": row.key,
        "count": row.count,
        "cost": float(row.cost),
        "duration_min": float(row.duration_min),
        "last_date": row.last_date.isoformat() if row.last_date else None,
        "last_attempt_date": (row.last_attempt_date.isoformat()
                              if row.last_attempt_date else None),
    }
