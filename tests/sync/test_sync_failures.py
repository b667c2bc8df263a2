"""Failures a run survives: a forbidden mailbox, a worker's stop request, a run killed outright."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.cli import cli
from connector.emulator import EmulatorServer
from connector.emulator.generate import GeneratedData
from connector.runs import list_runs
from storage.models import InteractionLogEntry
from storage.sync_models import SyncCursor
from tests.sync.conftest import Syncer, count
from tests.sync.test_sync_calendar_and_cli import _config
from tests.sync.test_sync_e2e import users


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
        assert "Mail.ReadBasic.All and Calendars.Read" in error
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
    base = ["--config", str(_config(tmp_path, data, emulator)),
            "--db", sqlite_db.url.render_as_string(hide_password=False)]
    result = CliRunner().invoke(cli, [*base, "sync", "--json"])
    assert result.exit_code == 1
    assert f"interlog: sync failed for {bob}" in result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "failed"
    assert out["entries_created"] > 0  # the other mailboxes synced
    assert [m["status"] for m in out["mailboxes"] if m["mailbox"] == bob] == ["failed"]
    assert all(bob in e and "access denied" in e for e in out["errors"])
