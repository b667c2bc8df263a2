"""The heartbeat thread and the worker loop lock rows in one order: no deadlock.

The loop finishes a mailbox by updating its lease row, then its own worker row; the
heartbeat updates the worker's leases and its worker row. Taken in opposite orders, the two
transactions deadlock (PostgreSQL kills one, and the worker process died with it).
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.realtime.worker import Worker
from interlog.config import settings_from_dict
from storage.worker_models import MailboxLease, WorkerRecord

MAILBOX = "alice@contoso.com"


@pytest.fixture
def pg(clean_pg_engine: Engine) -> Engine:
    """PostgreSQL, emptied before and after: the two transactions commit for real."""
    return clean_pg_engine


def _waiting_on_a_lock(engine: Engine, deadline_s: float = 10.0) -> bool:
    stop = time.monotonic() + deadline_s
    while time.monotonic() < stop:
        with engine.connect() as conn:
            waiting = conn.scalar(sa.text(
                "select count(*) from pg_stat_activity "
                "where datname = current_database() and wait_event_type = 'Lock'"))
        if waiting:
            return True
        time.sleep(0.02)
    return False


def test_a_heartbeat_during_the_end_of_a_sync_waits_instead_of_deadlocking(pg: Engine) -> None:
    settings = settings_from_dict({"sync": {"mailboxes": [MAILBOX]},
                                   "worker": {"lease_seconds": 30}})
    worker = Worker(settings, pg, sync_one=lambda _mailbox: None)
    worker.register()
    with Session(pg) as session, session.begin():
        session.add(MailboxLease(mailbox=MAILBOX, leased_by=worker.id))
    errors: list[BaseException] = []

    with Session(pg) as loop, loop.begin():
        # The loop's `finish`: the lease row first ...
        loop.execute(sa.update(MailboxLease).where(MailboxLease.mailbox == MAILBOX)
                     .values(leased_by=None))

        def heartbeat() -> None:
            try:
                worker.beat()
            except BaseException as exc:  # noqa: BLE001 - reported to the test below
                errors.append(exc)

        beat = threading.Thread(target=heartbeat)
        beat.start()
        assert _waiting_on_a_lock(pg), "the heartbeat should wait for the lease row"
        # ... then its own worker row, which the heartbeat must not be holding.
        loop.execute(sa.update(WorkerRecord).where(WorkerRecord.id == worker.id)
                     .values(current_mailbox=None))
    beat.join(timeout=30)
    assert not beat.is_alive()
    assert errors == []
    with Session(pg) as session:
        assert session.get(MailboxLease, MAILBOX).leased_by is None  # type: ignore[union-attr]


def test_a_failed_release_is_retried_so_the_mailbox_is_not_held_forever(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connector.realtime import leases
    from connector.realtime.worker import utcnow

    settings = settings_from_dict({"sync": {"mailboxes": [MAILBOX]}})
    synced: list[str] = []
    worker = Worker(settings, pg, sync_one=synced.append)
    worker.register()
    with Session(pg) as session, session.begin():
        leases.request_sync(session, MAILBOX, utcnow())
    real_finish = leases.finish
    failures = iter([sa.exc.OperationalError("UPDATE mailbox_leases", {}, Exception("gone"))])

    def flaky_finish(*args: object, **kwargs: object) -> bool:
        for failure in failures:
            raise failure
        return real_finish(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(leases, "finish", flaky_finish)
    assert worker.step() is True
    assert synced == [MAILBOX]
    with Session(pg) as session:
        lease = session.get(MailboxLease, MAILBOX)
        assert lease is not None
        assert lease.leased_by is None
        assert lease.last_synced_at is not None
