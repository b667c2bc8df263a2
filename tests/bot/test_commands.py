"""Every command through the real HTTP endpoint (Flask test client), on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.support.bot import (
    ALICE,
    BOB,
    CAROL,
    BotClient,
    activity,
    audit_actors,
    entries,
    reply_card,
    reply_text,
)


def say(client: BotClient, text: str, **kwargs: Any) -> dict[str, Any]:
    response = client.send(activity(text, **kwargs))
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_log_call_creates_the_entry_and_answers_with_a_card(client: BotClient) -> None:
    body = say(client, "<at>interlog</at> log call with Jane Doe about renewal 15 min")
    [entry] = entries(client.app.extensions["interlog"].engine)
    assert reply_text(body).startswith(f"Logged #{entry.entry_no}")
    assert (entry.contact_no, entry.template_code, entry.subject) == ("C0001", "CALL", "renewal")
    assert entry.duration_min == Decimal(15)
    assert (entry.source, entry.user_upn, entry.salesperson_code) == ("bot", "alice@contoso.com",
                                                                      "AL")
    assert entry.information_flow == "outbound"  # the template's default
    card = reply_card(body)
    assert card["version"] == "1.5"
    assert card["body"][0]["text"] == f"Logged #{entry.entry_no}"
    [cancel] = card["actions"]
    assert cancel["type"] == "Action.Execute"
    assert cancel["data"] == {"action": "cancel", "entry_no": entry.entry_no}
    assert cancel["fallback"]["type"] == "Action.Submit"
    actions = audit_actors(client.app.extensions["interlog"].engine)
    assert actions == [("log", "teams:aad-alice Alice Example", entry.entry_no)]


def test_log_with_flow_failed_template_and_defaults(client: BotClient) -> None:
    say(client, "log demo with jose perez inbound failed")
    say(client, "LOG   Meeting WITH C0002")
    demo, meeting = entries(client.app.extensions["interlog"].engine)
    assert (demo.template_code, demo.contact_no, demo.duration_min) == ("DEMO", "C0004",
                                                                        Decimal(45))
    assert (demo.information_flow, demo.initiated_by, demo.attempt_failed) == (
        "inbound", "them", True)
    assert (meeting.template_code, meeting.duration_min, meeting.subject) == (
        "MEETING", Decimal(30), "Meeting")


def test_ambiguous_contact_gets_buttons_and_logs_nothing(client: BotClient) -> None:
    body = say(client, "log call with Jane about Jane renewal")
    engine = client.app.extensions["interlog"].engine
    assert entries(engine) == []
    assert "matches several contacts" in reply_text(body)
    buttons = reply_card(body)["actions"]
    texts = sorted(b["data"]["text"] for b in buttons)
    assert texts == ["log call with C0001 about Jane renewal",
                     "log call with C0003 about Jane renewal"]
    spanish = reply_card(say(client, "mostrar jane", locale="es-ES"))
    assert spanish["body"][0]["text"] == "'jane' coincide con varios contactos; elija uno:"
    assert sorted(b["data"]["text"] for b in spanish["actions"]) == ["mostrar C0001",
                                                                     "mostrar C0003"]
    # Pressing a candidate (Action.Submit → a message with value) logs it.
    chosen = activity(None, value=buttons[0]["data"])
    response = client.send(chosen)
    assert response.status_code == 200
    [entry] = entries(engine)
    assert reply_text(response.get_json()).startswith(f"Logged #{entry.entry_no}")


def test_unknown_contact_and_template_log_nothing(client: BotClient) -> None:
    assert reply_text(say(client, "log call with Nobody Atall")) == (
        "No contact matches 'Nobody Atall'.")
    assert "no interaction template 'NOPE'" in reply_text(say(client, "log nope with Jane Doe"))
    assert entries(client.app.extensions["interlog"].engine) == []


def test_cancel_and_restore_own_entry(client: BotClient) -> None:
    say(client, "log call with C0001")
    [entry] = entries(client.app.extensions["interlog"].engine)
    body = say(client, f"cancel {entry.entry_no}")
    assert reply_text(body) == f"Canceled #{entry.entry_no}"
    assert reply_card(body)["actions"][0]["data"] == {"action": "restore",
                                                      "entry_no": entry.entry_no}
    assert entries(client.app.extensions["interlog"].engine)[0].canceled is True
    assert reply_text(say(client, f"cancel #{entry.entry_no}")) == (
        f"#{entry.entry_no} was already canceled")
    assert reply_text(say(client, f"restore {entry.entry_no}")) == f"Restored #{entry.entry_no}"
    assert entries(client.app.extensions["interlog"].engine)[0].canceled is False


def test_cancel_permissions_own_only_admin_any(client: BotClient) -> None:
    say(client, "log call with C0001", aad=ALICE)
    engine = client.app.extensions["interlog"].engine
    [entry] = entries(engine)
    assert reply_text(say(client, f"cancel {entry.entry_no}", aad=BOB)) == (
        f"Entry #{entry.entry_no} is not yours; only an admin may change it.")
    assert entries(engine)[0].canceled is False
    assert reply_text(say(client, f"cancel {entry.entry_no}", aad=CAROL)) == (
        f"Canceled #{entry.entry_no}")
    assert entries(engine)[0].canceled is True
    assert reply_text(say(client, f"restore {entry.entry_no}", aad=BOB)).startswith("Entry #")
    assert ("cancel", "teams:aad-carol Alice Example", entry.entry_no) in audit_actors(engine)


def test_cancel_bad_and_missing_numbers(client: BotClient) -> None:
    assert reply_text(say(client, "cancel")) == "Say which entry, e.g. `cancel 1234`."
    assert reply_text(say(client, "cancel 999999")) == (
        "There is no interaction log entry #999999; nothing was changed.")


def test_show_lists_last_ten_active_entries_newest_first(client: BotClient) -> None:
    for n in range(12):
        say(client, f"log call with C0001 about call {n}")
    engine = client.app.extensions["interlog"].engine
    first = entries(engine)[-1]
    say(client, f"cancel {first.entry_no}")
    body = say(client, "show jane doe")
    card = reply_card(body)
    assert card["body"][0]["text"] == "Last interactions with Jane Doe (C0001)"
    lines = [block["text"] for block in card["body"][1:]]
    assert len(lines) == 10
    assert "call 10" in lines[0]
    assert "call 1 " in lines[-1]
    assert all(f"#{first.entry_no}**" not in line for line in lines)


def test_show_empty_and_missing_ref(client: BotClient) -> None:
    assert reply_text(say(client, "show C0002")) == (
        "No active interactions with John Smith (C0002) yet.")
    assert reply_text(say(client, "show")) == "Say which contact, e.g. `show Jane Doe`."


def test_templates_and_help(client: BotClient) -> None:
    body = say(client, "templates")
    facts = {f["title"]: f["value"] for f in reply_card(body)["body"][1]["facts"]}
    assert facts["CALL"] == "Phone call (phone_call)"
    assert facts["DEMO"] == "Product demo"
    help_text = reply_text(say(client, "help"))
    assert help_text.splitlines()[0].startswith("I log your interactions")
    assert "`cancel N`" in help_text
    assert "`show CONTACT`" in help_text


def test_unknown_input_gets_help_with_did_you_mean(client: BotClient) -> None:
    text = reply_text(say(client, "cancle 12"))
    assert text.startswith("I don't know 'cancle'. Did you mean `cancel`?")
    assert "`log call|meeting|email|TEMPLATE" in text
    assert reply_text(say(client, "log call Jane")).startswith("I could not read that.")


def test_unmapped_teams_user_is_told_so(client: BotClient) -> None:
    text = reply_text(say(client, "log call with C0001", aad="aad-stranger"))
    assert text.startswith("Your Teams account is not mapped")
    assert "aad-stranger" in text
    assert entries(client.app.extensions["interlog"].engine) == []


def test_spanish(client: BotClient) -> None:
    body = say(client, "registrar llamada con José Pérez sobre renovación 15 min",
               locale="es-ES")
    [entry] = entries(client.app.extensions["interlog"].engine)
    assert reply_text(body).startswith(f"Registrado #{entry.entry_no}")
    assert reply_card(body)["actions"][0]["title"] == "Cancelar"
    assert (entry.contact_no, entry.subject, entry.duration_min) == ("C0004", "renovación",
                                                                     Decimal(15))
    assert reply_text(say(client, f"cancelar {entry.entry_no}", locale="es-MX")) == (
        f"Cancelado #{entry.entry_no}")
    assert reply_text(say(client, f"restaurar {entry.entry_no}", locale="es")) == (
        f"Restaurado #{entry.entry_no}")
    shown = reply_card(say(client, "mostrar C0004", locale="es-ES"))
    assert shown["body"][0]["text"] == "Últimas interacciones con José Pérez (C0004)"
    assert reply_card(say(client, "plantillas", locale="es-ES"))["body"][0]["text"] == (
        "Plantillas de interacción")
    assert reply_text(say(client, "ayuda", locale="es-ES")).startswith("Registro sus")
    assert "¿Quería decir `cancelar`?" in reply_text(say(client, "cancelr 1", locale="es-ES"))
