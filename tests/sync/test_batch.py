"""Calendar `@removed` checks in `$batch` requests, with failures inside a batch retried.

Every sync goes through the real msgraph-sdk + httpx to the emulator, whose injected faults
hit single items of a batch (answered in the item's sub-response, as Graph does).
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from kiota_abstractions.request_information import RequestInformation
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.errors import Action, GraphError
from connector.graph.batch import MAX_BATCH, envelope, parse_responses, retry_error
from connector.graph.client import build_client
from connector.streams import CalendarViewStream
from connector.sync.runs import RunSummary, StreamStats
from emulator import EmulatorServer
from emulator.generate import GeneratedData
from interlog.config import settings_from_dict
from storage.models import InteractionLogEntry as Entry
from tests.support.sync import REFERENCE, TOKEN, Syncer, a_contact_address

ALICE = "alice@contoso.com"
FAR = REFERENCE - timedelta(days=400)  # before the calendar window: delta says @removed
# (the past: a meeting moved into the future keeps its entries until it starts)
EVENTS = "/events/"  # the path of `GET /users/{id}/events/{id}`, and of nothing else synced


def _graph_time(when: Any) -> dict[str, str]:
    return {"dateTime": when.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _meeting(n: int, contact: str) -> dict[str, Any]:
    """A single meeting Alice organises with one contact, 10 days before the reference."""
    start = REFERENCE - timedelta(days=10) + timedelta(hours=n)
    person = {"emailAddress": {"name": "Contact", "address": contact}, "type": "required",
              "status": {"response": "accepted", "time": "0001-01-01T00:00:00Z"}}
    return {
        "id": f"AAMkAGI2-batch_{n:03d}=", "iCalUId": f"040000008200E00074C5B7101A82E008B{n:03d}",
        "subject": f"Batch check {n}", "start": _graph_time(start),
        "end": _graph_time(start + timedelta(minutes=30)),
        "organizer": {"emailAddress": {"name": "Alice", "address": ALICE}},
        "attendees": [person], "isCancelled": False, "isOnlineMeeting": False,
        "sensitivity": "normal", "type": "singleInstance", "seriesMasterId": None,
        "categories": [], "showAs": "busy", "isAllDay": False,
    }  # fmt: skip


def _setup(emulator: EmulatorServer, run_sync: Syncer, contact: str, n: int) -> list[str]:
    """`n` captured meetings of Alice's; returns their iCalUIds (all logged, none canceled)."""
    meetings = [_meeting(i, contact) for i in range(n)]
    for raw in meetings:
        emulator.state.add_event(ALICE, copy.deepcopy(raw))
    summary = run_sync(mailboxes=[ALICE])
    assert summary.ok, summary.errors
    uids = [m["iCalUId"] for m in meetings]
    assert set(_state(run_sync.engine, uids)) == {(u, False, None) for u in uids}
    return uids


def _remove(emulator: EmulatorServer, n: int, deleted: int) -> None:
    """Delete the first `deleted` of the `n` meetings; move the rest out of the window."""
    for i in range(n):
        item = f"AAMkAGI2-batch_{i:03d}="
        if i < deleted:
            emulator.state.delete_event(ALICE, item)
        else:
            emulator.state.update_event(ALICE, item, {
                "start": _graph_time(FAR), "end": _graph_time(FAR + timedelta(minutes=30))})
    emulator.state.reset_counters()


def _state(engine: Engine, uids: list[str]) -> set[tuple[str, bool, Any]]:
    """(iCalUId, canceled, start when moved far away else None) of each meeting's entries."""
    query = sa.select(Entry.ical_uid, Entry.canceled, Entry.occurred_at).where(
        Entry.ical_uid.in_(uids))
    with Session(engine) as session:
        rows = session.execute(query).all()
    far = FAR.replace(tzinfo=None)
    return {(u, bool(c), when if when == far else None) for u, c, when in rows}


def _expected(uids: list[str], deleted: int) -> set[tuple[str, bool, Any]]:
    far = FAR.replace(tzinfo=None)
    return {(u, True, None) for u in uids[:deleted]} | {(u, False, far) for u in uids[deleted:]}


def _calendar(summary: RunSummary) -> StreamStats:
    return next(s for s in summary.streams if s.mailbox == ALICE and s.stream == "calendar")


def test_45_removals_are_checked_in_3_batch_requests(
    run_sync: Syncer, emulator: EmulatorServer, data: GeneratedData
) -> None:
    uids = _setup(emulator, run_sync, a_contact_address(data), 45)
    _remove(emulator, 45, deleted=25)
    summary = run_sync(mailboxes=[ALICE], page_size=200)  # all 45 @removed in one page
    assert summary.ok, summary.errors
    counted = emulator.state.counters_snapshot()
    assert counted["requestsByRoute"]["$batch"] == 3  # ⌈45 / 20⌉, not 45 GETs
    assert counted["requestsByRoute"]["event"] == 45  # each item ran once inside them
    assert counted["requestsByStatus"]["404"] == 25
    calendar = _calendar(summary)
    assert calendar.pages == 1
    assert calendar.graph_requests == calendar.pages + 3  # a batch counts as one request
    assert calendar.outcome.entries_canceled == 25
    assert _state(run_sync.engine, uids) == _expected(uids, 25)


