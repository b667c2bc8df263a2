"""An attempt marked failed afterwards ("no answer", from the outcome card): NAV's
Attempt Failed set on entries already logged.

The per-day totals count failed and reached attempts (`storage/aggregates.py`), so the
active entries are taken away before the flag changes and added back after, as a move
does. Audited `evaluate` with `{"attempt_failed": true}` per entry changed. The caller owns
the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
    set_attempt_failed(session, {e.entry_no: True for e in entries}, actor=actor)
    for entry in entries:
        session.refresh(entry)
    return entries


def set_attempt_failed(session: Session, values: Mapping[int, bool], *, actor: str) -> list[int]:
    """Give each entry its `attempt_failed` value (True: nobody answered; a call record's later
    version may also say it was answered after all). Entries that have it already are left
    alone; the per-day totals follow; audited `evaluate` per entry changed. Returns the
    numbers changed."""
    e = InteractionLogEntry
    rows = session.execute(
        sa.select(e.entry_no, e.attempt_failed, e.canceled)
        .where(e.entry_no.in_(sorted(values))).order_by(e.entry_no).with_for_update()
    ).all()
    changed: list[int] = []
    for value in (True, False):
        nos = [no for no, failed, _ in rows if values[no] is value and failed is not value]
        if not nos:
            continue
        active = [no for no, failed, canceled in rows if no in nos and not canceled]
        aggregates.apply(session, active, -1)
        session.execute(sa.update(e).where(e.entry_no.in_(nos)).values(attempt_failed=value),
                        execution_options={"synchronize_session": "fetch"})
        aggregates.apply(session, active, 1)
        details: dict[str, object] = {"attempt_failed": value}
        audit_changes(session, actor, EntryAction.EVALUATE, dict.fromkeys(nos, details))
        changed += nos
    return sorted(changed)
