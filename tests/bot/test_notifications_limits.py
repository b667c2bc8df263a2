"""`/api/graph/notifications` does not amplify (issue 12, item 6), through the real server.

The endpoint is unauthenticated by design (Graph signs nothing; `clientState` is checked per
item), so one body must cost one bounded piece of work: at most `MAX_ITEMS` items, one query
for their subscriptions, one log line for all the items it ignores.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.wsgi import running
from storage.models import utcnow
from storage.worker_models import GraphSubscription, MailboxLease
from tests.support.realtime import notification_app

pytestmark = pytest.mark.timeout(60)

MAILBOX = "alice@contoso.com"
STATE = "s3cret-client-state"
LOGGER = "bot.notifications"


@pytest.fixture
def url(clean_engine: Engine) -> Iterator[str]:
    """The notification endpoint of the real app on waitress; one known subscription."""
    with Session(clean_engine) as session, session.begin():
        session.add(GraphSubscription(id="sub-1", mailbox=MAILBOX,
                                      resource=f"users/{MAILBOX}/mailFolders/inbox/messages",
                                      client_state=STATE, expires_at=utcnow() + timedelta(days=2)))
    with running(notification_app(clean_engine), threads=4) as base:
        yield f"{base}/api/graph/notifications"


def queue(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {m.mailbox: m.requested_count for m in session.scalars(sa.select(MailboxLease))}


def post(url: str, items: list[dict[str, Any]]) -> httpx.Response:
    body = json.dumps({"value": items}, separators=(",", ":")).encode()
    return httpx.post(url, content=body, headers={"Content-Type": "application/json"},
                      timeout=30)


def verified() -> dict[str, Any]:
    return {"subscriptionId": "sub-1", "clientState": STATE, "changeType": "created"}


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]


def test_the_issues_body_is_refused_writing_nothing(
        url: str, clean_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """38,000 unknown subscription ids in under 1 MB: one answer, no log line per id."""
    items = [verified()] + [{"subscriptionId": f"{i:x}"} for i in range(38_000)]
    assert len(json.dumps({"value": items}, separators=(",", ":"))) < 1_000_000
    with caplog.at_level(logging.INFO, logger=LOGGER):
        answer = post(url, items)
    assert answer.status_code == 413
    assert "at most" in answer.json()["error"]
    assert queue(clean_engine) == {}
    assert len(caplog.records) <= 1


@pytest.mark.parametrize(("count", "status"), [(1000, 202), (1001, 413)])
def test_the_item_cap_is_one_thousand(url: str, clean_engine: Engine, count: int,
                                      status: int) -> None:
    items = [verified()] + [{"subscriptionId": f"x{i}"} for i in range(count - 1)]
    assert post(url, items).status_code == status
    assert queue(clean_engine) == ({MAILBOX: 1} if status == 202 else {})


def test_ignored_items_are_one_log_line_and_one_query(
        url: str, clean_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    forged = [{"subscriptionId": f"forged-{i}", "clientState": "guess"} for i in range(300)]
    mismatched = [{**verified(), "clientState": "wrong"}] * 5
    selects: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "graph_subscriptions" in statement:
            selects.append(statement)

    event.listen(clean_engine, "before_cursor_execute", count)
    try:
        with caplog.at_level(logging.INFO, logger=LOGGER):
            answer = post(url, [verified(), *forged, *mismatched, verified()])
    finally:
        event.remove(clean_engine, "before_cursor_execute", count)
    assert answer.status_code == 202
    assert answer.json() == {"queued": 2, "ignored": 305}
    assert queue(clean_engine) == {MAILBOX: 2}
    assert len(selects) == 1
    [line] = warnings(caplog)
    message = line.getMessage()
    assert "305" in message
    assert message.count("forged-") <= 3
    assert STATE not in message
    assert "guess" not in message
