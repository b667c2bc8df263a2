"""The sync loop: one generic `run_stream` for every stream, mailboxes in parallel.

Per page: fetch (retried in `connector/retry.py`, at most 4 requests in flight per mailbox
and `max_concurrency` in all) → decode (msgspec, into typed items) → `capture_page` → save
the cursor (next_link inside a round, delta_link at its end) in the SAME transaction →
commit. The next page is fetched and decoded while the current one is written. A 410 drops
the cursor and runs a new initial round once; the writer dedupes, so nothing is logged
twice. One failing mailbox or stream is recorded and the others go on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.calls.round import sync_calls
from connector.capture import PageOutcome, build_capture_context, capture_page
from connector.capture.due import log_due, naive_now
from connector.errors import Action, GraphError
from connector.graph.client import GraphClient, build_client
from connector.items import DeltaItem, GraphMessage, Removed
from connector.paging import GraphLinkPaginator
from connector.retry import Clock, RetryPolicy, SystemClock
from connector.settings import ConnectorSettings
from connector.streams import CalendarViewStream, MailFolderStream, Page, Stream
from connector.sync import collector, cursors
from connector.sync.env import (
    MIN_PAGE,
    CaptureFn,
    PageHook,
    Progress,
    StopSync,
    StreamRun,
    SyncEnv,
)
from connector.sync.removed import missing_from_round, verify_removed
from connector.sync.runs import (
    RunSummary,
    StreamStats,
    beat,
    finish_run,
    record_stream,
    start_run,
)
from storage.errors import InterlogError
from storage.vocabulary import StreamStatus

__all__ = ["PageHook", "Progress", "StopSync", "SyncEnv", "SyncFailed", "run_stream",
           "sync_mailboxes", "sync_mailboxes_async"]

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 60.0  # a running run's heartbeat; `sync runs` calls it abandoned after 5 min

class SyncFailed(InterlogError):
    """A mailbox could not be synced (the message says why)."""


def _keep(items: list[DeltaItem], cutoff: object, out: PageOutcome) -> list[DeltaItem]:
    """Drop mail received before the backfill cut-off (every round); count it."""
    if cutoff is None:
        return items
    kept = [i for i in items if not (isinstance(i, GraphMessage) and i.received_at is not None
                                     and i.received_at < cutoff)]  # type: ignore[operator]
    out.skipped["before_backfill"] += len(items) - len(kept)
    out.items_seen += len(items) - len(kept)
    return kept


def _write(run: StreamRun, items: list[DeltaItem], state: cursors.CursorState,
           done: bool) -> PageOutcome:
    """capture_page + cursor in one transaction (runs in a worker thread), the garbage
    collector paused (`sync/collector.py`)."""
    env, s = run.env, run.stream
    with collector.paused(), Session(env.db, expire_on_commit=False) as session, \
            session.begin():
        outcome = env.capture(session, env.ctx, s.mailbox, items) if items else PageOutcome()
        cursors.save_cursor(session, s.mailbox.lower(), s.kind, s.folder, state, round_done=done)
        if env.run_id:
            beat(session, env.run_id)
    return outcome


def _prefetch(run: StreamRun, link: str | None, rnd: cursors.Round) -> asyncio.Task[Page]:
    """A page fetched and decoded (in a thread), while the page before it is written."""

    async def fetch() -> Page:
        return await asyncio.to_thread(run.stream.decode, await run.fetch(link, rnd))

    return asyncio.ensure_future(fetch())


async def _run_round(run: StreamRun, rnd: cursors.Round) -> None:
    env, stream = run.env, run.stream
    pager = GraphLinkPaginator(rnd.link)
    cutoff = cursors.backfill_cutoff(rnd, stream.kind, env.settings.sync)
    pending = _prefetch(run, rnd.link, rnd)
    listed: set[str] = set()  # calendar: the event ids this run saw of the round
    while True:
        page = await pending
        pager.advance(page.links)
        extra = PageOutcome()
        items = _keep(page.items, cutoff, extra)
        if isinstance(stream, CalendarViewStream):
            items = await _checked_events(run, stream, rnd, items, listed, pager.finished)
        if not pager.finished:
            pending = _prefetch(run, pager.current_value, rnd)
        state = cursors.round_state(rnd, next_link=pager.next_link, delta_link=pager.delta_link)
        try:
            async with env.write_lock:
                outcome = await asyncio.to_thread(_write, run, items, state, pager.finished)
        except BaseException:
            if not pager.finished:
                pending.cancel()
            raise
        outcome += extra
        run.stats.outcome += outcome
        run.stats.pages += 1
        if env.progress is not None:
            env.progress.page_done(run.stats, len(page.items))
        if env.after_page is not None:
            _after_page(env, run.stats, None if pager.finished else pending)
        if pager.finished:
            return


async def _checked_events(
    run: StreamRun, stream: CalendarViewStream, rnd: cursors.Round, items: list[DeltaItem],
    listed: set[str], finished: bool,
) -> list[DeltaItem]:  # fmt: skip
    """A calendar page with its `@removed` events checked and, when an initial round ends,
    what Graph says of the captured events the round did not list (`sync/removed.py`)."""
    if any(isinstance(i, Removed) for i in items):
        items = await verify_removed(run, stream, items)
    listed.update(i.id for i in items)
    if finished and rnd.initial and rnd.window is not None:
        items = items + await missing_from_round(run, stream, rnd.window, listed)
    return items


def _after_page(env: SyncEnv, stats: StreamStats, pending: asyncio.Task[Page] | None) -> None:
    """The caller's hook; an Exception raised there is a request to stop (`StopSync`)."""
    assert env.after_page is not None
    try:
        env.after_page(stats)
    except Exception as exc:
        if pending is not None:
            pending.cancel()  # the page fetched ahead is not written; the cursor is before it
        raise StopSync(str(exc) or type(exc).__name__) from exc
    except BaseException:
        if pending is not None:
            pending.cancel()
        raise


