"""`interlog worker`: take due mailboxes from the shared queue, sync them, renew subscriptions.

Any number of workers share one PostgreSQL database: each takes one mailbox at a time
under a lease (`connector/realtime/leases.py`), extends its leases with every heartbeat, and gives
them back when it stops. A worker killed outright loses its leases when they expire, and
another worker takes the mailbox over. On SQLite only one worker may run (a second is
refused while the first one's heartbeat is recent).

Stopping (`request_stop`, SIGTERM in the CLI) is honoured after the current mailbox.
A worker keeps one event loop and one Graph client (one HTTP pool, one credential) for its
lifetime (`connector/realtime/graph_session.py`); when Entra ID refuses the credential for
good, the worker stops with that error instead of failing every mailbox in turn.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture.due import log_started
from connector.realtime import leases
from connector.realtime.graph_session import GraphSession
from connector.settings import ConnectorSettings
from storage import dialect
from storage.errors import Refused
from storage.models import utcnow
from storage.sync_history import prune_history
from storage.vocabulary import SyncOutcome
from storage.worker_models import GraphSubscription, WorkerRecord

log = logging.getLogger(__name__)

SyncOne = Callable[[str], None]  # syncs one mailbox; raises on failure
MAINTENANCE_LOCK = 0x1A7E_4106  # pg advisory lock: one worker maintains subscriptions
PRUNE_EVERY_SECONDS = 3600.0  # sync history past `keep_history_days` deleted this often
FULL_ENSURE_SECONDS = 600.0
RETRY_ENSURE_SECONDS = 30.0
FINISH_ATTEMPTS = 5


class StopRequested(Exception):
    """The worker was asked to stop; raised after the page in hand was committed."""


def default_sync(settings: ConnectorSettings, engine: Engine, stop: threading.Event,
                 graph: GraphSession) -> SyncOne:
    """The capture engine's sync of one mailbox (`connector/sync/engine.py`) with the
    worker's Graph client (`graph`); raises on failure.

    A stop request is honoured after the current page: the page and its cursor are
    committed, so the next worker resumes from there. The queue's `tenant` item (asked
    for by a call-records notification) runs the calls round alone
    (`connector/calls/tenant.py`).
    """
    from connector.calls.tenant import TENANT, sync_tenant_calls
    from connector.sync import engine as sync

    def after_page(_stats: object) -> None:
        if stop.is_set():
            raise StopRequested("worker stopping")

    def run(mailbox: str) -> None:
        if mailbox == TENANT:  # a call-records notification: the calls round alone
            calls = graph.run(lambda client: sync_tenant_calls(settings, engine, client))
            if calls is not None and not calls.ok:
                raise sync.SyncFailed("calls round failed: " + "; ".join(calls.errors))
            return
        summary = graph.run(lambda client: sync.sync_mailboxes_async(
            settings, engine, [mailbox], trigger="worker", after_page=after_page, client=client))
        if stop.is_set() and not summary.ok:
            raise StopRequested("worker stopping")
        if not summary.ok:
            raise sync.SyncFailed(f"sync of {mailbox} failed: " + "; ".join(summary.errors))

    return run


class Waker:
    """Idle waits that end early when a notification is queued (PostgreSQL LISTEN)."""

    def __init__(self, engine: Engine) -> None:
        self._conn = dialect.listen(engine, leases.WAKE_CHANNEL)  # None: poll (SQLite)

    def wait(self, seconds: float, stop: threading.Event) -> None:
        deadline = time.monotonic() + seconds
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            if self._conn is None:
                stop.wait(min(left, 0.25))
                continue
            if any(True for _ in self._conn.notifies(timeout=min(left, 0.25), stop_after=1)):
                return

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


class Worker:
    """One worker process's loop. `run()` blocks until `request_stop()`."""

    def __init__(self, settings: ConnectorSettings, engine: Engine, sync_one: SyncOne | None = None,
                 *, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.stop = threading.Event()
        self.graph = GraphSession(settings.graph)  # built at first use, closed by run()
        self.sync_one = sync_one or default_sync(settings, engine, self.stop, self.graph)
        self._beat_stop = threading.Event()
        self._last_maintenance = 0.0
        self._last_full_ensure = 0.0
        self._last_prune = float("-inf")  # the first turn prunes

    def request_stop(self) -> None:
        self.stop.set()

    # -- life cycle --------------------------------------------------------------------
    def run(self) -> None:
        """Register, loop until asked to stop, then give back the leases."""
        self.register()
        beat = threading.Thread(target=self._heartbeat, name="worker-heartbeat", daemon=True)
        beat.start()
        waker = Waker(self.engine)
        try:
            with self._session() as session:
                leases.ensure_mailboxes(session, self.settings.sync.mailboxes)
            while not self.stop.is_set():
                if not self.cycle():
                    waker.wait(self.settings.worker.idle_ms / 1000, self.stop)
        finally:
            self._beat_stop.set()
            beat.join(timeout=10)
            waker.close()
            with self._session() as session:
                leases.release_all(session, self.id, self.clock())
                session.execute(sa.update(WorkerRecord).where(WorkerRecord.id == self.id)
                                .values(stopped_at=self.clock(), current_mailbox=None))
            self.graph.close()  # the HTTP pool and the credential, once the leases are back

    def register(self) -> None:
        """Insert this worker's row; on SQLite, refuse when another worker is alive."""
        now = self.clock()
        row = {"id": self.id, "host": socket.gethostname(), "pid": os.getpid(),
               "started_at": now, "heartbeat_at": now, "syncs_done": 0}
        with self._session() as session:
            if not dialect.single_writer(self.engine):
                session.execute(sa.insert(WorkerRecord).values(**row))
                return
            # One statement: SQLite runs it atomically, so two starting workers cannot both win.
            live = sa.select(WorkerRecord.id).where(
                WorkerRecord.stopped_at.is_(None),
                WorkerRecord.heartbeat_at >= now - timedelta(
                    seconds=self.settings.worker.lease_seconds))
            values = sa.select(*(sa.literal(v) for v in row.values())).where(~sa.exists(live))
            done = session.execute(sa.insert(WorkerRecord).from_select(list(row), values))
            if not leases._rowcount(done):
                raise Refused("another worker is running on this SQLite database; SQLite "
                              "allows one worker (use PostgreSQL for more)")

    def _heartbeat(self) -> None:
        while not self._beat_stop.wait(self.settings.worker.heartbeat_seconds):
            try:
                self.beat()
            except sa.exc.SQLAlchemyError as exc:  # the next beat tries again
                log.warning("worker heartbeat failed: %s", exc)

    def beat(self) -> None:
        """Say this worker is alive and keep its leases."""
        with self._session() as session:
            now = self.clock()
            # Lease rows first, then the worker row: the order in which `step` and `run`
            # lock them, so the heartbeat thread and the loop can never deadlock.
            leases.extend_leases(
                session, self.id, now + timedelta(seconds=self.settings.worker.lease_seconds)
            )
            session.execute(sa.update(WorkerRecord).where(WorkerRecord.id == self.id)
                            .values(heartbeat_at=now))

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    # -- work --------------------------------------------------------------------------
    def cycle(self) -> bool:
        """One turn of the loop: subscriptions, meetings that have started, one mailbox.
        False when no mailbox was due."""
        self.maintain_subscriptions()
        try:
            self.prune_history()
            self.log_due_meetings()
            return self.step()
        except sa.exc.OperationalError as exc:  # database restarting, deadlock victim…
            log.warning("worker step failed on the database, trying again: %s", exc)
            return False

    def prune_history(self) -> int:
        """Delete the sync runs and intervals older than `[worker] keep_history_days`, at most
        once an hour, a batch per short transaction; how many rows went. Every worker may:
        two deleting the same rows wait on each other's, then find them gone."""
        mono = time.monotonic()
        if mono - self._last_prune < PRUNE_EVERY_SECONDS:
            return 0
        self._last_prune = mono
        before = self.clock() - timedelta(days=self.settings.worker.keep_history_days)
        deleted = 0
        while not self.stop.is_set():
            with self._session() as session:
                pruned = prune_history(session, before)
            deleted += pruned.runs + pruned.intervals
            if not pruned.more:
                break
        if deleted:
            log.info("deleted %d sync runs and intervals older than %s", deleted, before)
        return deleted

    def log_due_meetings(self) -> int:
        """Log the captured meetings whose start has passed (no Graph request); how many
        entries that wrote. One indexed EXISTS when there are none."""
        return log_started(self.engine, self.settings, self.clock).entries_created

    def step(self) -> bool:
        """Take one due mailbox and sync it; False when nothing was due."""
        cfg = self.settings
        with self._session() as session:
            claim = leases.take_next(session, self.id, self.clock(),
                                     poll_interval=cfg.sync.poll_interval,
                                     lease_seconds=cfg.worker.lease_seconds,
                                     min_gap_ms=cfg.worker.min_resync_ms)
            if claim is not None:
                self._set_current(session, claim.mailbox)
        if claim is None:
            return False
        error, backoff = None, cfg.worker.error_backoff_seconds
        outcome: SyncOutcome | None = None
        try:
            self.sync_one(claim.mailbox)
        except StopRequested:
            error, backoff = "stopped before the end (worker shutdown)", 0
            outcome = SyncOutcome.STOPPED
        except Exception as exc:  # one mailbox failing never stops the worker…
            if self.graph.refused() is None:  # …but a refused credential does, below
                log.exception("sync of %s failed", claim.mailbox)
            error = f"{type(exc).__name__}: {exc}"
        held = self._finish(claim, error=error, backoff=backoff, outcome=outcome)
        if not held:
            log.warning("lease on %s expired during its sync", claim.mailbox)
        self.graph.raise_if_refused()
        return True

    def _finish(self, claim: leases.Claim, *, error: str | None, backoff: int,
                outcome: SyncOutcome | None) -> bool:
        """Give the lease back; retried, since a lease left held would be kept alive by
        this worker's own heartbeat and never synced again."""
        for attempt in range(1, FINISH_ATTEMPTS + 1):
            try:
                with self._session() as session:
                    held = leases.finish(session, claim, self.id, self.clock(), error=error,
                                         backoff_seconds=backoff, outcome=outcome)
                    self._set_current(session, None, done=1)
                return held
            except sa.exc.OperationalError as exc:
                if attempt == FINISH_ATTEMPTS:
                    raise
                log.warning("releasing %s failed (attempt %d): %s", claim.mailbox, attempt, exc)
                self.stop.wait(0.2 * attempt)
        raise AssertionError("unreachable")

    def _set_current(self, session: Session, mailbox: str | None, done: int = 0) -> None:
        session.execute(sa.update(WorkerRecord).where(WorkerRecord.id == self.id).values(
            current_mailbox=mailbox, syncs_done=WorkerRecord.syncs_done + done))

    # -- subscriptions -----------------------------------------------------------------
    def maintain_subscriptions(self) -> None:
        """Renew/recreate due subscriptions (at most once a second; a full check every
        ten minutes). Skipped without `[server] public_url`."""
        if not self.settings.server.public_url:
            return
        mono = time.monotonic()
        if mono - self._last_maintenance < 1.0:
            return
        self._last_maintenance = mono
        full = mono - self._last_full_ensure >= FULL_ENSURE_SECONDS
        if not full and not self._subscriptions_due():
            return
        with maintenance_lock(self.engine) as mine:
            if mine and self._ensure() and full:
                self._last_full_ensure = mono
            elif mine and full:  # something failed: look again in half a minute
                self._last_full_ensure = mono - FULL_ENSURE_SECONDS + RETRY_ENSURE_SECONDS

    def _subscriptions_due(self) -> bool:
        soon = self.clock() + timedelta(minutes=self.settings.worker.renew_before_minutes)
        g = GraphSubscription
        with self._session() as session:
            return session.execute(sa.select(sa.exists().where(
                sa.or_(g.pending_action.is_not(None), g.expires_at <= soon)))).scalar() is True

    def _ensure(self) -> bool:
        """Run `ensure` with the worker's Graph client; False when anything failed (logged,
        never raised)."""
        from connector.graph import GraphClient
        from connector.realtime.subscriptions import SubscriptionManager

        async def go(client: GraphClient) -> bool:
            report = await SubscriptionManager(self.settings, self.engine, client,
                                               self.clock).ensure()
            if report.errors:
                log.warning("subscriptions: %s", "; ".join(report.errors[:5]))
            return not report.errors

        try:
            return self.graph.run(go)
        except Exception:  # Graph down: the safety-net polling keeps going
            log.exception("subscription maintenance failed")
            return False


def maintenance_lock(engine: Engine, *, wait: bool = False) -> AbstractContextManager[bool]:
    """Whether this process may maintain subscriptions now (a PostgreSQL advisory lock;
    SQLite has a single worker, so always yes)."""
    return dialect.advisory_lock(engine, MAINTENANCE_LOCK, wait=wait)
