"""Tables of real-time capture: Graph subscriptions, the mailbox queue/leases, workers, and
the log of sync intervals (what lets anyone check that no mailbox was synced twice at once).

Datetimes are naive UTC, like every other table (`storage.models.utcnow`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow
from storage.vocabulary import SubscriptionAction, SyncOutcome, SyncTrigger, check_in


class GraphSubscription(Base):
    """One Graph subscription (a mail folder's messages, or a mailbox's events)."""

    __tablename__ = "graph_subscriptions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # Graph's subscription id
    mailbox: Mapped[str] = mapped_column(sa.String(254), index=True)
    resource: Mapped[str] = mapped_column(sa.String(400))
    # The secret Graph echoes in every notification; compared in constant time, never logged.
    client_state: Mapped[str] = mapped_column(sa.String(128))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    renewed_at: Mapped[datetime | None]
    # A lifecycle event asks a worker to act (SubscriptionAction); NULL when nothing pends.
    pending_action: Mapped[str | None] = mapped_column(sa.String(10))

    __table_args__ = (check_in("pending_action", SubscriptionAction),)

    def __repr__(self) -> str:
        return (f"GraphSubscription(id={self.id!r}, mailbox={self.mailbox!r}, "
                f"resource={self.resource!r}, expires_at={self.expires_at!r})")


class MailboxLease(Base):
    """A mailbox's place in the work queue: its pending sync request and who holds it."""

    __tablename__ = "mailbox_leases"

    mailbox: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    # The oldest request not yet taken by a worker (NULL: none pending).
    sync_requested_at: Mapped[datetime | None] = mapped_column(index=True)
    requested_count: Mapped[int] = mapped_column(default=0)  # notifications ever received
    leased_by: Mapped[str | None] = mapped_column(sa.String(120))
    # Indexed, as is last_synced_at: `leases.take_next` finds the next due mailbox through
    # them without reading the whole queue (migration 0018, issue 14).
    lease_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    # The request a worker took with its lease: put back when the sync fails or is abandoned.
    claimed_request_at: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    not_before: Mapped[datetime | None]  # back-off after an error
    sync_count: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return (f"MailboxLease(mailbox={self.mailbox!r}, leased_by={self.leased_by!r}, "
                f"sync_requested_at={self.sync_requested_at!r})")


class WorkerRecord(Base):
    """A worker process, alive while its heartbeat is recent."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    current_mailbox: Mapped[str | None] = mapped_column(sa.String(254))
    syncs_done: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"WorkerRecord(id={self.id!r}, heartbeat_at={self.heartbeat_at!r})"


class SyncInterval(Base):
    """One mailbox sync by one worker, from lease to release (the overlap-free log)."""

    __tablename__ = "sync_intervals"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(sa.String(254), index=True)
    worker_id: Mapped[str] = mapped_column(sa.String(120))
    trigger: Mapped[str] = mapped_column(sa.String(10))  # SyncTrigger
    # Indexed: the intervals are deleted oldest first (storage/sync_history.py).
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]  # NULL while running
    outcome: Mapped[str | None] = mapped_column(sa.String(10))  # SyncOutcome
    error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (check_in("trigger", SyncTrigger), check_in("outcome", SyncOutcome))

    def __repr__(self) -> str:
        return (f"SyncInterval(mailbox={self.mailbox!r}, worker_id={self.worker_id!r}, "
                f"started_at={self.started_at!r}, finished_at={self.finished_at!r})")
