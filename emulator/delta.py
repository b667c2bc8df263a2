"""Delta rounds: stateless tokens and page assembly for messages and calendarView."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace

from .collection import Collection, Entry
from .render import event_bytes, immutable_id, message_bytes, removed_bytes

CHANGE_TYPES = ("created", "updated", "deleted")


class SyncStateNotFound(Exception):
    """An unknown, malformed or expired delta / skip token."""


@dataclass(frozen=True)
class Token:
    """Everything a round needs, carried by the client inside the link.

    ``since`` is the change number the previous round reached (0 = initial round), ``upto`` the
    number this round stops at, ``cursor`` the last change number already paged out.
    """

    kind: str  # "m" messages | "c" calendarView
    mailbox: str
    scope: str  # folder id, or "start|end" epoch seconds of the window
    since: int
    upto: int
    cursor: int
    epoch: int
    count: int = 0
    select: tuple[str, ...] = ()
    change_type: str | None = None
    received_ge: float | None = None
    expand: str | None = None

    def encode(self) -> str:
        """The opaque token string."""
        data = json.dumps(list(asdict(self).values()), separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Token:
        """Parse a token; raises SyncStateNotFound for anything that is not ours."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            values = json.loads(raw)
            token = cls(*values)
            token = replace(token, select=tuple(token.select))
        except (ValueError, TypeError):
            raise SyncStateNotFound(text) from None
        return token


@dataclass
class Page:
    """One delta page: serialised items and either the next token or the delta token."""

    items: list[bytes]
    next_token: Token | None
    delta_token: Token | None


def _message_candidates(items: Collection, token: Token) -> Iterator[tuple[int, str, Entry]]:
    initial = token.since == 0
    for seq, item_id, entry in items.changes(token.cursor, token.upto):
        if entry.removed:
            if initial or token.change_type not in (None, "deleted"):
                continue
        else:
            if token.received_ge is not None and entry.start < token.received_ge:
                continue
            kind = "created" if initial or entry.created > token.since else "updated"
            if token.change_type not in (None, kind):
                continue
        yield seq, item_id, entry


def message_page(items: Collection, token: Token, *, size: int, immutable: bool, cap: int) -> Page:
    """The next page of a messages delta round."""
    out: list[bytes] = []
    cursor, count = token.cursor, token.count
    capped = token.received_ge is not None
    more = False
    for seq, item_id, entry in _message_candidates(items, token):
        if len(out) >= size or (capped and count >= cap):
            more = not (capped and count >= cap)
            break
        cursor = seq
        if entry.removed:
            out.append(removed_bytes("message", immutable_id(item_id) if immutable else item_id))
        else:
            count += 1
            out.append(
                message_bytes(
                    entry, item_id, immutable=immutable, select=token.select, expand=token.expand
                )
            )
    return _finish(token, out, more=more, cursor=cursor, count=count)


def event_page(calendar: Collection, token: Token, *, size: int, immutable: bool, tz: str) -> Page:
    """The next page of a calendarView delta round (out-of-window changes → @removed)."""
    start_s, _, end_s = token.scope.partition("|")
    start, end = float(start_s), float(end_s)
    out: list[bytes] = []
    cursor = token.cursor
    more = False
    initial = token.since == 0
    for seq, item_id, entry in calendar.changes(token.cursor, token.upto):
        inside = not entry.removed and entry.start < end and entry.end > start
        if initial and not inside:
            continue
        if len(out) >= size:
            more = True
            break
        cursor = seq
        shown = immutable_id(item_id) if immutable else item_id
        if inside:
            out.append(event_bytes(entry, item_id, immutable=immutable, tz=tz))
        else:
            out.append(removed_bytes("event", shown))
    return _finish(token, out, more=more, cursor=cursor, count=0)


def _finish(token: Token, out: list[bytes], *, more: bool, cursor: int, count: int) -> Page:
    if more:
        return Page(out, replace(token, cursor=cursor, count=count), None)
    done = replace(token, since=token.upto, upto=0, cursor=token.upto, count=0)
    return Page(out, None, done)
