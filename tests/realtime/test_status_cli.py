"""`interlog workers status`: workers, leases, queue depth and lag, as a table and JSON."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.realtime import leases
from connector.realtime.worker import Worker
from interlog.cli import cli
from storage.models import utcnow
from tests.support.realtime import make_settings

A, B = "a@contoso.com", "b@contoso.com"


def test_status_shows_workers_leases_queue_and_lag(clean_engine: Engine, tmp_path: Path) -> None:
    url = clean_engine.url.render_as_string(False)
    worker = Worker(make_settings(db_url=url), clean_engine, lambda m: None)
    worker.register()
    now = utcnow()
    with Session(clean_engine) as session, session.begin():
        leases.ensure_mailboxes(session, [A, B])
        leases.request_sync(session, A, now - timedelta(seconds=30))
        claim = leases.take_next(session, worker.id, now, poll_interval=300, lease_seconds=60)
        assert claim is not None
        assert claim.mailbox == A  # notified first
    config = tmp_path / "interlog.toml"
    config.write_text(f'[sync]\nmailboxes = ["{A}", "{B}"]\n')
    base = ["--config", str(config), "--db", url]
    result = CliRunner().invoke(cli, [*base, "workers", "status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [w["id"] for w in report["workers"]] == [worker.id]
    assert report["workers"][0]["alive"] is True
    boxes = {m["mailbox"]: m for m in report["mailboxes"]}
    assert boxes[A]["leased_by"] == worker.id
    assert boxes[A]["due"] is False
    assert boxes[B]["due"] is True  # never synced
    assert boxes[B]["lag_s"] is None
    assert report["queue_depth"] == 1
    table = CliRunner().invoke(cli, [*base, "workers", "status"])
    assert table.exit_code == 0
    assert "queue depth 1" in table.output
    assert B in table.output
