"""The mailbox work queue shared by every worker through the database.

A mailbox is *due* when a notification asked for it, when its last sync is older than
`poll_interval`, or when the worker holding it died (its lease expired). A worker takes one
due mailbox at a time with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL) and records the
interval in `sync_intervals`. Taking a mailbox clears its pending request, so requests that
arrive while it is being synced coalesce into exactly one more run.

Functions take a `Session` and never commit: the worker owns the transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, aliased

from storage import dialect
from storage.vocabulary import SyncOutcome, SyncTrigger
from storage.worker_models import MailboxLease, SyncInterval, WorkerRecord

EPOCH = datetime(1970, 1, 1, tzinfo=UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Claim:
    """A mailbox leased by a worker, and the interval row that records it."""

    mailbox: str
    interval_id: int
    trigger: SyncTrigger
    started_at: datetime


def ensure_mailboxes(session: Session, mailboxes: list[str] | tuple[str, ...]) -> None:
    """Give every mailbox a queue row (existing rows are left as they are)."""
    for mailbox in mailboxes:
        stmt = dialect.upsert(session, MailboxLease).values(
            mailbox=mailbox.lower(), requested_count=0, sync_count=0)
        session.execute(stmt.on_conflict_do_nothing(index_elements=["mailbox"]))


def request_sync(session: Session, mailbox: str, now: datetime) -> None:
    """Ask for one more sync of `mailbox`; a request already pending just counts this one."""
    table = MailboxLease.__table__
    stmt = dialect.upsert(session, MailboxLease).values(
        mailbox=mailbox.lower(), sync_requested_at=now, requested_count=1, sync_count=0
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["mailbox"],
        set_={
            "sync_requested_at": sa.func.coalesce(table.c.sync_requested_at, now),
            "requested_count": table.c.requested_count + 1,
        },
    )
    session.execute(stmt)


@dataclass(frozen=True)
class _Due:
    """What makes a mailbox due: the one home of these rules. The times are bound parameters
    (`_due_params`), so the statements are built once per process."""

    abandoned: Any  # leased, but the holder's lease expired: taken over first
    free: Any
    ready: Any  # not backing off after an error
    requested: Any  # a notification asked for it, and its last sync is not too recent
    stale: Any  # never synced, or its last sync is older than the poll interval
    stale_before: Any
    rank: Any  # 0 take-over, 1 notified, 2 poll


@cache
def _due() -> _Due:
    m = MailboxLease
    now, rested_at, stale_before = (sa.bindparam(name, type_=sa.DateTime())
                                    for name in ("due_now", "rested_at", "stale_before"))
    abandoned = sa.and_(m.leased_by.is_not(None), m.lease_expires_at < now)
    # A burst of notifications: at most one sync per mailbox every `min_gap_ms`.
    rested = sa.or_(m.last_synced_at.is_(None), m.last_synced_at <= rested_at)
    requested = sa.and_(m.sync_requested_at.is_not(None), rested)
    stale = sa.or_(m.last_synced_at.is_(None), m.last_synced_at < stale_before)
    return _Due(
        abandoned=abandoned, free=sa.or_(m.leased_by.is_(None), m.lease_expires_at < now),
        ready=sa.or_(m.not_before.is_(None), m.not_before <= now), requested=requested,
        stale=stale, stale_before=stale_before,
        rank=sa.case((abandoned, 0), (requested, 1), else_=2),
    )


def _due_params(now: datetime, poll_interval: int, min_gap_ms: int = 0) -> dict[str, datetime]:
    return {"due_now": now, "rested_at": now - timedelta(milliseconds=min_gap_ms),
            "stale_before": now - timedelta(seconds=poll_interval)}


@cache
def _due_query() -> Any:
    """Every due mailbox, most urgent first (`workers status`; it reads the whole table)."""
    d, m = _due(), MailboxLease
    return (
        sa.select(m, d.rank)
        .where(d.free, d.ready, sa.or_(d.abandoned, d.requested, d.stale))
        .order_by(d.rank, sa.func.coalesce(m.sync_requested_at, m.last_synced_at, EPOCH))
    )


def _candidates(d: _Due) -> tuple[Any, ...]:
    """`_due_query`'s order as four queries that each stop at the first row an index gives
    (issue 14): one ORDER BY on an expression read and sorted the whole table per take.
    Indexes: lease_expires_at, sync_requested_at, last_synced_at."""
    m = MailboxLease
    base = sa.select(m, d.rank.label("rank")).where(d.ready)
    return (
        base.where(d.abandoned)  # few: the leases dead workers held
        .order_by(sa.func.coalesce(m.sync_requested_at, m.last_synced_at, EPOCH)),
        base.where(d.free, d.requested).order_by(m.sync_requested_at),
        base.where(d.free, m.last_synced_at.is_(None)),  # never synced
        base.where(d.free, m.last_synced_at < d.stale_before).order_by(m.last_synced_at),
    )


@cache
def _next_due() -> Any:
    """One round trip: each candidate is a `LIMIT 1 … SKIP LOCKED` CTE, and PostgreSQL runs
    a CTE of the UNION ALL only when the ones before it found nothing, so at most one row is
    locked. (FOR UPDATE is not allowed in a UNION's own branches.)"""
    branches = [sa.select(dialect.skip_locked(query.limit(1)).cte(f"due{n}"))
                for n, query in enumerate(_candidates(_due()))]
    first = sa.union_all(*branches).subquery("due")
    lease = aliased(MailboxLease, first)
    return sa.select(lease, first.c.rank).limit(1)


def take_next(
    session: Session, worker_id: str, now: datetime, *, poll_interval: int, lease_seconds: int,
    min_gap_ms: int = 0,
) -> Claim | None:
    """Lease the most urgent due mailbox to `worker_id`, or return None when nothing is due."""
    row = session.execute(_next_due(), _due_params(now, poll_interval, min_gap_ms)).first()
    if row is None:
        return None
    lease, rank = row[0], row[1]
    trigger = (SyncTrigger.TAKEOVER, SyncTrigger.NOTIFIED, SyncTrigger.POLL)[rank]
    if rank == 0:
        _close_abandoned(session, lease)
    elif lease.last_error is not None and rank == 2:
        trigger = SyncTrigger.RETRY
    inherited = lease.claimed_request_at if rank == 0 else None
    lease.claimed_request_at = lease.sync_requested_at or inherited
    lease.sync_requested_at = None
    lease.leased_by = worker_id
    lease.lease_expires_at = now + timedelta(seconds=lease_seconds)
    interval = SyncInterval(mailbox=lease.mailbox, worker_id=worker_id, trigger=trigger,
                            started_at=now)
    session.add(interval)
    session.flush()
    return Claim(lease.mailbox, interval.id, trigger, now)


def _close_abandoned(session: Session, lease: MailboxLease) -> None:
    """The dead holder's interval ends, at the latest, when its lease expired."""
    session.execute(
        sa.update(SyncInterval)
        .where(SyncInterval.mailbox == lease.mailbox, SyncInterval.worker_id == lease.leased_by,
               SyncInterval.finished_at.is_(None))
        .values(finished_at=lease.lease_expires_at, outcome=SyncOutcome.ABANDONED)
    )


def finish(
    session: Session, claim: Claim, worker_id: str, now: datetime, *,
    error: str | None = None, backoff_seconds: int = 60, outcome: SyncOutcome | None = None,
) -> bool:
    """Release the lease and close the interval. False when the lease had been lost."""
    m = MailboxLease
    values: dict[str, Any] = {"leased_by": None, "lease_expires_at": None,
                              "claimed_request_at": None}
    if error is None:
        values.update(last_synced_at=claim.started_at, last_error=None, not_before=None,
                      sync_count=m.sync_count + 1)
    else:
        values.update(
            last_error=error[:2000], not_before=now + timedelta(seconds=backoff_seconds),
            sync_requested_at=sa.func.coalesce(m.sync_requested_at, m.claimed_request_at),
        )
    held = _rowcount(session.execute(
        sa.update(m).where(m.mailbox == claim.mailbox, m.leased_by == worker_id).values(**values)
    ))
    if not held:  # too slow to keep the lease: another worker may have taken over
        outcome = SyncOutcome.LOST
    session.execute(
        sa.update(SyncInterval).where(SyncInterval.id == claim.interval_id).values(
            finished_at=now,
            outcome=outcome or (SyncOutcome.OK if error is None else SyncOutcome.ERROR),
            error=None if error is None else error[:2000],
        )
    )
    return bool(held)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def extend_leases(session: Session, worker_id: str, until: datetime) -> int:
    """Keep every lease of a live worker; returns how many it holds."""
    result = session.execute(
        sa.update(MailboxLease).where(MailboxLease.leased_by == worker_id)
        .values(lease_expires_at=until)
    )
    return _rowcount(result)


def release_all(session: Session, worker_id: str, now: datetime) -> None:
    """A stopping worker gives back what it holds; pending requests are put back."""
    m = MailboxLease
    session.execute(
        sa.update(m).where(m.leased_by == worker_id).values(
            leased_by=None, lease_expires_at=None, claimed_request_at=None,
            sync_requested_at=sa.func.coalesce(m.sync_requested_at, m.claimed_request_at),
        )
    )
    session.execute(
        sa.update(SyncInterval)
        .where(SyncInterval.worker_id == worker_id, SyncInterval.finished_at.is_(None))
        .values(finished_at=now, outcome=SyncOutcome.STOPPED)
    )


WAKE_CHANNEL = "interlog_sync"


def wake_workers(session: Session) -> None:
    """On PostgreSQL, wake idle workers when this transaction commits (LISTEN/NOTIFY)."""
    dialect.notify(session, WAKE_CHANNEL)


def _age(now: datetime, when: datetime | None) -> float | None:
    return None if when is None else round((now - when).total_seconds(), 1)


def queue_status(session: Session, now: datetime, *, poll_interval: int,
                 stale_after: int) -> dict[str, Any]:
    """Workers, leases, queue depth and lag per mailbox (what `workers status` prints)."""
    workers = [
        {"id": w.id, "host": w.host, "pid": w.pid, "started_at": w.started_at,
         "heartbeat_at": w.heartbeat_at, "current_mailbox": w.current_mailbox,
         "syncs_done": w.syncs_done,
         "alive": w.stopped_at is None
         and w.heartbeat_at >= now - timedelta(seconds=stale_after)}
        for w in session.scalars(sa.select(WorkerRecord).order_by(WorkerRecord.started_at))
    ]
    due = {row[0].mailbox
           for row in session.execute(_due_query(), _due_params(now, poll_interval))}
    mailboxes = [
        {"mailbox": m.mailbox, "leased_by": m.leased_by,
         "lease_expires_at": m.lease_expires_at, "due": m.mailbox in due,
         "waiting_s": _age(now, m.sync_requested_at), "lag_s": _age(now, m.last_synced_at),
         "last_synced_at": m.last_synced_at, "requested_count": m.requested_count,
         "sync_count": m.sync_count, "last_error": m.last_error}
        for m in session.scalars(sa.select(MailboxLease).order_by(MailboxLease.mailbox))
    ]
    return {"workers": workers, "queue_depth": len(due), "mailboxes": mailboxes}
