"""One calls round of a sync run: list the records in the window, read the new or changed
ones, read the PSTN log, reconcile, and write everything in one transaction.

The window: the first round (or `--full`) reads the last 30 days (Microsoft keeps records
30 days); later rounds start `LATE` before the newest call first captured, so that records
created late, and records updated later (their `version` grew), are read again (with no
call captured yet, every round reads 30 days: list pages only). Only a
record Graph lists with a version not captured yet costs a request of its own. A crash
before the commit leaves nothing: the next round reads the same window, and the entries'
unique key keeps anything from being logged twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from kiota_abstractions.request_information import RequestInformation
from sqlalchemy.orm import Session

from connector.calls.items import CallSummary, GraphCall, PstnCall, kept_call
from connector.calls.plan import CallContext, CallPlan, plan_call, plan_row, reconcile
from connector.calls.setup import call_context, phone_template
from connector.calls.write import remember_skipped, write_calls
from connector.errors import Action, GraphError
from connector.graph.batch import MAX_BATCH, SubResponse, get_many
from connector.retry import with_retry
from connector.streams.base import Malformed
from connector.streams.calls import PSTN_MAX_DAYS, CallRecordsStream
from connector.sync.env import SyncEnv
from connector.sync.runs import StreamStats, record_stream
from storage.capture_models import CapturedItem
from storage.models import utcnow
from storage.sync_models import SyncRun, SyncRunStream
from storage.vocabulary import ItemKind, StreamStatus

log = logging.getLogger(__name__)
KEPT = timedelta(days=30)  # Microsoft keeps call records 30 days
LATE = timedelta(days=1)  # every round re-reads this far before the last good one
GROUP = 4 * MAX_BATCH  # records a chain of batches reads; chains run side by side
STREAM = "calls"
TENANT = "tenant"  # the stream's "mailbox" in the run figures: call records are tenant-wide


async def sync_calls(env: SyncEnv, *, full: bool = False, trigger: str = "cli"
                     ) -> StreamStats | None:
    """Run one calls round; failures are recorded in the stats, not raised. None: not due
    (`calls_due`)."""
    if not await asyncio.to_thread(calls_due, env, trigger):
        return None
    stats = StreamStats(TENANT, STREAM)
    started = time.monotonic()
    try:
        await _round(env, stats, full)
    except GraphError as error:
        stats.status, stats.error = StreamStatus.FAILED, error.message
    except Exception as exc:
        log.exception("calls failed")
        stats.status, stats.error = StreamStatus.FAILED, f"{type(exc).__name__}: {exc}"
    stats.seconds = time.monotonic() - started
    if env.run_id:
        def write() -> None:
            with Session(env.db) as session, session.begin():
                record_stream(session, env.run_id, stats)

        async with env.write_lock:
            await asyncio.to_thread(write)
    return stats


async def _send(env: SyncEnv, stats: StreamStats, build: Callable[[], RequestInformation],
                what: str) -> bytes:
    """One Graph request, retried and counted, behind the run's global gate."""

    async def attempt() -> bytes:
        async with env.gate:
            stats.graph_requests += 1
            return await env.client.send(build(), what)

    def on_retry(error: GraphError, attempt_no: int, delay: float) -> None:
        stats.throttled += error.status == 429
        log.warning("calls: %s; retry %d in %.1fs", error, attempt_no, delay)

    return await with_retry(attempt, clock=env.clock, policy=env.policy, on_retry=on_retry)


def calls_due(env: SyncEnv, trigger: str) -> bool:
    """Whether this run reads calls: always, except for a worker's mailbox sync, which
    reads them when no run has in the last `[sync] poll_interval` seconds (call records
    are the tenant's: a worker syncing each mailbox must not read them once per mailbox)."""
    if trigger != "worker":
        return True
    with Session(env.db) as session:  # the newest other run with a calls stream, by index
        newest = sa.select(sa.func.max(SyncRunStream.run_id)).where(
            SyncRunStream.stream == STREAM, SyncRunStream.run_id != env.run_id)
        last = session.scalar(sa.select(SyncRun.started_at).where(
            SyncRun.id == newest.scalar_subquery()))
    return last is None or utcnow() - last >= timedelta(seconds=env.settings.sync.poll_interval)


def window_start(session: Session, now: datetime, full: bool) -> datetime:
    """Naive UTC start of this round's window (see the module docstring): `LATE` before
    the newest first sighting of a call (the sync's own clock wrote it), never more than
    30 days back."""
    oldest = now - KEPT
    if full:
        return oldest
    last = session.scalar(sa.select(sa.func.max(CapturedItem.first_seen_at)).where(
        CapturedItem.kind == ItemKind.CALL.value))
    return oldest if last is None else min(now, max(oldest, last - LATE))


