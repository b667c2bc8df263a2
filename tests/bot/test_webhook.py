"""The Teams outgoing webhook: HMAC over the raw body, the reply in the HTTP response."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from bot.auth import verify_webhook, webhook_signature
from tests.support.bot import (
    CAROL,
    WEBHOOK_SECRET,
    BotClient,
    SigningKey,
    activity,
    audit_actors,
    bot_client,
    entries,
    hmac_header,
)


def post(client: BotClient, raw: bytes, authorization: str | None) -> TestResponse:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return client.http.post("/api/teams/webhook", data=raw, headers=headers,
                            content_type="application/json")


def channel_message(text: str, **extra: Any) -> bytes:
    body = activity(text, expect_replies=False, **extra)
    body["conversation"]["conversationType"] = "channel"
    return json.dumps(body).encode()


def test_signed_message_logs_and_replies_in_the_response(client: BotClient) -> None:
    raw = channel_message("<at>interlog</at> log call with Jane Doe about renewal 15 min")
    response = post(client, raw, hmac_header(raw))
    assert response.status_code == 200
    body = response.get_json()
    [entry] = entries(client.app.extensions["interlog"].engine)
    assert body["type"] == "message"
    assert body["text"].startswith(f"Logged #{entry.entry_no}")
    card = body["attachments"][0]["content"]
    assert "actions" not in card  # webhooks may only carry openURL actions
    assert card["body"][0]["text"] == f"Logged #{entry.entry_no}"
    actors = audit_actors(client.app.extensions["interlog"].engine)
    assert actors == [("log", "teams-webhook:aad-alice Alice Example", entry.entry_no)]


def test_cancel_by_text_through_the_webhook(client: BotClient) -> None:
    raw = channel_message("log call with C0001")
    post(client, raw, hmac_header(raw))
    [entry] = entries(client.app.extensions["interlog"].engine)
    raw = channel_message(f"cancel {entry.entry_no}", aad=CAROL)
    assert post(client, raw, hmac_header(raw)).get_json()["text"] == (
        f"Canceled #{entry.entry_no}")
    assert entries(client.app.extensions["interlog"].engine)[0].canceled is True


@pytest.mark.parametrize("case", ["tampered", "missing", "wrong secret", "not hmac"])
def test_bad_signatures_are_401(sqlite_client: BotClient, case: str) -> None:
    raw = channel_message("log call with C0001")
    other_secret = base64.b64encode(b"another secret, thirty-two bytes").decode()
    authorization = {
        "tampered": hmac_header(raw),
        "missing": None,
        "wrong secret": hmac_header(raw, other_secret),
        "not hmac": "Bearer " + hmac_header(raw)[5:],
    }[case]
    if case == "tampered":
        raw = raw.replace(b"C0001", b"C0002")
    response = post(sqlite_client, raw, authorization)
    assert response.status_code == 401
    assert entries(sqlite_client.app.extensions["interlog"].engine) == []


def test_unconfigured_secret_refuses_everything(sqlite_bot_engine: Engine, openid_url: str,
                                                signing_key: SigningKey) -> None:
    client = bot_client(sqlite_bot_engine, openid_url, signing_key, outgoing_webhook_secret="")
    raw = channel_message("help")
    assert post(client, raw, hmac_header(raw)).status_code == 401


def test_signed_bad_input(sqlite_client: BotClient) -> None:
    for raw in (b"{nope", b"[]", b'{"text": "no type"}'):
        assert post(sqlite_client, raw, hmac_header(raw)).status_code == 400
    raw = json.dumps({"type": "conversationUpdate"}).encode()
    ignored = post(sqlite_client, raw, hmac_header(raw))
    assert ignored.status_code == 200
    assert ignored.get_json() == {}
    big = b'{"type": "message", "text": "' + b"x" * 300_000 + b'"}'
    assert post(sqlite_client, big, hmac_header(big)).status_code == 413


def test_signature_helpers() -> None:
    body = b'{"type":"message"}'
    signature = webhook_signature(WEBHOOK_SECRET, body)
    assert verify_webhook(WEBHOOK_SECRET, body, signature)
    assert not verify_webhook(WEBHOOK_SECRET, body + b" ", signature)
    assert not verify_webhook("", body, signature)
    assert not verify_webhook("not base64!", body, signature)
