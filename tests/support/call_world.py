"""A tenant whose calls are captured in real time, for the tests: the emulator, the app's
notification endpoint served live, and the steps of a worker (tests/calls/, tests/bot/)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.graph import build_client
from connector.realtime.subscriptions import SubscriptionManager
from connector.realtime.worker import Worker
from emulator import EmulatorServer, EmulatorSettings
from emulator.gen_calls import call_record, phone
from interlog.config import Settings, settings_from_dict
from storage.worker_models import GraphSubscription, MailboxLease
from tests.support.calls import ALICE, BOB, HANS, TENANT, dataset, teams
from tests.support.realtime import notification_app
from tests.support.seed import seed
from tests.support.servers import LiveApp
from tests.support.sync import TOKEN

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


def make_settings(base_url: str, public_url: str, url: str, **overrides: Any) -> Settings:
    return settings_from_dict({
        "storage": {"url": url},
        "graph": {"base_url": base_url, "static_token": TOKEN},
        "sync": {"mailboxes": [ALICE["mail"], BOB["mail"]], "internal_domains": ["contoso.com"],
                 "calls": True, "default_region": "DE", "poll_interval": 3600},
        "server": {"public_url": public_url},
        "worker": {"lease_seconds": 30, "heartbeat_seconds": 1, "idle_ms": 100,
                   "min_resync_ms": 0},
        "user": [{"upn": u["mail"], "aad_object_id": u["id"]} for u in (ALICE, BOB)],
        **overrides,
    }, env={})  # fmt: skip


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


@contextmanager
def call_world(engine: Engine, **overrides: Any) -> Iterator[World]:
    """The emulator and the live notification app on `engine`, seeded; `overrides` are
    top-level config sections merged into the settings (e.g. `bot=`)."""
    emu = EmulatorServer.start(TENANT, settings=EmulatorSettings(require_token=TOKEN))
    app = LiveApp(notification_app(engine))
    try:
        config = make_settings(emu.base_url, app.url, str(engine.url), **overrides)
        seed(engine, dataset(config))
        yield World(emu, app, config, engine)
    finally:
        app.stop()
        emu.stop()
