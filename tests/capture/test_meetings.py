"""Capture rules for meetings: direction, duration, recurrence, moves, cancellations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from connector.items import Removed
from storage.entries import cancel_entries
from storage.models import AuditEvent
from tests.support.builders import NOW, an_event
from tests.support.capture import ALICE, BOB, JANE, JOHN, Capture


def test_given_internal_organizer_every_external_attendee_contact_gets_an_outbound_entry(
    cap: Capture,
) -> None:
    event = (an_event().organizer(ALICE).attendees(BOB, JANE, JOHN, "x@unknown.example")
             .attendees("room1@contoso.com", type="resource").subject("Kick-off")
             .at(NOW, minutes=50).build())

    out = cap.page(BOB, event)  # Bob's copy: the organizer still decides direction and user

    entries = cap.entries()
    assert out.entries_created == 2
    assert sorted(e.contact_no for e in entries) == ["P-JANE", "P-JOHN"]
    for entry in entries:
        assert (entry.information_flow, entry.initiated_by) == ("outbound", "us")
        assert entry.user_upn == ALICE
        assert entry.occurred_at == NOW
        assert entry.duration_min == Decimal("50")  # the real length, not the template's 30
        assert entry.cost == Decimal("20")  # the template's
        assert (entry.source, entry.template_code, entry.ical_uid) == (
            "meeting", "MEETING", event.ical_uid)
        assert entry.internet_message_id is None
    assert set(cap.unmatched()) == {"x@unknown.example"}


def test_given_external_organizer_organizer_and_external_attendees_get_inbound_entries(
    cap: Capture,
) -> None:
    event = an_event().organizer(JANE).attendees(ALICE, JOHN).build()

    cap.page(ALICE, event)

    entries = cap.entries()
    assert sorted(e.contact_no for e in entries) == ["P-JANE", "P-JOHN"]
    assert {(e.information_flow, e.initiated_by, e.user_upn) for e in entries} == {
        ("inbound", "them", ALICE)}


def test_given_the_same_meeting_in_two_calendars_one_entry_per_contact(cap: Capture) -> None:
    uid = "uid-shared"
    cap.page(ALICE, an_event().ical_uid(uid).organizer(ALICE).attendees(BOB, JANE).build())
    out = cap.page(BOB, an_event().ical_uid(uid).organizer(ALICE).attendees(BOB, JANE).build())

    assert out.entries_created == 0
    assert [e.contact_no for e in cap.entries()] == ["P-JANE"]


def test_given_recurring_occurrences_each_gets_its_own_entries(cap: Capture) -> None:
    weekly = [an_event().occurrence("master-1").organizer(ALICE).attendees(JANE)
              .at(NOW + timedelta(weeks=i)).build() for i in range(3)]

    out = cap.page(ALICE, *weekly, an_event().series_master().organizer(ALICE)
                   .attendees(JANE).build())

    assert out.entries_created == 3
    assert out.skipped == {"series_master": 1}
    assert sorted(e.occurred_at for e in cap.entries()) == [
        NOW + timedelta(weeks=i) for i in range(3)]


def test_given_a_moved_meeting_its_entries_move(cap: Capture) -> None:
    builder = an_event().organizer(ALICE).attendees(JANE, JOHN).subject("Review").at(NOW)
    cap.page(ALICE, builder.build())
    before = [e.entry_no for e in cap.entries()]

    later = NOW + timedelta(days=2, hours=3)
    out = cap.page(ALICE, builder.at(later, minutes=90).subject("Review (moved)").build())

    entries = cap.entries()
    assert (out.entries_created, out.entries_updated) == (0, 2)
    assert [e.entry_no for e in entries] == before
    assert {(e.occurred_at, e.duration_min, e.subject) for e in entries} == {
        (later, Decimal("90"), "Review (moved)")}
    moves = cap.session.execute(sa.select(AuditEvent.entry_no, AuditEvent.actor)
                                .where(AuditEvent.action == "move")).all()
    assert sorted(moves) == [(n, f"sync:{ALICE}") for n in sorted(before)]


def test_given_a_canceled_meeting_its_entries_are_canceled_with_the_reason(cap: Capture) -> None:
    builder = an_event().organizer(JANE).attendees(ALICE, JOHN)
    cap.page(ALICE, builder.build())

    out = cap.page(BOB, builder.cancelled().build())  # any copy says so

    entries = cap.entries()
    assert out.entries_canceled == 2
    assert all(e.canceled for e in entries)
    assert {e.canceled_reason for e in entries} == {"meeting canceled in Outlook"}
    cancels = cap.session.scalars(sa.select(AuditEvent.entry_no)
                                  .where(AuditEvent.action == "cancel")).all()
    assert sorted(cancels) == sorted(e.entry_no for e in entries)
    assert cap.page(ALICE, builder.build()).entries_canceled == 0  # nothing twice


def test_given_a_meeting_canceled_when_first_seen_it_is_not_logged(cap: Capture) -> None:
    out = cap.page(ALICE, an_event().organizer(ALICE).attendees(JANE).cancelled().build(),
                   an_event().organizer(ALICE).attendees(BOB).cancelled().build())

    assert out.skipped == {"canceled_when_first_seen": 1, "internal_only": 1}
    assert cap.entries() == []


def test_given_a_user_canceled_entry_a_resync_and_a_move_never_restore_it(cap: Capture) -> None:
    builder = an_event().organizer(ALICE).attendees(JANE)
    cap.page(ALICE, builder.build())
    [entry] = cap.entries()
    cancel_entries(cap.session, [entry.entry_no], actor="test", reason="not a real meeting")

    cap.page(ALICE, builder.at(NOW + timedelta(hours=1)).build())

    [entry] = cap.entries()
    assert entry.canceled
    assert entry.canceled_reason == "not a real meeting"


def test_given_a_verified_deleted_event_only_the_organizers_copy_cancels(cap: Capture) -> None:
    uid = "uid-deleted"
    organizer_copy = an_event().ical_uid(uid).organizer(ALICE).attendees(BOB, JANE).build()
    attendee_copy = an_event().ical_uid(uid).organizer(ALICE).attendees(BOB, JANE).build()
    cap.page(ALICE, organizer_copy)
    cap.page(BOB, attendee_copy)

    kept = cap.page(BOB, Removed(attendee_copy.id, "deleted"))
    assert kept.entries_canceled == 0
    assert [e.canceled for e in cap.entries()] == [False]

    gone = cap.page(ALICE, Removed(organizer_copy.id, "deleted"))
    [entry] = cap.entries()
    assert gone.entries_canceled == 1
    assert entry.canceled_reason == "meeting deleted from its organizer's calendar"


def test_given_removed_ids_never_captured_nothing_happens(cap: Capture) -> None:
    out = cap.page(ALICE, Removed("AAMk-unknown", "deleted"))
    assert (out.items_seen, out.entries_canceled, dict(out.skipped)) == (1, 0, {})


def test_given_private_meetings_the_policy_applies_by_sensitivity(
    make_capture: Callable[..., Capture],
) -> None:
    skip = make_capture(private_items="skip")
    out = skip.page(ALICE, an_event().organizer(ALICE).attendees(JANE).sensitivity("private")
                    .build())
    assert out.skipped == {"private": 1}

    redact = make_capture(private_items="redact")
    redact.add_rule("ONLINE", subject="(?i)secret")
    out = redact.page(ALICE, an_event().organizer(ALICE).attendees(JANE).subject("Secret deal")
                      .sensitivity("private").build())
    [entry] = redact.entries()
    assert out.entries_created == 1
    assert entry.subject == "Private"
    assert entry.template_code == "MEETING"  # rules never see a redacted subject
