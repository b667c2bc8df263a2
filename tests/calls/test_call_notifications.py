"""Call-record subscriptions: a worker keeps one filtered subscription on
`communications/callRecords`, a notification makes the calls round run at once (before
`[sync] poll_interval`), and a notification with a wrong clientState does nothing. Real
msgraph-sdk over HTTP against the emulator, the app's notification endpoint served live, on
SQLite and PostgreSQL (docs/calls.md#subscriptions)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.realtime.subscriptions import call_resource
from connector.realtime.worker import Worker
from storage.sync_models import SyncRun
from storage.worker_models import GraphSubscription
from tests.support.call_world import (
    CALLS,
    World,
    call_subscription,
    call_world,
    calls_requested,
    drain,
    wait_for,
)
from tests.support.calls import ALICE, BOB, call_entries

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.fixture
def world(clean_engine: Engine) -> Iterator[World]:
    with call_world(clean_engine) as found:
        yield found


def test_the_call_subscription_is_filtered_to_the_users_and_renewed(world: World) -> None:
    report = world.ensure()
    assert report.errors == []
    assert len(report.created) == 7  # 2 × (2 folders + events) + the calls
    row = call_subscription(world.engine)
    ids = sorted((ALICE["id"], BOB["id"]))
    assert row.resource == ("communications/callRecords?$filter=participants/any("
                            f"p:p/id eq '{ids[0]}' or p/id eq '{ids[1]}')")
    graph = world.emulator.emulator.subscriptions.items[row.id]
    assert graph["_participants"] == frozenset(ids)
    assert graph["changeType"] == "updated"
    assert graph["clientState"] == row.client_state
    assert calls_requested(world.engine)  # a catch-up calls round is asked for

    with Session(world.engine) as session, session.begin():
        session.execute(sa.update(GraphSubscription).where(GraphSubscription.id == row.id)
                        .values(expires_at=datetime.now(UTC).replace(tzinfo=None)))
    again = world.ensure()
    assert (again.renewed, again.created, again.errors) == ([row.id], [], [])
    assert call_subscription(world.engine).expires_at > datetime.now(UTC).replace(
        tzinfo=None) + timedelta(hours=1)


def test_turning_calls_off_deletes_the_call_subscription(world: World) -> None:
    world.ensure()
    row = call_subscription(world.engine)
    world.settings = replace(world.settings, sync=replace(world.settings.sync, calls=False))
    report = world.ensure()
    assert report.deleted == [row.id]
    assert row.id not in world.emulator.emulator.subscriptions.items
    with Session(world.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(GraphSubscription)) == 6


def test_a_notification_runs_the_calls_round_before_the_poll_interval(world: World) -> None:
    world.ensure()
    worker = Worker(world.settings, world.engine)
    try:
        assert CALLS in drain(worker)  # the catch-up: mailboxes and the calls round
        assert call_entries(world.engine) == []
        assert drain(worker) == []  # nothing due: poll_interval is an hour away

        world.call("call-after-subscribing")
        wait_for(lambda: calls_requested(world.engine))  # Graph → the app → the queue
        assert drain(worker) == [CALLS]
    finally:
        worker.graph.close()
    [entry] = call_entries(world.engine)
    assert (entry.contact_no, entry.user_upn, entry.ical_uid) == (
        "P1", ALICE["mail"], "call:call-after-subscribing")
    with Session(world.engine) as session:
        triggers = list(session.scalars(sa.select(SyncRun.trigger).order_by(SyncRun.id)))
    assert triggers.count("calls") == 2  # the catch-up and the notified round


def test_a_notification_with_a_wrong_client_state_is_refused(world: World) -> None:
    world.ensure()
    worker = Worker(world.settings, world.engine)
    try:
        drain(worker)
        row = call_subscription(world.engine)
        body = {"value": [{"subscriptionId": row.id, "clientState": "not-the-secret",
                           "changeType": "updated",
                           "resource": "communications/callRecords/forged"}]}
        answer = httpx.post(world.app.url + "/api/graph/notifications", json=body)
        assert answer.status_code == 202
        assert answer.json() == {"queued": 0, "ignored": 1}
        assert not calls_requested(world.engine)
        world.emulator.emulator.subscriptions.items.clear()  # no real notification follows…
        world.call("call-unnotified")  # …of a call only the safety poll will read
        assert drain(worker) == []
    finally:
        worker.graph.close()
    assert call_entries(world.engine) == []


def test_without_object_ids_the_subscription_is_the_tenants_whole() -> None:
    assert call_resource(["", " "]) == "communications/callRecords"
    assert call_resource(["X'1"]) == (
        "communications/callRecords?$filter=participants/any(p:p/id eq 'x''1')")
