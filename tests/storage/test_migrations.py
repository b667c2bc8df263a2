"""`alembic upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import storage.all_models  # noqa: F401  (every table on Base.metadata)
from storage.db import make_engine, upgrade
from storage.models import Base


def fresh_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database of this test's own, dropped afterwards."""
    admin_url = os.environ.get("INTERLOG_TEST_PG_URL",
                               "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"interlog_mig_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url
    else:
        yield from fresh_pg_url()


def test_upgrade_head_matches_the_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False})
            diffs = compare_metadata(context, Base.metadata)
        assert diffs == []
        upgrade(engine)  # a second upgrade is a no-op
    finally:
        engine.dispose()
