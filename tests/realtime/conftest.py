"""Real-time capture fixtures: a database of the test's own (SQLite file or PostgreSQL), the
Graph emulator, and the notification endpoint served live so the emulator can POST to it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine
from werkzeug.serving import BaseWSGIServer, make_server

from emulator import EmulatorServer
from interlog.config import Settings, settings_from_dict
from storage.db import make_engine, upgrade
from storage.worker_models import GraphSubscription, MailboxLease, SyncInterval, WorkerRecord
from tests.conftest import pg_database_url

DOMAIN = "contoso.com"
TOKEN = "emulator-token"
WORKER_TABLES = (GraphSubscription, MailboxLease, SyncInterval, WorkerRecord)


def upn(i: int) -> str:
    return f"user{i:02d}@{DOMAIN}"


def tenant(mailboxes: int) -> dict[str, Any]:
    users = [{"id": str(uuid.UUID(int=i + 1)), "userPrincipalName": upn(i), "mail": upn(i),
              "displayName": f"User {i}"} for i in range(mailboxes)]
    return {"users": users, "messages": {}, "events": {}}


def inbound(mailbox: str, n: int, *, sender: str = "jane.doe@fabrikam.com",
            when: datetime | None = None) -> dict[str, Any]:
    """A message from an external contact into `mailbox`'s inbox."""
    when = when or datetime.now(UTC) - timedelta(minutes=5)
    return {
        "id": f"m-{mailbox.split('@')[0]}-{n:05d}",
        "internetMessageId": f"<{mailbox.split('@')[0]}-{n}@fabrikam.com>",
        "subject": f"Message {n} to {mailbox}",
        "from": {"emailAddress": {"name": "Jane Doe", "address": sender}},
        "sender": {"emailAddress": {"name": "Jane Doe", "address": sender}},
        "toRecipients": [{"emailAddress": {"name": mailbox, "address": mailbox}}],
        "ccRecipients": [], "bccRecipients": [],
        "receivedDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sentDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "isDraft": False, "parentFolderId": "inbox",
    }  # fmt: skip


def make_settings(*, db_url: str, graph_url: str = "", public_url: str = "",
                  mailboxes: list[str] | None = None, **worker: int) -> Settings:
    data: dict[str, Any] = {
        "storage": {"url": db_url},
        "graph": {"base_url": graph_url, "static_token": TOKEN} if graph_url else {},
        "sync": {"mailboxes": mailboxes or [], "internal_domains": [DOMAIN],
                 "poll_interval": 3600},
        "server": {"public_url": public_url},
        "worker": {"lease_seconds": 30, "heartbeat_seconds": 1, "idle_ms": 100, **worker},
    }
    return settings_from_dict(data, env={})


def clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for model in WORKER_TABLES:
            conn.execute(sa.delete(model))


@pytest.fixture(scope="module")
def pg_module_url() -> Iterator[str]:
    """A PostgreSQL database of this test module's own (workers commit for real)."""
    yield from pg_database_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    """A migrated engine whose commits are real: a SQLite file, or PostgreSQL, cleared."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'rt.db'}")
        upgrade(engine)
    else:
        url = request.getfixturevalue("pg_module_url")
        engine = make_engine(url)
        upgrade(engine)
        clear(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine_rt(pg_module_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_module_url)
    upgrade(engine)
    clear(engine)
    yield engine
    engine.dispose()


class LiveApp:
    """A Flask app served by werkzeug on a free port, in a thread."""

    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def notification_app(engine: Engine) -> Flask:
    """The real app (`bot.create_app`), which serves the notification endpoint."""
    from interlog.app import create_app

    url = engine.url.render_as_string(hide_password=False)
    return create_app(make_settings(db_url=url), engine=engine)


@pytest.fixture
def live_app() -> Iterator[Callable[[Engine], LiveApp]]:
    started: list[LiveApp] = []

    def start(engine: Engine) -> LiveApp:
        started.append(LiveApp(notification_app(engine)))
        return started[-1]

    yield start
    for live in started:
        live.stop()


@pytest.fixture
def emulator() -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(data: dict[str, Any], **kwargs: Any) -> EmulatorServer:
        from emulator.settings import EmulatorSettings

        settings = EmulatorSettings(require_token=TOKEN, **kwargs)
        started.append(EmulatorServer.start(data, settings=settings))
        return started[-1]

    yield start
    for emu in started:
        emu.stop()
