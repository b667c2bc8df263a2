"""A contact added later gets its past (issue 11, item 5), on SQLite and PostgreSQL.

Mail and meetings capture already read for an address nobody matched are logged for the
contact added for it — from the kept data, inside the capture windows — and the address
leaves the unmatched list. Capture is driven through `capture_page`; `log_new_reach` has no
Graph client at all, so it cannot ask Graph for anything.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture import build_capture_context, capture_page
from connector.capture.due import log_due_meetings
from connector.capture.past import log_new_reach, log_past, reach
from interlog.cli import cli
from storage.contacts_csv import import_contacts_csv
from storage.models import InteractionLogEntry as Entry
from storage.models import utcnow
from tests.support.builders import NOW, a_message, an_event
from tests.support.capture import ALICE, CAPTURE, JANE, Capture, make_settings
from tests.support.databases import url_of
from tests.support.seed import seed

NEW = "nina@newco.example"
HEADER = "no,type,name,company_no,email,email2,domains\n"


def _add(cap: Capture, csv_rows: str) -> list[str]:
    """Import contacts as `interlog contacts import` does, then log their past."""
    before = reach(cap.session)
    result = import_contacts_csv(cap.session, HEADER + csv_rows)
    log_new_reach(cap.session, cap.settings, before, now=lambda: NOW)
    return result.added + result.updated


def _logged(cap: Capture, contact_no: str) -> set[str]:
    return {e.subject for e in cap.entries() if e.contact_no == contact_no}


def test_a_contact_added_later_gets_the_mail_and_meetings_already_read(cap: Capture) -> None:
    cap.ctx.now = lambda: NOW
    recent = a_message().from_(NEW).to(ALICE).subject("Recent mail").received(
        NOW - timedelta(days=3)).build()
    old = a_message().from_(NEW).to(ALICE).subject("Old mail").received(
        NOW - timedelta(days=400)).build()
    past = an_event().organizer(ALICE).attendees(NEW).subject("Past meeting").at(
        NOW - timedelta(days=2)).build()
    future = an_event().organizer(ALICE).attendees(NEW).subject("Future meeting").at(
        NOW + timedelta(days=2)).build()
    dropped = an_event().organizer(ALICE).attendees(NEW).subject("Canceled meeting").at(
        NOW - timedelta(days=1)).build()
    called_off = an_event().organizer(ALICE).attendees(NEW).subject("Called off").at(
        NOW - timedelta(hours=1)).build()
    cap.ctx.now = lambda: NOW - timedelta(hours=2)  # "Called off" is still to come
    cap.page(ALICE, recent, old, past, future, dropped, called_off)
    cap.page(ALICE, replace(called_off, is_cancelled=True))  # canceled before it started
    cap.ctx.now = lambda: NOW
    cap.page(ALICE, replace(dropped, is_cancelled=True))  # canceled after it started
    assert cap.entries() == []
    assert NEW in cap.unmatched()

    _add(cap, f"P-NINA,person,Nina New,,{NEW},,\n")

    assert _logged(cap, "P-NINA") == {"Recent mail", "Past meeting", "Canceled meeting"}
    [canceled] = [e for e in cap.entries() if e.subject == "Canceled meeting"]
    assert (canceled.canceled, canceled.canceled_reason) == (True, "meeting canceled in Outlook")
    assert all(not e.canceled for e in cap.entries() if e.subject != "Canceled meeting")
    assert NEW not in cap.unmatched()
    again = log_past(cap.session, cap.ctx, addresses={NEW}, domains=set(), contact_nos={"P-NINA"})
    assert again.entries_created == 0  # once
    later = build_capture_context(cap.session, cap.settings,
                                  now=lambda: NOW + timedelta(days=3))
    assert log_due_meetings(cap.session, later).entries_created == 1  # when it starts
    assert _logged(cap, "P-NINA") == {"Recent mail", "Past meeting", "Canceled meeting",
                                      "Future meeting"}


def test_a_company_domain_added_later_gets_its_addresses_past(cap: Capture) -> None:
    cap.ctx.now = lambda: NOW
    mail = a_message().from_("otto@eu.newco.example").to(ALICE).subject("From a subdomain")
    other = a_message().from_("ida@elsewhere.example").to(ALICE).subject("Not theirs")
    cap.page(ALICE, mail.received(NOW - timedelta(days=1)).build(),
             other.received(NOW - timedelta(days=1)).build())

    _add(cap, "C-NEWCO,company,Newco,,,,newco.example\n")

    assert _logged(cap, "C-NEWCO") == {"From a subdomain"}
    assert set(cap.unmatched()) == {"ida@elsewhere.example"}


def test_the_windows_are_the_capture_settings(make_capture: object) -> None:
    cap: Capture = make_capture(backfill_days=2, calendar_past_days=1)  # type: ignore[operator]
    cap.ctx.now = lambda: NOW
    cap.page(ALICE,
             a_message().from_(NEW).to(ALICE).subject("Day 1").received(
                 NOW - timedelta(days=1)).build(),
             a_message().from_(NEW).to(ALICE).subject("Day 3").received(
                 NOW - timedelta(days=3)).build(),
             an_event().organizer(ALICE).attendees(NEW).subject("Two days ago").at(
                 NOW - timedelta(days=2)).build())

    _add(cap, f"P-NINA,person,Nina New,,{NEW},,\n")

    assert _logged(cap, "P-NINA") == {"Day 1"}


def test_a_contact_updated_again_gets_nothing_twice(
    cap: Capture,
) -> None:
    cap.ctx.now = lambda: NOW
    cap.page(ALICE, a_message().from_(NEW).to(ALICE).subject("Hello").received(
        NOW - timedelta(days=1)).build())
    _add(cap, f"P-NINA,person,Nina New,,{NEW},,\n")
    assert len(cap.entries()) == 1

    _add(cap, f"P-NINA,person,Nina Renamed,,{NEW},,\n")  # updated, same address

    assert len(cap.entries()) == 1


def test_contacts_import_logs_the_past_and_says_so(clean_engine: Engine, tmp_path: Path) -> None:
    """Through the CLI, whose windows are counted from the real clock."""
    now = utcnow().replace(microsecond=0)
    with Session(clean_engine) as session, session.begin():
        seed(session, CAPTURE)
        ctx = build_capture_context(session, make_settings())
        capture_page(session, ctx, ALICE, [
            a_message().from_(NEW).to(ALICE).subject("Yesterday").received(
                now - timedelta(days=1)).build()])
    csv = tmp_path / "contacts.csv"
    csv.write_text(HEADER + f"P-NINA,person,Nina New,,{NEW},,\n", encoding="utf-8")
    url = url_of(clean_engine)

    result = CliRunner().invoke(cli, ["--db", url, "contacts", "import", str(csv)])

    assert result.exit_code == 0, result.output
    assert "Logged 1 entry from the mail and meetings already read for them." in result.output
    listed = CliRunner().invoke(cli, ["--db", url, "unmatched", "list", "--json"])
    assert NEW not in {row["address"] for row in json.loads(listed.output)}
    with Session(clean_engine) as session:
        logged = session.execute(sa.select(Entry.contact_no, Entry.subject)).all()
    assert [tuple(row) for row in logged] == [("P-NINA", "Yesterday")]


def test_a_logged_meeting_moved_into_the_future_gives_the_new_contact_its_date(
    cap: Capture,
) -> None:
    """Its entries keep their date until the new start has passed; the new one too, and then
    they all move."""
    cap.ctx.now = lambda: NOW
    meeting = an_event().organizer(ALICE).attendees(JANE, NEW).subject("Review").at(
        NOW - timedelta(days=1), minutes=30).build()
    cap.page(ALICE, meeting)
    later = NOW + timedelta(days=5)
    cap.page(ALICE, replace(meeting, start=later, end=later + timedelta(minutes=60)))

    _add(cap, f"P-NINA,person,Nina New,,{NEW},,\n")

    dates = {(e.contact_no, e.occurred_at) for e in cap.entries()}
    assert dates == {("P-JANE", NOW - timedelta(days=1)), ("P-NINA", NOW - timedelta(days=1))}
    due = build_capture_context(cap.session, cap.settings, now=lambda: later + timedelta(hours=1))
    assert log_due_meetings(cap.session, due).entries_updated == 2
    assert {(e.contact_no, e.occurred_at) for e in cap.entries()} == {
        ("P-JANE", later), ("P-NINA", later)}


def test_an_address_added_to_a_known_contact_gets_its_past_and_nothing_else_is_replanned(
    cap: Capture,
) -> None:
    cap.ctx.now = lambda: NOW
    cap.page(ALICE, a_message().from_(NEW).to(ALICE).subject("From her new address")
             .received(NOW - timedelta(days=1)).build())
    before = reach(cap.session)

    _add(cap, f"P-JOHN,person,John Roe,,john@adatum.com,{NEW},\n")  # a second email

    assert _logged(cap, "P-JOHN") == {"From her new address"}
    assert reach(cap.session)[0] - before[0] == {NEW}
    unchanged = reach(cap.session)
    assert log_new_reach(cap.session, cap.settings, unchanged).entries_created == 0


def test_a_started_meeting_nobody_matched_then_moved_ahead_gives_the_date_it_had(
    cap: Capture,
) -> None:
    """Read once started (no entry: nobody matched), then moved into the future: the contact
    added meanwhile is logged at the start it had, and moves when the new one passes."""
    cap.ctx.now = lambda: NOW
    meeting = an_event().organizer(ALICE).attendees(NEW).subject("Kick-off").at(
        NOW - timedelta(days=1), minutes=30).build()
    cap.page(ALICE, meeting)
    later = NOW + timedelta(days=5)
    cap.page(ALICE, replace(meeting, start=later, end=later + timedelta(minutes=30)))
    assert cap.entries() == []

    _add(cap, f"P-NINA,person,Nina New,,{NEW},,\n")

    assert [(e.contact_no, e.occurred_at) for e in cap.entries()] == [
        ("P-NINA", NOW - timedelta(days=1))]
    due = build_capture_context(cap.session, cap.settings, now=lambda: later + timedelta(hours=1))
    assert log_due_meetings(cap.session, due).entries_updated == 1
    assert [e.occurred_at for e in cap.entries()] == [later]
