"""Reading what people type: mentions and markup removed, keywords in English or Spanish.

`log call with Jane Doe about renewal 15 min outbound failed` and
`registrar llamada con Jane Doe sobre renovación 15 min saliente fallida` read the same.
Keywords ignore case and accents; the contact and subject keep what was typed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from storage.contacts import fold

KINDS = {
    "call": "phone_call", "phone": "phone_call", "llamada": "phone_call",
    "meeting": "meeting", "reunion": "meeting",
    "email": "email", "e-mail": "email", "mail": "email", "correo": "email",
}
WITH = frozenset({"with", "con"})
ABOUT = frozenset({"about", "sobre"})
FLOWS = {"inbound": "inbound", "entrante": "inbound", "outbound": "outbound",
         "saliente": "outbound"}
FAILED = frozenset({"failed", "fallida", "fallido"})
MINUTE_WORDS = frozenset({"m", "min", "mins", "minute", "minutes", "minuto", "minutos"})
MAX_DURATION = Decimal(10000)

_LEADING_MENTIONS = re.compile(r"^\s*(?:<at>.*?</at>\s*)+", re.IGNORECASE | re.DOTALL)
_MENTION = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$", re.ASCII)  # ASCII: "²" or "٣" is no number
_NUMBER_MIN = re.compile(r"^(\d+(?:[.,]\d+)?)(?:m|min|mins)$", re.ASCII)


class GrammarError(ValueError):
    """The text does not read as the command; `key` names the i18n message to show."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def clean_text(text: str | None) -> str:
    """The bot's mention (leading) removed, other mentions kept as their names; markup and
    entities removed; whitespace collapsed."""
    if not text:
        return ""
    text = _LEADING_MENTIONS.sub(" ", text)
    text = _MENTION.sub(r" \1 ", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text).replace("\xa0", " ")
    return " ".join(text.split())


@dataclass(frozen=True)
class LogRequest:
    """What `log …` asks for: a setup kind or a template code, a contact, and options."""

    kind: str | None  # phone_call | meeting | email, or None when a template code is named
    template_code: str | None
    ref: str
    subject: str | None = None
    duration_min: Decimal | None = None
    flow: str | None = None
    failed: bool = False


@dataclass
class _Options:
    duration_min: Decimal | None = None
    flow: str | None = None
    failed: bool = False


def _duration(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise GrammarError("bad_duration", value=text) from None
    if not Decimal(0) <= value <= MAX_DURATION:
        raise GrammarError("bad_duration", value=text)
    return value


def _take_options(words: list[str], options: _Options) -> list[str]:
    """Strip trailing `N min`, `inbound|outbound`, `failed` (any order) off `words`."""
    words = list(words)
    while words:
        last = fold(words[-1])
        if last in FAILED:
            options.failed = True
        elif last in FLOWS:
            options.flow = FLOWS[last]
        elif last in MINUTE_WORDS and len(words) >= 2 and _NUMBER.match(words[-2]):
            options.duration_min = _duration(words[-2])
            words.pop()
        elif match := _NUMBER_MIN.match(last):
            options.duration_min = _duration(match.group(1))
        else:
            break
        words.pop()
    return words


def parse_log(args: str) -> LogRequest:
    """`call|meeting|email|TEMPLATE with REF [about SUBJECT] [N min] [in|outbound] [failed]`."""
    words = args.split()
    if len(words) < 3 or fold(words[1]) not in WITH:
        raise GrammarError("bad_log")
    what = fold(words[0])
    kind = KINDS.get(what)
    options = _Options()
    rest = _take_options(words[2:], options)
    folded = [fold(w) for w in rest]
    split_at = next((i for i, w in enumerate(folded) if w in ABOUT and i > 0), None)
    subject = None
    if split_at is not None:
        subject = " ".join(rest[split_at + 1:]) or None
        if subject is None:
            raise GrammarError("bad_log")
        rest = _take_options(rest[:split_at], options)
    if not rest:
        raise GrammarError("bad_log")
    return LogRequest(
        kind=kind,
        template_code=None if kind else words[0].upper(),
        ref=" ".join(rest),
        subject=subject,
        duration_min=options.duration_min,
        flow=options.flow,
        failed=options.failed,
    )


def parse_entry_no(args: str) -> int | None:
    """`1234` or `#1234` → 1234; anything else → None."""
    text = args.strip().lstrip("#").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12:  # "²".isdigit() is True
        return None
    return int(text)
