"""Deleted canceled entries leave a tombstone, and capture never logs them again."""

from __future__ import annotations

import sqlalchemy as sa

from storage.capture_models import DeletedEntryKey
from storage.entries import EntryFilter, Interaction, cancel_entries, delete_canceled
from storage.entries import log_interaction as log_manual
from storage.models import AuditEvent, Contact
from tests.support.builders import NOW, a_message, an_event
from tests.support.capture import ALICE, BOB, JANE, JOHN, Capture


def _tombstones(cap: Capture) -> set[tuple[str, str, str]]:
    t = DeletedEntryKey
    query = sa.select(t.kind, t.key, Contact.no).join(Contact, Contact.id == t.contact_id)
    return {(k, key, no) for k, key, no in cap.session.execute(query)}


def _cancel_and_delete(cap: Capture, contact_no: str) -> list[int]:
    doomed = [e.entry_no for e in cap.entries() if e.contact_no == contact_no]
    cancel_entries(cap.session, doomed, actor="test")
    return delete_canceled(cap.session, EntryFilter(), actor="admin")


def test_delete_canceled_leaves_a_tombstone_per_captured_entry_only(cap: Capture) -> None:
    cap.page(ALICE, a_message().from_(ALICE).to(JANE, JOHN).message_id("<q1@contoso.com>")
             .build(),
             an_event().organizer(ALICE).attendees(JANE).ical_uid("uid-kickoff").at(NOW).build())
    captured_jane = [e.entry_no for e in cap.entries() if e.contact_no == "P-JANE"]
    jane = cap.session.scalars(sa.select(Contact).where(Contact.no == "P-JANE")).one()
    manual = log_manual(cap.session, jane, Interaction("EMAIL", subject="phoned"), actor="test")
    cancel_entries(cap.session, [*captured_jane, manual.entry_no], actor="test")

    deleted = delete_canceled(cap.session, EntryFilter(), actor="admin")

    assert sorted(deleted) == sorted([*captured_jane, manual.entry_no])
    assert _tombstones(cap) == {("email", "<q1@contoso.com>", "P-JANE"),
                                ("meeting", "uid-kickoff", "P-JANE")}
    assert [e.contact_no for e in cap.entries()] == ["P-JOHN"]  # John's entry is untouched
    deletes = cap.session.scalars(sa.select(AuditEvent.entry_no)
                                  .where(AuditEvent.action == "delete"))
    assert sorted(deletes) == sorted(deleted)
    # Nothing canceled is left: a second run deletes (and tombstones) nothing.
    assert delete_canceled(cap.session, EntryFilter(), actor="admin") == []


def test_a_colleagues_copy_synced_later_does_not_bring_a_deleted_entry_back(
    cap: Capture,
) -> None:
    alices = a_message().id("alice-copy").from_(ALICE).to(JANE, JOHN).cc(BOB)
    cap.page(ALICE, alices.message_id("<q2@contoso.com>").build())
    _cancel_and_delete(cap, "P-JANE")

    bobs = a_message().id("bob-copy").from_(ALICE).to(JANE, JOHN).cc(BOB)
    out = cap.page(BOB, bobs.message_id("<q2@contoso.com>").build())
    assert out.entries_created == 0
    assert [e.contact_no for e in cap.entries()] == ["P-JOHN"]

    # The tombstone is of that message and contact only: Jane's next message is logged.
    out = cap.page(BOB, a_message().id("next").from_(JANE).to(BOB)
                   .message_id("<q3@fabrikam.com>").build())
    assert out.entries_created == 1


def test_an_attendees_copy_of_a_deleted_meeting_entry_logs_nothing(cap: Capture) -> None:
    meeting = an_event().organizer(ALICE).attendees(BOB, JANE).ical_uid("uid-review").at(NOW)
    cap.page(ALICE, meeting.id("alice-event").build())
    _cancel_and_delete(cap, "P-JANE")

    out = cap.page(BOB, meeting.id("bob-event").build())
    again = cap.page(ALICE, meeting.id("alice-event").subject("Review (moved)").build())

    assert (out.entries_created, again.entries_created) == (0, 0)
    assert cap.entries() == []
    assert _tombstones(cap) == {("meeting", "uid-review", "P-JANE")}
