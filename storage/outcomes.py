"""An interaction's outcome: its evaluation (NAV's five values) and its note lines.

The one home of what an evaluation or a note may be, for every surface (CLI, pages, API,
Teams): `check_evaluation` and `note_lines` raise `BadValue` naming the field. The writes
are `storage.entries.evaluate_entries` / `note_entries` (and `log_interaction` for an
entry logged with its outcome).

A note is NAV's comment lines: every `note` adds lines after the entry's own, nothing
replaces them. It is stored as one text, the lines joined by "\\n" (the entry JSON's
`note`); who added which line and when is in the audit trail.
"""

from __future__ import annotations

from storage.values import CONTROL_RE, BadValue, clean_text
from storage.vocabulary import Evaluation

EVALUATIONS: tuple[str, ...] = tuple(e.value for e in Evaluation if e)  # very_positive …
MAX_NOTE_LINE = 250  # characters in one note line (as a subject)
MAX_NOTE_LINES = 100  # lines in an entry's note


def check_evaluation(value: str, *, allow_none: bool = False) -> str:
    """`value` when it is one of the five evaluations (or "" with `allow_none`)."""
    if value in EVALUATIONS or (allow_none and value == ""):
        return value
    raise BadValue("evaluation", "evaluation {value!r}: expected one of {allowed}", value=value,
                   allowed=", ".join(EVALUATIONS))


def note_lines(text: str) -> list[str]:
    """The note lines `text` gives: one per line of it, trimmed, empty lines dropped.

    Refused (nothing is written): no line at all, a line longer than `MAX_NOTE_LINE`, a
    control character other than the line breaks, a NUL or a lone surrogate.
    """
    clean_text(text, "note")
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise BadValue("note", "note is empty: give the text of the note")
    for line in lines:
        if CONTROL_RE.search(line):
            raise BadValue("note", "note contains a control character")
        if len(line) > MAX_NOTE_LINE:
            raise BadValue("note", "a note line is longer than {limit} characters",
                           limit=MAX_NOTE_LINE)
    if len(lines) > MAX_NOTE_LINES:
        raise BadValue("note", "a note holds at most {limit} lines", limit=MAX_NOTE_LINES)
    return lines


def room_for(note: str, lines: list[str]) -> bool:
    """Whether an entry whose note is `note` can take `lines` more."""
    return len(note.splitlines()) + len(lines) <= MAX_NOTE_LINES
