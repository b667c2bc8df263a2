"""Sync runs: what one run did, per mailbox and stream, recorded in `sync_runs`.

`StreamStats` is filled in by the sync loop as pages go by; `RunSummary` adds them up and
is what `interlog sync --json` prints. The storage functions take a `Session` and never
commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture import PageOutcome
from storage import dialect
from storage.models import utcnow
from storage.sync_models import SyncRun, SyncRunStream
from storage.vocabulary import RunStatus, StreamStatus


@dataclass
class StreamStats:
    """The figures of one stream of one mailbox in one run."""

    mailbox: str
    stream: str
    status: StreamStatus = StreamStatus.OK
    pages: int = 0
    outcome: PageOutcome = field(default_factory=PageOutcome)
    graph_requests: int = 0
    throttled: int = 0
    resynced: bool = False
    error: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "mailbox": self.mailbox, "stream": self.stream, "status": self.status,
            "pages": self.pages, **self.outcome.to_json(),
            "graph_requests": self.graph_requests, "throttled": self.throttled,
            "resynced": self.resynced, "error": self.error, "seconds": round(self.seconds, 3),
        }  # fmt: skip


@dataclass
class RunSummary:
    run_id: int
    started_at: datetime
    full: bool
    streams: list[StreamStats] = field(default_factory=list)
    seconds: float = 0.0
    # What the end of the run logged: meetings captured earlier that have started since.
    due: PageOutcome = field(default_factory=PageOutcome)

    @property
    def total(self) -> PageOutcome:
        out = PageOutcome() + self.due
        for s in self.streams:
            out += s.outcome
        return out

    @property
    def mailboxes(self) -> list[str]:
        return list(dict.fromkeys(s.mailbox for s in self.streams))

    @property
    def errors(self) -> list[str]:
        return [f"{s.mailbox} {s.stream}: {s.error}" for s in self.streams if s.error]

    def _mailboxes_where(self, status: StreamStatus) -> list[str]:
        return list(dict.fromkeys(s.mailbox for s in self.streams if s.status == status))

    @property
    def failed_mailboxes(self) -> list[str]:
        return self._mailboxes_where(StreamStatus.FAILED)

    @property
    def stopped_mailboxes(self) -> list[str]:
        return self._mailboxes_where(StreamStatus.STOPPED)

    @property
    def ok(self) -> bool:
        """Every stream of every mailbox went to its end."""
        return all(s.status == StreamStatus.OK for s in self.streams)

    @property
    def status(self) -> StreamStatus:
        """`failed` if any stream failed, else `stopped` if any was stopped, else `ok`."""
        return _worst(s.status for s in self.streams)

    @property
    def graph_requests(self) -> int:
        return sum(s.graph_requests for s in self.streams)

    @property
    def throttled(self) -> int:
        return sum(s.throttled for s in self.streams)

    def mailbox_json(self, mailbox: str) -> dict[str, Any]:
        mine = [s for s in self.streams if s.mailbox == mailbox]
        status = _worst(s.status for s in mine)
        return {"mailbox": mailbox, "status": status, "streams": [s.to_json() for s in mine]}

    def to_json(self) -> dict[str, Any]:
        total = self.total
        return {
            "run_id": self.run_id,
            "status": self.status,
            "full": self.full,
            "mailboxes": [self.mailbox_json(m) for m in self.mailboxes],
            "items_seen": total.items_seen,
            "entries_created": total.entries_created,
            "entries_updated": total.entries_updated,
            "entries_canceled": total.entries_canceled,
            "skipped": dict(sorted(total.skipped.items())),
            "unmatched_addresses": total.unmatched_addresses,
            "graph_requests": self.graph_requests,
            "throttled": self.throttled,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
        }


def _worst(statuses: Iterable[StreamStatus]) -> StreamStatus:
    found = set(statuses)
    for status in (StreamStatus.FAILED, StreamStatus.STOPPED):
        if status in found:
            return status
    return StreamStatus.OK


def start_run(session: Session, *, full: bool, trigger: str, mailboxes: int) -> SyncRun:
    """A new run row (status `running`); flushed so that it has an id."""
    now = utcnow()
    run = SyncRun(full=full, trigger=trigger, mailboxes=mailboxes, status=RunStatus.RUNNING,
                  started_at=now, heartbeat_at=now, skipped={})
    session.add(run)
    session.flush()
    return run


def beat(session: Session, run_id: int) -> None:
    """The run is alive: written with every committed page and every minute in between
    (a Core UPDATE built once: the ORM's bulk update of the same row cost ~1 ms a page)."""
    stmt = dialect.built_once(session, ("sync.beat",), _beat)
    session.execute(stmt, {"run_id": run_id, "at": utcnow()})


def _beat() -> sa.Update:
    t = cast(sa.Table, SyncRun.__table__)
    return sa.update(t).where(t.c.id == sa.bindparam("run_id")).values(
        heartbeat_at=sa.bindparam("at"))


def record_stream(session: Session, run_id: int, stats: StreamStats) -> None:
    """Store one stream's figures under its run."""
    o = stats.outcome
    session.add(SyncRunStream(
        run_id=run_id, mailbox=stats.mailbox, stream=stats.stream, status=stats.status,
        pages=stats.pages, items_seen=o.items_seen, entries_created=o.entries_created,
        entries_updated=o.entries_updated, entries_canceled=o.entries_canceled,
        skipped=dict(o.skipped), unmatched_addresses=o.unmatched_addresses,
        graph_requests=stats.graph_requests, throttled=stats.throttled,
        resynced=stats.resynced, error=stats.error, seconds=stats.seconds,
    ))  # fmt: skip


def finish_run(session: Session, summary: RunSummary) -> None:
    """Write the run's totals and final status."""
    run = session.get(SyncRun, summary.run_id)
    if run is None:
        return
    total = summary.total
    run.finished_at = run.heartbeat_at = utcnow()
    run.status = summary.status  # a run ends as its worst stream
    run.mailboxes = len(summary.mailboxes)
    run.items_seen = total.items_seen
    run.entries_created = total.entries_created
    run.entries_updated = total.entries_updated
    run.entries_canceled = total.entries_canceled
    run.skipped = dict(sorted(total.skipped.items()))
    run.unmatched_addresses = total.unmatched_addresses
    run.graph_requests = summary.graph_requests
    run.throttled = summary.throttled
    run.errors = len(summary.errors)
    run.seconds = summary.seconds


def list_runs(session: Session, limit: int = 20) -> list[SyncRun]:
    """The most recent runs, newest first."""
    query = sa.select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)
    return list(session.scalars(query))


