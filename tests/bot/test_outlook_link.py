"""A captured entry's card opens the email or meeting in Outlook (Action.OpenUrl), only for an
https link from Graph; through the real endpoint, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import InteractionLogEntry
from tests.support.bot import BotClient, activity, entries, reply_card

LINK = "https://outlook.office365.com/owa/?ItemID=AAMkAGI2TG93AAA%3D&exvsurl=1&viewmodel=ReadMessageItem"


def say(client: BotClient, text: str, **kwargs: Any) -> dict[str, Any]:
    response = client.send(activity(text, **kwargs))
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _link(client: BotClient, entry_no: int, link: str) -> None:
    with Session(client.app.extensions["interlog"].engine) as session, session.begin():
        session.execute(sa.update(InteractionLogEntry).where(
            InteractionLogEntry.entry_no == entry_no).values(web_link=link))


def _opens(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in card.get("actions", []) if a["type"] == "Action.OpenUrl"]


def test_a_card_opens_the_captured_item_in_outlook(client: BotClient) -> None:
    say(client, "log call with C0001")
    [entry] = entries(client.app.extensions["interlog"].engine)
    assert _opens(reply_card(say(client, f"cancel {entry.entry_no}"))) == []  # no link kept
    _link(client, entry.entry_no, LINK)
    card = reply_card(say(client, f"restore {entry.entry_no}"))
    assert card["actions"][0]["type"] == "Action.Execute"  # the undo button stays first
    assert _opens(card) == [{"type": "Action.OpenUrl", "title": "Open in Outlook", "url": LINK}]
    spanish = reply_card(say(client, f"cancelar {entry.entry_no}", locale="es-MX"))
    assert [a["title"] for a in _opens(spanish)] == ["Abrir en Outlook"]


def test_a_link_that_is_not_https_never_becomes_a_button(client: BotClient) -> None:
    say(client, "log call with C0001")
    [entry] = entries(client.app.extensions["interlog"].engine)
    for link in ("javascript:alert(1)", "http://outlook.office365.com/owa/", "data:text/html,x",
                 "https://outlook.office365.com/owa/?a=1 b", "https:///nohost"):
        _link(client, entry.entry_no, link)
        action = "cancel" if not entries(client.app.extensions["interlog"].engine)[0].canceled \
            else "restore"
        card = reply_card(say(client, f"{action} {entry.entry_no}"))
        assert _opens(card) == [], link
        assert [a["type"] for a in card["actions"]] == ["Action.Execute"]
