"""The log records what has happened: a meeting is logged once it has started, from the data
capture kept (no Graph request), by the next sync or a worker's cycle; until then it is
upcoming. Through the real msgraph-sdk against the emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture.due import DUE_LOCK, log_started
from connector.realtime.worker import Worker
from emulator import EmulatorServer, EmulatorSettings
from emulator.generate import GeneratedData, generate
from interlog.cli import cli
from interlog.config import Settings
from storage import dialect
from storage.entries import EntryFilter, totals
from storage.models import InteractionLogEntry as Entry
from storage.models import utcnow
from storage.upcoming import upcoming_meetings
from tests.support.clock import FakeClock
from tests.support.databases import url_of
from tests.support.seed import seed
from tests.support.sync import (
    REFERENCE,
    TOKEN,
    Syncer,
    a_contact_address,
    make_settings,
    sync_dataset,
)

ALICE = "alice@contoso.com"
UID = "040000008200E00074C5B7101A82E008UPCOMING1"
ITEM = "AAMkAGI2-upcoming_1="
SOON = REFERENCE + timedelta(hours=10)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
HALF_DAY = timedelta(hours=12).total_seconds()  # past SOON; the calendar window stays


def _graph_time(when: datetime) -> dict[str, str]:
    return {"dateTime": when.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _add_meeting(emulator: EmulatorServer, contact: str, start: datetime = SOON) -> None:
    person = {"emailAddress": {"name": "Contact", "address": contact}, "type": "required",
              "status": {"response": "accepted", "time": "0001-01-01T00:00:00Z"}}
    emulator.state.add_event(ALICE, {
        "id": ITEM, "iCalUId": UID, "subject": "Renewal review", "start": _graph_time(start),
        "end": _graph_time(start + timedelta(minutes=40)),
        "organizer": {"emailAddress": {"name": "Alice", "address": ALICE}},
        "attendees": [person], "isCancelled": False, "isOnlineMeeting": False,
        "sensitivity": "normal", "type": "singleInstance", "seriesMasterId": None,
        "categories": [], "showAs": "busy", "isAllDay": False,
    })  # fmt: skip


def _logged(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        return [tuple(r) for r in session.execute(
            sa.select(Entry.occurred_at, Entry.duration_min, Entry.canceled)
            .where(Entry.ical_uid == UID))]


def _upcoming(engine: Engine, now: datetime) -> list[tuple[str, datetime, int]]:
    with Session(engine) as session:
        found = upcoming_meetings(session, now=now.replace(tzinfo=None))
    return [(m.ical_uid, m.start, len(m.contacts)) for m in found if m.ical_uid == UID]


def _latest_entry(engine: Engine) -> datetime | None:
    with Session(engine) as session:
        return session.scalar(sa.select(sa.func.max(Entry.occurred_at)))


def test_a_future_meeting_is_upcoming_then_logged_by_the_next_sync_without_a_graph_request(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    _add_meeting(emulator, a_contact_address(data))
    assert run_sync().ok
    now = run_sync.clock.now()
    assert _logged(sync_db) == []
    assert _upcoming(sync_db, now) == [(UID, SOON.replace(tzinfo=None), 1)]
    latest = _latest_entry(sync_db)
    assert latest is not None
    assert latest <= now.replace(tzinfo=None)  # nothing in the log is in the future

    run_sync.clock.advance(HALF_DAY)
    emulator.state.reset_counters()
    summary = run_sync()

    assert summary.ok, summary.errors
    assert _logged(sync_db) == [(SOON.replace(tzinfo=None), 40, False)]
    assert summary.due.entries_created == 1  # by the end-of-run step: no page showed it
    counted = emulator.state.counters_snapshot()
    assert counted["requests"] == summary.graph_requests  # only the streams' delta rounds
    assert "event" not in counted["requestsByRoute"]  # the meeting was not read again
    assert _upcoming(sync_db, run_sync.clock.now()) == []


def test_a_meeting_moved_before_it_starts_is_logged_at_its_new_time(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    _add_meeting(emulator, a_contact_address(data))
    assert run_sync().ok
    later = SOON + timedelta(hours=1)
    emulator.state.update_event(ALICE, ITEM, {
        "start": _graph_time(later), "end": _graph_time(later + timedelta(minutes=90))})
    assert run_sync().ok
    assert _upcoming(sync_db, run_sync.clock.now()) == [(UID, later.replace(tzinfo=None), 1)]

    run_sync.clock.advance(timedelta(days=5).total_seconds())
    assert run_sync().ok

    assert _logged(sync_db) == [(later.replace(tzinfo=None), 90, False)]


def test_a_meeting_canceled_before_it_starts_is_never_logged(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    _add_meeting(emulator, a_contact_address(data))
    assert run_sync().ok
    emulator.state.update_event(ALICE, ITEM, {"isCancelled": True})
    assert run_sync().ok
    assert _upcoming(sync_db, run_sync.clock.now()) == []

    run_sync.clock.advance(timedelta(days=5).total_seconds())
    assert run_sync().ok

    assert _logged(sync_db) == []


def test_a_workers_cycle_logs_a_meeting_that_has_started_without_graph(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    _add_meeting(emulator, a_contact_address(data))
    assert run_sync().ok
    clock = run_sync.clock
    worker = Worker(run_sync.settings, sync_db, sync_one=_no_sync,
                    clock=lambda: clock.now().replace(tzinfo=None))
    assert worker.log_due_meetings() == 0  # not started yet
    clock.advance(HALF_DAY)
    emulator.state.reset_counters()

    worker.cycle()  # no mailbox is due: only the meetings that have started

    assert _logged(sync_db) == [(SOON.replace(tzinfo=None), 40, False)]
    assert emulator.state.counters_snapshot()["requests"] == 0
    assert worker.log_due_meetings() == 0  # logged once


def _no_sync(mailbox: str) -> None:
    raise AssertionError(f"no mailbox is due, yet {mailbox} was synced")


@pytest.fixture
def today_data() -> GeneratedData:
    """A generated tenant around today (meetings up to 90 days ahead), as `interlog demo`."""
    return generate(mailboxes=2, messages=40, events=30, contacts=20, seed=11, reference=TODAY)


def test_after_a_demo_like_sync_the_log_ends_now_and_upcoming_lists_the_rest(
    today_data: GeneratedData, clean_engine: Engine
) -> None:
    with EmulatorServer.start(today_data.tenant,
                              settings=EmulatorSettings(require_token=TOKEN)) as emu:
        settings = make_settings(today_data, emu.base_url)
        seed(clean_engine, sync_dataset(today_data, settings))
        summary = Syncer(settings, clean_engine, FakeClock(datetime.now(UTC)))()
    assert summary.ok, summary.errors
    db = url_of(clean_engine)
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()

    later = CliRunner().invoke(cli, ["--db", db, "entries", "list", "--since", tomorrow,
                                     "--json"])
    upcoming = CliRunner().invoke(cli, ["--db", db, "entries", "list", "--upcoming", "--json"])

    assert later.exit_code == 0, later.output
    assert json.loads(later.output) == []
    assert upcoming.exit_code == 0, upcoming.output
    meetings = json.loads(upcoming.output)
    assert meetings  # the generated calendar reaches 90 days ahead
    assert all(set(m) == {"ical_uid", "subject", "start", "contacts"} for m in meetings)
    assert all(m["contacts"] and m["start"] > utcnow().isoformat() for m in meetings)
    with Session(clean_engine) as session:
        logged = session.scalar(sa.select(sa.func.count()).select_from(Entry)
                                .where(Entry.canceled.is_(False)))
        assert totals(session, EntryFilter(status="active")).count == logged
        assert session.scalar(sa.select(sa.func.count()).select_from(Entry).where(
            Entry.ical_uid.in_([m["ical_uid"] for m in meetings]))) == 0


def test_one_process_at_a_time_logs_the_meetings_that_have_started(
    clean_pg_engine: Engine, data: GeneratedData, emulator: EmulatorServer, settings: Settings
) -> None:
    seed(clean_pg_engine, sync_dataset(data, settings))
    run = Syncer(settings, clean_pg_engine, FakeClock(REFERENCE))
    _add_meeting(emulator, a_contact_address(data))
    assert run().ok
    run.clock.advance(HALF_DAY)
    now = lambda: run.clock.now().replace(tzinfo=None)  # noqa: E731

    with dialect.advisory_lock(clean_pg_engine, DUE_LOCK) as held:  # another process at it
        assert held
        assert log_started(clean_pg_engine, settings, now).entries_created == 0
        assert _logged(clean_pg_engine) == []
    assert log_started(clean_pg_engine, settings, now).entries_created == 1
    assert _logged(clean_pg_engine) == [(SOON.replace(tzinfo=None), 40, False)]
