"""Errors that every surface shows to its user as they are (CLI, bot, pages, API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from storage import i18n

if TYPE_CHECKING:
    from storage.models import Contact


class InterlogError(Exception):
    """An expected refusal: the message is for the user, nothing was changed.

    The message is a msgid of the catalog (storage/i18n) with `{name}` fields filled from
    `params`: `str()` gives it in the locale a surface set for the request (English without
    one, as on the CLI); `text(locale)` in a given one. A message built before (an f-string)
    stays English."""

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.msgid = message
        self.params = params
        super().__init__(message.format(**params) if params else message)

    def text(self, locale: str | None) -> str:
        return i18n.translate(locale, self.msgid, **self.params)

    def __str__(self) -> str:
        return self.text(i18n.CURRENT.get())


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
        super().__init__("{ref!r} matches several contacts: {names}", ref=ref, names=names)


class UnknownContact(NotFound):
    """No contact matches; `candidates` holds close names, if any."""

    def __init__(self, ref: str, candidates: Sequence[Contact] = ()) -> None:
        self.ref = ref
        self.candidates = list(candidates)
        if self.candidates:
            names = ", ".join(f"{c.name} ({c.no})" for c in self.candidates)
            super().__init__("no contact matches {ref!r}; did you mean {names}", ref=ref,
                             names=names)
        else:
            super().__init__("no contact matches {ref!r}", ref=ref)
