"""How long the sync bookkeeping is kept: the runs (`sync_runs` and their streams) and the
workers' sync intervals (`sync_intervals`).

Every sync writes ~1.2 KB of them (docs/scale.md): at 50,000 mailboxes six times what the
entries take. They are the record of how the log was captured, not the log itself, so they
are kept `[worker] keep_history_days` and then deleted by the workers (`prune_history`, in
batches, each in its own short transaction). A run still beating is never deleted, whatever
its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.sync_models import SyncRun, SyncRunStream
from storage.worker_models import SyncInterval

BATCH = 5_000  # rows of each table a call deletes at most: short transactions, short locks


@dataclass(frozen=True)
class Pruned:
    runs: int
    intervals: int
    batch: int

    @property
    def more(self) -> bool:
        """Whether a batch was full: call again (in a new transaction) for the rest."""
        return max(self.runs, self.intervals) >= self.batch


def prune_history(session: Session, before: datetime, *, batch: int = BATCH) -> Pruned:
    """Delete up to `batch` runs (with their streams) and `batch` sync intervals that started
    before `before` (naive UTC), oldest first; a run whose last sign of life (end, heartbeat)
    is at or after `before` stays. Both read through their `started_at` index."""
    r = SyncRun
    last_seen = sa.func.coalesce(r.finished_at, r.heartbeat_at, r.started_at)
    runs = list(session.scalars(sa.select(r.id).where(r.started_at < before, last_seen < before)
                                .order_by(r.started_at).limit(batch)))
    if runs:
        session.execute(sa.delete(SyncRunStream).where(SyncRunStream.run_id.in_(runs)))
        session.execute(sa.delete(r).where(r.id.in_(runs)))
    i = SyncInterval
    intervals = sa.select(i.id).where(i.started_at < before).order_by(i.started_at).limit(batch)
    done = session.execute(sa.delete(i).where(i.id.in_(intervals.scalar_subquery())))
    return Pruned(runs=len(runs), intervals=done.rowcount or 0, batch=batch)  # type: ignore[attr-defined]
