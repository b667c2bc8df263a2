"""The one catalog (storage/i18n, issue 13 item 8): every message the code shows has its
Mexican Spanish, none reads as Spain's, and CLDR's formats follow the full locale."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import pkgutil
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

import bot
from bot.i18n import MESSAGES
from storage import i18n
from storage.vocabulary import (
    ContactType,
    EntrySource,
    InformationFlow,
    InitiatedBy,
    ItemKind,
    SyncTrigger,
)

ROOT = Path(__file__).resolve().parents[1]
SPANISH = i18n.catalog("es")
SPAIN = re.compile(r"\b(coste|añad\w*|ordenador\w*|vale|fichero\w*|móvil\w*|vosotros|"
                   r"\w+[áé]is|coger|rellen\w*|caduc\w*)\b", re.IGNORECASE)


def _web_msgids() -> dict[str, str]:
    """`_("…")` / `gettext("…")` in web/ Python and templates, by Babel's own extractors."""
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
    found: dict[str, str] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
            str(ROOT / "web"), method_map, keywords={"_": None, "gettext": None}):
        text = message[0] if isinstance(message, tuple) else message
        found.setdefault(text, f"web/{filename}:{line}")
    return found


def _bot_msgids() -> dict[str, str]:
    """Every bot message (English text), with the modules that add theirs imported."""
    for module in pkgutil.iter_modules(bot.__path__):
        importlib.import_module(f"bot.{module.name}")
    return {text: f"bot message {key!r}" for key, text in MESSAGES["en"].items()}


REFUSALS = {"InterlogError", "NotFound", "Refused", "UnknownContact", "AmbiguousContact"}


def _refusal_msgids() -> dict[str, str]:
    """The storage refusals raised with a literal message (a msgid, `{name}` fields passed as
    keywords), found in the syntax tree; f-string messages stay English and are not here."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "storage").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            called = (node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                      if isinstance(node.func, ast.Attribute) else "") if isinstance(
                node, ast.Call) else ""
            at = 1 if called == "BadValue" else 0  # BadValue(field, message, **params)
            if (isinstance(node, ast.Call) and called in REFUSALS | {"__init__", "BadValue"}
                    and len(node.args) > at and isinstance(node.args[at], ast.Constant)
                    and isinstance(node.args[at].value, str)):
                found.setdefault(node.args[at].value, f"storage/{path.name}:{node.lineno}")
    return found


def test_a_template_in_use_is_refused_in_spanish_with_its_counts() -> None:
    from storage.setup import USE_WORDS, InUse

    assert [w for pair in USE_WORDS.values() for w in pair if not SPANISH.get(w)] == []
    refusal = InUse("template", "CALL", {"entries": 3, "rules": 1}, ("email",))
    assert str(refusal) == ("template CALL is used by 3 entries, 1 rule and the setup default"
                            " for email; nothing was removed")
    assert refusal.text("es-MX") == (
        "la plantilla CALL se usa en 3 movimientos, 1 regla y el valor predeterminado de la"
        " configuración para email; no se eliminó nada")
    assert InUse("group", "SALES", {"templates": 2}).text("es") == (
        "el grupo SALES se usa en 2 plantillas; no se eliminó nada")


def test_a_bad_value_names_its_field_in_every_language() -> None:
    from storage.outcomes import note_lines
    from storage.values import BadValue, bounded_int

    with pytest.raises(BadValue) as caught:
        bounded_int(12, "limit", low=1, high=10)
    assert (str(caught.value), caught.value.text("es-ES")) == (
        "limit: limit must be between 1 and 10", "limit: limit debe estar entre 1 y 10")
    with pytest.raises(BadValue) as caught:
        note_lines("a\n" * 101)
    assert caught.value.text("es") == "note: una nota tiene como máximo 100 líneas"


def test_the_extractors_find_the_messages() -> None:
    web = _web_msgids()
    assert len(web) > 200
    assert "Cost" in web
    assert "Logged #{entry_no}" in _bot_msgids()
    assert "no interaction log entry {names}; nothing was changed" in _refusal_msgids()


@pytest.mark.parametrize("source", ["web", "bot", "storage"])
def test_every_message_has_a_spanish_translation(source: str) -> None:
    used = {"web": _web_msgids, "bot": _bot_msgids, "storage": _refusal_msgids}[source]()
    missing = sorted(f"{where}: {text!r}" for text, where in used.items() if not SPANISH.get(text))
    assert missing == []


def test_every_value_shown_has_a_spanish_word() -> None:
    values = [*InformationFlow, *InitiatedBy, *EntrySource, *ItemKind, *ContactType,
              *SyncTrigger, "very positive", "negative", "phone_call", "hard_copy"]
    assert [str(v) for v in values if not SPANISH.get(str(v))] == []


def test_the_translations_keep_their_placeholders() -> None:
    field = re.compile(r"\{\w+(?:![rs])?\}|%\(\w+\)s")
    broken = [m for m, s in SPANISH.items() if sorted(field.findall(m)) != sorted(field.findall(s))]
    assert broken == []


def test_no_spanish_message_reads_as_spains() -> None:
    assert [s for s in SPANISH.values() if SPAIN.search(s)] == []
    assert SPANISH["Cost"] == "Costo"
    assert SPANISH["Unit cost"] == "Costo unitario"


@pytest.mark.parametrize(("tag", "text"), [
    ("es-MX", "1,234.50"), ("es", "1,234.50"), ("es_MX", "1,234.50"), ("en-US", "1,234.50"),
    ("es-ES", "1.234,50"), ("fr-FR", "1,234.50"), (None, "1,234.50"),
])
def test_numbers_follow_cldr_for_the_full_locale(tag: str | None, text: str) -> None:
    assert i18n.number(Decimal("1234.5"), tag) == text


def test_dates_times_and_currency_follow_cldr() -> None:
    day = dt.date(2026, 11, 30)
    assert i18n.date(day, "es-MX", "medium") == "30 nov 2026"
    assert i18n.date(day, "en", "medium") == "Nov 30, 2026"
    assert i18n.date(day, "es-MX") == "30/11/26"
    assert i18n.time(dt.time(15, 0), "es-ES") == "15:00"
    assert i18n.currency(Decimal("1234.5"), "MXN", "es-MX") == "$1,234.50"
    assert i18n.currency(Decimal("1234.5"), "EUR", "es-ES") == "1.234,50\xa0€"
    assert i18n.number(Decimal("12.50"), "es-ES", None) == "12,5"


def test_every_spanish_locale_has_the_same_words_english_its_own() -> None:
    for tag in ("es", "es-MX", "es-ES", "es-AR"):
        assert i18n.translate(tag, "Cost") == "Costo"
    assert i18n.translate("en-GB", "Cost") == "Cost"
    assert i18n.translate("es-MX", "No such message {n}", n=3) == "No such message 3"
