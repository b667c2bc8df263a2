"""Workers as real `interlog worker` processes sharing PostgreSQL, fed by the emulator's
change notifications through the app's endpoint served live."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from emulator import EmulatorSettings
from storage.worker_models import GraphSubscription, MailboxLease, SyncInterval
from tests.support.builders import inbound, tenant_of, upn
from tests.support.databases import url_of
from tests.support.deployment import Deployment, overlaps, wait_for, wait_while_progressing
from tests.support.realtime import TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
MIN_RESYNC_MS = 1000


@pytest.fixture
def db_url(clean_pg_engine: Engine) -> str:
    """PostgreSQL, emptied before and after: the workers are processes of their own."""
    return url_of(clean_pg_engine)


def with_mail(mailboxes: int, per_mailbox: int) -> dict[str, Any]:
    data = tenant_of(mailboxes)
    for i in range(mailboxes):
        data["messages"][upn(i)] = [inbound(upn(i), n) for n in range(per_mailbox)]
    return data


def ids(data: dict[str, Any]) -> set[str]:
    return {m["internetMessageId"] for box in data["messages"].values() for m in box}


def test_four_workers_forty_mailboxes_every_change_exactly_once(tmp_path: Path,
                                                                db_url: str) -> None:
    data = with_mail(40, 3)
    expected = ids(data)
    dep = Deployment(tmp_path, db_url, data)
    try:
        for _ in range(4):
            dep.start_worker()
        for n in range(3, 6):  # changes arriving while the workers run
            for i in range(40):
                msg = inbound(upn(i), n)
                dep.emu.state.add_message(upn(i), msg)
                expected.add(msg["internetMessageId"])
            time.sleep(0.5)  # spread the changes over the run (not synchronisation)
        wait_while_progressing(lambda: set(dep.entry_counts()) >= expected,
                               lambda: len(dep.entry_counts()), 60, "every change as an entry")
        # inbox + events for each mailbox, created by the workers
        wait_for(lambda: _subscribed(dep, 80), 60, "80 subscriptions")
        wait_for(lambda: _settled(dep), 30, "queue drained")
        codes = dep.stop_workers()
        assert codes == [0, 0, 0, 0], [dep.worker_log(n)[-1500:] for n in range(4)]
        counts = dep.entry_counts()
        assert set(counts) == expected
        assert set(counts.values()) == {1}  # exactly once
        intervals = dep.intervals()
        assert overlaps(intervals) == []
        assert {r.mailbox for r in intervals} == {upn(i) for i in range(40)}
        assert len({r.worker_id for r in intervals}) >= 2  # the work was shared
    finally:
        dep.close()


def _settled(dep: Deployment) -> bool:
    with Session(dep.engine) as session:
        pending = session.scalar(sa.select(sa.func.count()).select_from(MailboxLease).where(
            sa.or_(MailboxLease.sync_requested_at.is_not(None),
                   MailboxLease.leased_by.is_not(None))))
        running = session.scalar(sa.select(sa.func.count()).select_from(SyncInterval).where(
            SyncInterval.finished_at.is_(None)))
    return pending == 0 and running == 0


def test_a_killed_worker_s_mailbox_is_finished_by_another(tmp_path: Path, db_url: str) -> None:
    data = with_mail(1, 60)
    emu = EmulatorSettings(require_token=TOKEN, latency_s=0.25)
    dep = Deployment(tmp_path, db_url, data, notifications=False, emulator=emu,
                     worker={"lease_seconds": 3}, sync={"page_size": 10})
    try:
        victim = dep.start_worker()
        wait_for(lambda: 0 < len(dep.entry_counts()) < 60, 60, "the first pages committed")
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        at_kill = len(dep.entry_counts())
        [dead] = dep.intervals()
        assert dead.finished_at is None  # killed in the middle of the mailbox
        assert at_kill < 60
        dep.start_worker()
        wait_for(lambda: set(dep.entry_counts()) == ids(data), 60, "the rest by the other")
        wait_for(lambda: _settled(dep), 30, "queue drained")
        dep.stop_workers()
        counts = dep.entry_counts()
        assert set(counts.values()) == {1}
        intervals = dep.intervals()
        assert [(r.trigger, r.outcome) for r in intervals] == [
            ("poll", "abandoned"), ("takeover", "ok")]
        assert intervals[0].worker_id != intervals[1].worker_id
        assert overlaps(intervals) == []
    finally:
        dep.close()


def test_a_burst_of_a_hundred_notifications_gives_a_bounded_number_of_syncs(
        tmp_path: Path, db_url: str) -> None:
    data = with_mail(1, 1)
    dep = Deployment(tmp_path, db_url, data, worker={"min_resync_ms": MIN_RESYNC_MS})
    try:
        dep.start_worker()
        wait_for(lambda: len(dep.entry_counts()) == 1 and _subscribed(dep, 2) and _settled(dep),
                 60, "first sync and subscriptions")
        before = len(dep.intervals())
        delivered = _delivered(dep)
        started = time.monotonic()
        for msg in [inbound(upn(0), n) for n in range(1, 101)]:
            dep.emu.state.add_message(upn(0), msg)
        wait_for(lambda: _delivered(dep) >= delivered + 100, 60, "the burst delivered")
        burst_ms = (time.monotonic() - started) * 1000  # how long the burst really took here
        wait_for(lambda: len(dep.entry_counts()) == 101, 60, "the burst as entries")
        wait_for(lambda: _requests(dep) >= 100 and _settled(dep), 30, "notifications counted")
        dep.stop_workers()
        syncs = len(dep.intervals()) - before
        # At most one sync per min_resync_ms while the burst lasts, and one after it; a slow
        # machine spreads the burst over more windows, so the bound follows the measured span.
        assert 1 <= syncs <= max(3, 2 + int(burst_ms // MIN_RESYNC_MS)), (syncs, burst_ms)
        assert set(dep.entry_counts().values()) == {1}
    finally:
        dep.close()


def _subscribed(dep: Deployment, n: int) -> bool:
    with Session(dep.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(GraphSubscription)) == n


def _delivered(dep: Deployment) -> int:
    """Notifications the emulator has delivered (each POST answered by the app)."""
    return int(dep.emu.state.counters_snapshot()["notifications"])


def _requests(dep: Deployment) -> int:
    with Session(dep.engine) as session:
        return int(session.scalar(sa.select(MailboxLease.requested_count)) or 0)
