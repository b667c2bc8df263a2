"""Two workers capturing the same message at once on PostgreSQL: no error, no duplicate.

This test commits, so it takes the plugin's `clean_pg_engine` (emptied before and after), not
the rolled-back `db`.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture import PageOutcome, build_capture_context, capture_page
from storage.capture_models import UnmatchedAddress
from storage.models import InteractionLogEntry
from tests.support.builders import a_message
from tests.support.capture import ALICE, BOB, CAPTURE, JANE, JOHN, make_settings
from tests.support.seed import seed


@pytest.fixture
def seeded_pg(clean_pg_engine: Engine) -> Engine:
    seed(clean_pg_engine, CAPTURE)
    return clean_pg_engine


def _lock_waiters(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )) or 0)


def _wait_for_lock_waiter(engine: Engine, deadline_s: float = 20.0) -> None:
    deadline = time.monotonic() + deadline_s
    while _lock_waiters(engine) == 0:
        assert time.monotonic() < deadline, "the second writer never waited for the first"
        time.sleep(0.01)


def test_given_two_workers_write_the_same_message_concurrently_one_entry_per_contact(
    seeded_pg: Engine,
) -> None:
    msg = a_message().from_(ALICE).to(BOB, JANE, JOHN, "zed@startup.example").build()
    with Session(seeded_pg) as session:
        ctx = build_capture_context(session, make_settings())
    results: dict[str, PageOutcome | BaseException] = {}

    def second_worker() -> None:
        try:
            with Session(seeded_pg) as session, session.begin():
                results["bob"] = capture_page(session, ctx, BOB, [msg])
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            results["bob"] = exc

    with Session(seeded_pg) as first, first.begin():
        results["alice"] = capture_page(first, ctx, ALICE, [msg])
        worker = threading.Thread(target=second_worker)
        worker.start()
        _wait_for_lock_waiter(seeded_pg)  # Bob's INSERT is blocked on Alice's uncommitted keys
    worker.join(timeout=30)

    assert not worker.is_alive()
    alice, bob = results["alice"], results["bob"]
    assert isinstance(alice, PageOutcome), alice
    assert isinstance(bob, PageOutcome), bob
    assert (alice.entries_created, bob.entries_created) == (2, 0)
    with Session(seeded_pg) as session:
        rows = session.execute(
            sa.select(InteractionLogEntry.contact_no, InteractionLogEntry.user_upn)
            .where(InteractionLogEntry.internet_message_id == msg.internet_message_id)
        ).all()
        zed = session.scalar(sa.select(UnmatchedAddress)
                             .where(UnmatchedAddress.address == "zed@startup.example"))
    assert sorted(rows) == [("P-JANE", ALICE), ("P-JOHN", ALICE)]
    assert zed is not None
