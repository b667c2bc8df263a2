"""storage/deliveries.py: a delivery key is claimed once, its answer kept, old rows purged;
a concurrent claim of the same key waits for the first transaction and reads its answer."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.deliveries import (
    RETENTION,
    Answer,
    activity_key,
    body_key,
    claim,
    delivery,
    purge,
    record_answer,
)
from storage.delivery_models import ActivityDelivery, DeliveryChannel
from storage.models import utcnow
from tests.support.deployment import wait_for

pytestmark = pytest.mark.timeout(60)

CARD = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "Logged #7"}]}


def test_keys_are_fixed_length_and_per_conversation() -> None:
    long_id = "a:" + "x" * 500
    assert len(activity_key(long_id, "1")) == 64
    assert activity_key("a:1", "m1") == activity_key("a:1", "m1")
    assert activity_key("a:1", "m1") != activity_key("a:2", "m1")
    assert activity_key("a:1", "m1") != activity_key("a:1m", "1")  # the parts stay apart
    assert body_key(b'{"text": "x"}') != body_key(b'{"text": "x"} ')  # every byte counts


def test_the_first_claim_acts_the_next_reads_its_answer(db: Session) -> None:
    key = activity_key("a:1", "m1")
    assert claim(db, key, DeliveryChannel.TEAMS) is None
    record_answer(db, key, Answer("Logged #7: Jane Doe, CALL", CARD, (7,)))
    assert claim(db, key, DeliveryChannel.TEAMS) == Answer(
        "Logged #7: Jane Doe, CALL", CARD, (7,))
    assert db.scalar(sa.select(sa.func.count()).select_from(ActivityDelivery)) == 1
    row = delivery(db, key)
    assert row is not None
    assert (row.channel, row.entry_nos) == ("teams", [7])


def test_purge_deletes_only_rows_past_the_retention(db: Session) -> None:
    now = utcnow()
    claim(db, body_key(b"old"), DeliveryChannel.WEBHOOK, at=now - RETENTION - timedelta(1))
    claim(db, body_key(b"young"), DeliveryChannel.WEBHOOK, at=now - RETENTION + timedelta(1))
    assert timedelta(days=1) <= RETENTION  # the contract: at least a day
    assert purge(db, now=now) == 1
    assert delivery(db, body_key(b"old")) is None
    assert delivery(db, body_key(b"young")) is not None


@pytest.mark.parametrize("first_commits", [True, False])
def test_a_concurrent_claim_waits_for_the_first_transaction(
        clean_pg_engine: Engine, first_commits: bool) -> None:
    """PostgreSQL: the second INSERT waits on the primary key; it reads the first answer
    once that commits, or claims the key itself if the first rolled back."""
    key = activity_key("a:1", "race")
    results: list[Answer | None] = []
    with Session(clean_pg_engine) as first:
        assert claim(first, key, DeliveryChannel.TEAMS) is None
        waiter = threading.Thread(target=_claim_in_own_transaction,
                                  args=(clean_pg_engine, key, results))
        waiter.start()
        wait_for(lambda: _waiting_on_a_lock(clean_pg_engine), 20, "the second claim waits")
        assert results == []
        record_answer(first, key, Answer("Logged #1", None, (1,)))
        if first_commits:
            first.commit()
        else:
            first.rollback()
        waiter.join(timeout=20)
    expected = Answer("Logged #1", None, (1,)) if first_commits else None
    assert results == [expected]


def _claim_in_own_transaction(engine: Engine, key: str, results: list[Answer | None]) -> None:
    with Session(engine) as session, session.begin():
        results.append(claim(session, key, DeliveryChannel.TEAMS))


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'")))
