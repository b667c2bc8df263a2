"""The log records what has happened: future meetings are kept, not logged, until they start;
all-day and multi-day events take the template's unit duration; the kept data."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from connector.capture.due import log_due_meetings
from connector.item_json import item_from_json
from storage.capture_models import CapturedAddress, CapturedItem
from storage.upcoming import upcoming_meetings
from tests.support.builders import NOW, a_message, an_event
from tests.support.capture import ALICE, JANE, JOHN, Capture


def _at(cap: Capture, now: object) -> None:
    cap.ctx.now = lambda: now  # type: ignore[assignment,return-value]


def test_a_future_meeting_is_kept_and_upcoming_and_logged_once_started(cap: Capture) -> None:
    _at(cap, NOW)
    event = (an_event().organizer(ALICE).attendees(JANE).subject("Plan")
             .at(NOW + timedelta(days=1), minutes=30).build())

    out = cap.page(ALICE, event)

    assert (out.entries_created, cap.entries()) == (0, [])
    [meeting] = upcoming_meetings(cap.session, now=NOW)
    assert (meeting.ical_uid, meeting.subject, meeting.start) == (
        event.ical_uid, "Plan", NOW + timedelta(days=1))
    assert [c.no for c in meeting.contacts] == ["P-JANE"]
    _at(cap, NOW + timedelta(days=1, minutes=1))
    assert log_due_meetings(cap.session, cap.ctx).entries_created == 1
    [entry] = cap.entries()
    assert (entry.occurred_at, entry.duration_min) == (NOW + timedelta(days=1), Decimal(30))
    assert upcoming_meetings(cap.session, now=NOW + timedelta(days=1, minutes=1)) == []
    assert log_due_meetings(cap.session, cap.ctx).entries_created == 0


def test_all_day_and_multi_day_events_take_the_templates_unit_duration(cap: Capture) -> None:
    all_day = an_event().organizer(ALICE).attendees(JANE).at(NOW, minutes=1440).build()
    all_day = replace(all_day, is_all_day=True)
    three_days = an_event().organizer(ALICE).attendees(JOHN).at(NOW, minutes=3 * 1440).build()

    cap.page(ALICE, all_day, three_days)

    entries = cap.entries()
    assert {(e.contact_no, e.occurred_at, e.duration_min) for e in entries} == {
        ("P-JANE", NOW, Decimal(30)), ("P-JOHN", NOW, Decimal(30))}  # MEETING's 30 min
    out = cap.page(ALICE, all_day, three_days)  # seen again: nothing moves
    assert out.entries_updated == 0


def test_a_logged_meeting_moved_into_the_future_keeps_its_entries_until_it_starts(
    cap: Capture,
) -> None:
    _at(cap, NOW + timedelta(hours=2))
    event = an_event().organizer(ALICE).attendees(JANE).at(NOW, minutes=45).build()
    cap.page(ALICE, event)
    moved = replace(event, start=NOW + timedelta(days=3), end=NOW + timedelta(days=3, minutes=60))

    out = cap.page(ALICE, moved)

    assert out.entries_updated == 0
    assert [e.occurred_at for e in cap.entries()] == [NOW]
    _at(cap, NOW + timedelta(days=4))
    assert log_due_meetings(cap.session, cap.ctx).entries_updated == 1
    assert [(e.occurred_at, e.duration_min) for e in cap.entries()] == [
        (NOW + timedelta(days=3), Decimal(60))]


def test_every_copy_keeps_its_item_and_its_external_participants(cap: Capture) -> None:
    msg = a_message().from_(JANE).to(ALICE).cc(JOHN, "x@unknown.example").build()
    cap.page(ALICE, msg)

    copy = cap.session.scalars(sa.select(CapturedItem)).one()
    assert copy.item is not None
    assert item_from_json(copy.item) == msg
    assert (copy.occurred_at, copy.pending) == (msg.received_at, False)
    addresses = set(cap.session.scalars(
        sa.select(CapturedAddress.address).where(CapturedAddress.captured_item_id == copy.id)))
    assert addresses == {JANE, JOHN, "x@unknown.example"}  # Alice is internal


def test_a_redacted_subject_is_kept_redacted(make_capture: object) -> None:
    cap = make_capture(private_items="redact")  # type: ignore[operator]
    event = (an_event().organizer(ALICE).attendees(JANE).subject("Merger talks")
             .sensitivity("private").build())
    cap.page(ALICE, event)

    copy = cap.session.scalars(sa.select(CapturedItem)).one()
    assert "Merger" not in (copy.item or "")
    assert copy.subject == "Private"
