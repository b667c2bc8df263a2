"""The words of a message: split on spaces, a quoted phrase kept as one word taken as written.

`about "follow-up yesterday"` is two words, `about` and the phrase `follow-up yesterday`;
a quoted word is never a keyword. Straight quotes, curly quotes (Teams on some keyboards
types them) and « » all quote; a quote left open runs to the end of the message.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from storage.contacts import fold

QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»"}
_WORD = re.compile(r'"[^"]*"?|“[^”]*”?|„[^“]*“?|«[^»]*»?|\S+')


class GrammarError(ValueError):
    """The text does not read as the command; `key` names the i18n message to show."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class Word(NamedTuple):
    """A word as typed, where it starts in the message, whether it was quoted, and its
    `key`: the word folded (case and accents ignored), "" for a quoted one (no keyword)."""

    text: str
    start: int
    end: int
    quoted: bool = False
    key: str = ""


def split_words(text: str) -> list[Word]:
    """The words of `text`, quoted phrases as one word each (without their quotes)."""
    words = []
    for match in _WORD.finditer(text):
        raw = match.group(0)
        close = QUOTES.get(raw[0])
        if close is None:
            words.append(Word(raw, match.start(), match.end(), key=fold(raw)))
            continue
        inner = raw[1:-1] if len(raw) > 1 and raw.endswith(close) else raw[1:]
        words.append(Word(inner.strip(), match.start(), match.end(), quoted=True))
    return words


def joined(words: list[Word]) -> str:
    """The words as one text (quoted phrases as written, without their quotes)."""
    return " ".join(w.text for w in words if w.text)
