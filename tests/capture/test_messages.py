"""Capture rules for mail: direction, who gets entries, dedupe across mailboxes, skips."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from connector.items import Removed, Skipped
from storage.capture_models import CapturedItem
from storage.models import AuditEvent
from tests.support.builders import NOW, a_message
from tests.support.capture import ALICE, BOB, CAROL, JANE, JOHN, Capture


def test_given_internal_sender_each_external_recipient_contact_gets_an_outbound_entry(
    cap: Capture,
) -> None:
    msg = (a_message().from_(ALICE).to(JANE).cc(BOB, JOHN).bcc("nobody@unknown.example")
           .subject("Renewal").sent(NOW).received(NOW + timedelta(minutes=1)).build())

    out = cap.page(BOB, msg)  # found in Bob's mailbox: direction still from the sender

    entries = cap.entries()
    assert out.entries_created == 2
    assert sorted(e.contact_no for e in entries) == ["P-JANE", "P-JOHN"]
    jane = next(e for e in entries if e.contact_no == "P-JANE")
    assert (jane.information_flow, jane.initiated_by) == ("outbound", "us")
    assert jane.user_upn == ALICE
    assert jane.salesperson_code == "AL"
    assert jane.occurred_at == NOW  # sent time for outbound mail
    assert jane.contact_company_no == "C-FAB"
    assert jane.contact_name == "Jane Doe"
    assert (jane.template_code, jane.group_code) == ("EMAIL", "EMAIL")
    assert (jane.duration_min, jane.cost) == (Decimal("3"), Decimal("1.50"))  # template's
    assert (jane.source, jane.correspondence_type) == ("email", "email")
    assert jane.internet_message_id == msg.internet_message_id
    assert jane.web_link == msg.web_link
    assert jane.ical_uid is None
    assert jane.subject == "Renewal"
    assert not jane.canceled


def test_given_external_sender_only_the_senders_contact_gets_an_inbound_entry(
    cap: Capture,
) -> None:
    msg = (a_message().from_("Jane <Jane.Doe@Gmail.com>").to(BOB).cc(JOHN)
           .sent(NOW).received(NOW + timedelta(minutes=2)).build())

    out = cap.page(BOB, msg)

    [entry] = cap.entries()
    assert out.entries_created == 1
    assert entry.contact_no == "P-JANE"  # second address of the contact, any case
    assert (entry.information_flow, entry.initiated_by) == ("inbound", "them")
    assert entry.user_upn == BOB
    assert entry.salesperson_code == "BO"
    assert entry.occurred_at == NOW + timedelta(minutes=2)  # received time for inbound


def test_given_same_message_in_three_mailboxes_one_entry_per_contact(
    make_capture: Callable[..., Capture],
) -> None:
    cap = make_capture(mailboxes=[ALICE, BOB, CAROL])
    msg = a_message().from_(JANE).to(ALICE, BOB, CAROL, JOHN).build()
    copies = [a_message().from_(JANE).to(ALICE, BOB, CAROL, JOHN)
              .message_id(msg.internet_message_id).build() for _ in range(2)]

    first = cap.page(BOB, msg)
    second = cap.page(ALICE, copies[0])
    third = cap.page(CAROL, copies[1])

    [entry] = cap.entries()
    assert (first.entries_created, second.entries_created, third.entries_created) == (1, 0, 0)
    assert entry.user_upn == BOB  # the first mailbox it was found in
    assert cap.session.scalar(sa.select(sa.func.count()).select_from(CapturedItem)) == 3


def test_given_rerun_of_the_same_page_no_new_entries_and_no_writes(cap: Capture) -> None:
    msg = a_message().from_(ALICE).to(JANE, JOHN).build()
    cap.page(ALICE, msg)
    audits = cap.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

    again = cap.page(ALICE, msg)

    assert again.entries_created == 0
    assert len(cap.entries()) == 2
    assert cap.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audits


def test_given_bcc_only_in_the_senders_copy_the_bcc_contact_gets_its_entry_later(
    cap: Capture,
) -> None:
    inbox_copy = a_message().from_(ALICE).to(JANE).build()
    sent_copy = (a_message().from_(ALICE).to(JANE).bcc(JOHN)
                 .message_id(inbox_copy.internet_message_id).build())

    cap.page(BOB, inbox_copy)
    out = cap.page(ALICE, sent_copy)

    assert out.entries_created == 1
    assert sorted(e.contact_no for e in cap.entries()) == ["P-JANE", "P-JOHN"]


def test_given_user_canceled_and_deleted_an_entry_a_resync_does_not_bring_it_back(
    cap: Capture,
) -> None:
    from storage.entries import EntryFilter, cancel_entries, delete_canceled

    msg = a_message().from_(JANE).to(ALICE).build()
    cap.page(ALICE, msg)
    [entry] = cap.entries()
    cancel_entries(cap.session, [entry.entry_no], actor="test")
    cap.page(ALICE, msg)
    assert [e.canceled for e in cap.entries()] == [True]  # a re-sync never restores

    delete_canceled(cap.session, EntryFilter(), actor="test")
    out = cap.page(ALICE, msg)

    assert out.entries_created == 0
    assert cap.entries() == []


def test_given_every_participant_internal_nothing_is_logged(cap: Capture) -> None:
    out = cap.page(ALICE, a_message().from_(ALICE).to(BOB, "dave@sales.contoso.com").build(),
                   a_message().from_(BOB).to(CAROL).build())

    assert out.skipped == {"internal_only": 2}
    assert cap.entries() == []


def test_given_drafts_automated_senders_and_malformed_items_they_are_counted_not_logged(
    cap: Capture,
) -> None:
    out = cap.page(
        ALICE,
        a_message().from_(ALICE).to(JANE).draft().build(),
        a_message().from_("no-reply@fabrikam.com").to(ALICE).build(),
        a_message().from_("MAILER-DAEMON@fabrikam.com").to(ALICE).build(),
        a_message().from_("bounces+12345@mail.fabrikam.com").to(ALICE).build(),
        a_message().from_(None).to(ALICE).build(),
        a_message().from_(JANE).to(ALICE).message_id(None).build(),
        Skipped("AAMk-bad", "bad_json"),
    )

    assert out.items_seen == 7
    assert out.skipped == {"draft": 1, "automated": 3, "malformed:no_from": 1,
                           "malformed:no_internet_message_id": 1, "malformed:bad_json": 1}
    assert cap.entries() == []
    assert cap.unmatched() == {}


def test_given_excluded_addresses_and_domains_they_are_never_logged(
    make_capture: Callable[..., Capture],
) -> None:
    cap = make_capture(exclude_addresses=["Jane@Fabrikam.com"], exclude_domains=["adatum.com"])

    out = cap.page(
        ALICE,
        a_message().from_(JANE).to(ALICE).build(),  # excluded sender
        a_message().from_(ALICE).to(JANE, JOHN).build(),  # every external excluded
        a_message().from_(ALICE).to(JOHN, "jane.doe@gmail.com").build(),  # one left
    )

    assert out.skipped == {"excluded": 2}
    assert [(e.contact_no, e.internet_message_id is not None) for e in cap.entries()] == [
        ("P-JANE", True)
    ]


def test_given_a_person_without_contact_the_company_of_the_domain_is_logged(
    make_capture: Callable[..., Capture],
) -> None:
    cap = make_capture()
    out = cap.page(ALICE, a_message().from_(ALICE)
                   .to("someone@fabrikam.com", "other@eu.fabrikam.com").build())
    [entry] = cap.entries()
    assert out.entries_created == 1
    assert entry.contact_no == "C-FAB"
    assert entry.contact_company_no is None
    assert cap.unmatched() == {}

    off = make_capture(match_company_by_domain=False)
    out = off.page(ALICE, a_message().from_(ALICE).to("someone@fabrikam.com").build())
    assert out.entries_created == 0
    assert out.skipped == {"no_contact": 1}
    assert "someone@fabrikam.com" in off.unmatched()


def test_given_unmatched_external_addresses_they_are_stored_with_counts(cap: Capture) -> None:
    first = (a_message().from_(ALICE).to("Zed <zed@startup.example>", JANE)
             .subject("Intro").sent(NOW).build())
    later = a_message().from_("zed@startup.example").to(ALICE).received(NOW + timedelta(days=3))
    copy_elsewhere = (a_message().from_("zed@startup.example").to(ALICE, BOB)
                      .received(NOW + timedelta(days=3)))

    out1 = cap.page(ALICE, first)
    msg2 = later.build()
    out2 = cap.page(ALICE, msg2)
    out3 = cap.page(BOB, copy_elsewhere.message_id(msg2.internet_message_id).build())
    cap.page(ALICE, msg2)  # re-sync

    zed = cap.unmatched()["zed@startup.example"]
    assert (out1.unmatched_addresses, out2.unmatched_addresses, out3.unmatched_addresses) == (
        1, 1, 0)
    assert out2.skipped == {"no_contact": 1}
    assert zed.count == 2  # two distinct messages, whatever the mailboxes and re-syncs
    assert (zed.first_seen_at, zed.last_seen_at) == (NOW, NOW + timedelta(days=3))
    assert (zed.mailbox, zed.example_subject, zed.name, zed.domain) == (
        ALICE, "Intro", "Zed", "startup.example")


def test_given_private_mail_policy_skip_redact_or_log(
    make_capture: Callable[..., Capture],
) -> None:
    def run(policy: str, sensitivity: str) -> tuple[int, list[str]]:
        cap = make_capture(private_items=policy)
        msg = (a_message().from_(JANE).to(ALICE).subject("Medical leave")
               .sensitivity(sensitivity).build())
        out = cap.page(ALICE, msg)
        key = msg.internet_message_id
        rows = [e.subject for e in cap.entries() if e.internet_message_id == key]
        return out.skipped["private"], rows

    assert run("skip", "private") == (1, [])
    assert run("skip", "personal") == (1, [])
    assert run("skip", "confidential") == (0, ["Medical leave"])
    assert run("redact", "private") == (0, ["Private"])
    assert run("log", "private") == (0, ["Medical leave"])


def test_given_a_deleted_message_its_entries_stay(cap: Capture) -> None:
    msg = a_message().from_(JANE).to(ALICE).build()
    cap.page(ALICE, msg)

    out = cap.page(ALICE, Removed(msg.id, "deleted"))

    assert out.entries_canceled == 0
    assert [e.canceled for e in cap.entries()] == [False]


def test_given_a_page_of_entries_one_log_audit_row_names_each(cap: Capture) -> None:
    out = cap.page(ALICE, *(a_message().from_(JANE).to(ALICE).build() for _ in range(3)))

    audits = list(cap.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "log")))
    assert out.entries_created == 3
    assert {a.actor for a in audits} == {f"sync:{ALICE}"}
    assert sorted(a.entry_no for a in audits) == sorted(e.entry_no for e in cap.entries())
