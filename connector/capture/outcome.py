"""What capturing a page did, added up by the engine into a sync run's figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class PageOutcome:
    """Counts for one page (or, added together, a stream, a mailbox, a run).

    `skipped` maps a reason (`internal_only`, `draft`, `excluded`, `automated`, `private`,
    `canceled_when_first_seen`, `series_master`, `no_contact`, `malformed:<why>`) to a count;
    `unmatched_addresses` counts unmatched addresses recorded (once per address per page).
    """

    items_seen: int = 0
    entries_created: int = 0
    entries_updated: int = 0
    entries_canceled: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unmatched_addresses: int = 0

    def __iadd__(self, other: PageOutcome) -> PageOutcome:
        self.items_seen += other.items_seen
        self.entries_created += other.entries_created
        self.entries_updated += other.entries_updated
        self.entries_canceled += other.entries_canceled
        self.skipped.update(other.skipped)
        self.unmatched_addresses += other.unmatched_addresses
        return self

    def __add__(self, other: PageOutcome) -> PageOutcome:
        total = PageOutcome(skipped=Counter(self.skipped))
        total.items_seen = self.items_seen
        total.entries_created = self.entries_created
        total.entries_updated = self.entries_updated
        total.entries_canceled = self.entries_canceled
        total.unmatched_addresses = self.unmatched_addresses
        total += other
        return total

    def to_json(self) -> dict[str, object]:
        return {
            "items_seen": self.items_seen,
            "entries_created": self.entries_created,
            "entries_updated": self.entries_updated,
            "entries_canceled": self.entries_canceled,
            "skipped": dict(sorted(self.skipped.items())),
            "unmatched_addresses": self.unmatched_addresses,
        }
