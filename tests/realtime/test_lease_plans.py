"""The next-due query stays on indexes as the queue grows (issue 14): PostgreSQL's plans for
what `leases.take_next` sends, on a queue of 6,000 mailboxes; it locks only the row it takes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.realtime import leases
from storage.models import utcnow
from storage.worker_models import MailboxLease
from tests.support.leases import fill_leases, plan_of, statements_of

MAILBOXES = 6_000


def take_plans(engine: Engine, now: object) -> tuple[leases.Claim | None, list[str]]:
    with statements_of(engine) as seen, Session(engine) as session, session.begin():
        claim = leases.take_next(session, "w1", now, poll_interval=300,  # type: ignore[arg-type]
                                 lease_seconds=60)
        session.rollback()
    assert seen, "take_next sent no SELECT on mailbox_leases"
    return claim, [plan_of(engine, statement, params) for statement, params in seen]


def assert_indexed(plans: list[str]) -> None:
    for plan in plans:
        assert "Seq Scan on mailbox_leases" not in plan, plan
        assert "Index Scan using ix_mailbox_leases_" in plan, plan


@pytest.fixture
def big_queue(clean_pg_engine: Engine) -> Engine:
    fill_leases(clean_pg_engine, MAILBOXES)
    return clean_pg_engine


def test_nothing_due_reads_only_indexes(big_queue: Engine) -> None:
    claim, plans = take_plans(big_queue, utcnow())
    assert claim is None
    assert len(plans) == 1  # one round trip
    assert_indexed(plans)
    for index in ("lease_expires_at", "sync_requested_at", "last_synced_at"):
        assert f"Index Scan using ix_mailbox_leases_{index} on mailbox_leases" in plans[0]


def test_a_notified_mailbox_is_found_through_an_index(big_queue: Engine) -> None:
    now = utcnow()
    with Session(big_queue) as session, session.begin():
        leases.request_sync(session, "user4321@contoso.com", now)
    claim, plans = take_plans(big_queue, now + timedelta(seconds=1))
    assert claim is not None
    assert (claim.mailbox, claim.trigger) == ("user4321@contoso.com", "notified")
    assert_indexed(plans)


def test_an_expired_lease_and_stale_mailboxes_are_found_through_indexes(
        big_queue: Engine) -> None:
    now = utcnow()
    with Session(big_queue) as session, session.begin():
        session.execute(sa.update(MailboxLease).where(MailboxLease.mailbox.in_(
            [f"user{n}@contoso.com" for n in range(1, 60)])).values(
                last_synced_at=now - timedelta(seconds=900)))
        session.execute(sa.update(MailboxLease).where(
            MailboxLease.mailbox == "user77@contoso.com").values(
                leased_by="dead", lease_expires_at=now - timedelta(seconds=5)))
    claim, plans = take_plans(big_queue, now)
    assert claim is not None
    assert (claim.mailbox, claim.trigger) == ("user77@contoso.com", "takeover")
    assert_indexed(plans)
    with Session(big_queue) as session, session.begin():
        session.execute(sa.update(MailboxLease).values(leased_by=None, lease_expires_at=None))
    claim, plans = take_plans(big_queue, now)
    assert claim is not None
    assert claim.trigger == "poll"
    assert claim.mailbox in {f"user{n}@contoso.com" for n in range(1, 60)}
    assert_indexed(plans)


def test_only_the_mailbox_taken_is_locked(big_queue: Engine) -> None:
    """The stale candidate is not locked while the notified one is taken: another worker, in
    the same instant, takes it instead of skipping it."""
    now = utcnow()
    with Session(big_queue) as session, session.begin():
        leases.request_sync(session, "user4321@contoso.com", now)
        session.execute(sa.update(MailboxLease).where(
            MailboxLease.mailbox == "user12@contoso.com").values(
                last_synced_at=now - timedelta(seconds=900)))
    with Session(big_queue) as first, first.begin():
        one = leases.take_next(first, "w1", now, poll_interval=300, lease_seconds=60)
        with Session(big_queue) as second, second.begin():
            two = leases.take_next(second, "w2", now, poll_interval=300, lease_seconds=60)
            assert two is not None
            assert (two.mailbox, two.trigger) == ("user12@contoso.com", "poll")
            second.rollback()
        assert one is not None
        assert (one.mailbox, one.trigger) == ("user4321@contoso.com", "notified")
        first.rollback()
