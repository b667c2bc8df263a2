"""Statistics (storage/stats.py) against hand-built entries, on SQLite and PostgreSQL: every
`by`, canceled entries left out, a company's roll-up of its persons, NAV's two last dates."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.entries import EntryFilter, Interaction, cancel_entries, log_interaction
from storage.errors import InterlogError
from storage.models import Contact, User
from storage.periods import periods
from storage.stats import (
    KeyCount,
    StatRow,
    WeekCount,
    labels,
    ranking,
    stat_to_json,
    stats,
    weekly,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.world import World

D = Decimal


def _log(db: Session, contact: Contact, template: str, at: str, cost: str, minutes: str,
         user: str | None = None, by: str = "us", failed: bool = False) -> int:
    entry = log_interaction(db, contact, Interaction(
        template_code=template, occurred_at=datetime.fromisoformat(at), cost=D(cost),
        duration_min=D(minutes), user_upn=user, initiated_by=by, attempt_failed=failed,
    ), actor="test")
    return entry.entry_no


@pytest.fixture
def logged(db: Session, world: World) -> Session:
    """Seven entries: a failed call, a call the contact initiated, a company's own meeting,
    a person without a company, a user without a salesperson, and one canceled call."""
    db.add_all([User(upn="alice@contoso.com", salesperson_code="AL"),
                User(upn="bob@contoso.com", salesperson_code="BO"),
                User(upn="carol@contoso.com", salesperson_code="CA")])
    _log(db, world.jose, "CALL", "2025-01-10T09:00", "2.50", "15", "alice@contoso.com")
    _log(db, world.jose, "CALL", "2025-02-03T23:59", "1.00", "1", "alice@contoso.com",
         failed=True)
    _log(db, world.josefina, "EMAIL", "2025-01-20T08:00", "0", "0", "bob@contoso.com",
         by="them")
    _log(db, world.fabrikam, "MEETING", "2025-02-14T10:00", "10", "60", "carol@contoso.com")
    _log(db, world.anna, "CALL", "2025-03-01T00:00", "0.75", "7.5", "alice@contoso.com",
         by="them")
    canceled = _log(db, world.josefina, "CALL", "2025-03-02T12:00", "100", "50",
                    "bob@contoso.com")
    _log(db, world.anna_b, "EMAIL", "2025-01-31T17:00", "0", "0", failed=True)
    cancel_entries(db, [canceled], actor="test")
    db.flush()
    return db


def _row(key: str, count: int, cost: str, minutes: str, last: str | None,
         attempted: str | None) -> StatRow:
    return StatRow(key, count, D(cost), D(minutes),
                   date.fromisoformat(last) if last else None,
                   date.fromisoformat(attempted) if attempted else None)


EXPECTED = {
    "template": [
        _row("CALL", 3, "4.25", "23.5", "2025-03-01", "2025-02-03"),
        _row("EMAIL", 2, "0", "0", "2025-01-20", "2025-01-31"),
        _row("MEETING", 1, "10", "60", "2025-02-14", "2025-02-14"),
    ],
    "group": [
        _row("CALLS", 3, "4.25", "23.5", "2025-03-01", "2025-02-03"),
        _row("EMAIL", 2, "0", "0", "2025-01-20", "2025-01-31"),
        _row("MEETINGS", 1, "10", "60", "2025-02-14", "2025-02-14"),
    ],
    "contact": [
        _row("CT1", 1, "10", "60", "2025-02-14", "2025-02-14"),
        _row("CT2", 2, "3.50", "16", "2025-01-10", "2025-02-03"),
        _row("CT3", 1, "0", "0", "2025-01-20", None),
        _row("CT4", 1, "0.75", "7.5", "2025-03-01", None),
        _row("CT5", 1, "0", "0", None, "2025-01-31"),
    ],
    # Fabrikam's own meeting and its persons' entries; Anna and Anna B have no company.
    "company": [_row("CT1", 4, "13.50", "76", "2025-02-14", "2025-02-14")],
    "salesperson": [
        _row("", 1, "0", "0", None, "2025-01-31"),
        _row("AL", 3, "4.25", "23.5", "2025-03-01", "2025-02-03"),
        _row("BO", 1, "0", "0", "2025-01-20", None),
        _row("CA", 1, "10", "60", "2025-02-14", "2025-02-14"),
    ],
    "month": [
        _row("2025-01", 3, "2.50", "15", "2025-01-20", "2025-01-31"),
        _row("2025-02", 2, "11", "61", "2025-02-14", "2025-02-14"),
        _row("2025-03", 1, "0.75", "7.5", "2025-03-01", None),
    ],
}


@pytest.mark.parametrize("by", sorted(EXPECTED))
def test_stats_by_each_key(logged: Session, by: str) -> None:
    assert stats(logged, EntryFilter(), by) == EXPECTED[by]


@contextmanager
def _statements(db: Session) -> Iterator[list[str]]:
    """The SQL statements run on `db`'s connection meanwhile."""
    seen: list[str] = []
    connection = db.connection()

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)


