"""The shared mailbox queue: due order, coalescing, leases, take-over, SKIP LOCKED."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.realtime import leases
from connector.realtime.worker import Worker
from storage.errors import Refused
from storage.models import utcnow
from storage.worker_models import MailboxLease, SyncInterval
from tests.support.databases import url_of
from tests.support.realtime import make_settings

POLL = 300
LEASE = 60
A, B, C = "a@contoso.com", "b@contoso.com", "c@contoso.com"


def take(engine: Engine, worker: str, now: object) -> leases.Claim | None:
    with Session(engine) as session, session.begin():
        return leases.take_next(session, worker, now, poll_interval=POLL,  # type: ignore[arg-type]
                                lease_seconds=LEASE)


def done(engine: Engine, claim: leases.Claim, worker: str, now: object,
         error: str | None = None) -> bool:
    with Session(engine) as session, session.begin():
        return leases.finish(session, claim, worker, now, error=error,  # type: ignore[arg-type]
                             backoff_seconds=30)


def setup(engine: Engine, *mailboxes: str, synced_ago: int | None = 10) -> None:
    now = utcnow()
    with Session(engine) as session, session.begin():
        leases.ensure_mailboxes(session, mailboxes)
        if synced_ago is not None:
            session.execute(sa.update(MailboxLease).values(
                last_synced_at=now - timedelta(seconds=synced_ago)))


def request(engine: Engine, mailbox: str, now: object) -> None:
    with Session(engine) as session, session.begin():
        leases.request_sync(session, mailbox, now)  # type: ignore[arg-type]


def test_nothing_is_due_when_every_mailbox_is_fresh(clean_engine: Engine) -> None:
    setup(clean_engine, A, B)
    assert take(clean_engine, "w1", utcnow()) is None


def test_never_synced_and_stale_mailboxes_are_due_oldest_first(clean_engine: Engine) -> None:
    setup(clean_engine, A, B, C)
    now = utcnow()
    with Session(clean_engine) as session, session.begin():
        session.execute(sa.update(MailboxLease).where(MailboxLease.mailbox == B)
                        .values(last_synced_at=now - timedelta(seconds=POLL + 100)))
        session.execute(sa.update(MailboxLease).where(MailboxLease.mailbox == C)
                        .values(last_synced_at=None))
    first, second = take(clean_engine, "w1", now), take(clean_engine, "w1", now)
    assert (first.mailbox, first.trigger) == (C, "poll")  # type: ignore[union-attr]
    assert (second.mailbox, second.trigger) == (B, "poll")  # type: ignore[union-attr]
    assert take(clean_engine, "w1", now) is None


def test_notified_mailboxes_go_before_stale_ones(clean_engine: Engine) -> None:
    setup(clean_engine, A, B)
    now = utcnow()
    with Session(clean_engine) as session, session.begin():
        session.execute(sa.update(MailboxLease).where(MailboxLease.mailbox == A)
                        .values(last_synced_at=None))
    request(clean_engine, B, now)
    claim = take(clean_engine, "w1", now)
    assert (claim.mailbox, claim.trigger) == (B, "notified")  # type: ignore[union-attr]


def test_requests_during_a_sync_coalesce_into_exactly_one_more_run(clean_engine: Engine) -> None:
    setup(clean_engine, A)
    now = utcnow()
    request(clean_engine, A, now)
    claim = take(clean_engine, "w1", now)
    assert claim is not None
    for _ in range(50):  # a burst while A is being synced
        request(clean_engine, A, now + timedelta(seconds=1))
    assert take(clean_engine, "w2", now + timedelta(seconds=1)) is None  # leased: nobody else
    assert done(clean_engine, claim, "w1", now + timedelta(seconds=2))
    again = take(clean_engine, "w2", now + timedelta(seconds=3))
    assert again is not None
    assert again.trigger == "notified"
    assert done(clean_engine, again, "w2", now + timedelta(seconds=4))
    assert take(clean_engine, "w1", now + timedelta(seconds=5)) is None
    with Session(clean_engine) as session:
        row = session.get(MailboxLease, A)
        assert row is not None
        assert (row.requested_count, row.sync_count) == (51, 2)


def test_a_dead_workers_lease_expires_and_another_takes_over(clean_engine: Engine) -> None:
    setup(clean_engine, A)
    now = utcnow()
    request(clean_engine, A, now)
    claim = take(clean_engine, "dead", now)
    assert claim is not None
    assert take(clean_engine, "w2", now + timedelta(seconds=LEASE - 1)) is None
    later = now + timedelta(seconds=LEASE + 1)
    over = take(clean_engine, "w2", later)
    assert over is not None
    assert (over.mailbox, over.trigger) == (A, "takeover")
    assert not done(clean_engine, claim, "dead", later)  # the lease is no longer its own
    assert done(clean_engine, over, "w2", later + timedelta(seconds=1))
    with Session(clean_engine) as session:
        rows = session.scalars(sa.select(SyncInterval).order_by(SyncInterval.id)).all()
    assert [(r.worker_id, r.outcome) for r in rows] == [("dead", "lost"), ("w2", "ok")]
    assert rows[0].finished_at is not None


def test_the_abandoned_interval_is_closed_when_its_lease_expired(clean_engine: Engine) -> None:
    setup(clean_engine, A)
    now = utcnow()
    request(clean_engine, A, now)
    assert take(clean_engine, "dead", now) is not None
    assert take(clean_engine, "w2", now + timedelta(seconds=LEASE + 5)) is not None
    with Session(clean_engine) as session:
        dead = session.scalars(sa.select(SyncInterval).where(
            SyncInterval.worker_id == "dead")).one()
    assert dead.outcome == "abandoned"
    assert dead.finished_at == now + timedelta(seconds=LEASE)


def test_a_failed_sync_keeps_its_request_and_backs_off(clean_engine: Engine) -> None:
    setup(clean_engine, A)
    now = utcnow()
    request(clean_engine, A, now)
    claim = take(clean_engine, "w1", now)
    assert claim is not None
    assert done(clean_engine, claim, "w1", now, error="GraphError: 503")
    assert take(clean_engine, "w1", now + timedelta(seconds=29)) is None  # backing off
    retry = take(clean_engine, "w1", now + timedelta(seconds=31))
    assert retry is not None
    assert retry.trigger == "notified"
    with Session(clean_engine) as session:
        assert session.get(MailboxLease, A).last_error == "GraphError: 503"  # type: ignore[union-attr]


def test_a_stopping_worker_gives_back_its_leases_and_requests(clean_engine: Engine) -> None:
    setup(clean_engine, A)
    now = utcnow()
    request(clean_engine, A, now)
    assert take(clean_engine, "w1", now) is not None
    with Session(clean_engine) as session, session.begin():
        leases.release_all(session, "w1", now)
    claim = take(clean_engine, "w2", now)
    assert claim is not None
    assert claim.trigger == "notified"


def test_skip_locked_gives_concurrent_workers_different_mailboxes(clean_pg_engine: Engine) -> None:
    setup(clean_pg_engine, A, B, synced_ago=None)
    now = utcnow()
    with Session(clean_pg_engine) as first, first.begin():
        one = leases.take_next(first, "w1", now, poll_interval=POLL, lease_seconds=LEASE)
        # w1 has not committed: its row is locked, so w2 skips it instead of waiting
        two = take(clean_pg_engine, "w2", now)
        three = take(clean_pg_engine, "w3", now)
    assert one is not None
    assert two is not None
    assert {one.mailbox, two.mailbox} == {A, B}
    assert three is None


def test_sqlite_refuses_a_second_live_worker(clean_sqlite_engine: Engine) -> None:
    engine = clean_sqlite_engine
    settings = make_settings(db_url=url_of(engine))
    Worker(settings, engine, lambda m: None).register()
    with pytest.raises(Refused, match="one worker"):
        Worker(settings, engine, lambda m: None).register()


def test_postgresql_accepts_many_workers(clean_pg_engine: Engine) -> None:
    settings = make_settings(db_url=str(clean_pg_engine.url))
    for _ in range(3):
        Worker(settings, clean_pg_engine, lambda m: None).register()
    with Session(clean_pg_engine) as session:
        status = leases.queue_status(session, utcnow(), poll_interval=60, stale_after=60)
    assert sum(w["alive"] for w in status["workers"]) == 3


def test_a_notified_mailbox_rests_between_syncs(clean_engine: Engine) -> None:
    setup(clean_engine, A, synced_ago=None)
    now = utcnow()
    first = take(clean_engine, "w1", now)
    assert first is not None
    assert done(clean_engine, first, "w1", now)
    request(clean_engine, A, now)
    with Session(clean_engine) as session, session.begin():
        early = leases.take_next(session, "w1", now + timedelta(milliseconds=500),
                                 poll_interval=POLL, lease_seconds=LEASE, min_gap_ms=1000)
        late = leases.take_next(session, "w1", now + timedelta(milliseconds=1001),
                                poll_interval=POLL, lease_seconds=LEASE, min_gap_ms=1000)
    assert early is None
    assert late is not None
