"""Fixtures for the sync engine: a generated tenant served by the emulator, a database seeded
with its contacts and templates (on SQLite and PostgreSQL), and settings pointing at both.

Every sync goes through the real msgraph-sdk + httpx over HTTP to the emulator.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.retry import RetryPolicy
from connector.sync.engine import PageHook, sync_mailboxes
from connector.sync.runs import RunSummary
from emulator import EmulatorServer, EmulatorSettings
from emulator.generate import GeneratedData, generate
from interlog.config import Settings, settings_from_dict
from storage.contacts_csv import import_contacts_csv
from storage.db import make_engine, upgrade
from storage.models import Base, InteractionLogEntry
from storage.seed import seed_defaults
from storage.templates_io import import_templates
from storage.users import seed_users
from tests.conftest import pg_database_url
from tests.support.clock import FakeClock

REFERENCE = datetime(2025, 3, 14, tzinfo=UTC)
TOKEN = "test-token-123"
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="session")
def data() -> GeneratedData:
    return generate(mailboxes=3, messages=120, events=20, contacts=30, seed=7, reference=REFERENCE)


@pytest.fixture
def emulator(data: GeneratedData) -> Iterator[EmulatorServer]:
    """A fresh emulator per test (tests change its state)."""
    with EmulatorServer.start(data.tenant, settings=EmulatorSettings(require_token=TOKEN)) as emu:
        yield emu


def make_settings(data: GeneratedData, base_url: str, **sync: Any) -> Settings:
    users = [u["userPrincipalName"] for u in data.tenant["users"]]
    return settings_from_dict({
        "graph": {"base_url": base_url, "static_token": TOKEN},
        "sync": {"mailboxes": users, "internal_domains": ["contoso.com"], "page_size": 40,
                 **sync},
        "user": [{"upn": u} for u in users],
    }, env={})  # fmt: skip


@pytest.fixture
def settings(data: GeneratedData, emulator: EmulatorServer) -> Settings:
    return make_settings(data, emulator.base_url)


def _seed(engine: Engine, data: GeneratedData, settings: Settings, tmp: Path) -> None:
    import csv

    path = tmp / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(data.contacts[0]))
        writer.writeheader()
        writer.writerows(data.contacts)
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        seed_users(session, settings.users)
        import_contacts_csv(session, path)
        import_templates(session, data.templates_toml)


def wipe(engine: Engine) -> None:
    """Empty every table (the schema stays)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sync-template") / "interlog.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sync_pg_engine() -> Iterator[Engine]:
    """A PostgreSQL database of these tests' own (they commit; others' data stays apart)."""
    urls = pg_database_url()
    engine = make_engine(next(urls))
    upgrade(engine)
    yield engine
    engine.dispose()
    for _ in urls:
        pass


@pytest.fixture(params=["sqlite", "postgresql"])
def sync_db(request: pytest.FixtureRequest, tmp_path: Path, data: GeneratedData,
       settings: Settings, _sqlite_template: Path) -> Iterator[Engine]:
    """A migrated, seeded database of this test's own (syncs commit)."""
    if request.param == "sqlite":
        path = tmp_path / "interlog.db"
        shutil.copy(_sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = request.getfixturevalue("sync_pg_engine")
        wipe(engine)
    _seed(engine, data, settings, tmp_path)
    yield engine
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, data: GeneratedData, settings: Settings,
              _sqlite_template: Path) -> Iterator[Engine]:
    """The same on SQLite only (for engine behaviour that no database changes)."""
    path = tmp_path / "reference.db"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    _seed(engine, data, settings, tmp_path)
    yield engine
    engine.dispose()


@dataclass
class Syncer:
    settings: Settings
    engine: Engine
    clock: FakeClock

    def __call__(self, *, full: bool = False, mailboxes: list[str] | None = None,
                 after_page: PageHook | None = None, **sync: Any) -> RunSummary:
        settings = self.settings
        if sync:
            settings = replace(settings, sync=replace(settings.sync, **sync))
        return sync_mailboxes(settings, self.engine, mailboxes, full=full, clock=self.clock,
                              after_page=after_page, policy=FAST)


@pytest.fixture
def run_sync(settings: Settings, sync_db: Engine) -> Syncer:
    return Syncer(settings, sync_db, FakeClock(REFERENCE))


@pytest.fixture
def run_sync_sqlite(settings: Settings, sqlite_db: Engine) -> Syncer:
    return Syncer(settings, sqlite_db, FakeClock(REFERENCE))


EntryKey = tuple[Any, ...]


def entries(engine: Engine, *, user: bool = True) -> list[EntryKey]:
    """Every entry as a comparable tuple (no entry numbers: they depend on write order).

    `user=False` leaves out the entry's user: for inbound items it is the first mailbox the
    item was found in, which depends on how mailboxes interleave (design, capture rules).
    """
    e = InteractionLogEntry
    columns = [e.contact_no, e.source, e.internet_message_id, e.ical_uid, e.template_code,
               e.occurred_at, e.canceled, e.subject] + ([e.user_upn] if user else [])
    query = sa.select(*columns)
    with Session(engine) as session:
        return sorted(tuple(row) for row in session.execute(query))


def count(engine: Engine, model: type[Any], *where: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
                   or 0)


Hook = Callable[..., None]
