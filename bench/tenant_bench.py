"""Benchmark of a tenant: many mailboxes, 2 `interlog worker` processes on PostgreSQL. JSON.

Everything runs on this machine: PostgreSQL, the Graph emulator over https with its Entra ID
token endpoint (the workers sign in with a real azure-identity `ClientSecretCredential`),
the app's notification endpoint (in this process) and the worker processes.

1. first sync: every mailbox's first sync and its subscriptions (inbox + calendar), by the
   workers: mailboxes/minute (from the database's sync intervals), Graph requests by route,
   subscriptions created and what they cost;
2. burst: `--burst` new messages in every mailbox at once → change notifications →
   coalesced syncs: notifications sent, syncs run, time until every message is an entry;
3. idle: Graph requests per mailbox per hour when nothing changes (short `poll_interval`,
   scaled to the default 300 s);
4. all along, per worker: token requests (at the emulator), database connections
   (`pg_stat_activity`, by application name) and memory (RSS), sampled every 0.5 s;
5. the lease query (`leases.take_next`, what every worker runs on every turn of its loop)
   as the lease table grows: 200, 5,000 and 50,000 mailboxes, when nothing is due and when
   one mailbox is notified (p50 of 30, each in a rolled-back transaction).

`.venv/bin/python bench/tenant_bench.py [--mailboxes 200] [--workers 2] [--messages 10]`
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # the project, and the end-to-end harness in tests/support

from connector.realtime import leases  # noqa: E402
from storage.models import InteractionLogEntry, utcnow  # noqa: E402
from storage.worker_models import GraphSubscription, SyncInterval  # noqa: E402
from tests.support.builders import inbound, tenant_of, upn  # noqa: E402
from tests.support.databases import migrated, pg_database_url  # noqa: E402
from tests.support.deployment import Deployment, wait_for  # noqa: E402

POLL_S = 30  # the safety-net poll during the run (--poll; idle cost is scaled to 300 s)
STREAMS = 2  # inbox + calendar (the deployment's [sync] folders = ["inbox"])


def with_mail(mailboxes: int, per_mailbox: int) -> dict[str, Any]:
    data = tenant_of(mailboxes)
    for i in range(mailboxes):
        data["messages"][upn(i)] = [inbound(upn(i), n) for n in range(per_mailbox)]
    return data


@contextmanager
def deployment(data: dict[str, Any], workers: int, poll: int) -> Iterator[Deployment]:
    urls = pg_database_url(os.environ.get("INTERLOG_TEST_PG_URL",
                                          "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    url = next(urls)
    dep = Deployment(Path(tempfile.mkdtemp(prefix="tenantbench")), url, data, sign_in=True,
                     sync={"poll_interval": poll},
                     worker={"lease_seconds": 30, "heartbeat_seconds": 5, "min_resync_ms": 500})
    try:
        yield dep
    finally:
        dep.close()
        for _ in urls:  # drops the database
            pass


class Sampler:
    """Per worker, every 0.5 s: database connections and resident memory; the maxima."""

    def __init__(self, dep: Deployment) -> None:
        self.dep = dep
        self.connections: dict[str, int] = {}
        self.rss_mb: dict[str, float] = {}
        self.last_connections: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            with self.dep.engine.connect() as conn:
                rows = conn.execute(sa.text(
                    "select application_name, count(*) from pg_stat_activity "
                    "where datname = current_database() and application_name like "
                    "'interlog-worker%' group by application_name")).all()
            self.last_connections = {str(name): int(n) for name, n in rows}
            for name, n in self.last_connections.items():
                self.connections[name] = max(self.connections.get(name, 0), n)
            for i, proc in enumerate(self.dep.workers):
                rss = _rss_mb(proc.pid)
                name = f"interlog-worker{i}"
                if rss is not None:
                    self.rss_mb[name] = max(self.rss_mb.get(name, 0.0), rss)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join(timeout=5)
        return {"db_connections_max": dict(sorted(self.connections.items())),
                "db_connections_at_end": dict(sorted(self.last_connections.items())),
                "rss_mb_max": {k: round(v, 1) for k, v in sorted(self.rss_mb.items())}}


def _rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _count(dep: Deployment, query: Any) -> int:
    with Session(dep.engine) as session:
        return int(session.scalar(query) or 0)


def _synced_once(dep: Deployment, mailboxes: int) -> bool:
    done = _count(dep, sa.select(sa.func.count(sa.distinct(SyncInterval.mailbox)))
                  .where(SyncInterval.outcome == "ok"))
    return done >= mailboxes


def _subscriptions(dep: Deployment) -> int:
    return _count(dep, sa.select(sa.func.count()).select_from(GraphSubscription))


def _entries(dep: Deployment) -> int:
    return _count(dep, sa.select(sa.func.count()).select_from(InteractionLogEntry))


def _intervals(dep: Deployment) -> int:
    return _count(dep, sa.select(sa.func.count()).select_from(SyncInterval))


def _open_intervals(dep: Deployment) -> int:
    return _count(dep, sa.select(sa.func.count()).select_from(SyncInterval)
                  .where(SyncInterval.finished_at.is_(None)))


def _pending(dep: Deployment) -> int:
    from storage.worker_models import MailboxLease

    return _count(dep, sa.select(sa.func.count()).select_from(MailboxLease)
                  .where(MailboxLease.sync_requested_at.is_not(None)))


def _counters(dep: Deployment) -> dict[str, Any]:
    counters: dict[str, Any] = dep.emu.state.counters_snapshot()
    return counters


def first_sync(dep: Deployment, mailboxes: int, messages: int) -> dict[str, Any]:
    started = time.monotonic()
    wait_for(lambda: _synced_once(dep, mailboxes), 1200, "every mailbox synced once")
    synced_s = time.monotonic() - started
    wait_for(lambda: _subscriptions(dep) >= STREAMS * mailboxes, 1200, "every subscription")
    wait_for(lambda: _open_intervals(dep) == 0 and _pending(dep) == 0, 600, "queue drained")
    with Session(dep.engine) as session:
        rows = list(session.scalars(sa.select(SyncInterval).where(SyncInterval.outcome == "ok")))
    start = min(r.started_at for r in rows)
    end = max(r.finished_at for r in rows if r.finished_at is not None)
    seconds = (end - start).total_seconds()
    counters = _counters(dep)
    by_route = counters["requestsByRoute"]
    return {
        "mailboxes": mailboxes, "messages_per_mailbox": messages,
        "syncs": len(rows), "sync_seconds": round(seconds, 2),
        "first_sync_mailboxes_per_minute": round(mailboxes / seconds * 60, 1),
        "wall_seconds_until_all_synced": round(synced_s, 1),
        "entries": _entries(dep),
        "subscriptions_created": _subscriptions(dep),
        "graph_requests": counters["requests"],
        "graph_requests_by_route": dict(sorted(by_route.items())),
        "subscription_requests": by_route.get("subscriptions", 0),
        "token_requests": counters["tokenRequests"],
    }


def burst(dep: Deployment, mailboxes: int, per_mailbox: int) -> dict[str, Any]:
    before_entries, before_syncs = _entries(dep), _intervals(dep)
    notified = _counters(dep)["notifications"]
    requests = _counters(dep)["requests"]
    started = time.monotonic()
    changes = mailboxes * per_mailbox
    for n in range(per_mailbox):
        for i in range(mailboxes):
            dep.emu.state.add_message(upn(i), inbound(upn(i), 5000 + n))
    wait_for(lambda: _entries(dep) >= before_entries + changes, 1200, "every new message")
    seconds = time.monotonic() - started
    wait_for(lambda: _open_intervals(dep) == 0 and _pending(dep) == 0, 600, "queue drained")
    counters = _counters(dep)
    return {"changes": changes, "notifications": counters["notifications"] - notified,
            "syncs": _intervals(dep) - before_syncs,
            "graph_requests": counters["requests"] - requests,
            "seconds_until_every_entry": round(seconds, 2)}


def idle(dep: Deployment, mailboxes: int, window: float, poll: int) -> dict[str, Any]:
    time.sleep(poll)  # every mailbox's poll timer restarts after the burst
    before = _counters(dep)
    time.sleep(window)  # measuring an idle period: nothing changes
    after = _counters(dep)
    measured = after["requests"] - before["requests"]
    per_hour = measured / mailboxes / window * 3600
    return {"window_s": window, "poll_interval_s": poll, "requests": measured,
            "per_mailbox_per_hour_at_poll": round(per_hour, 1),
            "per_mailbox_per_hour_at_300s": round(per_hour * poll / 300, 2),
            "formula_at_300s": STREAMS * 3600 / 300,
            "token_requests_in_window": after["tokenRequests"] - before["tokenRequests"]}


FILL = """insert into mailbox_leases (mailbox, requested_count, sync_count, last_synced_at)
select 'user' || g || '@contoso.com', 0, 1, now() at time zone 'utc' - (g % 200) * interval '1 s'
from generate_series(1, :n) g"""


def _take_ms(engine: sa.Engine, samples: int = 30) -> float:
    times = []
    for _ in range(samples):
        with Session(engine) as session, session.begin():
            started = time.perf_counter()
            leases.take_next(session, "bench", utcnow(), poll_interval=300, lease_seconds=120)
            times.append(time.perf_counter() - started)
            session.rollback()
    times.sort()
    return round(times[len(times) // 2] * 1000, 2)


def lease_cost(sizes: tuple[int, ...] = (200, 5_000, 50_000)) -> list[dict[str, Any]]:
    found = []
    for size in sizes:
        for url in pg_database_url():
            with migrated(url) as engine:
                with engine.begin() as conn:
                    conn.execute(sa.text(FILL), {"n": size})
                    conn.execute(sa.text("analyze mailbox_leases"))
                idle_ms = _take_ms(engine)
                with Session(engine) as session, session.begin():
                    leases.request_sync(session, f"user{size // 2}@contoso.com", utcnow())
                found.append({"mailboxes": size, "nothing_due_p50_ms": idle_ms,
                              "one_notified_p50_ms": _take_ms(engine)})
    base = found[0]
    for row in found:
        row["ratio_nothing_due"] = round(row["nothing_due_p50_ms"] / base["nothing_due_p50_ms"], 2)
        row["ratio_one_notified"] = round(row["one_notified_p50_ms"]
                                          / base["one_notified_p50_ms"], 2)
    return found


def run(mailboxes: int, workers: int, messages: int, window: float, poll: int,
        per_mailbox: int) -> dict[str, Any]:
    with deployment(with_mail(mailboxes, messages), workers, poll) as dep:
        started = time.monotonic()
        for _ in range(workers):
            dep.start_worker()
        sampler = Sampler(dep)
        report: dict[str, Any] = {"first_sync": first_sync(dep, mailboxes, messages)}
        report["burst"] = burst(dep, mailboxes, per_mailbox)
        report["idle"] = idle(dep, mailboxes, window, poll)
        report["per_worker"] = sampler.stop()
        seconds = time.monotonic() - started
        tokens = _counters(dep)["tokenRequests"]
        report["tokens"] = {
            "token_requests": tokens, "workers": workers, "run_seconds": round(seconds, 1),
            "note": "each worker keeps one credential: one token until it nears expiry "
                    "(3599 s tokens here); before issue 14, one token per mailbox sync"}
        codes = dep.stop_workers()
        report["worker_exit_codes"] = codes
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--idle-window", type=float, default=60.0)
    parser.add_argument("--burst", type=int, default=5, help="new messages per mailbox")
    parser.add_argument("--poll", type=int, default=POLL_S,
                        help="[sync] poll_interval during the run; keep the polling within "
                             "what the workers sync (mailboxes × 2 / poll requests/s)")
    args = parser.parse_args()
    report = {"machine": {"cpus": os.cpu_count()},
              **run(args.mailboxes, args.workers, args.messages, args.idle_window,
                    args.poll, args.burst),
              "lease_query": lease_cost()}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
