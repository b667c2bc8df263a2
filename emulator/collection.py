"""A change-ordered collection: the heart of cheap delta tokens.

Every change takes the next number of a store-wide sequence. A collection keeps one entry per
item (live or tombstone) and an append-only log of ``(seq, id)``; entries whose number has moved
on are skipped when read and the log is compacted when stale rows pile up. A delta token is just
"the sequence number reached" plus the query shape, so memory follows the tenant, never the
number of rounds or tokens handed out.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Entry:
    """One item, or the tombstone of a deleted one."""

    raw: dict[str, Any] | None
    seq: int
    created: int
    start: float = 0.0
    end: float = 0.0
    cache: dict[str, bytes] = field(default_factory=dict)

    @property
    def removed(self) -> bool:
        """True for a tombstone."""
        return self.raw is None


class Collection:
    """Items of one mail folder or one mailbox calendar, in change order."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.log: list[tuple[int, str]] = []

    def put(self, item_id: str, entry: Entry) -> bool:
        """Store a new version; True when the item was not live before."""
        old = self.entries.get(item_id)
        if old is not None and not old.removed:
            entry.created = old.created
        self.entries[item_id] = entry
        self.log.append((entry.seq, item_id))
        self._maybe_compact()
        return old is None or old.removed

    def remove(self, item_id: str, seq: int) -> bool:
        """Turn a live item into a tombstone; False when there was nothing to remove."""
        old = self.entries.get(item_id)
        if old is None or old.removed:
            return False
        self.entries[item_id] = Entry(raw=None, seq=seq, created=old.created)
        self.log.append((seq, item_id))
        self._maybe_compact()
        return True

    def live(self) -> Iterator[tuple[str, Entry]]:
        """Live items, in no particular order."""
        return ((i, e) for i, e in self.entries.items() if e.raw is not None)

    def changes(self, after: int, upto: int) -> Iterator[tuple[int, str, Entry]]:
        """Entries whose current change number lies in ``(after, upto]``, in change order."""
        log = self.log
        index = bisect_right(log, (after, "\U0010ffff"))
        entries = self.entries
        while index < len(log):
            seq, item_id = log[index]
            index += 1
            if seq > upto:
                return
            entry = entries.get(item_id)
            if entry is not None and entry.seq == seq:
                yield seq, item_id, entry

    def _maybe_compact(self) -> None:
        if len(self.log) > 2 * len(self.entries) + 64:
            self.log = sorted((e.seq, i) for i, e in self.entries.items())

    def sizes(self) -> dict[str, int]:
        """Internal sizes, for memory assertions."""
        tomb = sum(1 for e in self.entries.values() if e.raw is None)
        return {"entries": len(self.entries), "tombstones": tomb, "log": len(self.log)}
