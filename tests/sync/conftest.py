"""Fixtures for the sync engine: a generated tenant served by the emulator, a database seeded
with its contacts and templates (on SQLite and PostgreSQL), and settings pointing at both.

Every sync goes through the real msgraph-sdk + httpx over HTTP to the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from emulator import EmulatorServer, EmulatorSettings
from emulator.generate import GeneratedData, generate
from interlog.config import Settings
from tests.support.clock import FakeClock
from tests.support.seed import seed
from tests.support.sync import REFERENCE, TOKEN, Syncer, make_settings, sync_dataset


@pytest.fixture(scope="session")
def data() -> GeneratedData:
    return generate(mailboxes=3, messages=120, events=20, contacts=30, seed=7, reference=REFERENCE)


@pytest.fixture
def emulator(data: GeneratedData) -> Iterator[EmulatorServer]:
    """A fresh emulator per test (tests change its state)."""
    with EmulatorServer.start(data.tenant, settings=EmulatorSettings(require_token=TOKEN)) as emu:
        yield emu


@pytest.fixture
def settings(data: GeneratedData, emulator: EmulatorServer) -> Settings:
    return make_settings(data, emulator.base_url)


@pytest.fixture
def sync_db(clean_engine: Engine, data: GeneratedData, settings: Settings) -> Engine:
    """The seeded database on each back-end (syncs commit; emptied after the test)."""
    seed(clean_engine, sync_dataset(data, settings))
    return clean_engine


@pytest.fixture
def sqlite_db(own_sqlite_engine: Engine, data: GeneratedData, settings: Settings) -> Engine:
    """The same in a SQLite file of the test's own (for engine behaviour that no database
    changes, or as the uninterrupted reference beside `sync_db`)."""
    seed(own_sqlite_engine, sync_dataset(data, settings))
    return own_sqlite_engine


@pytest.fixture
def run_sync(settings: Settings, sync_db: Engine) -> Syncer:
    return Syncer(settings, sync_db, FakeClock(REFERENCE))


@pytest.fixture
def run_sync_sqlite(settings: Settings, sqlite_db: Engine) -> Syncer:
    return Syncer(settings, sqlite_db, FakeClock(REFERENCE))