def test_item_429_with_retry_after_300_is_waited_out_and_retried(
    run_sync: Syncer, emulator: EmulatorServer, data: GeneratedData
) -> None:
    uids = _setup(emulator, run_sync, a_contact_address(data), 6)
    _remove(emulator, 6, deleted=3)
    emulator.state.inject_fault(429, count=2, path=EVENTS, mailbox=ALICE, retry_after=300)
    summary = run_sync(mailboxes=[ALICE])
    assert summary.ok, summary.errors
    assert any(300 <= s <= 330 for s in run_sync.clock.sleeps), run_sync.clock.sleeps
    counted = emulator.state.counters_snapshot()
    assert counted["faults"] == 2
    assert counted["requestsByRoute"]["$batch"] == 2  # the 2 throttled items, once more
    assert counted["requestsByRoute"]["event"] == 6 + 2
    calendar = _calendar(summary)
    assert calendar.throttled == 1
    assert calendar.graph_requests == calendar.pages + 2
    assert _state(run_sync.engine, uids) == _expected(uids, 3)


def test_item_503_is_retried_with_backoff(
    run_sync: Syncer, emulator: EmulatorServer, data: GeneratedData
) -> None:
    uids = _setup(emulator, run_sync, a_contact_address(data), 4)
    _remove(emulator, 4, deleted=2)
    emulator.state.inject_fault(503, count=1, path=EVENTS, mailbox=ALICE)
    sleeps_before = len(run_sync.clock.sleeps)
    summary = run_sync(mailboxes=[ALICE])
    assert summary.ok, summary.errors
    assert len(run_sync.clock.sleeps) == sleeps_before + 1  # backoff, no Retry-After
    assert run_sync.clock.sleeps[-1] < 1
    assert emulator.state.counters_snapshot()["requestsByRoute"]["$batch"] == 2
    assert _calendar(summary).throttled == 0
    assert _state(run_sync.engine, uids) == _expected(uids, 2)


def test_item_403_fails_the_stream_with_a_clear_message_and_writes_nothing(
    run_sync: Syncer, emulator: EmulatorServer, data: GeneratedData
) -> None:
    uids = _setup(emulator, run_sync, a_contact_address(data), 4)
    _remove(emulator, 4, deleted=2)
    emulator.state.inject_fault(403, count=1, path=EVENTS, mailbox=ALICE)
    summary = run_sync(mailboxes=[ALICE])
    assert not summary.ok
    calendar = _calendar(summary)
    assert calendar.status == "failed"
    assert calendar.error is not None
    assert "removed-event check: 403 ErrorAccessDenied" in calendar.error
    assert "Calendars.Read" in calendar.error
    assert all(s.status == "ok" for s in summary.streams if s is not calendar)
    assert emulator.state.counters_snapshot()["requestsByRoute"]["$batch"] == 1  # not retried
    assert set(_state(run_sync.engine, uids)) == {(u, False, None) for u in uids}
    again = run_sync(mailboxes=[ALICE])  # the page was not committed: it comes again
    assert again.ok, again.errors
    assert _state(run_sync.engine, uids) == _expected(uids, 2)


def _requests(emulator: EmulatorServer, n: int) -> list[tuple[str, RequestInformation]]:
    settings = settings_from_dict(
        {"graph": {"base_url": emulator.base_url, "static_token": TOKEN}}, env={})
    client = build_client(settings.graph)
    stream = CalendarViewStream(ALICE)
    built = [(str(i), stream.event_request(client, f"id-{i}=")) for i in range(n)]
    asyncio.run(client.close())
    return built


def test_envelope_holds_relative_urls_headers_and_at_most_20(emulator: EmulatorServer) -> None:
    body = json.loads(envelope(_requests(emulator, MAX_BATCH)).content or b"")
    first = body["requests"][0]
    assert len(body["requests"]) == 20
    assert first["id"] == "0"
    assert first["method"] == "GET"
    assert first["url"] == "/users/alice%40contoso.com/events/id-0%3D"
    assert 'outlook.timezone="UTC"' in first["headers"]["prefer"]
    assert "dependsOn" not in first
    assert "depends_on" not in first
    with pytest.raises(ValueError, match="1 to 20"):
        envelope(_requests(emulator, MAX_BATCH + 1))


def test_a_batch_answer_missing_an_item_is_fatal_and_waits_take_the_longest() -> None:
    raw = json.dumps({"responses": [{"id": "1", "status": 200, "body": {}}]}).encode()
    with pytest.raises(GraphError, match="no item '2'") as caught:
        parse_responses(raw, ["1", "2"], "check")
    assert caught.value.action is Action.FATAL
    with pytest.raises(GraphError, match="not a \\$batch answer"):
        parse_responses(b"<html>", ["1"], "check")
    slow = GraphError(Action.RETRY, "a", status=429, retry_after=300)
    fast = GraphError(Action.RETRY, "b", status=503, retry_after=5)
    combined = retry_error([fast, slow], 20, "check")
    assert (combined.action, combined.status, combined.retry_after) == (Action.RETRY, 429, 300)
    assert combined.message.startswith("check: 2 of 20 items to retry")
