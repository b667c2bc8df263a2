"""When a logged interaction happened, as people type it: `yesterday at 15:00`,
`on 2026-11-30`, `ayer a las 15:00`, `el 30/11`.

The words are read wherever they stand after the contact (`take_when`); what they name is
worked out against the user's own date and time (`When.resolve`). Dates: `today`/`hoy`,
`yesterday`/`ayer`, `anteayer` (the day before), `on`/`el` followed by `2026-11-30`, `30/11`
or `30/11/2026` (day first; English takes `11/30` too, and a date that reads both ways must
be written as `2026-11-03`). A date without a year is the most recent past one. Times: `at`,
`a las` or `a la` followed by `15:00`, `9:30`, `3pm` or `3:30 pm`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from bot.words import GrammarError, Word

DAYS_AGO = {"today": 0, "hoy": 0, "yesterday": 1, "ayer": 1, "anteayer": 2, "antier": 2}
ON = frozenset({"on", "el"})
AT = {("at",): 1, ("a", "las"): 2, ("a", "la"): 2}
MERIDIEM = {"am": 0, "a.m.": 0, "pm": 12, "p.m.": 12}
STARTS = frozenset({*DAYS_AGO, *ON, *(phrase[0] for phrase in AT)})  # words that may begin one
MAX_YEARS_BACK = 8  # 29/2 without a year: the most recent leap year
MIN_YEAR, MAX_YEAR = 1900, 9000  # a year outside is a typo (and 9999 + a zone overflows)

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?$", re.ASCII)
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)?$", re.ASCII)


@dataclass(frozen=True)
class When:
    """A day (`days_ago`, or a calendar `day` whose year may be missing) and a time of day,
    each None when not said; `said` keeps the words, to name them in a refusal."""

    days_ago: int | None = None
    day: tuple[int | None, int, int] | None = None  # (year or None, month, day)
    at: time | None = None
    said: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.days_ago is not None or self.day is not None or self.at is not None

    def resolve(self, now: datetime) -> datetime | None:
        """The local date and time meant, given the local `now` (naive); None when nothing
        was said. A day without a time takes now's time of day; a time without a day is
        today. Whether it is in the future is for the caller to check."""
        if not self:
            return None
        today = now.date()
        if self.days_ago is not None:
            day = today - timedelta(days=self.days_ago)
        elif self.day is not None:
            day = calendar_day(*self.day, today=today)
        else:
            day = today
        return datetime.combine(day, self.at or now.time().replace(microsecond=0))


def calendar_day(year: int | None, month: int, day: int, *, today: date) -> date:
    """The date named; without a year, the most recent one that is not after `today`."""
    try:
        date(year or 2000, month, day)  # 2000 was a leap year: 29/2 is a day
    except ValueError:
        raise GrammarError("bad_date", value=f"{day}/{month}") from None
    if year is not None:
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise GrammarError("bad_date", value=f"{day}/{month}/{year}")
        return date(year, month, day)
    for back in range(MAX_YEARS_BACK + 1):
        try:
            found = date(today.year - back, month, day)
        except ValueError:  # 29/2 in a common year
            continue
        if found <= today:
            return found
    raise GrammarError("bad_date", value=f"{day}/{month}")


def read_date(text: str, *, day_first_only: bool) -> tuple[int | None, int, int] | None:
    """`2026-11-30`, `30/11`, `30/11/2026` (or `11/30` unless `day_first_only`) → (year or
    None, month, day); None when `text` is not a date at all."""
    if iso := _ISO.match(text):
        return int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    match = _SLASHED.match(text)
    if match is None:
        return None
    first, second = int(match.group(1)), int(match.group(2))
    year = _year(match.group(3))
    if day_first_only or second <= 12 < first:
        return year, second, first
    if first <= 12 < second:
        return year, first, second
    if first <= 12 and second <= 12 and first != second:
        raise GrammarError("ambiguous_date", value=text)
    return year, second, first


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def read_time(words: list[Word], i: int) -> tuple[time, int] | None:
    """The time at `words[i]` (`15:00`, `9:30`, `3pm`, `3:30 pm`) and how many words it
    took; None when it is no time."""
    if i >= len(words):
        return None
    match = _TIME.match(words[i].key)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem, used = match.group(3), 1
    if meridiem is None and i + 1 < len(words) and words[i + 1].key in MERIDIEM:
        meridiem, used = words[i + 1].key, 2
    if meridiem is None and match.group(2) is None:
        return None  # `at 3`: 3 in the morning or the afternoon? a time needs minutes
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise GrammarError("bad_time", value=words[i].text)
        hour = hour % 12 + MERIDIEM[meridiem]
    if hour > 23 or minute > 59:
        raise GrammarError("bad_time", value=words[i].text)
    return time(hour, minute), used


def _at(words: list[Word], i: int) -> int:
    """How many words `at` / `a las` / `a la` take at `i` (0: none)."""
    for phrase, size in AT.items():
        if tuple(w.key for w in words[i:i + size]) == phrase:
            return size
    return 0


def match_when(words: list[Word], i: int, when: When, *,
               day_first_only: bool) -> tuple[When, int]:
    """The date or time said at `words[i]`, added to `when`, and how many words it took
    (0: none there). A second date, or a second time, is refused."""
    key = words[i].key
    if key not in STARTS:
        return when, 0
    if key in DAYS_AGO:
        return _with_day(when, replace(when, days_ago=DAYS_AGO[key]), words[i:i + 1]), 1
    if key in ON and i + 1 < len(words):
        day = read_date(words[i + 1].key, day_first_only=day_first_only)
        if day is not None:
            return _with_day(when, replace(when, day=day), words[i:i + 2]), 2
    if size := _at(words, i):
        found = read_time(words, i + size)
        if found is not None:
            at, used = found
            if when.at is not None:
                raise GrammarError("two_times")
            taken = words[i:i + size + used]
            return replace(when, at=at, said=(*when.said, *(w.text for w in taken))), size + used
    return when, 0


def _with_day(before: When, after: When, taken: list[Word]) -> When:
    if before.days_ago is not None or before.day is not None:
        raise GrammarError("two_dates")
    return replace(after, said=(*before.said, *(w.text for w in taken)))
