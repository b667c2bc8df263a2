"""A deletion only a resync could see (the model check's seeds 167, 214, 364, 400, 510, 599,
601, 795): an organizer deletes a meeting, then the delta token expires (410). The new
initial round lists only what exists, so the engine checks each captured event of the window
the round did not list. Through the real msgraph-sdk against the emulator, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from emulator import EmulatorServer
from emulator.generate import GeneratedData
from storage.models import InteractionLogEntry as Entry
from tests.support.sync import REFERENCE, Syncer, a_contact_address, users

UID = "040000008200E00074C5B7101A82E008RESYNC01"
ITEM = "AAMkAGI2-resync_1="


def _graph_time(when: datetime) -> dict[str, str]:
    return {"dateTime": when.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _add_meeting(emulator: EmulatorServer, organizer: str, contact: str, start: datetime) -> None:
    emulator.state.add_event(organizer, {
        "id": ITEM, "iCalUId": UID, "subject": "Gone soon", "start": _graph_time(start),
        "end": _graph_time(start + timedelta(minutes=30)),
        "organizer": {"emailAddress": {"name": "Org", "address": organizer}},
        "attendees": [{"emailAddress": {"name": "C", "address": contact}, "type": "required",
                       "status": {"response": "accepted", "time": "0001-01-01T00:00:00Z"}}],
    })


def _meeting_entries(engine: Engine) -> list[tuple[bool, str | None]]:
    with Session(engine) as session:
        rows = session.execute(sa.select(Entry.canceled, Entry.canceled_reason)
                               .where(Entry.ical_uid == UID))
        return [(bool(canceled), reason) for canceled, reason in rows]


def test_a_logged_meeting_deleted_before_a_410_resync_is_canceled(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    organizer = users(data)[0]
    _add_meeting(emulator, organizer, a_contact_address(data), REFERENCE - timedelta(days=1))
    assert run_sync().ok
    assert _meeting_entries(sync_db) == [(False, None)]

    emulator.state.delete_event(organizer, ITEM)
    emulator.state.expire_tokens()
    summary = run_sync()

    assert summary.ok, summary.errors
    assert any(s.resynced for s in summary.streams)
    assert _meeting_entries(sync_db) == [
        (True, "meeting deleted from its organizer's calendar")]


def test_an_upcoming_meeting_deleted_before_a_410_resync_is_never_logged(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    organizer = users(data)[0]
    _add_meeting(emulator, organizer, a_contact_address(data), REFERENCE + timedelta(hours=5))
    assert run_sync().ok
    emulator.state.delete_event(organizer, ITEM)
    emulator.state.expire_tokens()
    assert run_sync().ok

    run_sync.clock.advance(timedelta(days=1).total_seconds())  # its start has passed
    assert run_sync().ok

    assert _meeting_entries(sync_db) == []


def test_a_resync_that_lists_every_captured_event_checks_none(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    assert run_sync().ok
    emulator.state.expire_tokens()
    summary = run_sync()
    assert summary.ok, summary.errors
    calendars = [s for s in summary.streams if s.stream == "calendar"]
    assert calendars
    for stream in calendars:  # the 410, then the new round's pages: no event was unlisted
        assert stream.graph_requests == 1 + stream.pages
