"""A calls-only sync run: what a worker does when the tenant's calls are due on their own.

Call records belong to the tenant, not to a mailbox. A change notification on
`communications/callRecords` (`connector/realtime/subscriptions.py`) asks for a sync of the
queue's `tenant` item (`TENANT`); the worker that takes it runs this: one calls round,
recorded as a run of its own (no mailbox), whatever `[sync] poll_interval` says — a
notification means a call ended. The safety poll (a mailbox sync reading calls when no
round has for `poll_interval`, `calls_due`) stays as it is.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.calls.round import TENANT, sync_calls
from connector.capture import build_capture_context
from connector.capture.due import naive_now
from connector.graph.client import GraphClient
from connector.retry import RetryPolicy, SystemClock
from connector.settings import ConnectorSettings
from connector.sync.env import SyncEnv
from connector.sync.runs import RunSummary, finish_run, start_run

TRIGGER = "calls"  # the run's trigger: `calls_due` lets any trigger but "worker" read calls

__all__ = ["TENANT", "TRIGGER", "sync_tenant_calls"]


async def sync_tenant_calls(settings: ConnectorSettings, engine: Engine,
                            client: GraphClient) -> RunSummary | None:
    """One calls round as a run of its own; None when `[sync] calls` is off (a queue item
    left from when it was on is then just put back)."""
    if not settings.sync.calls:
        return None
    clock = SystemClock()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        ctx = build_capture_context(session, settings, now=naive_now(clock))
        run = start_run(session, full=False, trigger=TRIGGER, mailboxes=0)
    summary = RunSummary(run.id, run.started_at, False)
    env = SyncEnv(settings, engine, client, ctx, clock, policy=RetryPolicy(), run_id=run.id,
                  gate=asyncio.Semaphore(max(1, settings.sync.max_concurrency)))
    stats = await sync_calls(env, trigger=TRIGGER)
    if stats is not None:
        summary.streams.append(stats)
        summary.seconds = stats.seconds
    with Session(engine) as session, session.begin():
        finish_run(session, summary)
    return summary
