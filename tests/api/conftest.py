"""A seeded database behind a live server, on SQLite and on PostgreSQL, and an API key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.api_models import create_api_key
from storage.models import AuditEvent, InteractionLogEntry
from tests.api.support import seeded_server
from tests.conftest import pg_database_url


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


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.db'}"])
    else:
        urls = pg_database_url()
    url = next(urls)
    try:
        with seeded_server(url) as (base, engine):
            with Session(engine) as session, session.begin():
                key = create_api_key(session, "erp").key
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                yield Api(base=base, engine=engine, key=key, client=client)
    finally:
        for _ in urls:  # drops the PostgreSQL database
            pass

