"""The pages' words and formats by the browser's Accept-Language, from the one catalog.

`_()` in templates and views is `gettext` (English text → the catalog's translation,
`storage/i18n/locale/<lang>/LC_MESSAGES/interlog.po`); `num()` and the date filters use
CLDR through `storage.i18n`, for the browser's full locale: `es` and `es-MX` get Mexico's
`1,234.50`, `es-ES` Spain's `1.234,50`, with the same Spanish words.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import g, request

from storage import i18n
from web.context import clock

LANGUAGES = i18n.LANGUAGES


def locale() -> str:
    """The browser's first locale with a language we have (`es-MX`, `es-ES`, `en`), else `en`."""
    tag: str | None = g.get("web_locale")
    if tag is None:
        tag = "en"
        for value, _quality in request.accept_languages:
            if i18n.language_of(value) == value.split("-")[0].split("_")[0].lower():
                tag = value
                break
        g.web_locale = tag
    return tag


def language() -> str:
    """`en` or `es`: the words (and `<html lang>`)."""
    return i18n.language_of(locale())


def gettext(text: str) -> str:
    return i18n.translate(locale(), text)


def number(value: Decimal | float | int, places: int = 2) -> str:
    """`1234.5` → `1,234.50` in English and es-MX (and plain `es`), `1.234,50` in es-ES."""
    return i18n.number(value, locale(), places)


def local(moment: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) moment as a naive time in the signed-in user's zone."""
    return clock().local(moment).replace(tzinfo=None)


def date(value: dt.date) -> str:
    """A date in the locale's medium CLDR form: `30 nov 2026` in Spanish, `Nov 30, 2026` in
    English: day and month never confused between Mexico, Spain and the US. A datetime is a
    stored moment: its date in the user's zone."""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return i18n.date(value, locale(), "medium")


def time(value: dt.time | dt.datetime) -> str:
    """A time of day (`15:00`, `3:00 PM`); a datetime is a stored moment, in the user's zone."""
    if isinstance(value, dt.datetime):
        value = local(value)
    return i18n.time(value, locale())


def abbreviation(moment: dt.datetime | None = None) -> str:
    """The user's zone's abbreviation at a stored moment (`CST`, `CDT` in summer), or now."""
    user_clock = clock()
    return user_clock.local(moment or user_clock.now_utc).tzname() or user_clock.zone_name


def zone() -> str:
    """What the pages' times are in: `America/Mexico_City (CST)`, `UTC`."""
    user_clock = clock()
    name, abbreviation = user_clock.zone_name, user_clock.abbreviation()
    return name if abbreviation in (name, "") else f"{name} ({abbreviation})"


def enter_locale() -> None:
    """Before a page's request: refusals (`str()` of storage/errors.py) in the browser's locale."""
    i18n.use_locale(locale())


def leave_locale(_exc: BaseException | None = None) -> None:
    """After it: a pooled thread answers the next request (the API's, the CLI's) in English."""
    i18n.use_locale(None)