async def _drop_cursor(run: StreamRun) -> None:
    s = run.stream

    def drop() -> None:
        with Session(run.env.db) as session, session.begin():
            cursors.save_cursor(session, s.mailbox.lower(), s.kind, s.folder,
                                cursors.CursorState(), resynced=True)

    async with run.env.write_lock:
        await asyncio.to_thread(drop)


async def _rounds(run: StreamRun, full: bool) -> None:
    env, s = run.env, run.stream

    def load() -> cursors.CursorState:
        with Session(env.db) as session:
            return cursors.load_cursor(session, s.mailbox.lower(), s.kind, s.folder)

    state = await asyncio.to_thread(load)
    for rnd in cursors.plan_rounds(s.kind, state, env.clock.now(), env.settings.sync, full=full):
        try:
            await _run_round(run, rnd)
        except GraphError as error:
            if error.action is not Action.RESYNC or run.stats.resynced:
                raise
            log.warning("%s %s: %s; starting a full round", s.mailbox, s.name, error)
            run.stats.resynced = True
            await _drop_cursor(run)
            await _run_round(run, cursors.initial_round(s.kind, env.clock.now(),
                                                       env.settings.sync))
            return


async def run_stream(env: SyncEnv, stream: Stream, *, full: bool = False) -> StreamStats:
    """Sync one stream to the end of its round(s); failures are recorded, not raised."""
    stats = StreamStats(stream.mailbox.lower(), stream.name)
    run = StreamRun(env, stream, stats, max(MIN_PAGE, env.settings.sync.page_size))
    started = time.monotonic()
    if env.progress is not None:
        env.progress.stream_started(stats.mailbox, stats.stream)
    try:
        await _rounds(run, full)
    except StopSync as stop:
        log.info("%s %s: stopped on request (%s) after %d pages", stream.mailbox, stream.name,
                 stop, stats.pages)
        stats.status = StreamStatus.STOPPED
    except GraphError as error:
        stats.status, stats.error = StreamStatus.FAILED, error.message
    except Exception as exc:
        log.exception("%s %s failed", stream.mailbox, stream.name)
        stats.status, stats.error = StreamStatus.FAILED, f"{type(exc).__name__}: {exc}"
    stats.seconds = time.monotonic() - started
    await _record(env, stats)
    if env.progress is not None:
        env.progress.stream_done(stats)
    return stats


