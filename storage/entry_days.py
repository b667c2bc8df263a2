"""A page of the log bounded by dates, read day by day on PostgreSQL (issue 14).

The log's pages are newest first by entry number. For a date range that is not the latest
(November in a log that runs to December), walking the primary key back passes every entry
newer than the range, and reading the range by `occurred_at` reads all of it and sorts.
Here, for each UTC day the range touches, one descent of the index on the entry's UTC day
and its number (`ix_entries_day_no`, migration 0019) reads that day's first `limit` entries
beyond the cursor; the first `limit` numbers of those few are the page. The cost is bounded
by the range's days × the page's size, not by the log. Only the entry numbers come from
here; `storage/entry_queries.py` reads the rows by them.

The filters' exact bounds are still applied on the first and last days: a page user's days
may be another zone's, whose first and last days are parts of two UTC days.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.dialect import is_postgresql
from storage.models import InteractionLogEntry

if TYPE_CHECKING:
    from storage.entry_queries import EntryFilter

# Longer ranges are read by entry number (a range longer than this holds most of any log
# whose entries are dated over a year or two, and a day costs a descent even when empty).
MAX_DAYS = 400


def applies(filters: EntryFilter) -> bool:
    """Whether a page of these filters is read day by day: a date range, alone or with
    filters that select many entries a day (a template, a group, a source, the active
    ones…). A contact's, a company's, a user's, a salesperson's and the canceled entries
    are few a day (each day would be read whole): their own index, or the entry numbers
    for a salesperson, find them sooner (a contact's November in 10M entries: 0.3 ms by
    its index, 90–130 ms day by day)."""
    dated = any(bound is not None for bound in filters.bounds())
    few = (filters.contact_id, filters.company_no, filters.user_upn, filters.salesperson_code)
    return dated and all(f is None for f in few) and filters.status != "canceled"


def numbers(session: Session, filters: EntryFilter, *, limit: int, newest_first: bool,
            cursor: list[sa.ColumnElement[bool]]) -> sa.Select[Any] | None:
    """The first `limit` entry numbers the filters and `cursor` select, in page order, read
    day by day; None where that does not apply (SQLite, no dates, filters of few entries a
    day, a range of more than `MAX_DAYS` days)."""
    if not applies(filters) or not is_postgresql(session):
        return None
    low, high = filters.bounds()
    days = utc_days(session, low, high)
    if days is None:
        return None
    undated = replace(filters, since=None, until=None).where()
    return entry_numbers(undated, *days, low=low, high=high, limit=limit,
                         newest_first=newest_first, cursor=cursor)


def utc_days(session: Session, low: datetime | None,
             high: datetime | None) -> tuple[date, int] | None:
    """The first UTC day and the number of days from `low` (included) to `high` (excluded),
    an open end taken at the log's oldest or newest entry; None when the log is empty or
    the range is longer than `MAX_DAYS` days."""
    e = InteractionLogEntry
    if low is None:
        low = session.scalar(sa.select(sa.func.min(e.occurred_at)))
    if high is None:
        newest = session.scalar(sa.select(sa.func.max(e.occurred_at)))
        high = newest + timedelta(microseconds=1) if newest is not None else None
    if low is None or high is None:
        return None
    first, last = low.date(), (high - timedelta(microseconds=1)).date()
    days = (last - first).days + 1
    return (first, max(days, 0)) if days <= MAX_DAYS else None


def entry_numbers(where: list[sa.ColumnElement[bool]], first: date, days: int, *,
                  low: datetime | None, high: datetime | None, limit: int,
                  newest_first: bool, cursor: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """The first `limit` entry numbers that `where` and `cursor` select from `low` to `high`
    (naive UTC, None: open), newest first or oldest first, read day by day from `days` UTC
    days from `first`: a SELECT of one column, `entry_no`, in page order.

    The day's equality is the range itself but on its first and last days, where a bound
    that is not a UTC midnight (a page user's zone) is applied to that day alone: a bound
    on every day would be a range the planner reads through `occurred_at`'s index, or
    counts as if it were independent of the day (a few rows a day, so it sorts them all).
    """
    e = InteractionLogEntry
    step = sa.func.generate_series(0, max(days - 1, -1)).table_valued("n").render_derived(
        name="step")
    day = sa.cast(sa.cast(sa.literal(first, sa.Date), sa.Date) + step.c.n, sa.Date)
    edges = []
    if low is not None and low != datetime.combine(first, time()):
        edges.append(sa.or_(step.c.n > 0, e.occurred_at >= low))
    if high is not None and high != datetime.combine(first + timedelta(days=days), time()):
        edges.append(sa.or_(step.c.n < days - 1, e.occurred_at < high))
    order = e.entry_no.desc() if newest_first else e.entry_no.asc()
    per_day = (sa.select(e.entry_no)
               .where(sa.cast(e.occurred_at, sa.Date) == day, *edges, *where, *cursor)
               .order_by(order).limit(limit).lateral("per_day"))
    number = per_day.c.entry_no
    return (sa.select(number).select_from(step).join(per_day, sa.true())
            .order_by(number.desc() if newest_first else number.asc()).limit(limit))