async def _every_page[T](
    env: SyncEnv, stats: StreamStats, first: Callable[[], RequestInformation],
    decode: Callable[[bytes], tuple[list[T | str], str | None]], what: str,
) -> list[T]:  # fmt: skip
    """Every item of a paged collection: `first` builds the first request, then each
    `@odata.nextLink` is followed; an item `decode` could not read (a string: why) is counted
    as skipped `malformed:<why>`, never dropped silently."""
    items: list[T] = []
    link: str | None = None
    while True:
        def page(u: str | None = link) -> RequestInformation:
            return CallRecordsStream.link_request(env.client, u) if u else first()

        found, link = decode(await _send(env, stats, page, what))
        stats.pages += 1
        for item in found:
            if isinstance(item, str):
                stats.outcome.skipped[f"malformed:{item}"] += 1
            else:
                items.append(item)
        if link is None:
            return items


async def _round(env: SyncEnv, stats: StreamStats, full: bool) -> None:
    client, stream = env.client, CallRecordsStream
    now = env.clock.now().replace(tzinfo=None, microsecond=0)
    with Session(env.db) as session:
        since = window_start(session, now, full)
    summaries = await _every_page(env, stats, lambda: stream.list_request(client, since),
                                  stream.decode_list, "call records")
    todo = await asyncio.to_thread(_changed, env, summaries)
    calls = await _read_all(env, stats, todo)
    rows = await _pstn(env, stats, since, now)
    ctx = await asyncio.to_thread(call_context, env, rows)
    plans, skipped = _plans(ctx, calls, rows, stats)

    def write() -> None:
        with Session(env.db) as session, session.begin():
            template = phone_template(session, env.ctx)
            stats.outcome += write_calls(session, env.ctx, template, plans, now)
            remember_skipped(session, skipped, now)

    async with env.write_lock:
        await asyncio.to_thread(write)


def _changed(env: SyncEnv, summaries: list[CallSummary]) -> list[CallSummary]:
    """The listed records not captured at their version yet."""
    known: dict[str, int] = {}
    ids = sorted({s.id for s in summaries})
    ci = CapturedItem
    with Session(env.db) as session:
        for start in range(0, len(ids), 500):
            for graph_id, item in session.execute(sa.select(ci.graph_id, ci.item).where(
                    ci.kind == ItemKind.CALL.value, ci.graph_id.in_(ids[start : start + 500]))):
                version = kept_call(item).version
                known[graph_id] = max(known.get(graph_id, 0), version)
    return [s for s in summaries if s.version > known.get(s.id, 0)]


async def _read_all(env: SyncEnv, stats: StreamStats, todo: list[CallSummary]
                    ) -> list[GraphCall]:
    """The records with their sessions, twenty to a `POST /$batch` (⌈n / 20⌉ requests when
    nothing fails; throttled items go into the next batch). A record gone meanwhile (404:
    older than 30 days) is skipped."""
    if not todo:
        return []
    requests = {str(n): CallRecordsStream.record_request(env.client, s.id)
                for n, s in enumerate(todo)}

    async def send(info: RequestInformation) -> bytes:
        async with env.gate:
            stats.graph_requests += 1
            return await env.client.send(info, "call records $batch")

    def on_retry(error: GraphError, attempt_no: int, delay: float) -> None:
        stats.throttled += error.status == 429
        log.warning("calls: %s; retry %d in %.1fs", error, attempt_no, delay)

    keys = list(requests)
    groups = [keys[i : i + GROUP] for i in range(0, len(keys), GROUP)]  # batches in parallel
    answers: dict[str, SubResponse] = {}
    for found in await asyncio.gather(*(get_many(
            {k: requests[k] for k in group}, send, clock=env.clock, policy=env.policy,
            what="call record", accept={Action.NOT_FOUND}, on_retry=on_retry)
            for group in groups)):
        answers.update(found)
    calls = []
    for n in range(len(todo)):
        answer = answers[str(n)]
        if not answer.ok:
            stats.outcome.skipped["gone"] += 1
            continue
        try:
            calls.append(CallRecordsStream.parse_record(answer.body))
        except Malformed as exc:
            stats.outcome.skipped[f"malformed:{exc}"] += 1
    return calls


async def _pstn(env: SyncEnv, stats: StreamStats, since: datetime, now: datetime
                ) -> list[PstnCall]:
    """The PSTN log of the window, in requests of at most 90 days, every page."""
    rows: list[PstnCall] = []
    start = since
    while start < now:
        end = min(now, start + timedelta(days=PSTN_MAX_DAYS))
        def first(a: datetime = start, b: datetime = end) -> RequestInformation:
            return CallRecordsStream.pstn_request(env.client, a, b)

        rows += await _every_page(env, stats, first, CallRecordsStream.decode_pstn,
                                  "PSTN call log")
        start = end
    return rows


def _plans(ctx: CallContext, calls: list[GraphCall], rows: list[PstnCall],
           stats: StreamStats) -> tuple[list[CallPlan], list[GraphCall]]:
    """The plans of the records and of the rows no record has; the records that log
    nothing (counted by reason)."""
    plans, skipped = [], []
    for call in calls:
        plan = plan_call(ctx, call)
        if isinstance(plan, str):
            stats.outcome.skipped[plan] += 1
            skipped.append(call)
        else:
            plans.append(plan)
    plans, left = reconcile(ctx, plans, rows)
    for row in left:
        plan = plan_row(ctx, row)
        if isinstance(plan, str):
            stats.outcome.skipped[plan] += 1
        else:
            plans.append(plan)
    return plans, skipped
