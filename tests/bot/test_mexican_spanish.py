"""The bot in Mexican Spanish through its real HTTP endpoint, on SQLite and PostgreSQL: the
words and values from the one catalog (storage/i18n), numbers in Mexico's CLDR format for
`es` and `es-MX` (issue 13 item 8)."""

from __future__ import annotations

from decimal import Decimal

from tests.support.bot import BotClient, entries, facts, reply_card, reply_text, say


def test_a_call_logged_in_mexican_spanish_shows_mexican_words_and_numbers(
    client: BotClient,
) -> None:
    body = say(client, "registrar llamada con José Pérez sobre renovación 12,5 min entrante",
               locale="es-MX")
    [entry] = entries(client.app.extensions["interlog"].engine)
    assert entry.duration_min == Decimal("12.5")
    assert reply_text(body).startswith(f"Registrado #{entry.entry_no}")
    shown = facts(reply_card(body))
    assert shown["Duración"] == "12.5 min"  # Mexico's decimal point, not Spain's 12,5
    assert shown["Dirección"] == "entrante"
    assert shown["Contacto"].startswith("José Pérez")
    assert reply_card(body)["actions"][0]["title"] == "Cancelar"


def test_refusals_read_as_mexican_spanish(client: BotClient) -> None:
    assert reply_text(say(client, "cancelar 99999", locale="es")) == (
        "No existe el movimiento #99999; no se cambió nada.")
    assert reply_text(say(client, "registrar", locale="es-MX")).startswith("No le entendí.")
    assert reply_text(say(client, "cancelar 99999", locale="en-US")) == (
        "There is no interaction log entry #99999; nothing was changed.")
