"""Calendar removals and windows, backfill, concurrency, credentials, and the CLI."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.sync.engine import sync_mailboxes
from emulator import EmulatorServer, EmulatorSettings
from emulator.generate import GeneratedData
from interlog.cli import cli
from interlog.config import Secret
from storage.db import make_engine
from storage.models import InteractionLogEntry as Entry
from storage.sync_models import SyncCursor
from tests.support.clock import FakeClock
from tests.support.sync import (
    FAST,
    REFERENCE,
    TOKEN,
    Syncer,
    a_contact_address,
    entries,
    make_settings,
    new_mail,
    sync_config,
    users,
)


def _graph_time(when: Any) -> dict[str, str]:
    return {"dateTime": when.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _organised_meetings(data: GeneratedData, engine: Engine, mailbox: str) -> list[dict[str, Any]]:
    """Single meetings `mailbox` organised that have active entries."""
    with Session(engine) as session:
        logged = set(session.scalars(sa.select(Entry.ical_uid).where(sa.not_(Entry.canceled))))
    return [e for e in data.tenant["events"][mailbox]
            if e["organizer"]["emailAddress"]["address"].lower() == mailbox
            and not e.get("recurrence") and not e.get("seriesMasterId")
            and e["iCalUId"] in logged]  # fmt: skip


def _active(engine: Engine, ical_uid: str) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        query = sa.select(Entry.canceled, Entry.canceled_reason, Entry.occurred_at).where(
            Entry.ical_uid == ical_uid)
        return [tuple(r) for r in session.execute(query)]


def test_calendar_removal_is_checked_moved_meetings_keep_entries(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    run_sync()
    alice = users(data)[0]
    moved, deleted = _organised_meetings(data, sync_db, alice)[:2]
    far = REFERENCE - timedelta(days=400)  # before the window: calendarView says @removed
    emulator.state.update_event(alice, moved["id"], {
        "start": _graph_time(far), "end": _graph_time(far + timedelta(hours=1))})
    emulator.state.delete_event(alice, deleted["id"])
    emulator.state.reset_counters()
    summary = run_sync()
    assert summary.ok, summary.errors
    counted = emulator.state.counters_snapshot()
    assert counted["requestsByRoute"]["event"] == 2  # both checked: the moved one, found,
    assert counted["requestsByStatus"]["404"] == 1  # and the deleted one
    kept = _active(sync_db, moved["iCalUId"])
    assert kept
    assert {(c, when) for c, _, when in kept} == {(False, far.replace(tzinfo=None))}
    gone = _active(sync_db, deleted["iCalUId"])
    assert gone
    assert all(c and reason for c, reason, _ in gone)
    calendar = next(s for s in summary.streams if s.mailbox == alice and s.stream == "calendar")
    assert calendar.graph_requests == calendar.pages + 1  # both checked in one $batch
    assert counted["requestsByRoute"]["$batch"] == 1
    assert calendar.outcome.entries_canceled == len(gone)
    assert calendar.outcome.entries_updated >= len(kept)


def test_calendar_window_reopens_as_time_moves(
    run_sync_sqlite: Syncer, sqlite_db: Engine
) -> None:
    run_sync_sqlite()
    before = entries(sqlite_db)
    run_sync_sqlite.clock.advance(timedelta(days=2).total_seconds())
    summary = run_sync_sqlite()
    assert summary.ok, summary.errors
    for s in summary.streams:  # mail: one request; calendar: catch up the old window + reopen
        assert s.graph_requests == (2 if s.stream == "calendar" else 1)
    assert entries(sqlite_db) == before
    with Session(sqlite_db) as session:
        ends = set(session.scalars(sa.select(SyncCursor.window_end)
                                   .where(SyncCursor.stream == "calendar")))
    wanted = (REFERENCE + timedelta(days=2 + 180)).replace(tzinfo=None)
    assert ends == {wanted}


def test_every_round_keeps_only_mail_received_within_backfill_days(
    run_sync_sqlite: Syncer, sqlite_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    summary = run_sync_sqlite(backfill_days=10)
    assert summary.total.skipped["before_backfill"] > 0
    cutoff = (REFERENCE - timedelta(days=10)).replace(tzinfo=None)
    with Session(sqlite_db) as session:
        oldest = session.scalar(sa.select(sa.func.min(Entry.occurred_at))
                                .where(Entry.source == "email"))
    assert oldest is not None
    assert oldest >= cutoff
    alice = users(data)[0]
    old = (REFERENCE - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    emulator.state.add_message(alice, new_mail(3, a_contact_address(data), alice,
                                                receivedDateTime=old, sentDateTime=old))
    later = run_sync_sqlite(backfill_days=10).total  # a later round: the cut-off still holds
    assert later.entries_created == 0
    assert later.skipped["before_backfill"] == 1


def test_global_concurrency_limit_holds(data: GeneratedData, sqlite_db: Engine) -> None:
    strict = EmulatorSettings(require_token=TOKEN, max_concurrency=1, latency_s=0.01)
    with EmulatorServer.start(data.tenant, settings=strict) as emu:
        settings = make_settings(data, emu.base_url, max_concurrency=1)
        calm = sync_mailboxes(settings, sqlite_db, clock=FakeClock(REFERENCE), policy=FAST)
        assert calm.ok, calm.errors
        assert calm.throttled == 0
        loose = replace(settings, sync=replace(settings.sync, max_concurrency=16))
        busy = sync_mailboxes(loose, sqlite_db, full=True, clock=FakeClock(REFERENCE),
                              policy=FAST)
        assert busy.ok, busy.errors
        assert busy.throttled > 0  # the same run without the limit trips MailboxConcurrency


def test_tokens_go_only_to_graph_hosts(data: GeneratedData, emulator: EmulatorServer,
                                       sqlite_db: Engine) -> None:
    settings = make_settings(data, emulator.base_url)
    graph = replace(settings.graph, static_token=Secret(""), tenant_id="t", client_id="c",
                    client_secret=Secret("s3cret-value"))
    summary = sync_mailboxes(replace(settings, graph=graph), sqlite_db,
                             clock=FakeClock(REFERENCE), policy=FAST)
    assert not summary.ok
    assert all("401" in e and "credentials" in e for e in summary.errors)  # no token was sent
    assert not any("s3cret-value" in e for e in summary.errors)


def test_cli_sync_json_runs_and_exit_code(
    tmp_path: Path, data: GeneratedData, emulator: EmulatorServer, sqlite_db: Engine
) -> None:
    base = ["--config", str(sync_config(tmp_path, data, emulator)),
            "--db", sqlite_db.url.render_as_string(hide_password=False)]
    runner = CliRunner()
    result = runner.invoke(cli, [*base, "sync", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for key in ("run_id", "mailboxes", "items_seen", "entries_created", "entries_updated",
                "entries_canceled", "skipped", "unmatched_addresses", "graph_requests",
                "throttled", "seconds", "errors"):
        assert key in out
    assert out["entries_created"] > 0
    assert out["errors"] == []
    failed = runner.invoke(cli, [*base, "sync", "--mailbox", "ghost@contoso.com", "--json"])
    assert failed.exit_code == 1
    assert "sync failed for ghost@contoso.com" in failed.stderr
    listed = runner.invoke(cli, [*base, "sync", "runs", "--json"])
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.stdout)
    assert [(r["run_id"], r["status"]) for r in runs] == [(2, "failed"), (1, "ok")]
    assert runs[1]["entries_created"] == out["entries_created"]


def test_sigkill_mid_sync_then_rerun_gives_the_same_entries(
    tmp_path: Path, data: GeneratedData, sqlite_db: Engine, run_sync_sqlite: Syncer
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    wide = {"backfill_days": 3650, "calendar_past_days": 3650}
    # The killed `interlog sync` runs on the real clock: the reference and the resumed sync
    # run at the real time too, or meetings between REFERENCE and now would be logged by the
    # killed process (already happened) and not by the reference (still to come).
    now = datetime.now(UTC)
    Syncer(run_sync_sqlite.settings, sqlite_db, FakeClock(now))(**wide)  # the reference
    expected = entries(sqlite_db, user=False)
    slow = EmulatorSettings(require_token=TOKEN, latency_s=0.03)
    target = tmp_path / "killed.db"
    with sqlite_db.connect() as conn:  # everything into the main file before copying it
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(str(sqlite_db.url.database), target)
    killed = make_engine(f"sqlite:///{target}")
    with Session(killed) as session, session.begin():  # same seed, no entries or cursors
        for table in ("interaction_log_entries", "captured_items", "unmatched_addresses",
                      "sync_cursors", "sync_run_streams", "sync_runs", "audit_events"):
            session.execute(sa.text(f"DELETE FROM {table}"))
    with EmulatorServer.start(data.tenant, settings=slow) as emu:
        config = sync_config(tmp_path, data, emu)
        config.write_text(config.read_text() + "page_size = 10\n", encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-c", "from interlog.cli import main; main()", "--config",
             str(config), "--db", f"sqlite:///{target}", "sync"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:  # wait (with a deadline) until some page is committed mid-round
            assert time.monotonic() < deadline, "the sync never committed a page"
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else "finished"
            with Session(killed) as session:
                if session.scalar(sa.select(sa.func.count()).select_from(SyncCursor)
                                  .where(SyncCursor.next_link.is_not(None))):
                    break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = entries(killed, user=False)
        assert len(partial) < len(expected)
        resumed = Syncer(make_settings(data, emu.base_url), killed, FakeClock(now))
        assert resumed(**wide).ok
    assert entries(killed, user=False) == expected
    killed.dispose()
