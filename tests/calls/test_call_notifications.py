"""Call-record subscriptions: a worker keeps one filtered subscription on
`communications/callRecords`, a notification makes the calls round run at once (before
`[sync] poll_interval`), and a notification with a wrong clientState does nothing. Real
msgraph-sdk over HTTP against the emulator, the app's notification endpoint served live, on
SQLite and PostgreSQL (docs/calls.md#subscriptions)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.graph import build_client
from connector.realtime.subscriptions import SubscriptionManager, call_resource
from connector.realtime.worker import Worker
from emulator import EmulatorServer, EmulatorSettings
from emulator.gen_calls import call_record, phone
from interlog.config import Settings, settings_from_dict
from storage.sync_models import SyncRun
from storage.worker_models import GraphSubscription, MailboxLease
from tests.support.calls import ALICE, BOB, HANS, TENANT, call_entries, dataset, teams
from tests.support.realtime import notification_app
from tests.support.seed import seed
from tests.support.servers import LiveApp
from tests.support.sync import TOKEN

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
CALLS = "tenant"  # the queue item of the tenant's call records


@dataclass
class World:
    emulator: EmulatorServer
    app: LiveApp
    settings: Settings
    engine: Engine

    def ensure(self) -> Any:
        async def go() -> Any:
            client = build_client(self.settings.graph)
            try:
                return await SubscriptionManager(self.settings, self.engine, client).ensure()
            finally:
                await client.close()

        return asyncio.run(go())

    def call(self, name: str) -> str:
        """Alice phones Hans (a contact): a call record that ended an hour ago."""
        start = datetime.now(UTC) - timedelta(hours=1)
        return self.emulator.calls.add_record(
            call_record(name, start, 6, teams(ALICE), [phone(HANS)]))


def make_settings(base_url: str, public_url: str, url: str) -> Settings:
    return settings_from_dict({
        "storage": {"url": url},
        "graph": {"base_url": base_url, "static_token": TOKEN},
        "sync": {"mailboxes": [ALICE["mail"], BOB["mail"]], "internal_domains": ["contoso.com"],
                 "calls": True, "default_region": "DE", "poll_interval": 3600},
        "server": {"public_url": public_url},
        "worker": {"lease_seconds": 30, "heartbeat_seconds": 1, "idle_ms": 100,
                   "min_resync_ms": 0},
        "user": [{"upn": u["mail"], "aad_object_id": u["id"]} for u in (ALICE, BOB)],
    }, env={})  # fmt: skip


@pytest.fixture
def world(clean_engine: Engine) -> Iterator[World]:
    emu = EmulatorServer.start(TENANT, settings=EmulatorSettings(require_token=TOKEN))
    app = LiveApp(notification_app(clean_engine))
    try:
        config = make_settings(emu.base_url, app.url, str(clean_engine.url))
        seed(clean_engine, dataset(config))
        yield World(emu, app, config, clean_engine)
    finally:
        app.stop()
        emu.stop()


def wait_for(check: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.02)  # polling with a deadline: the emulator posts from its own thread
    raise AssertionError(f"not reached within {seconds}s")


def call_subscription(engine: Engine) -> GraphSubscription:
    with Session(engine) as session:
        return session.scalars(sa.select(GraphSubscription)
                               .where(GraphSubscription.mailbox == CALLS)).one()


def calls_requested(engine: Engine) -> bool:
    with Session(engine) as session:
        lease = session.get(MailboxLease, CALLS)
        return lease is not None and lease.sync_requested_at is not None


def drain(worker: Worker) -> list[str]:
    """Let the worker sync whatever is due; the queue items it took."""
    taken: list[str] = []
    original = worker.sync_one

    def spy(mailbox: str) -> None:
        taken.append(mailbox)
        original(mailbox)

    worker.sync_one = spy
    while worker.step():
        pass
    worker.sync_one = original
    return taken


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
