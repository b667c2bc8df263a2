"""The outcome-card loop's kit: settings, install and chat through the bot's real endpoint,
a meeting captured and logged as the worker logs it, the sender on a chosen clock, and a
card's buttons clicked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.proactive import OutcomeSender
from connector.capture import build_capture_context, capture_page
from connector.capture.due import log_started
from interlog.app import create_app
from interlog.config import Settings, settings_from_dict
from tests.support.bot import (
    ALICE,
    APP_ID,
    BotClient,
    SigningKey,
    activity,
    card_action,
)
from tests.support.bot_connector import FakeBotConnector, TokenClient
from tests.support.builders import an_event

ALICE_UPN = "alice@contoso.com"
JANE = "jane@fabrikam.com"  # C0001 Jane Doe in the bot's dataset
CONVERSATION = "a:conv1"  # tests.support.bot.activity's personal conversation


def outcome_settings(openid_url: str, **bot: Any) -> Settings:
    """The bot (JWT required; local serviceUrls allowed) and capture of Alice's mailbox."""
    return settings_from_dict({
        "bot": {"app_id": APP_ID, "openid_metadata_url": openid_url, "allow_anonymous": True,
                **bot},
        "sync": {"mailboxes": [ALICE_UPN], "internal_domains": ["contoso.com"]},
    }, env={})


def outcome_client(engine: Engine, settings: Settings, key: SigningKey,
                   connector: FakeBotConnector) -> BotClient:
    app = create_app(settings, engine=engine, token_source=TokenClient(connector))
    return BotClient(app, app.test_client(), key)


def install(client: BotClient, connector: FakeBotConnector, *, aad: str = ALICE,
            kind: str = "conversationUpdate", **extra: Any) -> int:
    """The app added to the user's personal scope (or `extra` says otherwise)."""
    body = activity(None, aad=aad, expect_replies=False, service_url=connector.url,
                    type=kind, **extra)
    if kind == "conversationUpdate" and "membersRemoved" not in extra:
        body["membersAdded"] = [{"id": "28:bot"}, {"id": "29:user"}]
    if kind == "installationUpdate":
        body.setdefault("action", "add")
    return int(client.send(body).status_code)


def say(client: BotClient, text: str, *, locale: str = "en-US", aad: str = ALICE,
        connector: FakeBotConnector) -> str:
    """A typed message; the reply's text."""
    body = activity(text, aad=aad, locale=locale, service_url=connector.url)
    answer = client.send(body).get_json()
    first = answer["activities"][0]
    return str(first.get("summary") or first.get("text") or "")


def meeting(engine: Engine, settings: Settings, start: datetime, minutes: int,
            subject: str = "Renewal", *, logged: bool = True) -> None:
    """Alice's meeting with Jane captured before it starts (kept, pending), then (`logged`)
    logged once it has started, as a worker cycle logs it (`log_started`)."""
    event = (an_event().organizer(ALICE_UPN).attendees(JANE).subject(subject)
             .at(start, minutes=minutes).build())
    with Session(engine) as session, session.begin():
        ctx = build_capture_context(session, settings, now=lambda: start - timedelta(minutes=5))
        capture_page(session, ctx, ALICE_UPN, [event])
    if logged:
            log_started(engine, settings, lambda: start + timedelta(minutes=1))


def sender(engine: Engine, settings: Settings, connector: FakeBotConnector,
           at: datetime) -> OutcomeSender:
    return OutcomeSender(engine, settings, token_source=TokenClient(connector),
                         clock=lambda: at)


def _actions(element: Any) -> Iterator[dict[str, Any]]:
    if isinstance(element, dict):
        if element.get("type", "").startswith("Action."):
            yield element
        for value in element.values():
            yield from _actions(value)
    elif isinstance(element, list):
        for item in element:
            yield from _actions(item)


def button_data(card: dict[str, Any], entry_no: int, outcome: str) -> dict[str, Any]:
    """The data of the card's button that records `outcome` for `entry_no`."""
    for action in _actions(card):
        data = action.get("data")
        if (action["type"] == "Action.Execute" and isinstance(data, dict)
                and data.get("entry_no") == entry_no and data.get("outcome") == outcome):
            return dict(data)
    raise AssertionError(f"no {outcome} button for #{entry_no}")


def buttons_of(card: dict[str, Any]) -> set[tuple[int, str]]:
    """(entry, outcome) of every Execute button the card shows."""
    return {(a["data"]["entry_no"], a["data"]["outcome"]) for a in _actions(card)
            if a["type"] == "Action.Execute" and isinstance(a.get("data"), dict)}


def click(client: BotClient, data: dict[str, Any], *, locale: str = "en-US", aad: str = ALICE,
          **inputs: str) -> dict[str, Any]:
    """An Action.Execute click (with the card's input values); the invoke's answer."""
    body = card_action({**data, **inputs}, locale=locale, aad=aad)
    answer: dict[str, Any] = client.send(body).get_json()
    return answer
