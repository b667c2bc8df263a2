"""Why an item was or was not logged (issue 11, item 6): `explain` on each kept copy, and
`interlog explain QUERY --json`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture import build_capture_context, capture_page
from connector.capture.explain import NOT_KEPT, explain
from connector.capture.past import log_new_reach, reach
from interlog.cli import cli
from storage.contacts_csv import import_contacts_csv
from tests.support.builders import NOW, a_message, an_event
from tests.support.capture import ALICE, BOB, CAPTURE, JANE, Capture, make_settings
from tests.support.databases import url_of
from tests.support.seed import seed

NEW = "nina@newco.example"
HEADER = "no,type,name,company_no,email,email2,domains\n"


def _why(cap: Capture, query: str, **sync: object) -> list[dict[str, object]]:
    settings = make_settings(**sync) if sync else cap.settings
    return [d.to_json() for d in explain(cap.session, settings, query, now=lambda: NOW)]


def test_a_logged_email_names_its_entries_template_and_rule(cap: Capture) -> None:
    cap.ctx.now = lambda: NOW
    cap.add_rule("QUOTE", subject=r"quote (?P<document_no>Q-\d+)", priority=10)
    msg = a_message().from_(JANE).to(ALICE).subject("Your quote Q-17").received(NOW).build()
    cap.page(ALICE, msg)
    cap.page(BOB, replace(msg, id="bob-copy"))  # the same message in a colleague's mailbox
    [entry] = cap.entries()

    decisions = _why(cap, msg.internet_message_id or "")

    assert {d["mailbox"] for d in decisions} == {ALICE, BOB}
    for d in decisions:
        assert (d["decision"], d["entries"], d["template"]) == ("logged", [entry.entry_no],
                                                                  "QUOTE")
        assert d["reason"] == "logged for P-JANE"
        assert d["rule"] == "rule 1, priority 10"
        assert (d["key"], d["kind"], d["subject"]) == (msg.internet_message_id, "email",
                                                       "Your quote Q-17")


def test_an_unknown_sender_is_skipped_naming_the_address(cap: Capture) -> None:
    cap.page(ALICE, a_message().from_("zed@startup.example").to(ALICE).subject("Intro")
             .received(NOW).build())

    [d] = _why(cap, "zed@startup.example")

    assert (d["decision"], d["reason"], d["participant"]) == (
        "skipped", "no_contact", "zed@startup.example")
    assert "no contact has this address" in str(d["setting"])
    assert _why(cap, "intro") == [d]  # by words of the subject, any case


def test_a_sender_excluded_since_is_skipped_naming_the_setting(cap: Capture) -> None:
    cap.page(ALICE, a_message().from_("zed@startup.example").to(ALICE).subject("Pitch")
             .received(NOW).build())

    [d] = _why(cap, "Pitch", exclude_domains=["startup.example"])

    assert (d["decision"], d["reason"], d["participant"]) == (
        "skipped", "excluded", "zed@startup.example")
    assert "exclude_domains" in str(d["setting"])


def test_upcoming_canceled_and_old_items_say_why(cap: Capture) -> None:
    cap.ctx.now = lambda: NOW
    soon = an_event().organizer(ALICE).attendees(JANE).subject("Soon").at(NOW + timedelta(days=1))
    off = an_event().organizer(ALICE).attendees(JANE).subject("Off").at(NOW - timedelta(days=1))
    cap.page(ALICE, soon.build(), off.build())
    cap.page(ALICE, replace(off.build(), is_cancelled=True))
    cap.page(ALICE, a_message().from_(NEW).to(ALICE).subject("Ancient")
             .received(NOW - timedelta(days=100)).build())
    before = reach(cap.session)
    import_contacts_csv(cap.session, f"{HEADER}P-NINA,person,Nina,,{NEW},,\n")
    log_new_reach(cap.session, cap.settings, before, now=lambda: NOW)  # outside the window

    assert _why(cap, "Soon")[0]["reason"] == "upcoming: logged when the meeting starts"
    [off_why] = _why(cap, "Off")
    assert off_why["decision"] == "skipped"
    assert str(off_why["reason"]).startswith("canceled")
    assert len(off_why["entries"]) == 1  # type: ignore[arg-type]
    [old] = _why(cap, "Ancient")
    assert (old["decision"], old["reason"], old["setting"]) == (
        "skipped", "before_backfill", "[sync] backfill_days = 90")


def test_explain_json_through_the_cli(clean_engine: Engine) -> None:
    with Session(clean_engine) as session, session.begin():
        seed(session, CAPTURE)
        ctx = build_capture_context(session, make_settings())
        capture_page(session, ctx, ALICE, [a_message().from_(JANE).to(ALICE).subject("Hello")
                                           .message_id("<hello@fabrikam.com>").received(NOW)
                                           .build()])
    url = url_of(clean_engine)

    found = CliRunner().invoke(cli, ["--db", url, "explain", "hello@fabrikam.com", "--json"])
    table = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--db", url, "explain", "Hello"])
    missing = CliRunner().invoke(cli, ["--db", url, "explain", "<nothing@nowhere>"])

    assert found.exit_code == 0, found.output
    [d] = json.loads(found.output)
    assert set(d) >= {"key", "kind", "subject", "mailbox", "decision", "reason", "entries",
                      "template", "rule"}
    assert (d["key"], d["decision"], d["template"], d["rule"]) == (
        "<hello@fabrikam.com>", "logged", "EMAIL", "setup default for email")
    assert table.exit_code == 0, table.output
    assert "logged for P-JANE" in table.output
    assert "EMAIL (setup default for email)" in table.output
    assert missing.exit_code == 0, missing.output
    assert NOT_KEPT.split(".")[0] in missing.output.replace("\n", " ")
