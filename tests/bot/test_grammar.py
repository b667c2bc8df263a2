"""The command grammar, English and Spanish, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.grammar import GrammarError, clean_text, parse_entry_no, parse_log
from bot.i18n import language


def test_log_call_with_everything() -> None:
    request = parse_log("call with Jane Doe about renewal 15 min inbound failed")
    assert request.kind == "phone_call"
    assert request.template_code is None
    assert request.ref == "Jane Doe"
    assert request.subject == "renewal"
    assert request.duration_min == Decimal(15)
    assert request.flow == "inbound"
    assert request.failed is True


def test_spanish_keywords_ignore_case_and_accents() -> None:
    request = parse_log("LLAMADA CON José Pérez SOBRE renovación 7,5 MIN saliente FALLIDA")
    assert (request.kind, request.ref, request.subject) == ("phone_call", "José Pérez",
                                                             "renovación")
    assert request.duration_min == Decimal("7.5")
    assert (request.flow, request.failed) == ("outbound", True)
    assert parse_log("reunión con C0001").kind == "meeting"
    assert parse_log("correo con C0001").kind == "email"


def test_options_before_about_and_glued_minutes() -> None:
    request = parse_log("meeting with Jane Doe 30min about kickoff")
    assert (request.ref, request.subject, request.duration_min) == (
        "Jane Doe", "kickoff", Decimal(30))
    assert parse_log("call with Jane 5 min").subject is None


def test_template_code_instead_of_kind() -> None:
    request = parse_log("demo with Jane Doe")
    assert (request.kind, request.template_code, request.ref) == (None, "DEMO", "Jane Doe")


@pytest.mark.parametrize("text", ["call Jane", "call with", "call with Jane about",
                                  "call to Jane Doe", ""])
def test_unreadable_log(text: str) -> None:
    with pytest.raises(GrammarError) as info:
        parse_log(text)
    assert info.value.key == "bad_log"


def test_duration_out_of_range() -> None:
    with pytest.raises(GrammarError) as info:
        parse_log("call with Jane 99999 min")
    assert info.value.key == "bad_duration"


def test_clean_text_strips_mentions_markup_and_spaces() -> None:
    assert clean_text("<at>interlog</at>&nbsp; log   call\xa0with <b>Jane</b>") == (
        "log call with Jane")
    assert clean_text(None) == ""
    assert clean_text("<at>interlog</at> <at>Bot</at> show <at>Jane Doe</at>") == (
        "show Jane Doe")


def test_entry_numbers_and_languages() -> None:
    assert parse_entry_no("#12") == 12
    assert parse_entry_no(" 7 ") == 7
    assert parse_entry_no("seven") is None
    assert parse_entry_no("") is None
    assert language("es-ES") == "es"
    assert language("es_MX") == "es"
    assert language("en-GB") == "en"
    assert language(None) == "en"