@pytest.mark.parametrize("by", sorted(EXPECTED))
def test_one_query_per_call(logged: Session, by: str) -> None:
    with _statements(logged) as seen:
        stats(logged, EntryFilter(), by)
        weekly(logged, EntryFilter(), by)
    assert len(seen) == 2
    # One GROUP BY, or two where the day grain's slots are first summed per day (PostgreSQL).
    assert all(s.count("GROUP BY") in (1, 2) for s in seen)


def test_canceled_entries_are_left_out_whatever_the_status_filter(logged: Session) -> None:
    assert stats(logged, EntryFilter(status="canceled"), "template") == []
    assert stats(logged, EntryFilter(status="all"), "month") == EXPECTED["month"]
    assert stats(logged, EntryFilter(status="active"), "month") == EXPECTED["month"]


def test_the_entries_filters_apply(logged: Session, world: World) -> None:
    since = EntryFilter(since=date(2025, 2, 1))
    assert [(r.key, r.count) for r in stats(logged, since, "template")] == [
        ("CALL", 2), ("MEETING", 1)]
    josefina = EntryFilter(contact_id=world.josefina.id)
    assert stats(logged, josefina, "company") == [
        _row("CT1", 1, "0", "0", "2025-01-20", None)]
    assert stats(logged, EntryFilter(salesperson_code="AL", until=date(2025, 2, 28)),
                 "month") == [_row("2025-01", 1, "2.50", "15", "2025-01-10", "2025-01-10"),
                              _row("2025-02", 1, "1", "1", None, "2025-02-03")]


def test_top_rows_have_the_most_entries(logged: Session) -> None:
    assert [(r.key, r.count) for r in stats(logged, EntryFilter(), "contact", top=3)] == [
        ("CT2", 2), ("CT1", 1), ("CT3", 1)]


def test_weekly_counts_start_on_monday(logged: Session) -> None:
    assert weekly(logged, EntryFilter(), "group") == [
        WeekCount(date(2025, 1, 6), "CALLS", 1),  # Friday 10 January
        WeekCount(date(2025, 1, 20), "EMAIL", 1),  # Monday 20 January itself
        WeekCount(date(2025, 1, 27), "EMAIL", 1),
        WeekCount(date(2025, 2, 3), "CALLS", 1),  # Monday 23:59
        WeekCount(date(2025, 2, 10), "MEETINGS", 1),
        WeekCount(date(2025, 2, 24), "CALLS", 1),  # Saturday 1 March; the canceled call
    ]                                              # of Sunday 2 March is left out
    assert weekly(logged, EntryFilter(), "company") == [
        WeekCount(date(2025, 1, 6), "CT1", 1), WeekCount(date(2025, 1, 20), "CT1", 1),
        WeekCount(date(2025, 2, 3), "CT1", 1), WeekCount(date(2025, 2, 10), "CT1", 1)]


def test_labels_name_each_key(logged: Session) -> None:
    assert labels(logged, "contact", ["CT2", "CT1", "CT9"]) == {
        "CT2": "José Pérez", "CT1": "Fabrikam Inc."}
    assert labels(logged, "template", ["CALL"]) == {"CALL": "Phone call"}
    assert labels(logged, "group", ["CALLS"]) == {"CALLS": "Phone calls"}
    assert labels(logged, "month", ["2025-01"]) == {}
    assert labels(logged, "company", []) == {}


