"""Calls log themselves: call records and the PSTN log from the emulator, through the real
msgraph-sdk over HTTP, into CALL entries on SQLite and PostgreSQL (docs/calls.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

from interlog.cli import cli
from storage.entries import EntryFilter, cancel_entries, delete_canceled
from storage.phones import ContactPhone
from tests.support.calls import (
    ALICE,
    ALICE_NUMBER,
    ANA,
    BOB,
    HANS,
    NOW,
    Calls,
    call_entries,
    external,
    phone,
    settings,
    teams,
    unmatched,
)


def test_national_numbers_are_read_in_the_default_region(calls: Calls) -> None:
    with Session(calls.engine) as session:
        numbers = dict(session.execute(sa.select(ContactPhone.number, ContactPhone.kind)).all())
    assert numbers == {HANS: "phone", "+491701234567": "mobile", ANA: "phone"}


def test_a_pstn_call_is_logged_once_reconciled_with_its_record(calls: Calls) -> None:
    calls.record(teams(ALICE), [phone(HANS)], minutes=6)
    calls.pstn(HANS, seconds=420)  # the same call in the PSTN log, 20 s later: one entry
    first = calls.sync()
    [entry] = call_entries(calls.engine)
    assert (entry.contact_no, entry.template_code, entry.user_upn) == ("P1", "CALL",
                                                                      ALICE["mail"])
    assert (entry.information_flow, entry.initiated_by) == ("outbound", "us")
    assert entry.duration_min == Decimal("7.00")  # the PSTN log's connected seconds win
    assert entry.attempt_failed is False
    assert entry.occurred_at == (NOW - timedelta(hours=3)).replace(tzinfo=None)
    stream = next(s for s in first.streams if s.stream == "calls")
    assert stream.outcome.entries_created == 1
    assert stream.graph_requests == 3  # the list, one $batch of record reads, the PSTN log

    again = calls.sync()
    stream = next(s for s in again.streams if s.stream == "calls")
    assert stream.outcome.entries_created == stream.outcome.entries_updated == 0
    assert stream.graph_requests == 2  # the list and the PSTN log: no record read again
    assert len(call_entries(calls.engine)) == 1


def test_a_pstn_row_then_its_record_in_a_later_round_stay_one_entry(calls: Calls) -> None:
    calls.pstn(HANS, seconds=300)
    calls.sync()
    calls.record(teams(ALICE), [phone(HANS)], minutes=5)
    calls.sync()
    [entry] = call_entries(calls.engine)
    assert entry.duration_min == Decimal("5.00")


def test_a_version_update_updates_the_entry_and_never_duplicates(calls: Calls) -> None:
    record_id = calls.record(external("hans@fabrikam.com", "Hans Weber"), [teams(BOB)],
                             minutes=10)
    calls.sync()
    [entry] = call_entries(calls.engine)
    assert (entry.contact_no, entry.user_upn, entry.information_flow) == (
        "P1", BOB["mail"], "inbound")
    assert entry.initiated_by == "them"
    assert entry.template_code == "CALLIN"  # the rule with kind = "call", direction inbound
    assert entry.duration_min == Decimal("10.00")
    end = (NOW - timedelta(hours=3) + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert calls.emulator.calls.update_record(record_id, {"endDateTime": end}) == 2
    summary = calls.sync()
    stream = next(s for s in summary.streams if s.stream == "calls")
    assert (stream.outcome.entries_created, stream.outcome.entries_updated) == (0, 1)
    [entry] = call_entries(calls.engine)
    assert entry.duration_min == Decimal("15.00")


def test_nobody_answered_is_an_attempt_failed(calls: Calls) -> None:
    calls.record(teams(ALICE), [phone(ANA)], answered=False, hours_ago=5)
    calls.pstn("+49 170 1234567", seconds=0, hours_ago=2)  # a row alone: 0 s connected
    calls.sync()
    entries = call_entries(calls.engine)
    assert [(e.contact_no, e.attempt_failed, e.duration_min) for e in entries] == [
        ("P1", True, Decimal("0.00")), ("P2", True, Decimal("0.00"))]


def test_a_group_call_gives_one_entry_per_contact(calls: Calls) -> None:
    hans = external("hans@fabrikam.com", "Hans Weber")
    calls.record(teams(ALICE), [teams(BOB), hans, phone(ANA)], minutes=20)
    calls.sync()
    entries = call_entries(calls.engine)
    assert [(e.contact_no, e.user_upn) for e in entries] == [("P1", ALICE["mail"]),
                                                            ("P2", ALICE["mail"])]


def test_unmatched_numbers_are_listed_masked_ones_marked_own_never(calls: Calls) -> None:
    calls.record(teams(ALICE), [phone("+4940999999")], hours_ago=4)
    calls.record(phone("+49301234XXXX"), [teams(ALICE)], hours_ago=6)
    calls.pstn("+4940999999", hours_ago=4)
    calls.sync()
    assert call_entries(calls.engine) == []
    assert unmatched(calls.engine) == {"+4940999999": ("phone", False),
                                       "+49301234XXXX": ("phone", True)}
    assert ALICE_NUMBER not in unmatched(calls.engine)


def test_a_call_that_is_part_of_a_logged_meeting_is_not_logged_twice(calls: Calls) -> None:
    start = NOW - timedelta(hours=3)
    stamp = {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}
    end = {"dateTime": (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S"),
           "timeZone": "UTC"}
    calls.emulator.state.add_event(ALICE["mail"], {
        "id": "ev-1", "iCalUId": "uid-ev-1", "subject": "Review", "start": stamp, "end": end,
        "isOnlineMeeting": True, "organizer": {"emailAddress": {"address": ALICE["mail"]}},
        "attendees": [{"emailAddress": {"address": "hans@fabrikam.com"}, "type": "required"}],
    })  # fmt: skip
    calls.record(teams(ALICE), [external("hans@fabrikam.com", "Hans Weber")], minutes=30,
                 join_web_url="https://teams.microsoft.com/l/meetup-join/x")
    summary = calls.sync()
    stream = next(s for s in summary.streams if s.stream == "calls")
    assert call_entries(calls.engine) == []
    assert stream.outcome.skipped["logged_as_meeting"] == 1


def test_calls_are_off_unless_configured(calls: Calls) -> None:
    calls.record(teams(ALICE), [phone(HANS)])
    calls.config = settings(calls.emulator.base_url, calls=False)
    summary = calls.sync()
    assert [s for s in summary.streams if s.stream == "calls"] == []
    assert call_entries(calls.engine) == []


def test_throttling_is_retried_and_a_failed_round_writes_nothing(calls: Calls) -> None:
    calls.record(teams(ALICE), [phone(HANS)])
    calls.pstn(HANS)
    calls.emulator.state.inject_fault(429, count=2, path="callRecords/call-1", retry_after=0)
    calls.emulator.state.inject_fault(403, count=1, path="getPstnCalls")
    failed = calls.sync_unchecked()
    stream = next(s for s in failed.streams if s.stream == "calls")
    assert stream.status == "failed"
    assert stream.throttled == 2  # the record was read after two 429s
    assert "403" in (stream.error or "")
    assert call_entries(calls.engine) == []  # nothing of the round was written
    calls.sync()
    calls.sync()
    assert len(call_entries(calls.engine)) == 1


def test_a_worker_reads_calls_once_per_poll_interval_not_per_mailbox(calls: Calls) -> None:
    calls.record(teams(ALICE), [phone(HANS)])
    first = calls.sync(trigger="worker")
    second = calls.sync(trigger="worker")  # another mailbox's sync right after
    assert [s.stream for s in first.streams if s.stream == "calls"] == ["calls"]
    assert [s.stream for s in second.streams if s.stream == "calls"] == []
    assert len(call_entries(calls.engine)) == 1
    assert [s.stream for s in calls.sync().streams if s.stream == "calls"] == ["calls"]


def test_unmatched_list_shows_the_kind_of_each(calls: Calls) -> None:
    calls.record(phone("+49301234XXXX"), [teams(ALICE)])
    calls.sync()
    result = CliRunner().invoke(cli, ["--db", calls.engine.url.render_as_string(
        hide_password=False), "unmatched", "list", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["address"], row["kind"], row["masked"]) == ("+49301234XXXX", "phone", True)


def test_calls_without_a_configured_user_are_read_once_per_version(calls: Calls) -> None:
    carol = external("carol@contoso.com", "Carol")  # a colleague who is no configured user
    record_id = calls.record(carol, [phone(HANS)])
    first = next(s for s in calls.sync().streams if s.stream == "calls")
    assert first.outcome.skipped["no_configured_user"] == 1
    again = next(s for s in calls.sync().streams if s.stream == "calls")
    assert again.graph_requests == 2  # listed, not read again
    calls.emulator.calls.update_record(record_id, {"type": "groupCall"})
    bumped = next(s for s in calls.sync().streams if s.stream == "calls")
    assert bumped.graph_requests == 3  # its new version is read
    assert call_entries(calls.engine) == []


def test_a_deleted_call_entry_is_never_logged_again(calls: Calls) -> None:
    record_id = calls.record(external("hans@fabrikam.com", "Hans Weber"), [teams(BOB)],
                             minutes=10)
    calls.sync()
    [entry] = call_entries(calls.engine)
    with Session(calls.engine) as session, session.begin():
        cancel_entries(session, [entry.entry_no], actor="test", reason="not business")
        assert delete_canceled(session, EntryFilter(), actor="test") == [entry.entry_no]
    end = (NOW - timedelta(hours=3) + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    calls.emulator.calls.update_record(record_id, {"endDateTime": end})  # read again
    summary = calls.sync(full=True)
    stream = next(s for s in summary.streams if s.stream == "calls")
    assert stream.outcome.entries_created == 0
    assert stream.outcome.skipped["deleted_entry"] == 1
    assert call_entries(calls.engine) == []
