"""A seeded database behind a live server, on SQLite and on PostgreSQL, and an API key."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session

from storage.api_models import create_api_key
from tests.support.databases import BACKENDS, emptied
from tests.support.plugin import engine_for
from tests.support.web import Api, seeded_server


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The module's tests share one server: they own the session's database until it ends."""
    with emptied(engine_for(request, request.param)) as engine, seeded_server(engine) as base:
        with Session(engine) as session, session.begin():
            key = create_api_key(session, "erp").key
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            yield Api(base=base, engine=engine, key=key, client=client)