def test_json_rows(logged: Session) -> None:
    assert [stat_to_json(r) for r in stats(logged, EntryFilter(), "contact")][3:] == [
        {"key": "CT4", "count": 1, "cost": 0.75, "duration_min": 7.5, "last_date": "2025-03-01",
         "last_attempt_date": None},
        {"key": "CT5", "count": 1, "cost": 0.0, "duration_min": 0.0, "last_date": None,
         "last_attempt_date": "2025-01-31"},
    ]


def test_an_unknown_by_is_refused(db: Session) -> None:
    with pytest.raises(InterlogError, match="statistics by 'week': expected one of template"):
        stats(db, EntryFilter(), "week")


RANGES = [(None, None), (date(2025, 1, 1), date(2025, 12, 31)), (date(2025, 2, 1), None),
          (date(2025, 1, 1), date(2025, 1, 31)), (date(2025, 1, 15), date(2025, 3, 1)),
          (None, date(2025, 2, 28)), (date(2024, 12, 31), date(2026, 1, 1)),
          (date(2025, 2, 3), date(2025, 2, 14)), (date(2025, 3, 2), date(2025, 12, 31))]


@pytest.mark.parametrize(("since", "until"), RANGES)
def test_rankings_read_the_periods_and_agree_with_the_statistics(
    logged: Session, world: World, since: date | None, until: date | None
) -> None:
    filters = [EntryFilter(since=since, until=until),
               EntryFilter(since=since, until=until, salesperson_code="AL"),
               EntryFilter(since=since, until=until, template_code="call"),
               EntryFilter(since=since, until=until, company_no="CT1")]
    for where in filters:
        for by in ("contact", "salesperson"):
            counted = sorted(((r.key, r.count) for r in stats(logged, where, by)),
                             key=lambda kc: (-kc[1], kc[0]))
            assert [(r.key, r.count) for r in ranking(logged, where, by)] == counted
            assert [(r.key, r.count) for r in ranking(logged, where, by, top=2)] == counted[:2]


def test_a_year_ranking_reads_one_row_per_contact(logged: Session) -> None:
    year = EntryFilter(since=date(2025, 1, 1), until=date(2025, 12, 31))
    with _statements(logged) as seen:
        assert ranking(logged, year, "contact", top=2) == [KeyCount("CT2", 2),
                                                           KeyCount("CT1", 1)]
    assert "GROUP BY" not in seen[0]
    assert "entry_day_totals" in seen[0]
    with _statements(logged) as seen:  # a source is only in the entries
        assert ranking(logged, EntryFilter(source="manual"), "salesperson")[0] == KeyCount("AL", 3)
    assert "interaction_log_entries" in seen[0]


def test_periods_cut_the_dates_into_years_months_and_days() -> None:
    d = date
    assert periods(d(2025, 1, 1), d(2025, 12, 31)) == [("year", d(2025, 1, 1), d(2025, 12, 31))]
    assert periods(None, None) == [("year", None, None)]
    assert periods(d(2024, 12, 31), d(2026, 3, 3)) == [
        ("day", d(2024, 12, 31), d(2024, 12, 31)), ("year", d(2025, 1, 1), d(2025, 12, 31)),
        ("month", d(2026, 1, 1), d(2026, 2, 28)), ("day", d(2026, 3, 1), d(2026, 3, 3))]
    assert periods(d(2025, 11, 3), d(2025, 11, 20)) == [("day", d(2025, 11, 3), d(2025, 11, 20))]
    assert periods(d(2025, 12, 1), d(2026, 1, 31)) == [("month", d(2025, 12, 1), d(2026, 1, 31))]
    assert periods(d(2024, 3, 5), date.max) == [
        ("day", d(2024, 3, 5), d(2024, 3, 31)), ("month", d(2024, 4, 1), d(2024, 12, 31)),
        ("year", d(2025, 1, 1), None)]
    assert periods(None, d(2025, 6, 30)) == [("year", None, d(2024, 12, 31)),
                                             ("month", d(2025, 1, 1), d(2025, 6, 30))]
