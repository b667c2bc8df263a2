"""Fuzz `/api/graph/notifications` (unauthenticated by design) with Hypothesis through waitress,
on SQLite and PostgreSQL: random and near-valid bodies, and validation tokens. Never a 5xx,
never a traceback; nothing is queued unless an item names the subscription with its
`clientState`, and no entry or audit row is ever written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.wsgi import running
from storage.models import AuditEvent, InteractionLogEntry, utcnow
from storage.worker_models import GraphSubscription, MailboxLease
from tests.support.databases import BACKENDS, emptied
from tests.support.fuzz import (
    FUZZ,
    assert_handled,
    field_values,
    json_bytes,
    json_values,
    query_string,
    text,
)
from tests.support.plugin import engine_for
from tests.support.realtime import notification_app

pytestmark = pytest.mark.timeout(120)

MAILBOX = "alice@contoso.com"
STATE = "s3cret-client-state"
ITEM = {"subscriptionId": "sub-1", "clientState": STATE, "changeType": "created",
        "resource": f"users/{MAILBOX}/messages/AAA", "tenantId": "t",
        "subscriptionExpirationDateTime": "2030-01-01T00:00:00Z"}
bodies = st.one_of(
    json_values,
    st.lists(field_values(ITEM), max_size=3).map(lambda items: {"value": items}),
    st.lists(field_values({**ITEM, "lifecycleEvent": "missed"}), max_size=2).map(
        lambda items: {"value": items}),
)


@pytest.fixture(scope="module", params=BACKENDS)
def endpoint(request: pytest.FixtureRequest) -> Iterator[tuple[httpx.Client, Engine]]:
    with emptied(engine_for(request, request.param)) as engine:
        with Session(engine) as session, session.begin():
            session.add(GraphSubscription(
                id="sub-1", mailbox=MAILBOX, resource=f"users/{MAILBOX}/mailFolders/inbox/messages",
                client_state=STATE, expires_at=utcnow() + timedelta(days=2)))
        with running(notification_app(engine), threads=4) as base, httpx.Client(
                base_url=base, timeout=60) as http:
            yield http, engine


def _state(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (session.scalar(sa.select(sa.func.count()).select_from(InteractionLogEntry)) or 0,
                session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0,
                sum(session.scalars(sa.select(MailboxLease.requested_count))))


def _verified(body: Any) -> bool:
    items = body.get("value") if isinstance(body, dict) else None
    return isinstance(items, list) and any(
        isinstance(i, dict) and i.get("subscriptionId") == "sub-1"
        and i.get("clientState") == STATE for i in items)


@FUZZ
@given(body=bodies)
def test_bodies(endpoint: tuple[httpx.Client, Engine], body: Any) -> None:
    http, engine = endpoint
    entries, audit, queued = _state(engine)
    answer = http.post("/api/graph/notifications", content=json_bytes(body),
                       headers={"Content-Type": "application/json"})
    assert_handled(answer, 202, 400, 413)
    event(f"status {answer.status_code}")
    after = _state(engine)
    assert after[:2] == (entries, audit)
    if answer.status_code != 202 or not _verified(body):
        assert after[2] == queued, body


@FUZZ
@given(token=text, extra=st.dictionaries(text, text, max_size=2))
def test_validation_tokens(endpoint: tuple[httpx.Client, Engine], token: str,
                           extra: dict[str, str]) -> None:
    http, engine = endpoint
    before = _state(engine)
    query = query_string({**extra, "validationToken": token})
    answer = http.post(f"/api/graph/notifications?{query}")
    assert_handled(answer, 200, 202, 400, 413)
    if answer.status_code == 200:
        assert answer.headers["Content-Type"].startswith("text/plain")
    assert _state(engine) == before
