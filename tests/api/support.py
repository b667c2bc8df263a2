"""Shared by the web and API tests: a real app on a real port, and a seeded database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from interlog.config import Settings, settings_from_dict
from storage.capture_models import UnmatchedAddress
from storage.contacts_csv import import_contacts_csv
from storage.db import make_engine, upgrade
from storage.entries import Interaction, log_interaction
from storage.models import InteractionLogEntry, InteractionTemplate
from storage.seed import seed_defaults
from storage.sync_models import SyncRun, SyncRunStream
from storage.users import seed_users
from storage.worker_models import MailboxLease

USERS = [
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

# contact, template, user, source, when, subject, duration
ENTRIES: list[tuple[str, str, str, str, str, str, str]] = [
    ("C002", "EMAIL", "alice@contoso.com", "email", "2025-01-10T09:00", "Renewal terms", "0"),
    ("C002", "CALL", "alice@contoso.com", "manual", "2025-01-12T10:30", "Call about renewal",
     "15"),
    ("C003", "MEETING", "bob@contoso.com", "meeting", "2025-02-03T14:00", "Kick-off", "60"),
    ("C005", "EMAIL", "bob@contoso.com", "email", "2025-02-20T08:15", "Quote SQ-1001", "0"),
    ("C005", "CALL", "carol@contoso.com", "bot", "2025-03-01T16:45", "Follow-up call", "10"),
    ("C001", "QUOTE", "alice@contoso.com", "api", "2025-03-05T11:00", "Quote SQ-1002", "0"),
]


def settings_for(url: str, *, anonymous: bool = True, **web_keys: Any) -> Settings:
    return settings_from_dict({
        "storage": {"url": url},
        "web": {"allow_anonymous": anonymous, **web_keys},
        "user": USERS,
    }, env={})


def make_app(settings: Settings, engine: Engine) -> Flask:
    """The app `interlog serve` runs: the bot's factory, which registers the web package."""
    from interlog.app import create_app

    return create_app(settings, engine=engine)


def seed(engine: Engine, settings: Settings) -> None:
    """Migrate and fill a database: defaults, users, contacts, six entries, a sync run."""
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        seed_users(session, settings.users)
        session.add(InteractionTemplate(code="QUOTE", group_code="DOCS", description="Quote",
                                        information_flow="outbound", initiated_by="us",
                                        unit_cost=Decimal("2.50"),
                                        unit_duration_min=Decimal("0")))
        import_contacts_csv(session, CONTACTS_CSV)
        session.flush()
        for contact_no, template, user, source, when, subject, minutes in ENTRIES:
            from storage.contacts import resolve_contact

            log_interaction(session, resolve_contact(session, contact_no), Interaction(
                template_code=template, subject=subject, user_upn=user, source=source,
                occurred_at=datetime.fromisoformat(when), duration_min=Decimal(minutes),
            ), actor="test")
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


@contextmanager
def live_server(app: Flask, ssl_context: Any = None) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if ssl_context else "http"
        yield f"{scheme}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def seeded_server(url: str, **settings_keys: Any) -> Iterator[tuple[str, Engine]]:
    settings = settings_for(url, **settings_keys)
    engine = make_engine(url)
    seed(engine, settings)
    try:
        with live_server(make_app(settings, engine)) as base:
            yield base, engine
    finally:
        engine.dispose()


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
