"""The log's pages by entry number, its bounded counts and estimated totals, on SQLite and
PostgreSQL; and, on PostgreSQL with 60,000 entries, the plans of the first page and of the
totals for each filter the pages offer: index scans, never a Seq Scan of the entries; a
month's pages read day by day, a few rows a day, never the whole month (EXPLAIN ANALYZE)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.entries import EntryFilter, Interaction, delete_canceled, log_interaction
from storage.entry_queries import count_upto, entry_page, totals
from storage.models import Contact, InteractionLogEntry
from storage.seed import seed_defaults
from tests.support.bulk import fill_postgresql
from tests.support.plans import selects_sent

if TYPE_CHECKING:
    from tests.support.world import World

AT = datetime(2025, 5, 1, 9, 0, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as stored


def _log(db: Session, contact: Contact, n: int) -> list[int]:
    return [log_interaction(db, contact, Interaction(
        template_code="CALL", occurred_at=AT + timedelta(minutes=i)), actor="test").entry_no
        for i in range(n)]


def test_pages_by_entry_number_have_no_gap_nor_repeat_while_entries_arrive(
    db: Session, world: World
) -> None:
    logged = _log(db, world.jose, 23) + _log(db, world.anna, 5)
    mine = EntryFilter(contact_id=world.jose.id)
    seen: list[int] = []
    page = entry_page(db, mine, 5)
    pages = [page]
    assert page.newer is None
    while page.older is not None:
        seen += [e.entry_no for e in page.entries]
        _log(db, world.jose, 2)  # newer than every page still to come
        page = entry_page(db, mine, 5, before=page.older)
        pages.append(page)
    seen += [e.entry_no for e in page.entries]
    assert seen == sorted(logged[:23], reverse=True)
    assert [len(p.entries) for p in pages] == [5, 5, 5, 5, 3]
    # Back up from the last page: the same pages again, each with its links.
    back = entry_page(db, mine, 5, after=pages[-1].newer)
    assert back.entries == pages[-2].entries
    assert (back.newer, back.older) == (pages[-2].newer, pages[-2].older)
    assert entry_page(db, mine, 5, before=1).entries == []


def test_counts_stop_at_their_limit(db: Session, world: World) -> None:
    _log(db, world.jose, 12)
    assert count_upto(db, EntryFilter(), limit=100) == 12
    assert count_upto(db, EntryFilter(), limit=10) == 11  # "more than 10"
    assert count_upto(db, EntryFilter(contact_id=world.anna.id), limit=10) == 0


def test_a_companys_count_is_its_persons_and_its_own_entries_once(db: Session,
                                                                 world: World) -> None:
    _log(db, world.jose, 4)  # persons of Fabrikam
    _log(db, world.josefina, 2)
    _log(db, world.fabrikam, 3)  # Fabrikam itself
    _log(db, world.anna, 2)  # of no company
    fabrikam = EntryFilter(company_no=world.fabrikam.no)
    assert count_upto(db, fabrikam, limit=100) == 9
    assert count_upto(db, fabrikam, limit=5) == 6  # "more than 5"
    assert count_upto(db, replace(fabrikam, template_code="MEETING"), limit=100) == 0
    assert count_upto(db, replace(fabrikam, status="canceled"), limit=100) == 0


def test_totals_only_the_entries_hold_are_estimated_beyond_their_limit_on_postgresql(
    db: Session, world: World
) -> None:
    _log(db, world.jose, 12)
    manual = EntryFilter(source="manual")
    assert totals(db, manual, limit=100).estimated is False
    assert totals(db, manual, limit=100).count == 12
    bounded = totals(db, manual, limit=5)
    postgresql = db.get_bind().dialect.name == "postgresql"
    assert bounded.estimated is postgresql
    assert isinstance(bounded.count, int)
    assert bounded.count >= 6 if postgresql else bounded.count == 12
    assert totals(db, EntryFilter(template_code="CALL"), limit=5).estimated is False


def _plans(session: Session, run: Any, explain: str = "EXPLAIN") -> list[Any]:
    """EXPLAIN of every SELECT that `run()` sends, with its own parameters."""
    sent = selects_sent(session, run)
    connection = session.connection()
    if explain != "EXPLAIN":  # a JSON plan
        return [connection.exec_driver_sql(f"{explain} {sql}", params).scalar_one()[0]["Plan"]
                for sql, params in sent]
    return ["\n".join(r[0] for r in connection.exec_driver_sql("EXPLAIN " + sql, params))
            for sql, params in sent]


def _entries_read(plan: dict[str, Any]) -> int:
    """The rows a plan's scans of the entries read (returned or filtered out), all loops."""
    own = 0
    if plan.get("Relation Name") == "interaction_log_entries":
        own = (plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)) * plan["Actual Loops"]
    return own + sum(_entries_read(child) for child in plan.get("Plans", []))


