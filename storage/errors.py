"""Errors that every surface shows to its user as they are (CLI, bot, pages, API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.models import Contact


class InterlogError(Exception):
    """An expected refusal: the message is for the user, nothing was changed."""


class NotFound(InterlogError):
    """A contact, template, entry or segment that does not exist."""


class Refused(InterlogError):
    """An operation that the NAV rules forbid (restore under a canceled segment, …)."""


class AmbiguousContact(InterlogError):
    """A contact reference that matches several contacts: never a guess."""

    def __init__(self, ref: str, candidates: Sequence[Contact]) -> None:
        self.ref = ref
        self.candidates = list(candidates)
        names = ", ".join(f"{c.name} ({c.no})" for c in self.candidates)
        super().__init__(f"{ref!r} matches several contacts: {names}")


class UnknownContact(NotFound):
    """No contact matches; `candidates` holds close names, if any."""

    def __init__(self, ref: str, candidates: Sequence[Contact] = ()) -> None:
        self.ref = ref
        self.candidates = list(candidates)
        hint = ""
        if self.candidates:
            hint = "; did you mean " + ", ".join(f"{c.name} ({c.no})" for c in self.candidates)
        super().__init__(f"no contact matches {ref!r}{hint}")
