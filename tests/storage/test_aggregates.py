"""The per-day totals (storage/aggregates.py) stay equal to a full recount of the entries
after every write: capture's inserts, a manual entry, cancel, restore, delete-canceled, a
meeting moved, a reclassification; `rebuild` recomputes them; statistics and totals read
them. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage import aggregates
from storage.entries import EntryFilter, Interaction, entry_row, get_template, log_interaction
from storage.entry_queries import totals
from storage.entry_reclassify import Reclassified, reclassify_entries
from storage.entry_writes import (
    MeetingMove,
    NewEntry,
    cancel_where,
    delete_canceled,
    insert_entries,
    move_meetings,
    restore_where,
)
from storage.models import Contact, InteractionLogEntry, User
from storage.stats import stats
from tests.support.aggregates import assert_totals_match, recount, stored

if TYPE_CHECKING:
    from tests.support.world import World

AT = datetime(2025, 3, 14, 23, 30, tzinfo=UTC).replace(tzinfo=None)
E = InteractionLogEntry


def _row(db: Session, contact: Contact, *, template: str = "CALL", at: datetime = AT,
         **fields: Any) -> NewEntry:
    row = entry_row(contact, Interaction(template_code=template, occurred_at=at),
                    get_template(db, template), "")
    row.update(fields)  # type: ignore[typeddict-item]
    return row


def _captured(db: Session, world: World) -> list[int]:
    """Capture's writes: emails and meetings of persons, a company and a person without one,
    on two days, by two users, one a failed attempt; one email twice (skipped)."""
    db.add_all([User(upn="alice@contoso.com", salesperson_code="AL"),
                User(upn="bob@contoso.com", salesperson_code="BO")])
    rows = [
        _row(db, world.jose, template="EMAIL", source="email", internet_message_id="<m1>",
             user_upn="alice@contoso.com", salesperson_code="AL", cost=Decimal("0.10")),
        _row(db, world.josefina, template="EMAIL", source="email", internet_message_id="<m1>",
             user_upn="alice@contoso.com", salesperson_code="AL", cost=Decimal("0.10")),
        _row(db, world.fabrikam, template="MEETING", source="meeting", ical_uid="u1",
             user_upn="bob@contoso.com", salesperson_code="BO", duration_min=Decimal(30),
             at=AT + timedelta(hours=1)),
        _row(db, world.anna, template="MEETING", source="meeting", ical_uid="u1",
             user_upn="bob@contoso.com", salesperson_code="BO", duration_min=Decimal(30),
             at=AT + timedelta(hours=1), attempt_failed=True),
        _row(db, world.anna_b, template="EMAIL", source="email", internet_message_id="<m2>",
             at=AT - timedelta(days=3)),
    ]
    first = insert_entries(db, rows, actor="sync:alice@contoso.com")
    again = insert_entries(db, rows[:1], actor="sync:bob@contoso.com")
    assert (len(first), again) == (5, [])
    return first


def test_capture_and_a_manual_entry_add_up_to_a_recount(db: Session, world: World) -> None:
    _captured(db, world)
    log_interaction(db, world.jose, Interaction(
        template_code="CALL", occurred_at=AT, cost=Decimal("2.50"), duration_min=Decimal(15),
        initiated_by="us"), actor="web:ann")

    assert_totals_match(db)
    grains = {key[0] for key in stored(db)}
    assert grains == set(aggregates.GRAINS)


def test_cancel_restore_and_delete_canceled_keep_the_totals(db: Session, world: World) -> None:
    a, b, *_ = _captured(db, world)
    cancel_where(db, E.entry_no.in_([a, b]), actor="test", reason="duplicate")
    assert_totals_match(db)
    cancel_where(db, E.entry_no.in_([a, b]), actor="test", reason="again")  # nothing changes
    assert_totals_match(db)
    restore_where(db, E.entry_no == a, actor="test")
    assert_totals_match(db)
    assert delete_canceled(db, EntryFilter(), actor="test") == [b]
    assert_totals_match(db)


def test_a_moved_meeting_and_a_reclassified_entry_move_their_totals(
    db: Session, world: World
) -> None:
    _, _, meeting, _, email = _captured(db, world)
    move_meetings(db, [MeetingMove(meeting, AT + timedelta(days=40), Decimal(90), "later")],
                  actor="test")
    assert_totals_match(db)
    reclassify_entries(db, [Reclassified(
        email, before={"template_code": "EMAIL"},
        after={"template_code": "CALL", "group_code": "CALLS", "cost": Decimal("3"),
               "duration_min": Decimal(5), "correspondence_type": "",
               "document_type": None, "document_no": None})], actor="test")
    assert_totals_match(db)
    days = {key[1] for key in stored(db) if key[0] == aggregates.DAY}
    assert date(2025, 4, 23) in days  # the meeting's new day


def test_rebuild_recomputes_the_totals_from_the_entries(db: Session, world: World) -> None:
    entry_nos = _captured(db, world)
    cancel_where(db, E.entry_no == entry_nos[0], actor="test", reason=None)
    before = stored(db)
    db.execute(sa.update(aggregates.EntryDayTotal).values(entries=99))  # spoiled
    assert stored(db) != before

    rows = aggregates.rebuild(db)

    assert stored(db) == before == recount(db)
    assert rows == len(before)  # a rebuild keeps no rows of zero


def test_statistics_and_totals_read_the_totals_unless_a_filter_needs_the_entries(
    db: Session, world: World
) -> None:
    _captured(db, world)
    db.execute(sa.update(aggregates.EntryDayTotal).where(
        aggregates.EntryDayTotal.template_code == "EMAIL").values(entries=1000))
    # The figures come from the totals' rows (emails on two days)...
    assert totals(db, EntryFilter(template_code="EMAIL")).count == 2000
    assert [r.count for r in stats(db, EntryFilter(), "template")] == [2000, 2]
    assert totals(db, EntryFilter(contact_id=world.jose.id)).count == 1000
    # ...but a source or an evaluation is only in the entries.
    assert totals(db, EntryFilter(template_code="EMAIL", source="email")).count == 3
    assert [r.count for r in stats(db, EntryFilter(source="email"), "template")] == [3]
    assert aggregates.grain_for(EntryFilter(evaluation="")) is None


def test_concurrent_writers_add_to_their_own_slots_of_a_day_on_postgresql(
    clean_pg_engine: Engine,
) -> None:
    """Two server processes writing the same day and template add to different rows (their
    slots: neither waits on the other's row until it commits), and the figures still sum."""
    from storage.entries import entry_row, get_template
    from tests.support.world import make_world

    with Session(clean_pg_engine) as setup, setup.begin():
        make_world(setup)
    sessions = [Session(clean_pg_engine) for _ in range(aggregates.SLOTS + 1)]
    try:
        slots: dict[int, Session] = {}
        for session in sessions:  # two server processes of different slots
            pid = session.scalar(sa.text("SELECT pg_backend_pid()")) or 0
            slots.setdefault(pid % aggregates.SLOTS, session)
        first, second = list(slots.values())[:2]
        # Two users' calls to two contacts: only the day grain's row is shared.
        for session, no, user, at in ((first, "CT2", "alice@contoso.com", AT),
                                      (second, "CT4", "bob@contoso.com", AT)):
            session.execute(sa.text("SET lock_timeout = '10s'"))  # a wait fails the test
            contact = session.scalar(sa.select(Contact).where(Contact.no == no))
            assert contact is not None
            row = entry_row(contact, Interaction(template_code="CALL", occurred_at=at),
                            get_template(session, "CALL"), "")
            row["user_upn"] = user
            insert_entries(session, [row], actor="test")  # both uncommitted at once
        first.commit()
        second.commit()
        # A later entry logged by one process and canceled by the other: its day's slots
        # sum to nothing, so it is no one's last date.
        later = entry_row(first.get_one(Contact, first.scalar(
            sa.select(Contact.id).where(Contact.no == "CT2"))),
            Interaction(template_code="CALL", occurred_at=AT + timedelta(days=2)),
            get_template(first, "CALL"), "")
        [undone] = insert_entries(first, [later], actor="test")
        first.commit()
        cancel_where(second, E.entry_no == undone, actor="test", reason="wrong")
        second.commit()
    finally:
        for session in sessions:
            session.close()
    with Session(clean_pg_engine) as session:
        assert_totals_match(session)
        day_rows = session.scalars(sa.select(aggregates.EntryDayTotal.slot).where(
            aggregates.EntryDayTotal.grain == aggregates.DAY)).all()
        assert len(set(day_rows)) == 2
        [calls] = stats(session, EntryFilter(), "template")
        assert (calls.count, calls.last_date) == (2, AT.date())
