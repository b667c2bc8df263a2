"""Meetings that have started: logged from the data capture kept, with no Graph request.

A meeting captured before it started is kept with its data (`captured_items.item`) and
`pending`. At the end of every sync run and every worker cycle, `log_due_meetings` takes the
pending copies whose start has passed, plans them again with the run's context (contacts,
templates and rules as they are now) and writes their entries through the same code as a
delta page (`connector/capture/kept.py`). Each copy is then pending no more, whatever it
logged. The caller owns the transaction; nothing here commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture.context import CaptureContext, build_capture_context
from connector.capture.kept import write_kept
from connector.capture.outcome import PageOutcome
from connector.capture.state import chunks
from connector.retry import Clock
from connector.settings import ConnectorSettings
from storage import dialect
from storage.capture_models import CapturedItem

log = logging.getLogger(__name__)
BATCH = 1000  # pending copies read at a time
DUE_LOCK = 0x1A7E_D0E5  # pg advisory lock: one process logs the meetings that have started


def log_due_meetings(session: Session, ctx: CaptureContext, *, batch: int = BATCH) -> PageOutcome:
    """Log every pending meeting whose start has passed; the figures of what was written."""
    now = ctx.now()
    ci = CapturedItem
    # No row locks here: the entries are written before the copies, in the order a delta
    # page writes them, so a page and this step never deadlock (`log_due` runs one at a time).
    query = (sa.select(ci.id, ci.mailbox, ci.item)
             .where(ci.pending.is_(True), ci.canceled_at.is_(None), ci.occurred_at <= now)
             .order_by(ci.mailbox, ci.graph_id).limit(batch))
    total = PageOutcome()
    while rows := session.execute(query).all():
        total += write_kept(session, ctx, rows)
        for ids in chunks(sorted(r[0] for r in rows)):  # whatever they logged: done
            session.execute(sa.update(ci).where(ci.id.in_(ids)).values(pending=False))
    total.skipped = +total.skipped
    return total


def log_started(
    engine: Engine, settings: ConnectorSettings, now: Callable[[], datetime]
) -> PageOutcome:
    """`log_due` with a context of its own, built only when a meeting is due (one indexed
    EXISTS otherwise): for a worker's every cycle."""
    ci = CapturedItem
    with Session(engine) as session:
        due = sa.exists().where(ci.pending.is_(True), ci.canceled_at.is_(None),
                                ci.occurred_at <= now())
        if not session.execute(sa.select(due)).scalar():
            return PageOutcome()
        ctx = build_capture_context(session, settings, now=now)
    return log_due(engine, ctx)


def log_due(engine: Engine, ctx: CaptureContext) -> PageOutcome:
    """`log_due_meetings` in a transaction of its own (the end of a sync run, a worker cycle),
    by one process at a time (a PostgreSQL advisory lock: another one busy → nothing to do
    now). A failure is logged and leaves the meetings pending for the next attempt."""
    try:
        with dialect.advisory_lock(engine, DUE_LOCK) as mine:
            if not mine:
                return PageOutcome()
            with Session(engine) as session, session.begin():
                return log_due_meetings(session, ctx)
    except sa.exc.SQLAlchemyError:
        log.exception("logging the meetings that have started failed; trying again next time")
        return PageOutcome()


def naive_now(clock: Clock) -> Callable[[], datetime]:
    """A capture context's `now` (naive UTC) from a sync clock (aware)."""
    return lambda: clock.now().astimezone(UTC).replace(tzinfo=None)
