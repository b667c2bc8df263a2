"""The fixtures every folder of tests may use (loaded by `tests/conftest.py` as a plugin).

Databases: ONE SQLite file and ONE throw-away PostgreSQL database for the whole session,
each migrated once (`sqlite_engine`, `pg_engine`). Tests reach them three ways:

- `db`: a session inside an outer transaction that is rolled back after the test
  (SQLAlchemy's documented recipe), so code under test may commit;
- `clean_engine`: the engine itself, for tests whose commits must be real (other
  connections, threads, processes): the database is emptied before and after the test;
- `engine`: the shared engine, for reading only.

Each is parametrised over both back-ends with the ids `[sqlite]` and `[postgresql]`;
`clean_sqlite_engine` and `clean_pg_engine` are the one-back-end forms. A module-scoped
fixture gets its engine from `engine_for(request, backend)` and empties it with
`databases.emptied`. A test that needs a second database beside the shared one (or one it
may break) takes `own_sqlite_engine`, a migrated SQLite file of its own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.db import make_engine
from tests.support.databases import (
    BACKENDS,
    check_not_held,
    emptied,
    migrated,
    new_database,
    pg_database_url,
)

ENGINE_FIXTURES = {"sqlite": "sqlite_engine", "postgresql": "pg_engine"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's interlog settings."""
    for name in list(os.environ):
        if name.startswith("INTERLOG_") and name != "INTERLOG_TEST_PG_URL":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The session's SQLite file, migrated once."""
    with migrated(f"sqlite:///{tmp_path_factory.mktemp('db') / 'interlog.db'}") as engine:
        yield engine


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """The session's throw-away PostgreSQL database, migrated once, dropped at the end."""
    for url in pg_database_url():
        with migrated(url) as engine:
            yield engine


def engine_for(request: pytest.FixtureRequest, backend: str) -> Engine:
    """The session's engine on `backend` ("sqlite" or "postgresql"), from any fixture scope."""
    engine: Engine = request.getfixturevalue(ENGINE_FIXTURES[backend])
    return engine


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """The session's migrated engine on each back-end (do not commit through it)."""
    return engine_for(request, request.param)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session in a transaction that is rolled back after the test, on both back-ends."""
    check_not_held(engine)
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
def clean_engine(engine: Engine) -> Iterator[Engine]:
    """The engine on each back-end for a test that commits: empty before and after it."""
    with emptied(engine):
        yield engine


@pytest.fixture
def clean_sqlite_engine(sqlite_engine: Engine) -> Iterator[Engine]:
    """`clean_engine` on SQLite only (for behaviour that no back-end changes)."""
    with emptied(sqlite_engine):
        yield sqlite_engine


@pytest.fixture
def clean_pg_engine(pg_engine: Engine) -> Iterator[Engine]:
    """`clean_engine` on PostgreSQL only (row locks, SKIP LOCKED, many connections)."""
    with emptied(pg_engine):
        yield pg_engine


@pytest.fixture(scope="session")
def _migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once, that `own_sqlite_engine` copies (migrating takes a while)."""
    path = tmp_path_factory.mktemp("template") / "interlog.db"
    with migrated(f"sqlite:///{path}"):
        pass
    return path


@pytest.fixture
def own_sqlite_engine(tmp_path: Path, _migrated_sqlite_file: Path) -> Iterator[Engine]:
    """A migrated SQLite file of this test's own: a second database beside the shared one, or
    one the test may break."""
    path = tmp_path / "own.db"
    shutil.copy(_migrated_sqlite_file, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL of an empty SQLite file of this test's own (for CLI and end-to-end tests)."""
    return f"sqlite:///{tmp_path / 'interlog.db'}"


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema yet) of this test's own, on each back-end."""
    with new_database(request.param, tmp_path) as url:
        yield url