def run_to_json(
    run: SyncRun, *, streams: bool = False, now: datetime | None = None
) -> dict[str, Any]:
    """A run as `sync runs --json` shows it; a dead `running` run shows as `abandoned`."""
    data: dict[str, Any] = {
        "run_id": run.id, "status": run.shown_status(now), "trigger": run.trigger,
        "full": run.full,
        "started_at": run.started_at.isoformat(timespec="seconds") + "Z",
        "finished_at": run.finished_at.isoformat(timespec="seconds") + "Z"
        if run.finished_at else None,
        "mailboxes": run.mailboxes, "items_seen": run.items_seen,
        "entries_created": run.entries_created, "entries_updated": run.entries_updated,
        "entries_canceled": run.entries_canceled, "skipped": dict(Counter(run.skipped or {})),
        "heartbeat_at": run.heartbeat_at.isoformat(timespec="seconds") + "Z"
        if run.heartbeat_at else None,
        "unmatched_addresses": run.unmatched_addresses, "graph_requests": run.graph_requests,
        "throttled": run.throttled, "errors": run.errors, "seconds": round(run.seconds, 3),
    }  # fmt: skip
    if streams:
        data["streams"] = [
            {"mailbox": s.mailbox, "stream": s.stream, "status": s.status,
             "items_seen": s.items_seen, "entries_created": s.entries_created,
             "graph_requests": s.graph_requests, "throttled": s.throttled, "error": s.error}
            for s in run.streams
        ]  # fmt: skip
    return data
