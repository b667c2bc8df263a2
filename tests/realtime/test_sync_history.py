"""The sync bookkeeping is kept `[worker] keep_history_days`, then deleted by the workers
(storage/sync_history.py): old runs with their streams and old intervals go, in batches;
recent ones and a run still beating stay; the entries are untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.realtime.worker import Worker
from interlog.config import ConfigError
from storage.sync_history import prune_history
from storage.sync_models import SyncRun, SyncRunStream
from storage.vocabulary import RunStatus, SyncTrigger
from storage.worker_models import SyncInterval
from tests.support.databases import url_of
from tests.support.realtime import make_settings

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as stored
DAY = timedelta(days=1)


def _run(session: Session, started: datetime, *, status: RunStatus = RunStatus.OK,
         heartbeat: datetime | None = None) -> int:
    finished = started + timedelta(minutes=1) if status != RunStatus.RUNNING else None
    run = SyncRun(started_at=started, finished_at=finished, heartbeat_at=heartbeat,
                  status=status, trigger="worker")
    run.streams = [SyncRunStream(mailbox="a@contoso.com", stream=s)
                   for s in ("mail:inbox", "calendar")]
    session.add(run)
    session.flush()
    return run.id


def _interval(session: Session, started: datetime) -> int:
    interval = SyncInterval(mailbox="a@contoso.com", worker_id="w1", trigger=SyncTrigger.POLL,
                            started_at=started, finished_at=started + timedelta(seconds=3))
    session.add(interval)
    session.flush()
    return interval.id


def _ids(session: Session, column: sa.ColumnElement[int]) -> set[int]:
    return set(session.scalars(sa.select(column)))


def test_old_runs_and_intervals_go_in_batches_and_the_rest_stays(db: Session) -> None:
    old = [_run(db, NOW - 30 * DAY + timedelta(minutes=n)) for n in range(5)]
    killed = _run(db, NOW - 20 * DAY, status=RunStatus.RUNNING)  # abandoned long ago
    beating = _run(db, NOW - 9 * DAY, status=RunStatus.RUNNING, heartbeat=NOW - timedelta(
        minutes=1))  # a run of nine days, still alive
    recent = _run(db, NOW - 2 * DAY)
    old_intervals = [_interval(db, NOW - 10 * DAY + timedelta(seconds=n)) for n in range(3)]
    recent_interval = _interval(db, NOW - DAY)
    before = NOW - 7 * DAY

    first = prune_history(db, before, batch=4)
    assert (first.runs, first.intervals) == (4, 3)
    assert first.more
    assert _ids(db, SyncRun.id) == {old[4], killed, beating, recent}
    second = prune_history(db, before, batch=4)
    assert (second.runs, second.intervals, second.more) == (2, 0, False)
    assert _ids(db, SyncRun.id) == {beating, recent}
    assert _ids(db, SyncRunStream.run_id) == {beating, recent}  # streams went with their runs
    assert _ids(db, SyncInterval.id) == {recent_interval}
    assert not set(old_intervals) & _ids(db, SyncInterval.id)
    assert prune_history(db, before).runs == 0


def test_a_worker_prunes_what_is_older_than_its_setting_once_an_hour(
    clean_engine: Engine,
) -> None:
    with Session(clean_engine) as session, session.begin():
        kept = _run(session, NOW - 2 * DAY)
        _run(session, NOW - 4 * DAY)
        _interval(session, NOW - 4 * DAY)
    settings = make_settings(db_url=url_of(clean_engine), keep_history_days=3)
    worker = Worker(settings, clean_engine, lambda mailbox: None, clock=lambda: NOW)
    assert worker.prune_history() == 2  # a run (its streams with it) and an interval
    with Session(clean_engine) as session:
        assert _ids(session, SyncRun.id) == {kept}
        assert session.scalar(sa.select(sa.func.count()).select_from(SyncInterval)) == 0
        _run(session, NOW - 5 * DAY)
        session.commit()
    assert worker.prune_history() == 0  # not again within the hour


@pytest.mark.parametrize("days", [0, -1, "7"])
def test_keep_history_days_must_be_a_whole_number_of_days_from_one(days: object) -> None:
    with pytest.raises(ConfigError, match="keep_history_days"):
        make_settings(db_url="sqlite://", keep_history_days=days)  # type: ignore[arg-type]