def _nodes(plan: dict[str, Any]) -> list[str]:
    return [plan["Node Type"]] + [n for child in plan.get("Plans", []) for n in _nodes(child)]


def _check_canceled(session: Session) -> None:
    """The canceled entries' page and `delete-canceled`'s list read the partial index of
    the canceled entries' numbers (migration 0019), not the log."""
    session.execute(sa.text("UPDATE interaction_log_entries SET canceled = true"
                            " WHERE entry_no % 50 = 0"))
    session.execute(sa.text("ANALYZE interaction_log_entries"))
    canceled = EntryFilter(status="canceled")
    plans = _plans(session, lambda: (entry_page(session, canceled, 50),
                                     delete_canceled(session, EntryFilter(), actor="test",
                                                     dry_run=True)))
    assert len(plans) == 2
    for plan in plans:
        assert "ix_entries_canceled_no" in plan, plan
        assert "Seq Scan on interaction_log_entries" not in plan, plan


def _check_month_pages(session: Session) -> None:
    """November's pages (about 4,900 entries of 60,000, and December's after them) read at
    most 30 days × 51 entries and the page's 51 rows, in UTC days and Mexico City's, a
    template's too; so do the probe of a later page and a page back."""
    analyze = "EXPLAIN (ANALYZE, FORMAT JSON)"
    in_november = session.scalar(sa.select(sa.func.count()).where(
        InteractionLogEntry.occurred_at >= AT.replace(month=11, day=1, hour=0),
        InteractionLogEntry.occurred_at < AT.replace(month=12, day=1, hour=0)))
    assert in_november is not None
    assert in_november > 4_000
    for where in (EntryFilter(since=date(2025, 11, 1), until=date(2025, 11, 30)),
                  EntryFilter(since=date(2025, 11, 1), until=date(2025, 11, 30),
                              day_zone=ZoneInfo("America/Mexico_City")),
                  EntryFilter(template_code="MEETING", since=date(2025, 11, 1),
                              until=date(2025, 11, 30))):
        first = entry_page(session, where, 50)
        assert len(first.entries) == 50
        assert first.older is not None
        plans = _plans(session, lambda where=where, first=first: (
            entry_page(session, where, 50), entry_page(session, where, 50, before=first.older),
            entry_page(session, where, 50, after=first.older - 1)), explain=analyze)
        assert len(plans) == 5  # a page; a page and its probe; a page back and its probe
        for plan in plans:
            assert "Seq Scan" not in _nodes(plan), (where, plan)
            # Read day by day: far fewer rows than the month holds (MEETING is a third).
            limit = 31 * 51 * (3 if where.template_code else 1) + 51 + 200
            assert _entries_read(plan) < min(limit, in_november), (where, plan)


def test_first_pages_and_totals_use_indexes_on_postgresql(clean_pg_engine: Engine) -> None:
    with Session(clean_pg_engine) as session:
        seed_defaults(session)
        session.commit()
        fill_postgresql(session)
        person = session.scalar(sa.select(Contact).where(Contact.no == "P000042"))
        assert person is not None
        filters = {
            "all": EntryFilter(), "contact": EntryFilter(contact_id=person.id),
            "company": EntryFilter(company_no="K0007"),
            "template": EntryFilter(template_code="CALL"),
            "month": EntryFilter(since=date(2025, 11, 1), until=date(2025, 11, 30)),
        }
        for name, where in filters.items():
            plans = _plans(session, lambda where=where: (
                entry_page(session, where, 50), totals(session, where, limit=10_000),
                count_upto(session, where)))
            page, total, count = plans  # no probe: a first page has nothing newer
            for plan in (page, total):
                assert "Seq Scan on interaction_log_entries" not in plan, (name, plan)
            assert "entry_day_totals" in total, (name, total)  # not the entries
            if name != "all":  # the few rows of a day's totals may be read whole
                assert "Seq Scan on entry_day_totals" not in total, (name, total)
            # The count reads at most 10,001 rows; a company's through its two indexes.
            assert count.lstrip().startswith("Aggregate"), (name, count)
            assert "Limit" in count, (name, count)
            if name == "company":
                assert "Seq Scan on interaction_log_entries" not in count, count
        assert session.scalar(sa.select(sa.func.count()).select_from(InteractionLogEntry)) \
            == 60_000
        _check_month_pages(session)
        _check_canceled(session)