async def _record(env: SyncEnv, stats: StreamStats) -> None:
    if not env.run_id:
        return

    def write() -> None:
        with Session(env.db) as session, session.begin():
            record_stream(session, env.run_id, stats)

    async with env.write_lock:
        await asyncio.to_thread(write)


async def _heartbeat(env: SyncEnv) -> None:
    """Mark the run alive every `HEARTBEAT_SECONDS` (also while waiting out a Retry-After),
    so that `sync runs` can tell a run killed outright (`abandoned`) from a slow one."""

    def write() -> None:
        with Session(env.db) as session, session.begin():
            beat(session, env.run_id)

    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        async with env.write_lock:
            await asyncio.to_thread(write)


def streams_for(settings: ConnectorSettings, mailbox: str) -> list[Stream]:
    """The streams of one mailbox: each configured mail folder, then the calendar."""
    found: list[Stream] = [MailFolderStream(mailbox, f) for f in settings.sync.folders]
    return [*found, CalendarViewStream(mailbox)]


async def sync_mailbox(env: SyncEnv, mailbox: str, *, full: bool = False) -> list[StreamStats]:
    """Every stream of one mailbox, concurrently (the mailbox gate keeps ≤ 4 in flight)."""
    tasks = [run_stream(env, s, full=full) for s in streams_for(env.settings, mailbox)]
    return list(await asyncio.gather(*tasks))


async def sync_mailboxes_async(
    settings: ConnectorSettings, engine: Engine, mailboxes: Sequence[str] | None = None, *,
    full: bool = False, progress: Progress | None = None, clock: Clock | None = None,
    trigger: str = "cli", capture: CaptureFn | None = None, after_page: PageHook | None = None,
    policy: RetryPolicy | None = None, client: GraphClient | None = None,
) -> RunSummary:  # fmt: skip
    """One sync run over `mailboxes` (default: `[sync] mailboxes`), recorded in sync_runs.
    `client`: a Graph client the caller keeps (a worker's, closed by it); else one is built
    for the run and closed at its end."""
    boxes = list(dict.fromkeys(m.strip() for m in (mailboxes or settings.sync.mailboxes)))
    if not boxes or not all(boxes):
        raise InterlogError("no mailbox to sync: set [sync] mailboxes or pass --mailbox")
    owned = client is None
    client = client or build_client(settings.graph)
    clock = clock or SystemClock()
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            ctx = build_capture_context(session, settings, now=naive_now(clock))
            run = start_run(session, full=full, trigger=trigger, mailboxes=len(boxes))
        summary = RunSummary(run.id, run.started_at, full)
        env = SyncEnv(settings, engine, client, ctx, clock,
                      capture or capture_page, policy or RetryPolicy(), progress, after_page,
                      run.id, asyncio.Semaphore(max(1, settings.sync.max_concurrency)))
        started = time.monotonic()
        heart = asyncio.ensure_future(_heartbeat(env))
        try:
            with collector.heap_frozen():  # the heap before the pages: out of their collections
                results = await asyncio.gather(*(sync_mailbox(env, m, full=full) for m in boxes))
        finally:
            heart.cancel()
        summary.streams = [s for stats in results for s in stats]
        summary.due = await asyncio.to_thread(log_due, engine, ctx)
        calls = await sync_calls(env, full=full, trigger=trigger) if settings.sync.calls else None
        if calls is not None:  # tenant-wide, after the meetings (docs/calls.md)
            summary.streams.append(calls)
        summary.seconds = time.monotonic() - started
        with Session(engine) as session, session.begin():
            finish_run(session, summary)
    finally:
        if owned:
            await client.close()
    return summary


def sync_mailboxes(
    settings: ConnectorSettings, engine: Engine, mailboxes: Sequence[str] | None = None, *,
    full: bool = False, progress: Progress | None = None, clock: Clock | None = None,
    trigger: str = "cli", after_page: PageHook | None = None, policy: RetryPolicy | None = None,
) -> RunSummary:  # fmt: skip
    """`sync_mailboxes_async` for callers without an event loop (CLI, workers, demo)."""
    return asyncio.run(sync_mailboxes_async(
        settings, engine, mailboxes, full=full, progress=progress, clock=clock,
        trigger=trigger, after_page=after_page, policy=policy,
    ))  # fmt: skip
