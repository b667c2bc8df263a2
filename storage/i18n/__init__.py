"""The one catalog of every surface's words, and CLDR's formats for numbers and dates.

English texts are the message ids; `locale/es/LC_MESSAGES/interlog.po` holds their Mexican
Spanish, read with Babel at first use and cached (no compile step). One Spanish catalog serves
every Spanish locale; the formats follow the full locale: `es` and `es-MX` write Mexico's
`1,234.50`, `es-ES` Spain's `1234,50` / `12.345,50` (CLDR's data, through babel.numbers and
babel.dates). It lives in storage/, the lowest layer, because storage's refusals
(`storage/errors.py`) are among the messages, and every surface above reads it.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar, Token
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

# Babel is imported where it is used, not here: every command imports this module (through
# storage/errors.py), and Babel's import is ~5 % of `interlog entries list` (issue 16).

DOMAIN = "interlog"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "es")  # the languages with words; English is the source
DEFAULT_TERRITORY = {"es": "MX", "en": "US"}  # a bare language gets these formats


# The locale of the user being answered, set by a surface for one request (web/__init__.py):
# `str()` of a refusal (storage/errors.py) reads it. None, as on the CLI: English.
CURRENT: ContextVar[str | None] = ContextVar("interlog_locale", default=None)


def use_locale(tag: str | None) -> Token[str | None]:
    """Answer in `tag` until `CURRENT.reset(token)`."""
    return CURRENT.set(tag)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → translation for `language` (empty for English); fuzzy or empty ones left out."""
    path = po_path(language)
    if language == "en" or not path.exists():
        return {}
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        po = read_po(handle, locale=language, domain=DOMAIN)
    return {str(m.id): str(m.string) for m in po
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


@cache
def locale_of(tag: str | None) -> Locale:
    """`es`, `es-MX`, `es_MX` → es_MX; `es-ES` → es_ES; `en` → en_US; unknown → en_US."""
    from babel import Locale, UnknownLocaleError

    text = (tag or "").strip().replace("_", "-")
    parts = [p for p in text.split("-") if p]
    language = parts[0].lower() if parts else "en"
    territory = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    if language not in LANGUAGES:
        language, territory = "en", None  # `fr-FR` gets English words and formats
    try:
        return Locale(language, territory or DEFAULT_TERRITORY[language])
    except (UnknownLocaleError, ValueError):
        return Locale(language, DEFAULT_TERRITORY[language])


def full_tag(tag: str | None) -> str:
    """The locale a surface answers in, whole: `es-ES` stays, `es` → `es-MX`, none → `en-US`:
    the words by its language, the numbers and dates by its territory."""
    found = locale_of(tag)
    return f"{found.language}-{found.territory}"


def language_of(tag: str | None) -> str:
    """The language of the words: `es` for every Spanish locale, else `en`."""
    return locale_of(tag).language


def translate(tag: str | None, msgid: str, **params: object) -> str:
    """`msgid` in the locale's language (itself when untranslated), `{name}` params filled."""
    text = catalog(language_of(tag)).get(msgid, msgid) if tag else msgid
    return text.format(**params) if params else text


def number(value: Decimal | float | int, tag: str | None, places: int | None = 2) -> str:
    """`1234.5` → `1,234.50` (en, es-MX), `1.234,50` (es-ES); `places=None`: up to two
    decimals, none shown when zero (`12.5`, `15`), as a card says minutes."""
    return _number(str(value), tag, places)


@lru_cache(maxsize=4096)
def _number(value: str, tag: str | None, places: int | None) -> str:
    """`number`, kept per value as written (`-0` is not `0`), locale and places: every bot
    card and page formats the same few amounts and durations, and Babel takes ~0.1 ms for
    each."""
    from babel.numbers import format_decimal

    decimals = "##" if places is None else "0" * places
    pattern = "#,##0" + ("." + decimals if decimals else "")
    return format_decimal(Decimal(value), format=pattern, locale=locale_of(tag))


def currency(value: Decimal | float | int, code: str, tag: str | None) -> str:
    """`1234.5, MXN` → `$1,234.50` in es-MX, `1234,50 MXN` in es-ES (CLDR)."""
    from babel.numbers import format_currency

    return format_currency(Decimal(str(value)), code, locale=locale_of(tag))


def date(value: dt.date, tag: str | None, width: str = "short") -> str:
    """`2026-11-30` → `30/11/26` (es-MX short), `11/30/26` (en), `30/11/26` (es-ES)."""
    from babel.dates import format_date

    return format_date(value, format=width, locale=locale_of(tag))


def time(value: dt.time | dt.datetime, tag: str | None) -> str:
    """A time of day, 24 hours in Spanish (`15:00`), 12 in English (`3:00 PM`)."""
    from babel.dates import format_time

    return format_time(value, format="short", locale=locale_of(tag))


def datetime(value: dt.datetime, tag: str | None, width: str = "short") -> str:
    from babel.dates import format_datetime

    return format_datetime(value, format=width, locale=locale_of(tag))
