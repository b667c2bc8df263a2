"""Re-classify captured entries: a new template (and group, cost, duration, correspondence
type, document fields) for entries the rules now classify differently, audited per entry.

`connector/capture/reclassify.py` decides what each entry becomes; this writes it, in the
style of `storage/entry_writes.py`: one executemany UPDATE for a set of entries and one
audit INSERT (`reclassify` rows whose details hold every changed field as `[before, after]`).
Only captured entries (email, meeting) are ever changed: the statement itself says so, so a
manual entry's number given by mistake is left alone (and not audited). Never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage import aggregates
from storage.audit import audit_changes
from storage.entry_writes import CAPTURED
from storage.models import InteractionLogEntry

RECLASSIFY = "reclassify"  # the audit action
FIELDS = ("template_code", "group_code", "cost", "duration_min", "correspondence_type",
          "document_type", "document_no")


@dataclass(frozen=True, slots=True)
class Reclassified:
    """One entry's classification before and after (values keyed by `FIELDS`)."""

    entry_no: int
    before: Mapping[str, object]
    after: Mapping[str, object]

    def changes(self) -> dict[str, object]:
        """The fields that change, each as `[before, after]` (what the audit row holds)."""
        return {k: [_plain(self.before.get(k)), _plain(v)] for k, v in self.after.items()
                if self.before.get(k) != v}


def _plain(value: object) -> object:
    return format(value, "f") if isinstance(value, Decimal) else value


def reclassify_entries(session: Session, changes: Sequence[Reclassified], *, actor: str
                       ) -> list[int]:
    """Write each entry's `after` values; audited `reclassify` per entry. Returns the numbers
    written, in order. Entries that are not captured are never touched."""
    if not changes:
        return []
    table = cast(sa.Table, InteractionLogEntry.__table__)
    captured = set(session.scalars(sa.select(table.c.entry_no).where(
        table.c.entry_no.in_(sorted({c.entry_no for c in changes})),
        table.c.source.in_(CAPTURED))))
    # One lock order for concurrent writers; a manual entry given by mistake is left out.
    ordered = sorted((c for c in changes if c.entry_no in captured), key=lambda c: c.entry_no)
    if not ordered:
        return []
    numbers = [c.entry_no for c in ordered]
    aggregates.apply(session, numbers, -1)  # out of their old template's rows
    stmt = (
        sa.update(table)
        .where(table.c.entry_no == sa.bindparam("_no"),
               sa.or_(*(table.c.source == source.value for source in CAPTURED)))
        .values({name: sa.bindparam(f"_{name}") for name in FIELDS})
    )
    session.connection().execute(stmt, [
        {"_no": c.entry_no, **{f"_{name}": c.after[name] for name in FIELDS}} for c in ordered
    ])
    aggregates.apply(session, numbers, 1)
    audit_changes(session, actor, RECLASSIFY, {c.entry_no: c.changes() for c in ordered})
    return numbers
