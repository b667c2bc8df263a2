"""The bot for a Teams user in Spain, through its real HTTP endpoint, on SQLite and
PostgreSQL: the activity's whole `locale` (`es-ES`) reaches the replies and cards, so the
words are the catalog's Spanish and the numbers Spain's CLDR format (`12,5`), while `es-MX`
keeps Mexico's (`12.5`) (issue 13 item 8)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.support.bot import BotClient, entries, facts, reply_card, reply_text, say


def texts(node: Any) -> list[str]:
    """Every TextBlock's text in a card."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "TextBlock" else []
        return own + [t for value in node.values() for t in texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in texts(value)]
    return []


def test_a_call_logged_from_spain_shows_spains_numbers(client: BotClient) -> None:
    body = say(client, "registrar llamada con José Pérez el 30/11/2025 sobre renovación"
               " 12,5 min entrante", locale="es-ES")
    [entry] = entries(client.app.extensions["interlog"].engine)
    assert entry.duration_min == Decimal("12.5")
    assert (entry.occurred_at.month, entry.occurred_at.day) == (11, 30)  # day first
    assert reply_text(body).startswith(f"Registrado #{entry.entry_no}")
    shown = facts(reply_card(body))
    assert shown["Duración"] == "12,5 min"  # Spain's decimal comma
    assert shown["Dirección"] == "entrante"


def test_the_same_list_in_spain_and_in_mexico(client: BotClient) -> None:
    say(client, "registrar llamada con José Pérez sobre precios 1234,5 min", locale="es-ES")
    spain = texts(reply_card(say(client, "mostrar José Pérez", locale="es-ES")))
    mexico = texts(reply_card(say(client, "mostrar José Pérez", locale="es-MX")))
    assert any("1234,5 min" in line or "1.234,5 min" in line for line in spain), spain
    assert any("1,234.5 min" in line for line in mexico), mexico
    english = texts(reply_card(say(client, "show José Pérez", locale="en-US")))
    assert any("1,234.5 min" in line for line in english), english
