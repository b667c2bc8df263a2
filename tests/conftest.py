"""Shared fixtures: a real SQLite file and a real PostgreSQL, migrated once per test session.

`db` is parametrised over both back-ends; each test runs inside an outer transaction that
is rolled back at the end (SQLAlchemy's documented recipe), so code under test may commit.
A PostgreSQL that is down is a failure, not a skip: `.ci/run` starts it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.db import make_engine, upgrade

PG_ADMIN_URL = os.environ.get(
    "INTERLOG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's interlog settings."""
    for name in list(os.environ):
        if name.startswith("INTERLOG_") and name != "INTERLOG_TEST_PG_URL":
            monkeypatch.delenv(name)


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


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session."""
    yield from pg_database_url()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("db") / "interlog.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated engine on each back-end (shared by the session: do not commit through it)."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session in a transaction that is rolled back after the test, on both back-ends."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL of an empty SQLite file of this test's own (for CLI and end-to-end tests)."""
    return f"sqlite:///{tmp_path / 'interlog.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """An empty database (no schema yet) of this test's own, on each back-end."""
    if request.param == "sqlite":
        yield sqlite_url
    else:
        yield from pg_database_url()
