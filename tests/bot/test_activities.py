"""/api/messages reads activities as plain JSON (issue 16): a field of the wrong JSON type is
a 400 naming it, with nothing written; replies are addressed as the Agents SDK addressed them;
replies through the Bot Connector carry the token of their turn."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from interlog.app import create_app
from tests.support.bot import (
    BotClient,
    SigningKey,
    activity,
    card_action,
    entries,
    make_settings,
    replies,
)
from tests.support.servers import base_url, local_server

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(("field", "value", "named"), [
    ("from", "29:user", "from is not an object"),
    ("recipient", ["28:bot"], "recipient is not an object"),
    ("conversation", {"id": 7}, "conversation.id is not a string"),
    ("from", {"id": "29:user", "aadObjectId": 5}, "from.aadObjectId is not a string"),
    ("text", 5, "text is not a string"),
    ("locale", {"en": "US"}, "locale is not a string"),
    ("serviceUrl", False, "serviceUrl is not a string"),
    ("deliveryMode", 1, "deliveryMode is not a string"),
    ("entities", {"type": "clientInfo"}, "entities is not a list"),
])
def test_a_field_of_the_wrong_type_is_400_naming_it(sqlite_client: BotClient, field: str,
                                                    value: Any, named: str) -> None:
    body = activity("log call with C0001")
    body[field] = value
    response = sqlite_client.send(body, token=sqlite_client.key.token())
    assert response.status_code == 400
    assert named in response.get_json()["error"]
    assert entries(sqlite_client.app.extensions["interlog"].engine) == []


def test_a_token_whose_header_is_not_json_is_401(sqlite_client: BotClient) -> None:
    nested = base64.urlsafe_b64encode(b"[" * 50_000).decode().rstrip("=")
    for token in (f"{nested}.e30.c2ln", "%%%.e30.c2ln", "bm90IGpzb24.e30.c2ln"):
        response = sqlite_client.send(activity("help"), token=token)
        assert response.status_code == 401, token[:20]


def test_the_reply_is_addressed_back_to_the_sender(sqlite_client: BotClient) -> None:
    body = activity("log call with C0001")
    [reply] = replies(sqlite_client.send(body).get_json())
    assert reply["type"] == "message"
    assert reply["from"] == body["recipient"]
    assert reply["recipient"] == body["from"]
    assert reply["conversation"]["id"] == body["conversation"]["id"]
    assert reply["replyToId"] == body["id"]
    assert (reply["serviceUrl"], reply["channelId"], reply["locale"]) == (
        body["serviceUrl"], "msteams", "en-US")
    assert reply["attachments"][0]["content"]["type"] == "AdaptiveCard"
    assert reply["summary"].startswith("Logged #")


def test_a_card_click_with_expect_replies_is_answered_at_the_top(
        sqlite_client: BotClient) -> None:
    """What the Agents Playground reads in expectReplies mode: the invoke's own answer."""
    sqlite_client.send(activity("log call with C0001"))
    [entry] = entries(sqlite_client.app.extensions["interlog"].engine)
    click = card_action({"action": "cancel", "entry_no": entry.entry_no})
    click["deliveryMode"] = "expectReplies"
    body = sqlite_client.send(click).get_json()
    assert body["statusCode"] == 200
    assert body["value"]["body"][0]["text"] == f"Canceled #{entry.entry_no}"


def test_each_reply_to_the_connector_carries_its_turns_token(
        sqlite_bot_engine: Engine, openid_url: str, signing_key: SigningKey) -> None:
    """Connector clients are kept per serviceUrl and token: a new token gets a new client."""
    tokens = (f"bot-token-{n}" for n in itertools.count(1))

    async def rotating(resource: str, scopes: list[str]) -> str:
        return next(tokens)

    with local_server({}) as connector:
        service_url = base_url(connector) + "/"
        app = create_app(make_settings(openid_url, allow_anonymous=True),
                         engine=sqlite_bot_engine, token_source=rotating)
        client = BotClient(app, app.test_client(), signing_key)
        for text in ("help", "templates", "help"):
            body = activity(text, expect_replies=False, service_url=service_url)
            assert client.send(body).status_code == 202
    assert [headers["Authorization"] for _, headers, _ in connector.posted] == [
        "Bearer bot-token-1", "Bearer bot-token-2", "Bearer bot-token-3"]
    assert all(path.startswith("/v3/conversations/a:conv1/activities/")
               for path, _, _ in connector.posted)
