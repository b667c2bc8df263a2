"""The pages and the API over HTTP: the seeded history they show, the app on a real port,
and small readers of the database behind it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.config import Settings, UserSettings, settings_from_dict
from interlog.wsgi import running
from storage.api_models import create_api_key
from storage.capture_models import UnmatchedAddress
from storage.models import AuditEvent, InteractionLogEntry
from storage.sync_models import SyncRun, SyncRunStream
from storage.worker_models import MailboxLease
from tests.support.databases import url_of
from tests.support.seed import Dataset, EntryRow, TemplateRow, seed
from tests.support.servers import live_server

USERS: list[dict[str, Any]] = [
    {"upn": "alice@contoso.com", "salesperson_code": "AL", "admin": False},
    {"upn": "bob@contoso.com", "salesperson_code": "BO", "admin": False},
    {"upn": "carol@contoso.com", "salesperson_code": "CA", "admin": True},
]

CONTACTS_CSV = """no,type,name,company_no,email,email2,domains
C001,company,Fabrikam Inc,,info@fabrikam.com,,fabrikam.com
C002,person,Jane Doe,C001,jane@fabrikam.com,,
C003,person,José Pérez,C001,jose@fabrikam.com,,
C004,company,Northwind,,hello@northwind.example,,northwind.example
C005,person,Nina North,C004,nina@northwind.example,,
"""


def _history(session: Session) -> None:
    """An unmatched address, a failed sync run, a killed one, and a mailbox lease."""
    session.add(UnmatchedAddress(
        address="sam@contoso-partner.example", domain="contoso-partner.example",
        name="Sam Partner", count=3, first_seen_at=datetime.fromisoformat("2025-01-02"),
        last_seen_at=datetime.fromisoformat("2025-02-02"), mailbox="alice@contoso.com",
        example_subject="Partnership"))
    run = SyncRun(status="failed", trigger="cli", mailboxes=2, items_seen=40,
                  entries_created=12, errors=1, seconds=3.5, skipped={"automated": 2})
    run.streams = [
        SyncRunStream(mailbox="alice@contoso.com", stream="mail:inbox", pages=2,
                      items_seen=30, entries_created=12, skipped={"automated": 2}),
        SyncRunStream(mailbox="bob@contoso.com", stream="calendar", status="failed",
                      error="403 Forbidden: ErrorAccessDenied"),
    ]
    session.add(run)
    # A run whose process was killed: still "running", its heartbeat long gone.
    session.add(SyncRun(status="running", trigger="cli", mailboxes=1,
                        started_at=datetime.fromisoformat("2025-03-01T08:00"),
                        heartbeat_at=datetime.fromisoformat("2025-03-01T08:01")))
    session.add(MailboxLease(mailbox="bob@contoso.com", leased_by="worker-1@host",
                             sync_requested_at=datetime.fromisoformat("2025-03-01T10:00"),
                             last_synced_at=datetime.fromisoformat("2025-03-01T09:00"),
                             last_error="429 Too Many Requests", sync_count=4))


WEB = Dataset(
    defaults=True,
    templates=(TemplateRow("QUOTE", "DOCS", "Quote", flow="outbound", initiated_by="us",
                           cost="2.50"),),
    users=tuple(UserSettings(**user) for user in USERS),
    contacts_csv=CONTACTS_CSV,
    entries=(
        EntryRow("C002", "EMAIL", "alice@contoso.com", "email", "2025-01-10T09:00",
                 "Renewal terms"),
        EntryRow("C002", "CALL", "alice@contoso.com", "manual", "2025-01-12T10:30",
                 "Call about renewal", "15"),
        EntryRow("C003", "MEETING", "bob@contoso.com", "meeting", "2025-02-03T14:00",
                 "Kick-off", "60"),
        EntryRow("C005", "EMAIL", "bob@contoso.com", "email", "2025-02-20T08:15",
                 "Quote SQ-1001"),
        EntryRow("C005", "CALL", "carol@contoso.com", "bot", "2025-03-01T16:45",
                 "Follow-up call", "10"),
        EntryRow("C001", "QUOTE", "alice@contoso.com", "api", "2025-03-05T11:00",
                 "Quote SQ-1002"),
    ),
    more=_history,
)
"""Defaults, users, contacts, six entries, an unmatched address and sync history."""


def settings_for(url: str, *, anonymous: bool = True, **web_keys: Any) -> Settings:
    return settings_from_dict({
        "storage": {"url": url},
        "web": {"allow_anonymous": anonymous, **web_keys},
        "user": USERS,
    }, env={})


def signed_in(upn: str, name: str | None = None) -> dict[str, Any]:
    """What the Entra ID callback leaves in the session (`web/auth.py`): who, and when."""
    from web.auth import SESSION_USER, SIGNED_IN_AT

    return {SESSION_USER: {"upn": upn, "name": name or upn}, SIGNED_IN_AT: int(time.time())}


def make_app(settings: Settings, engine: Engine) -> Flask:
    """The app `interlog serve` runs: the bot's factory, which registers the web package."""
    from interlog.app import create_app

    return create_app(settings, engine=engine)


@contextmanager
def seeded_server(engine: Engine, **settings_keys: Any) -> Iterator[str]:
    """Seed `WEB` into the engine's (empty) database and serve the app on it; yields the URL."""
    settings = settings_for(url_of(engine), **settings_keys)
    seed(engine, WEB)
    with live_server(make_app(settings, engine)) as base:
        yield base


@contextmanager
def waitress_api(engine: Engine, **settings_keys: Any) -> Iterator[Api]:
    """Seed `WEB` into the engine's (empty) database and serve the app on waitress, as
    `interlog serve` does, in development mode; yields it with a client holding an API key."""
    seed(engine, WEB)
    with Session(engine) as session, session.begin():
        key = create_api_key(session, "erp").key
    app = make_app(settings_for(url_of(engine), **settings_keys), engine)
    with running(app, threads=4) as base, httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        yield Api(base=base, engine=engine, key=key, client=client)


@dataclass
class Api:
    """A live server, its database, and a client that sends a valid key."""

    base: str
    engine: Engine
    key: str
    client: httpx.Client

    def counts(self) -> tuple[int, int]:
        """(entries, audit events): what a refused call must leave unchanged."""
        with Session(self.engine) as session:
            entries = session.scalar(sa.select(sa.func.count()).select_from(InteractionLogEntry))
            events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        return entries or 0, events or 0

    def entries(self, **where: object) -> list[InteractionLogEntry]:
        with Session(self.engine) as session:
            stmt = sa.select(InteractionLogEntry).filter_by(**where)
            return list(session.scalars(stmt.order_by(InteractionLogEntry.entry_no)))


SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@dataclass
class Site:
    base: str
    engine: Engine

    def entry(self, entry_no: int) -> InteractionLogEntry | None:
        with Session(self.engine) as session:
            return session.get(InteractionLogEntry, entry_no)

    def canceled(self) -> list[int]:
        with Session(self.engine) as session:
            e = InteractionLogEntry
            return list(session.scalars(sa.select(e.entry_no).where(e.canceled.is_(True))
                                        .order_by(e.entry_no)))

    def entry_nos(self) -> list[int]:
        with Session(self.engine) as session:
            e = InteractionLogEntry
            return list(session.scalars(sa.select(e.entry_no).order_by(e.entry_no)))


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def csrf_token(html: str) -> str:
    """The CSRF token of a page's forms (`<input name="csrf_token" value="…">`)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token on the page"
    return found.group(1)
