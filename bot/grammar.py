"""Reading what people type: mentions and markup removed, keywords in English or Spanish.

`log call with Jane Doe yesterday at 15:00 about renewal 15 min outbound positive` and
`registrar llamada con Jane Doe ayer a las 15:00 sobre renovación 15 min saliente positiva`
read the same. Keywords ignore case and accents; the contact, the subject and the note keep
what was typed, and a quoted phrase is taken as written (`about "follow-up yesterday"`).
Dates and times are read by `bot/when.py`, wherever they stand after the contact.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from bot.when import When, match_when
from bot.words import GrammarError, Word, joined, split_words

__all__ = ["GrammarError", "LogRequest", "clean_text", "parse_entry_no", "parse_log"]

KINDS = {
    "call": "phone_call", "phone": "phone_call", "llamada": "phone_call",
    "meeting": "meeting", "reunion": "meeting",
    "email": "email", "e-mail": "email", "mail": "email", "correo": "email",
}
WITH = frozenset({"with", "con"})
ABOUT = frozenset({"about", "sobre"})
FLOWS = {"inbound": "inbound", "entrante": "inbound", "outbound": "outbound",
         "saliente": "outbound"}
FAILED = frozenset({"failed", "fallida", "fallido", "unanswered"})
NO_ANSWER = frozenset({("no", "answer"), ("sin", "respuesta"), ("no", "contesto")})
EVALUATIONS = {
    "positive": "positive", "positiva": "positive", "positivo": "positive",
    "neutral": "neutral", "neutra": "neutral", "neutro": "neutral",
    "negative": "negative", "negativa": "negative", "negativo": "negative",
    **{value: value for value in ("very_positive", "very_negative")},
}
VERY = frozenset({"very", "muy"})
NOTE_WORDS = ("note:", "nota:")
MINUTE_WORDS = frozenset({"m", "min", "mins", "minute", "minutes", "minuto", "minutos"})
MAX_DURATION = Decimal(10000)

_LEADING_MENTIONS = re.compile(r"^\s*(?:<at>.*?</at>\s*)+", re.IGNORECASE | re.DOTALL)
_MENTION = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$", re.ASCII)  # ASCII: "²" or "٣" is no number
_NUMBER_MIN = re.compile(r"^(\d+(?:[.,]\d+)?)(?:m|min|mins)$", re.ASCII)


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
    when: When = field(default_factory=When)  # nothing said: now
    evaluation: str = ""  # very_positive | positive | neutral | negative | very_negative
    note: str | None = None


@dataclass
class _Options:
    duration_min: Decimal | None = None
    flow: str | None = None
    failed: bool = False
    evaluation: str = ""


def _duration(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise GrammarError("bad_duration", value=text) from None
    if not Decimal(0) <= value <= MAX_DURATION:
        raise GrammarError("bad_duration", value=text)
    return value


def _take_option(words: list[Word], options: _Options) -> int:
    """Read the option the words end with into `options`; how many words it took (0: none)."""
    last = words[-1].key
    before = words[-2].key if len(words) >= 2 else None
    if (before, last) in NO_ANSWER:
        options.failed = True
        return 2
    if last in FAILED:
        options.failed = True
        return 1
    if last in FLOWS:
        options.flow = options.flow or FLOWS[last]
        return 1
    if last in EVALUATIONS:
        very = before in VERY and EVALUATIONS[last] in ("positive", "negative")
        options.evaluation = options.evaluation or (
            f"very_{EVALUATIONS[last]}" if very else EVALUATIONS[last])
        return 2 if very else 1
    if last in MINUTE_WORDS and before is not None and _NUMBER.match(before):
        options.duration_min = _duration(words[-2].text)
        return 2
    if match := _NUMBER_MIN.match(last):
        options.duration_min = _duration(match.group(1))
        return 1
    return 0


def _take_options(words: list[Word], options: _Options) -> list[Word]:
    """Strip trailing options (`N min`, `inbound|outbound`, `failed`, `no answer`, an
    evaluation; any order) off `words`."""
    words = list(words)
    while words and (used := _take_option(words, options)):
        del words[-used:]
    return words


def _split_note(args: str, words: list[Word]) -> tuple[list[Word], str | None]:
    """The words before `note:` / `nota:`, and the note: the rest of `args`, as typed."""
    for at, word in enumerate(words):
        prefix = next((p for p in NOTE_WORDS if word.key.startswith(p)), None)
        if prefix is not None:
            note = args[word.start + word.text.index(":") + 1:].strip()
            if not note:
                raise GrammarError("empty_note")
            return words[:at], note
    return words, None


def _take_when(words: list[Word], *, day_first_only: bool) -> tuple[When, list[Word]]:
    """The date and time said anywhere but in the command's first word and the contact's
    first word, and the words left."""
    with_at = next((i for i, w in enumerate(words) if i > 0 and w.key in WITH), 0)
    protected = {0, with_at, with_at + 1}
    when, kept, i = When(), [], 0
    while i < len(words):
        used = 0
        if i not in protected:
            when, used = match_when(words, i, when, day_first_only=day_first_only)
        if used:
            i += used
        else:
            kept.append(words[i])
            i += 1
    return when, kept


def parse_log(args: str, *, lang: str = "en") -> LogRequest:
    """`call|meeting|email|TEMPLATE with REF [yesterday|today|on DATE] [at HH:MM]
    [about SUBJECT] [N min] [inbound|outbound] [failed|no answer] [EVALUATION] [note: TEXT]`
    (or the Spanish words). Dates in Spanish are day first (`el 30/11`)."""
    words, note = _split_note(args, split_words(args))
    when, words = _take_when(words, day_first_only=lang.split("-")[0].lower() == "es")
    if len(words) < 3 or words[1].key not in WITH:
        raise GrammarError("bad_log")
    kind = KINDS.get(words[0].key)
    options = _Options()
    rest = _take_options(words[2:], options)
    split_at = next((i for i, w in enumerate(rest) if w.key in ABOUT and i > 0), None)
    subject = None
    if split_at is not None:
        subject = joined(rest[split_at + 1:]) or None
        if subject is None:
            raise GrammarError("bad_log")
        rest = _take_options(rest[:split_at], options)
    ref = joined(rest)
    if not ref:
        raise GrammarError("bad_log")
    return LogRequest(
        kind=kind,
        template_code=None if kind else words[0].text.upper(),
        ref=ref,
        subject=subject,
        duration_min=options.duration_min,
        flow=options.flow,
        failed=options.failed,
        when=when,
        evaluation=options.evaluation,
        note=note,
    )


def parse_entry_no(args: str) -> int | None:
    """`1234` or `#1234` → 1234; anything else → None."""
    text = args.strip().lstrip("#").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12:  # "²".isdigit() is True
        return None
    return int(text)
