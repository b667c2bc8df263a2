"""Test databases: a SQLite file, or a throw-away PostgreSQL database, migrated or empty.

A PostgreSQL that is down is a failure, not a skip: `.ci/run` starts it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import storage.all_models  # noqa: F401  (every table on Base.metadata, for `wipe`)
from storage.db import make_engine, upgrade
from storage.models import Base

PG_ADMIN_URL = os.environ.get(
    "INTERLOG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")  # the ids of every test parametrised over back-ends


def pg_database_url(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """Create a throw-away PostgreSQL database; yield its URL; drop it afterwards."""
    name = f"interlog_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def new_database(backend: str, directory: Path) -> Iterator[str]:
    """An empty database (no schema) of the caller's own: a SQLite file in `directory`, or a
    PostgreSQL database dropped on exit. Yields its URL."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'interlog.db'}"
    else:
        yield from pg_database_url()


@contextmanager
def migrated(url: str) -> Iterator[Engine]:
    """An engine on `url` with the schema at the newest migration; disposed on exit."""
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def url_of(engine: Engine) -> str:
    """The engine's URL as a string another engine, a config file or a process can use."""
    return engine.url.render_as_string(hide_password=False)


def wipe(engine: Engine) -> None:
    """Empty every table (the schema stays); numbering restarts at 1.

    DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table takes most of a second.
    """
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval(c.oid, 1, false) FROM pg_class c"
                                 " WHERE c.relkind = 'S'"))
        else:  # entry numbers are AUTOINCREMENT: their counter lives in sqlite_sequence
            conn.execute(sa.text("DELETE FROM sqlite_sequence"))


_held: set[Engine] = set()  # engines some fixture is committing to right now


@contextmanager
def emptied(engine: Engine) -> Iterator[Engine]:
    """The engine of a shared database for a while of committing: empty on entry and on exit,
    so the tests that roll back find it empty too. One holder at a time: a module-scoped
    fixture that fills it owns it until the module ends."""
    if engine in _held:
        raise RuntimeError(f"{engine.url} is already filled by another fixture of this test or"
                           " module: take own_sqlite_engine, or move the test to a module of"
                           " its own")
    _held.add(engine)
    wipe(engine)
    try:
        yield engine
    finally:
        wipe(engine)
        _held.discard(engine)


def check_not_held(engine: Engine) -> None:
    """Fail when a fixture is filling `engine` (the rolled-back `db` expects it empty)."""
    if engine in _held:
        raise RuntimeError(f"{engine.url} is filled by a fixture of this test or module;"
                           " `db` expects it empty")
