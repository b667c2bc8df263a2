"""Failures a run survives: a forbidden mailbox, a worker's stop request, a run killed outright."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.realtime.worker import StopRequested
from connector.sync.runs import StreamStats, list_runs, run_to_json
from emulator import EmulatorServer
from emulator.generate import GeneratedData
from interlog.cli import cli
from storage.models import InteractionLogEntry, utcnow
from storage.sync_models import SyncCursor, SyncRun, SyncRunStream
from tests.support.sync import Syncer, count, entries, sync_config, users


def test_forbidden_mailbox_fails_alone_naming_the_permission(
    run_sync: Syncer, sync_db: Engine, data: GeneratedData, emulator: EmulatorServer
) -> None:
    alice, bob, carol = users(data)[:3]
    emulator.state.inject_fault(403, count=1000, mailbox=bob)
    summary = run_sync()
    assert summary.failed_mailboxes == [bob]
    assert summary.mailbox_json(alice)["status"] == summary.mailbox_json(carol)["status"] == "ok"
    assert len(summary.errors) == 3  # each of bob's streams: inbox, sent items, calendar
    for error in summary.errors:
        assert error.startswith(f"{bob} ")
        assert "403 ErrorAccessDenied" in error
        assert "Mail.Read and Calendars.Read" in error
    assert summary.total.entries_created == count(sync_db, InteractionLogEntry) > 0
    assert count(sync_db, SyncCursor, SyncCursor.mailbox == bob) == 0  # nothing read
    assert count(sync_db, SyncCursor, SyncCursor.mailbox == alice) == 3
    with Session(sync_db) as session:
        run = list_runs(session)[0]
        assert (run.status, run.errors) == ("failed", 3)
        assert {s.status for s in run.streams if s.mailbox == bob} == {"failed"}


def test_cli_sync_exits_1_when_a_mailbox_is_forbidden(
    tmp_path: Path, data: GeneratedData, emulator: EmulatorServer, sqlite_db: Engine
) -> None:
    bob = users(data)[1]
    emulator.state.inject_fault(403, count=1000, mailbox=bob)
    base = ["--config", str(sync_config(tmp_path, data, emulator)),
            "--db", sqlite_db.url.render_as_string(hide_password=False)]
    result = CliRunner().invoke(cli, [*base, "sync", "--json"])
    assert result.exit_code == 1
    assert f"interlog: sync failed for {bob}" in result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "failed"
    assert out["entries_created"] > 0  # the other mailboxes synced
    assert [m["status"] for m in out["mailboxes"] if m["mailbox"] == bob] == ["failed"]
    assert all(bob in e and "access denied" in e for e in out["errors"])


def test_a_workers_stop_request_is_recorded_as_stopped_and_the_next_run_resumes(
    run_sync: Syncer, sync_db: Engine, run_sync_sqlite: Syncer, sqlite_db: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reference = run_sync_sqlite()  # the same tenant, uninterrupted, into a database of its own
    expected = entries(sqlite_db, user=False)
    stopping = False

    def after_page(stats: StreamStats) -> None:  # what `connector.realtime.worker` does on SIGTERM
        nonlocal stopping
        stopping = stopping or (stats.stream == "mail:inbox" and stats.pages == 2)
        if stopping:
            raise StopRequested("worker stopping")

    with caplog.at_level(logging.INFO):
        stopped = run_sync(after_page=after_page)
    assert not stopped.ok
    assert (stopped.status, stopped.errors, stopped.failed_mailboxes) == ("stopped", [], [])
    assert stopped.stopped_mailboxes
    assert {s.error for s in stopped.streams} == {None}
    assert stopped.to_json()["status"] == "stopped"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert any("stopped on request" in r.getMessage() for r in caplog.records)
    with Session(sync_db) as session:
        run = list_runs(session)[0]
        assert (run.status, run.errors, run.finished_at is not None) == ("stopped", 0, True)
        rows = session.scalars(sa.select(SyncRunStream).where(SyncRunStream.run_id == run.id))
        assert {(r.status, r.error) for r in rows} <= {("stopped", None), ("ok", None)}
    partial = entries(sync_db, user=False)
    assert 0 < len(partial) < len(expected)

    resumed = run_sync()
    assert resumed.ok, resumed.errors
    assert entries(sync_db, user=False) == expected  # nothing lost, nothing twice
    # The stopped streams resumed from their cursor, not from the start: together the two
    # runs read each item once (the uninterrupted run's total).
    both = stopped.total.items_seen + resumed.total.items_seen
    assert both == reference.total.items_seen


def test_runs_killed_outright_are_listed_as_abandoned(run_sync: Syncer, sync_db: Engine) -> None:
    summary = run_sync()
    now = utcnow()
    with Session(sync_db) as session, session.begin():
        finished = session.get(SyncRun, summary.run_id)
        assert finished is not None
        assert finished.heartbeat_at is not None
        assert finished.heartbeat_at >= finished.started_at  # a real run beats
        session.add_all([
            SyncRun(status="running", started_at=now - timedelta(hours=2),
                    heartbeat_at=now - timedelta(minutes=6), trigger="cli", skipped={}),
            SyncRun(status="running", started_at=now - timedelta(hours=2),
                    heartbeat_at=now - timedelta(seconds=30), trigger="worker", skipped={}),
            SyncRun(status="running", started_at=now - timedelta(minutes=10),
                    heartbeat_at=None, trigger="cli", skipped={}),
        ])
    with Session(sync_db) as session:
        shown = [run_to_json(r)["status"] for r in list_runs(session)]
        assert shown == ["abandoned", "running", "abandoned", "ok"]
        old = list_runs(session)[1]
        assert old.shown_status(now + timedelta(minutes=5, seconds=31)) == "abandoned"
