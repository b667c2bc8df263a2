"""The notification endpoint: handshake, clientState, lifecycle events, malformed bodies."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.models import utcnow
from storage.worker_models import GraphSubscription, MailboxLease
from tests.support.realtime import notification_app

URL = "/api/graph/notifications"
MAILBOX = "alice@contoso.com"
STATE = "s3cret-client-state"


@pytest.fixture
def client(clean_engine: Engine) -> FlaskClient:
    with Session(clean_engine) as session, session.begin():
        session.add(GraphSubscription(id="sub-1", mailbox=MAILBOX,
                                      resource=f"users/{MAILBOX}/mailFolders/inbox/messages",
                                      client_state=STATE, expires_at=utcnow() + timedelta(days=2)))
    return notification_app(clean_engine).test_client()


def queue(engine: Engine) -> dict[str, tuple[Any, int]]:
    with Session(engine) as session:
        return {m.mailbox: (m.sync_requested_at, m.requested_count)
                for m in session.scalars(sa.select(MailboxLease))}


def pending(engine: Engine) -> str | None:
    with Session(engine) as session:
        return session.get(GraphSubscription, "sub-1").pending_action  # type: ignore[union-attr]


def change(state: str = STATE, sub: str = "sub-1") -> dict[str, Any]:
    return {"subscriptionId": sub, "clientState": state, "changeType": "created",
            "resource": "Users/x/Messages/y", "tenantId": "t",
            "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "id": "y"}}


def post(client: FlaskClient, body: Any) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(URL, data=data, content_type="application/json")


def test_handshake_echoes_the_decoded_token_as_plain_text(client: FlaskClient,
                                                           clean_engine: Engine) -> None:
    token = "Validation: Testing client application reachability <&> 100%"
    answer = client.post(URL, query_string={"validationToken": token},
                         content_type="text/plain", data=b"")
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert answer.get_data(as_text=True) == token
    assert queue(clean_engine) == {}


def test_a_verified_notification_queues_one_sync_request(client: FlaskClient,
                                                          clean_engine: Engine) -> None:
    answer = post(client, {"value": [change()]})
    assert answer.status_code == 202
    assert answer.get_json() == {"queued": 1, "ignored": 0}
    requested_at, count = queue(clean_engine)[MAILBOX]
    assert requested_at is not None
    assert count == 1


def test_a_pending_request_only_counts_more_notifications(client: FlaskClient,
                                                          clean_engine: Engine) -> None:
    post(client, {"value": [change()]})
    first = queue(clean_engine)[MAILBOX][0]
    for _ in range(5):
        assert post(client, {"value": [change(), change()]}).status_code == 202
    assert queue(clean_engine)[MAILBOX] == (first, 11)


@pytest.mark.parametrize("state", ["wrong", "", STATE.upper()])
def test_a_client_state_mismatch_is_ignored(client: FlaskClient, clean_engine: Engine,
                                            state: str, caplog: pytest.LogCaptureFixture) -> None:
    answer = post(client, {"value": [change(state)]})
    assert answer.status_code == 202
    assert answer.get_json() == {"queued": 0, "ignored": 1}
    assert queue(clean_engine) == {}
    assert "clientState mismatch" in caplog.text
    assert STATE not in caplog.text
    assert (not state or state not in caplog.text)


def test_an_unknown_subscription_is_ignored_but_its_batch_mates_are_not(
        client: FlaskClient, clean_engine: Engine) -> None:
    answer = post(client, {"value": [change(sub="forged"), change()]})
    assert answer.get_json() == {"queued": 1, "ignored": 1}
    assert queue(clean_engine)[MAILBOX][1] == 1


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"value": {}}', b'{"value": []}', b'{"nothing": 1}',
    b'{"value": [1]}', b'{"value": [{"clientState": "x"}]}',
    b'{"value": [{"subscriptionId": "sub-1", "clientState": 5}]}',
    b'{"value": [{"subscriptionId": "sub-1", "clientState": "s3cret-client-state", '
    b'"lifecycleEvent": "explode"}]}',
    # one good item followed by a bad one: nothing of the batch is queued
    b'{"value": [{"subscriptionId": "sub-1", "clientState": "s3cret-client-state"}, 7]}',
])
def test_a_malformed_body_is_400_and_queues_nothing(client: FlaskClient, clean_engine: Engine,
                                                    body: bytes) -> None:
    answer = post(client, body)
    assert answer.status_code == 400
    assert answer.get_json()["error"]
    assert queue(clean_engine) == {}
    assert pending(clean_engine) is None


def lifecycle(event: str, state: str = STATE) -> dict[str, Any]:
    return {"value": [{"subscriptionId": "sub-1", "clientState": state, "tenantId": "t",
                       "subscriptionExpirationDateTime": "2030-01-01T00:00:00Z",
                       "lifecycleEvent": event}]}


def test_reauthorization_required_marks_the_subscription_for_renewal(
        client: FlaskClient, clean_engine: Engine) -> None:
    assert post(client, lifecycle("reauthorizationRequired")).status_code == 202
    assert pending(clean_engine) == "renew"
    assert queue(clean_engine) == {}


def test_subscription_removed_marks_it_for_recreation_and_syncs(
        client: FlaskClient, clean_engine: Engine) -> None:
    assert post(client, lifecycle("subscriptionRemoved")).status_code == 202
    assert pending(clean_engine) == "recreate"
    assert queue(clean_engine)[MAILBOX][1] == 1


def test_missed_syncs_the_mailbox(client: FlaskClient, clean_engine: Engine) -> None:
    assert post(client, lifecycle("missed")).status_code == 202
    assert pending(clean_engine) is None
    assert queue(clean_engine)[MAILBOX][1] == 1


def test_a_forged_lifecycle_event_is_not_acted_on(client: FlaskClient,
                                                  clean_engine: Engine) -> None:
    assert post(client, lifecycle("subscriptionRemoved", "forged")).status_code == 202
    assert pending(clean_engine) is None
    assert queue(clean_engine) == {}
