"""Reading the audit trail (`audit_events`, written by `storage/audit.py`): newest first, a
page at a time by keyset (`before` an id), filtered by entry, actor and action.

`entry_events_only` keeps to the events that concern an entry: what every user may read
(the entry pages show any entry's trail); the events that concern no entry (setup, imports,
API keys, `init`) are an admin's to read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import AuditEvent

MAX_ROWS = 500


@dataclass(frozen=True)
class AuditFilter:
    """Which events: of one entry, by one actor, of one action; unset means any."""

    entry_no: int | None = None
    actor: str | None = None
    action: str | None = None
    entry_events_only: bool = False

    def where(self) -> list[sa.ColumnElement[bool]]:
        a = AuditEvent
        clauses: list[sa.ColumnElement[bool]] = []
        if self.entry_no is not None:
            clauses.append(a.entry_no == self.entry_no)
        elif self.entry_events_only:
            clauses.append(a.entry_no.is_not(None))
        if self.actor:
            clauses.append(a.actor == self.actor)
        if self.action:
            clauses.append(a.action == self.action)
        return clauses


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    entry_no: int | None
    details: str  # sorted JSON, "" when none

    def to_json(self) -> dict[str, Any]:
        """The row as `interlog audit --json` prints it (`at` in UTC, details decoded)."""
        return {"id": self.id, "at": self.at.isoformat(timespec="seconds") + "Z",
                "actor": self.actor, "action": self.action, "entry_no": self.entry_no,
                "details": json.loads(self.details) if self.details else {}}


def audit_events(session: Session, filters: AuditFilter, *, before: int | None = None,
                 limit: int | None = 50) -> list[AuditRow]:
    """The newest events `filters` select whose id is below `before`, newest first; `limit`
    None reads them all."""
    a = AuditEvent
    stmt = (sa.select(a.id, a.at, a.actor, a.action, a.entry_no, a.details)
            .where(*filters.where()).order_by(a.id.desc()))
    if before is not None:
        stmt = stmt.where(a.id < before)
    if limit is not None:
        stmt = stmt.limit(min(limit, MAX_ROWS))
    return [AuditRow(*row) for row in session.execute(stmt)]
