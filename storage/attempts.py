"""An attempt marked failed afterwards ("no answer", from the outcome card): NAV's
Attempt Failed set on entries already logged.

The per-day totals count failed and reached attempts (`storage/aggregates.py`), so the
active entries are taken away before the flag changes and added back after, as a move
does. Audited `evaluate` with `{"attempt_failed": true}` per entry changed. The caller owns
the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage import aggregates
from storage.audit import EntryAction, audit_changes
from storage.entries import check_owner, find_entries
from storage.models import InteractionLogEntry


def mark_attempt_failed(session: Session, entry_nos: Iterable[int], *, actor: str,
                        owner_upn: str | None = None) -> list[InteractionLogEntry]:
    """Set `attempt_failed` on entries (all or nothing; `owner_upn` limits the call to own
    entries); those already failed are left alone. Returns the entries named."""
    entries = find_entries(session, entry_nos)
    check_owner(entries, owner_upn)
    changed = [e.entry_no for e in entries if not e.attempt_failed]
    if not changed:
        return entries
    active = [e.entry_no for e in entries if not e.attempt_failed and not e.canceled]
    aggregates.apply(session, active, -1)
    e = InteractionLogEntry
    session.execute(sa.update(e).where(e.entry_no.in_(changed)).values(attempt_failed=True),
                    execution_options={"synchronize_session": "fetch"})
    aggregates.apply(session, active, 1)
    details: dict[str, object] = {"attempt_failed": True}
    audit_changes(session, actor, EntryAction.EVALUATE, dict.fromkeys(changed, details))
    for entry in entries:
        session.refresh(entry)
    return entries
