"""Tables of the sync engine: stream cursors, sync runs and their per-stream figures.

A `SyncCursor` is where one stream of one mailbox stands: inside a round it holds the
`next_link` to resume from; between rounds the `delta_link` of the last complete round.
It is written in the same transaction as the entries of the page it follows, so a crash
never loses or repeats a page's work.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base, utcnow
from storage.vocabulary import RunStatus, StreamKind, StreamStatus, check_in

# A running run writes a heartbeat with every page and every minute (connector/sync/engine.py);
# one silent for this long was killed outright (kill -9, power loss) and is shown abandoned.
ABANDONED_AFTER = timedelta(minutes=5)


class SyncCursor(Base):
    __tablename__ = "sync_cursors"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(sa.String(254))  # lower-case UPN
    stream: Mapped[str] = mapped_column(sa.String(16))  # StreamKind
    folder: Mapped[str] = mapped_column(sa.String(100), default="")  # "" for calendar
    delta_link: Mapped[str | None] = mapped_column(sa.Text)
    next_link: Mapped[str | None] = mapped_column(sa.Text)
    round_started_at: Mapped[datetime | None]
    # The round in progress is an initial one (full folder, backfill cut-off applies).
    round_initial: Mapped[bool] = mapped_column(default=True)
    window_start: Mapped[datetime | None]  # calendarView window of the current round
    window_end: Mapped[datetime | None]
    last_round_at: Mapped[datetime | None]  # when the last round completed
    resyncs: Mapped[int] = mapped_column(default=0)  # 410s answered by a new full round
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("mailbox", "stream", "folder"),
        check_in("stream", StreamKind),
    )

    def __repr__(self) -> str:
        state = "in round" if self.next_link else ("idle" if self.delta_link else "new")
        return f"SyncCursor({self.mailbox!r}, {self.stream!r}, {self.folder!r}, {state})"


class RunFigures:
    """What a run, and each stream in it, counts."""

    items_seen: Mapped[int] = mapped_column(default=0)
    entries_created: Mapped[int] = mapped_column(default=0)
    entries_updated: Mapped[int] = mapped_column(default=0)
    entries_canceled: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    unmatched_addresses: Mapped[int] = mapped_column(default=0)
    graph_requests: Mapped[int] = mapped_column(default=0)
    throttled: Mapped[int] = mapped_column(default=0)


class SyncRun(RunFigures, Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    # RunStatus (`stopped`: a worker's stop request); shown as `abandoned` when still
    # `running` with no heartbeat for ABANDONED_AFTER (the process was killed).
    status: Mapped[str] = mapped_column(sa.String(16), default=RunStatus.RUNNING)
    heartbeat_at: Mapped[datetime | None]  # every committed page, and every minute between
    trigger: Mapped[str] = mapped_column(sa.String(32), default="cli")  # cli|demo|worker|…
    full: Mapped[bool] = mapped_column(default=False)
    mailboxes: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)

    streams: Mapped[list[SyncRunStream]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="SyncRunStream.id"
    )

    __table_args__ = (check_in("status", RunStatus),)

    def shown_status(self, now: datetime | None = None) -> str:
        """`status`, except that a run still `running` whose heartbeat (or start, for a run
        from before heartbeats) is older than `ABANDONED_AFTER` is `abandoned`."""
        last = self.heartbeat_at or self.started_at
        if self.status == RunStatus.RUNNING and (now or utcnow()) - last > ABANDONED_AFTER:
            return "abandoned"
        return self.status

    def __repr__(self) -> str:
        return f"SyncRun(id={self.id!r}, status={self.status!r}, started_at={self.started_at!r})"


class SyncRunStream(RunFigures, Base):
    """The figures of one stream of one mailbox in one run."""

    __tablename__ = "sync_run_streams"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("sync_runs.id", ondelete="CASCADE"),
                                        index=True)
    mailbox: Mapped[str] = mapped_column(sa.String(254))
    stream: Mapped[str] = mapped_column(sa.String(120))  # mail:inbox | calendar
    status: Mapped[str] = mapped_column(sa.String(16), default=StreamStatus.OK)
    pages: Mapped[int] = mapped_column(default=0)
    resynced: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(sa.Text)
    seconds: Mapped[float] = mapped_column(default=0.0)

    run: Mapped[SyncRun] = relationship(back_populates="streams")

    __table_args__ = (
        check_in("status", StreamStatus),
        # The newest run of a stream (`connector/calls/round.py`: whether calls are due),
        # read before every worker's sync: one index descent, not every run's streams.
        sa.Index("ix_sync_run_streams_stream_run", "stream", "run_id"),
    )

    def __repr__(self) -> str:
        return f"SyncRunStream(run={self.run_id!r}, {self.mailbox!r}, {self.stream!r})"
