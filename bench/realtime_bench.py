"""Benchmark of real-time capture: JSON on stdout.

Everything runs on this machine: PostgreSQL, the Graph emulator and the app's notification
endpoint (in this process, threads), and `interlog worker` processes.

1. latency: a message created in the emulator → its entry committed, with change
   notifications on (2 workers, 10 mailboxes, one message at a time), p50/p95;
2. throughput: the first sync of N mailboxes with 1, 2 and 4 workers (mailboxes/minute,
   from the database's sync intervals), with ratios to one worker;
3. idle cost: Graph requests per mailbox per hour when nothing changes — measured with a
   short `poll_interval`, scaled to the default (300 s), beside the formula
   streams × 3600 / poll_interval.

`.venv/bin/python bench/realtime_bench.py [--mailboxes 40] [--messages 25] [--samples 30]`
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # the project, and the end-to-end harness in tests/support

from storage.models import InteractionLogEntry  # noqa: E402
from storage.worker_models import SyncInterval  # noqa: E402
from tests.support.builders import inbound, tenant_of, upn  # noqa: E402
from tests.support.databases import pg_database_url  # noqa: E402
from tests.support.deployment import Deployment, wait_for  # noqa: E402


def with_mail(mailboxes: int, per_mailbox: int) -> dict[str, Any]:
    data = tenant_of(mailboxes)
    for i in range(mailboxes):
        data["messages"][upn(i)] = [inbound(upn(i), n) for n in range(per_mailbox)]
    return data


@contextmanager
def deployment(data: dict[str, Any], **kwargs: Any) -> Iterator[Deployment]:
    urls = pg_database_url(os.environ.get("INTERLOG_TEST_PG_URL",
                                          "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    url = next(urls)
    dep = Deployment(Path(tempfile.mkdtemp(prefix="rtbench")), url, data, **kwargs)
    try:
        yield dep
    finally:
        dep.close()
        for _ in urls:  # drops the database
            pass


def _idle(dep: Deployment) -> bool:
    with Session(dep.engine) as session:
        open_ = session.scalar(sa.select(sa.func.count()).select_from(SyncInterval)
                               .where(SyncInterval.finished_at.is_(None)))
    return open_ == 0 and len(dep.entry_counts()) >= len(dep.mailboxes)


def latency(samples: int) -> dict[str, Any]:
    data = with_mail(10, 1)
    with deployment(data) as dep:
        for _ in range(2):
            dep.start_worker()
        wait_for(lambda: _idle(dep) and _subscriptions(dep) == 20, 120, "set-up")
        rng = random.Random(7)
        waits = []
        for n in range(samples):
            box = upn(rng.randrange(10))
            msg = inbound(box, 1000 + n)
            created = datetime.now(UTC).replace(tzinfo=None)
            dep.emu.state.add_message(box, msg)
            committed = wait_for(lambda m=msg: _entry_time(dep, m["internetMessageId"]), 30)
            waits.append((committed - created).total_seconds() * 1000)
            time.sleep(0.3)  # let the mailbox rest (min_resync_ms) between samples
        dep.stop_workers()
    waits.sort()
    return {"samples": samples, "p50_ms": round(statistics.median(waits), 1),
            "p95_ms": round(waits[int(0.95 * (len(waits) - 1))], 1),
            "max_ms": round(waits[-1], 1)}


def _subscriptions(dep: Deployment) -> int:
    from storage.worker_models import GraphSubscription

    with Session(dep.engine) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(GraphSubscription))
                   or 0)


def _entry_time(dep: Deployment, message_id: str) -> datetime | None:
    with Session(dep.engine) as session:
        return session.scalar(sa.select(InteractionLogEntry.created_at).where(
            InteractionLogEntry.internet_message_id == message_id))


def throughput(workers: int, mailboxes: int, messages: int) -> dict[str, Any]:
    data = with_mail(mailboxes, messages)
    with deployment(data, notifications=False) as dep:
        for _ in range(workers):
            dep.start_worker()
        wait_for(lambda: len(dep.intervals()) >= mailboxes and _idle(dep), 600, "first sync")
        dep.stop_workers()
        rows = [r for r in dep.intervals() if r.outcome == "ok"]
        requests = dep.emu.state.counters.snapshot()["requests"]
    start = min(r.started_at for r in rows)
    end = max(r.finished_at for r in rows if r.finished_at is not None)
    seconds = (end - start).total_seconds()
    return {"workers": workers, "mailboxes": len({r.mailbox for r in rows}),
            "messages_per_mailbox": messages, "seconds": round(seconds, 2),
            "mailboxes_per_minute": round(len(rows) / seconds * 60, 1),
            "graph_requests": requests}


def idle_cost(mailboxes: int, poll: int = 4, window: float = 20.0) -> dict[str, Any]:
    data = with_mail(mailboxes, 1)
    with deployment(data, notifications=False, sync={"poll_interval": poll}) as dep:
        dep.start_worker()
        wait_for(lambda: _idle(dep), 120, "first sync")
        time.sleep(poll)  # the first round's cursors are in place
        counters = dep.emu.state.counters
        counters.reset()
        time.sleep(window)  # measuring an idle period: nothing changes
        measured = counters.snapshot()["requests"]
        dep.stop_workers()
    streams = len(dep.settings.sync.folders) + 1
    per_hour_at_poll = measured / mailboxes / window * 3600
    return {"mailboxes": mailboxes, "poll_interval_s": poll, "window_s": window,
            "requests": measured, "streams_per_mailbox": streams,
            "per_mailbox_per_hour_at_poll": round(per_hour_at_poll, 1),
            "per_mailbox_per_hour_at_300s": round(per_hour_at_poll * poll / 300, 1),
            "formula_at_300s": streams * 3600 / 300,
            "with_notifications": "the same safety-net polling; notifications add one "
                                  "delta round per stream per change, nothing when idle"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=40)
    parser.add_argument("--messages", type=int, default=25)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    runs = [throughput(w, args.mailboxes, args.messages) for w in (1, 2, 4)]
    base = runs[0]["mailboxes_per_minute"]
    for run in runs:
        run["ratio_to_1_worker"] = round(run["mailboxes_per_minute"] / base, 2)
    report = {
        "machine": {"cpus": os.cpu_count()},
        "latency_notification_to_entry": latency(args.samples),
        "first_sync_throughput": runs,
        "idle_graph_requests": idle_cost(10),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
