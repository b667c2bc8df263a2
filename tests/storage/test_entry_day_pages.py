"""Pages of the log bounded by dates (read day by day on PostgreSQL, storage/entry_days.py):
the same entries, pages and cursors as the filters select by entry number, on SQLite and
PostgreSQL, with UTC days and a page user's days in another zone, entries logged out of
date order (a call logged today for last week)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from storage.entries import EntryFilter, Interaction, log_interaction
from storage.entry_queries import EntryPage, entry_page, query_entries

if TYPE_CHECKING:
    from tests.support.world import World

MEXICO = ZoneInfo("America/Mexico_City")  # UTC-6: its days end in the next UTC day
START = datetime(2025, 10, 29, 2, 30, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as stored
SIZE = 4


def _logged(db: Session, world: World) -> dict[int, tuple[datetime, str]]:
    """~60 entries from 29 October to 3 December, every 14 hours (so some fall near each
    UTC midnight), logged in shuffled order: entry numbers do not follow dates."""
    moments = [START + timedelta(hours=14 * i) for i in range(62)]
    random.Random(14).shuffle(moments)
    logged = {}
    for i, at in enumerate(moments):
        template = "CALL" if i % 3 else "MEETING"
        entry = log_interaction(db, world.jose if i % 2 else world.anna, Interaction(
            template_code=template, occurred_at=at), actor="test")
        logged[entry.entry_no] = (at, template)
    return logged


def _expected(logged: dict[int, tuple[datetime, str]], filters: EntryFilter) -> list[int]:
    low, high = filters.bounds()
    return sorted((no for no, (at, template) in logged.items()
                   if (low is None or at >= low) and (high is None or at < high)
                   and filters.template_code in (None, template)), reverse=True)


def _walk(db: Session, filters: EntryFilter) -> list[EntryPage]:
    pages = [entry_page(db, filters, SIZE)]
    while pages[-1].older is not None:
        pages.append(entry_page(db, filters, SIZE, before=pages[-1].older))
    return pages


def _filters(zone: tzinfo) -> list[EntryFilter]:
    november = {"since": date(2025, 11, 1), "until": date(2025, 11, 30)}
    return [EntryFilter(**november, day_zone=zone),
            EntryFilter(**november, template_code="CALL", day_zone=zone),
            EntryFilter(since=date(2025, 11, 20), day_zone=zone),
            EntryFilter(until=date(2025, 11, 3), day_zone=zone),
            EntryFilter(since=date(2025, 11, 10), until=date(2025, 11, 10), day_zone=zone)]


@pytest.mark.parametrize("zone", [UTC, MEXICO], ids=["utc", "mexico_city"])
def test_date_pages_hold_the_range_s_entries_newest_first_with_their_cursors(
    db: Session, world: World, zone: tzinfo
) -> None:
    logged = _logged(db, world)
    for filters in _filters(zone):
        expected = _expected(logged, filters)
        assert expected, filters
        pages = _walk(db, filters)
        assert [e.entry_no for p in pages for e in p.entries] == expected, filters
        assert all(len(p.entries) == SIZE for p in pages[:-1])
        assert pages[0].newer is None
        assert pages[-1].older is None
        for page, following in pairwise(pages):
            assert page.older == page.entries[-1].entry_no
            assert following.newer == following.entries[0].entry_no
            back = entry_page(db, filters, SIZE, after=following.newer)  # a page back
            assert (back.entries, back.newer, back.older) == (
                page.entries, page.newer, page.older), filters


@pytest.mark.parametrize("zone", [UTC, MEXICO], ids=["utc", "mexico_city"])
def test_api_pages_after_an_entry_number_read_the_range_oldest_first(
    db: Session, world: World, zone: tzinfo
) -> None:
    logged = _logged(db, world)
    for filters in _filters(zone):
        seen: list[int] = []
        after = None
        while True:
            rows = query_entries(db, filters, limit=SIZE + 1, after=after)
            seen += [e.entry_no for e in rows[:SIZE]]
            if len(rows) <= SIZE:
                break
            after = rows[SIZE - 1].entry_no
        assert seen == sorted(_expected(logged, filters)), filters


def test_a_range_without_entries_and_an_empty_log_give_empty_pages(
    db: Session, world: World
) -> None:
    may = EntryFilter(since=date(2025, 5, 1), until=date(2025, 5, 31))
    assert entry_page(db, EntryFilter(since=date(2025, 5, 1)), SIZE) == EntryPage([], None, None)
    _logged(db, world)
    assert entry_page(db, may, SIZE) == EntryPage([], None, None)
    assert entry_page(db, may, SIZE, before=10**6).entries == []
    assert query_entries(db, may, limit=5, after=0) == []
