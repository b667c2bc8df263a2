"""The bot's words: message ids → English here, every other language from the one catalog.

The English texts are the msgids of `storage/i18n/locale/<lang>/LC_MESSAGES/interlog.po` (the
catalog every surface shares); the activity's `locale` picks the language, `es` for every
Spanish locale. `t(lang, key, **values)` is the API the bot's modules call.
"""

from __future__ import annotations

from decimal import Decimal

from storage import i18n

LANGUAGES = ("en", "es")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "logged": "Logged #{entry_no}",
        "canceled": "Canceled #{entry_no}",
        "restored": "Restored #{entry_no}",
        "already_canceled": "#{entry_no} was already canceled",
        "already_active": "#{entry_no} was not canceled",
        "cancel": "Cancel",
        "restore": "Restore",
        "contact": "Contact",
        "template": "Template",
        "subject": "Subject",
        "duration": "Duration",
        "flow": "Direction",
        "date": "Date",
        "failed": "Attempt failed",
        "open_outlook": "Open in Outlook",
        "minutes": "{n} min",
        "inbound": "inbound",
        "outbound": "outbound",
        "yes": "yes",
        "evaluation": "Evaluation",
        "note": "Note",
        "very_positive": "very positive",
        "positive": "positive",
        "neutral": "neutral",
        "negative": "negative",
        "very_negative": "very negative",
        "show_title": "Last interactions with {name} ({no})",
        "show_empty": "No active interactions with {name} ({no}) yet.",
        "show_upcoming": "Upcoming meetings:",
        "templates_title": "Interaction templates",
        "templates_empty": "No interaction templates yet; an admin runs `interlog init`.",
        "ambiguous": "{ref!r} matches several contacts; pick one:",
        "unknown": "No contact matches {ref!r}.",
        "unknown_close": "No contact matches {ref!r}; did you mean one of these?",
        "unmapped": (
            "Your Teams account is not mapped to an interlog user; ask an admin to add your "
            "AAD object id ({aad}) to a [[user]] entry."
        ),
        "entry_not_found": "There is no interaction log entry #{entry_no}; nothing was changed.",
        "not_yours": "Entry #{entry_no} is not yours; only an admin may change it.",
        "bad_entry_no": "Say which entry, e.g. `cancel 1234`.",
        "bad_log": (
            "I could not read that. Say e.g. `log call with Jane Doe yesterday at 15:00 about"
            " renewal 15 min`."
        ),
        "bad_duration": "The duration must be between 0 and 10000 minutes, not {value}.",
        "future": (
            "{said!r} is {moment}, still to come (it is {now} for you): a log records what has"
            " happened. Log it once it has."
        ),
        "bad_date": "{value} is not a date. Say e.g. `on 2026-11-30` or `yesterday`.",
        "ambiguous_date": (
            "{value} could be day/month or month/day: write it as year-month-day, e.g."
            " `on 2026-11-03`."
        ),
        "bad_time": "{value} is not a time of day. Say e.g. `at 15:00` or `at 3pm`.",
        "two_dates": "Say one date only (e.g. `yesterday` or `on 2026-11-30`).",
        "two_times": "Say one time only (e.g. `at 15:00`).",
        "empty_note": "Say what the note is after `note:`, e.g. `note: call back Monday`.",
        "need_ref": "Say which contact, e.g. `show Jane Doe`.",
        "unknown_command": "I don't know {word!r}.",
        "did_you_mean": "Did you mean `{suggestion}`?",
        "help_title": "I log your interactions with contacts. Commands:",
        "sorry": "Sorry, something went wrong on my side (ref {ref}). Nothing was changed.",
        "unknown_action": "That button is not valid any more.",
    },
    "es": {},  # Spanish comes from the catalog; a module may add fallbacks here
}


def language(locale: str | None) -> str:
    """`es`, `es-ES`, `es_MX` → Spanish; anything else (or nothing) → English."""
    return i18n.language_of(locale)


def t(lang: str, key: str, **values: object) -> str:
    """The message `key` in `lang` (English when untranslated), formatted with `values`.

    `lang` may be a language (`es`) or a full locale (`es-ES`): the words are the same."""
    english = MESSAGES["en"][key]
    words = i18n.language_of(lang)
    template = i18n.catalog(words).get(english) or MESSAGES.get(words, {}).get(key) or english
    return template.format(**values)


def number(lang: str | None, value: Decimal | float | int, places: int | None = None) -> str:
    """A number in the locale's CLDR format: `1,234.5` in `es`/`es-MX`, `1.234,5` in `es-ES`;
    `places=None` shows up to two decimals and no trailing zeros (`15`, `12.5`)."""
    return i18n.number(value, lang, places)
