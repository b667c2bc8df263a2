"""Benchmark of a tenant: many mailboxes, 2 `interlog worker` processes on PostgreSQL. JSON.

Everything runs on this machine: PostgreSQL, the Graph emulator over https with its Entra ID
token endpoint (the workers sign in with a real azure-identity `ClientSecretCredential`),
the app's notification endpoint (in this process) and the worker processes. Phases, in order
(each one's result is also written to stderr as one JSON line as soon as it is measured, so
a run cut short keeps what it measured):

1. first_sync: every mailbox's first sync and its subscriptions (inbox + calendar), by the
   workers: mailboxes/minute, syncs by trigger, Graph requests by route, subscriptions
   created and what they cost, the workers' CPU time;
2. burst: `--burst` new messages in every mailbox at once → change notifications →
   coalesced syncs: notifications sent, syncs run, time until every message is an entry;
3. renewal: every subscription moved into the renewal window (`expires_at` in the database;
   the bench advances the clock of renewal instead of waiting `subscription_minutes -
   renew_before_minutes`) → the workers renew them all: Graph requests, seconds; and what
   renewing costs per mailbox and hour at the configured lifetimes;
4. quiet: a window with nothing changed and no mailbox due for its poll: Graph requests
   (notifications cost nothing when idle);
5. poll_round: every mailbox made due for its safety-net poll at once (`last_synced_at` moved
   back by `poll_interval`) → Graph requests per idle poll, so per mailbox and hour at the
   default 300 s, and how many idle polls/s the workers sustain (what sizes a tenant);
6. all along, per worker, every 2 s: database connections (`pg_stat_activity`, by
   application name), memory (RSS), CPU time, and the load average, by phase;
7. the database's tables after the run: rows, bytes with indexes, bytes per row;
8. the lease query (`leases.take_next`, what every worker runs on every turn of its loop)
   as the lease table grows: 200, 5,000 and 50,000 mailboxes, when nothing is due and when
   one mailbox is notified (p50 of 30, each in a rolled-back transaction).

`.venv/bin/python bench/tenant_bench.py [--mailboxes 200] [--workers 2] [--messages 10]
[--burst 1] > run.json 2> phases.jsonl`
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]  # the project, tests/support, bench helpers

from _tenant_sampler import Sampler, table_sizes  # noqa: E402

from connector.realtime import leases  # noqa: E402
from storage.models import InteractionLogEntry, utcnow  # noqa: E402
from storage.worker_models import (  # noqa: E402
    GraphSubscription,
    MailboxLease,
    SyncInterval,
)
from tests.support.builders import inbound, tenant_of, upn  # noqa: E402
from tests.support.databases import migrated, pg_database_url  # noqa: E402
from tests.support.deployment import Deployment  # noqa: E402

POLL_S = 4 * 3600  # no mailbox comes due for its poll by itself during a run (--poll)
STREAMS = 2  # inbox + calendar (the deployment's [sync] folders = ["inbox"])
SUBSCRIPTION_MINUTES = 4230  # the worker's defaults (connector/settings.py WorkerSettings)
RENEW_BEFORE_MINUTES = 2880
STALL_S = 600  # a phase fails only when nothing moved for this long


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
                     worker={"lease_seconds": 30, "heartbeat_seconds": 5, "min_resync_ms": 500,
                             "subscription_minutes": SUBSCRIPTION_MINUTES,
                             "renew_before_minutes": RENEW_BEFORE_MINUTES})
    try:
        yield dep
    finally:
        dep.close()
        for _ in urls:  # drops the database
            pass


def _count(dep: Deployment, query: Any) -> int:
    with Session(dep.engine) as session:
        return int(session.scalar(query) or 0)


def _rows(dep: Deployment, table: Any, *where: Any) -> int:
    return _count(dep, sa.select(sa.func.count()).select_from(table).where(*where))


def _entries(dep: Deployment) -> int:
    return _rows(dep, InteractionLogEntry)


def _drained(dep: Deployment) -> bool:
    return (_rows(dep, SyncInterval, SyncInterval.finished_at.is_(None)) == 0
            and _rows(dep, MailboxLease, MailboxLease.sync_requested_at.is_not(None)) == 0)


def _wait(dep: Deployment, check: Any, what: str) -> None:
    """Wait for `check`, looking once a second (the bench's own queries stay light); fail
    only when no sync finished and Graph saw no request for `STALL_S`. Every minute, one
    progress line on stderr (a run cut short says how far it got)."""
    def progress() -> tuple[int, int]:
        return _rows(dep, SyncInterval), _counters(dep)["requests"]

    last, moved = progress(), time.monotonic()
    reported = moved
    while not check():
        time.sleep(1.0)  # polling, bounded by the stall timeout
        seen, now = progress(), time.monotonic()
        if now - reported >= 60:
            reported = now
            print(json.dumps({"waiting": what, "syncs": seen[0], "graph_requests": seen[1],
                              "subscriptions": _rows(dep, GraphSubscription),
                              "load1": round(os.getloadavg()[0], 1)}),
                  file=sys.stderr, flush=True)
        if seen != last:
            last, moved = seen, now
        elif now - moved > STALL_S:
            raise AssertionError(f"{what}: no progress for {STALL_S}s (at {last!r})")


def _counters(dep: Deployment) -> dict[str, Any]:
    counters: dict[str, Any] = dep.emu.state.counters_snapshot()
    return counters


def _syncs_by_trigger(dep: Deployment, since: Any) -> dict[str, int]:
    with Session(dep.engine) as session:
        rows = session.execute(sa.select(SyncInterval.trigger, sa.func.count())
                               .where(SyncInterval.started_at >= since)
                               .group_by(SyncInterval.trigger)).all()
    return {str(trigger): int(n) for trigger, n in sorted(rows)}


def _delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    routes = {k: v - before["requestsByRoute"].get(k, 0)
              for k, v in after["requestsByRoute"].items()}
    return {"graph_requests": after["requests"] - before["requests"],
            "graph_requests_by_route": {k: v for k, v in sorted(routes.items()) if v},
            "notifications": after["notifications"] - before["notifications"],
            "token_requests": after["tokenRequests"] - before["tokenRequests"]}


def _cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: round(after[k] - before.get(k, 0.0), 1) for k in after}


class Phase:
    """Wall time, workers' CPU time and Graph's counters over one phase of the run."""

    def __init__(self, name: str, dep: Deployment, sampler: Sampler) -> None:
        self.name, self.dep, self.sampler = name, dep, sampler
        sampler.phase = name
        self.since = utcnow()
        self.counters = _counters(dep)
        self.cpu = sampler.cpu()
        self.started = time.monotonic()

    def done(self, **found: Any) -> dict[str, Any]:
        seconds = time.monotonic() - self.started
        result = {"wall_s": round(seconds, 1), **found,
                  "syncs_by_trigger": _syncs_by_trigger(self.dep, self.since),
                  **_delta(self.counters, _counters(self.dep)),
                  "cpu_s": _cpu_delta(self.cpu, self.sampler.cpu()),
                  "load1_at_end": round(os.getloadavg()[0], 1)}
        print(json.dumps({self.name: result}), file=sys.stderr, flush=True)
        return result


def first_sync(dep: Deployment, sampler: Sampler, mailboxes: int) -> dict[str, Any]:
    phase = Phase("first_sync", dep, sampler)
    ok = SyncInterval.outcome == "ok"
    _wait(dep, lambda: _count(dep, sa.select(sa.func.count(sa.distinct(SyncInterval.mailbox)))
                              .where(ok)) >= mailboxes, "every mailbox synced once")
    synced_s = time.monotonic() - phase.started
    _wait(dep, lambda: _rows(dep, GraphSubscription) >= STREAMS * mailboxes,
          "every subscription")
    _wait(dep, lambda: _drained(dep), "queue drained")
    with Session(dep.engine) as session:
        start, end = session.execute(sa.select(sa.func.min(SyncInterval.started_at),
                                               sa.func.max(SyncInterval.finished_at))
                                     .where(ok)).one()
    seconds = (end - start).total_seconds()
    return phase.done(
        mailboxes=mailboxes, sync_span_s=round(seconds, 1),
        first_sync_mailboxes_per_minute=round(mailboxes / synced_s * 60, 1),
        per_minute_over_sync_span=round(mailboxes / seconds * 60, 1),  # the earlier runs'
        wall_s_until_every_mailbox_synced=round(synced_s, 1),
        entries=_entries(dep), subscriptions_created=_rows(dep, GraphSubscription))


def burst(dep: Deployment, sampler: Sampler, mailboxes: int, per_mailbox: int) -> dict[str, Any]:
    phase = Phase("burst", dep, sampler)
    before = _entries(dep)
    changes = mailboxes * per_mailbox
    for n in range(per_mailbox):
        for i in range(mailboxes):
            dep.emu.state.add_message(upn(i), inbound(upn(i), 5000 + n))
    added_s = time.monotonic() - phase.started
    _wait(dep, lambda: _entries(dep) >= before + changes, "every new message")
    seconds = time.monotonic() - phase.started
    _wait(dep, lambda: _drained(dep), "queue drained")
    return phase.done(changes=changes, seconds_to_add_messages=round(added_s, 1),
                      seconds_until_every_entry=round(seconds, 1))


def _first(mailboxes: int) -> list[str]:
    return [upn(i).lower() for i in range(mailboxes)]


def renewal(dep: Deployment, sampler: Sampler, mailboxes: int) -> dict[str, Any]:
    """The subscriptions of the first `mailboxes` into the renewal window at once; wait
    until all are renewed."""
    phase = Phase("renewal", dep, sampler)
    mark = utcnow()
    with Session(dep.engine) as session, session.begin():
        subscriptions = session.execute(
            sa.update(GraphSubscription).where(GraphSubscription.mailbox.in_(_first(mailboxes)))
            .values(expires_at=mark + timedelta(minutes=60))).rowcount
    renewed = GraphSubscription.renewed_at >= mark
    _wait(dep, lambda: _rows(dep, GraphSubscription, renewed) >= subscriptions,
          "every subscription renewed")
    seconds = time.monotonic() - phase.started
    _wait(dep, lambda: _drained(dep), "queue drained")
    every_h = (SUBSCRIPTION_MINUTES - RENEW_BEFORE_MINUTES) / 60
    return phase.done(
        mailboxes=mailboxes, subscriptions=subscriptions,
        seconds_until_all_renewed=round(seconds, 1),
        renewals_per_second=round(subscriptions / seconds, 1),
        steady_state={"subscription_minutes": SUBSCRIPTION_MINUTES,
                      "renew_before_minutes": RENEW_BEFORE_MINUTES,
                      "each_renewed_every_hours": every_h,
                      "renewals_per_mailbox_per_hour": round(STREAMS / every_h, 3)})


def quiet(dep: Deployment, sampler: Sampler, window: float) -> dict[str, Any]:
    phase = Phase("quiet", dep, sampler)
    time.sleep(window)  # measuring an idle period: nothing changes, nothing is due
    return phase.done(window_s=window)


def poll_round(dep: Deployment, sampler: Sampler, mailboxes: int, poll: int) -> dict[str, Any]:
    """The first `mailboxes` due for their safety-net poll at once: the cost of one idle
    poll each, and how many the workers run a second."""
    phase = Phase("poll_round", dep, sampler)
    mark = utcnow()
    with Session(dep.engine) as session, session.begin():
        session.execute(sa.update(MailboxLease).where(
            MailboxLease.mailbox.in_(_first(mailboxes))).values(
            last_synced_at=MailboxLease.last_synced_at - timedelta(seconds=poll + 1)))
    polled = sa.and_(SyncInterval.started_at >= mark, SyncInterval.outcome == "ok")
    _wait(dep, lambda: _count(dep, sa.select(sa.func.count(sa.distinct(SyncInterval.mailbox)))
                              .where(polled)) >= mailboxes, "every mailbox polled")
    seconds = time.monotonic() - phase.started
    _wait(dep, lambda: _drained(dep), "queue drained")
    result = phase.done(mailboxes=mailboxes, seconds_until_all_polled=round(seconds, 1),
                        idle_polls_per_second=round(mailboxes / seconds, 2))
    per_poll = result["graph_requests"] / mailboxes
    result["graph_requests_per_mailbox_per_poll"] = round(per_poll, 3)
    result["per_mailbox_per_hour_at_300s"] = round(per_poll * 3600 / 300, 2)
    result["formula_at_300s"] = STREAMS * 3600 / 300
    worker_cpu = sum(v for k, v in result["cpu_s"].items() if k.startswith("interlog-worker"))
    result["worker_cpu_ms_per_idle_poll"] = round(worker_cpu / mailboxes * 1000, 1)
    return result


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
    print(json.dumps({"lease_query": found}), file=sys.stderr, flush=True)
    return found


def run(args: argparse.Namespace) -> dict[str, Any]:
    mailboxes = args.mailboxes
    with deployment(with_mail(mailboxes, args.messages), args.workers, args.poll) as dep:
        started = time.monotonic()
        for _ in range(args.workers):
            dep.start_worker()
        sampler = Sampler(dep.engine, [p.pid for p in dep.workers], log=args.samples)
        report: dict[str, Any] = {"first_sync": first_sync(dep, sampler, mailboxes)}
        report["burst"] = burst(dep, sampler, mailboxes, args.burst)
        subset = min(args.subset or mailboxes, mailboxes)
        report["renewal"] = renewal(dep, sampler, subset)
        report["quiet"] = quiet(dep, sampler, args.quiet)
        report["poll_round"] = poll_round(dep, sampler, subset, args.poll)
        sampler.stop()
        report["per_worker"] = sampler.summary()
        report["run"] = {"wall_s": round(time.monotonic() - started, 1),
                         "cpu_s": sampler.cpu(), "workers": args.workers,
                         "token_requests": _counters(dep)["tokenRequests"],
                         "graph_requests": _counters(dep)["requests"]}
        report["database"] = table_sizes(dep.engine)
        print(json.dumps({"database": report["database"]}), file=sys.stderr, flush=True)
        report["worker_exit_codes"] = dep.stop_workers()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--messages", type=int, default=10, help="per mailbox, first sync")
    parser.add_argument("--burst", type=int, default=1, help="new messages per mailbox")
    parser.add_argument("--quiet", type=float, default=60.0, help="the quiet window, s")
    parser.add_argument("--poll", type=int, default=POLL_S,
                        help="[sync] poll_interval; long, so that polls come only in the "
                             "poll round, where the bench makes every mailbox due")
    parser.add_argument("--subset", type=int, default=0,
                        help="renew and poll only this many mailboxes (0: all; the cost per "
                             "mailbox is the same, the phases shorter)")
    parser.add_argument("--samples", type=Path, help="also append every sample to this file")
    parser.add_argument("--no-lease-query", action="store_true")
    args = parser.parse_args()
    report = {"machine": {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()},
              "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              **run(args)}
    if not args.no_lease_query:
        report["lease_query"] = lease_cost()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
