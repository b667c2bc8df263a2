"""The lease query as the queue grows (issue 14 item 4): `leases.take_next` now beside the
query it replaced, in the same process against the same PostgreSQL database. JSON.

Each size (200, 5,000 and 50,000 mailboxes, built with one INSERT … SELECT) is measured in
four states, one after the other: nothing due (every mailbox synced in the last 200 s, poll
300 s), one mailbox notified, 1% of the queue stale too, and every mailbox stale (workers back
after an outage). Each call runs in its own rolled-back transaction, and three variants
alternate: `old`, the query at 0b5fb9e (`connector/realtime/leases.py` loaded from git) on
that schema (migration 0018's indexes dropped inside the transaction); the same query with
the indexes; and `new`, today's `take_next`. The machine's load moves the client-side times
a lot, so PostgreSQL's own execution time of the SELECT (EXPLAIN ANALYZE) is reported too.

`.venv/bin/python bench/leases_bench.py [--samples 60] [--sizes 200,5000,50000]`
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import types
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench._common import add_pg_option, percentiles_ms, pg_database  # noqa: E402
from connector.realtime import leases  # noqa: E402
from storage.models import utcnow  # noqa: E402
from storage.worker_models import MailboxLease  # noqa: E402
from tests.support.databases import migrated  # noqa: E402
from tests.support.leases import fill_leases, statements_of  # noqa: E402

BASE = "0b5fb9e"
STATES = ("nothing_due", "one_notified", "one_percent_stale", "all_stale")


def old_leases() -> types.ModuleType:
    """The lease module as it was before issue 14, from git, as a module of this process."""
    source = subprocess.run(["git", "show", f"{BASE}:connector/realtime/leases.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    module = sys.modules["old_leases"] = types.ModuleType("old_leases")
    exec(compile(source, f"{BASE}:connector/realtime/leases.py", "exec"), module.__dict__)
    return module


NEW_INDEXES = ("ix_mailbox_leases_last_synced_at", "ix_mailbox_leases_lease_expires_at")


def _one_take(engine: sa.Engine, take_next: Callable[..., Any], before: bool = False) -> float:
    with Session(engine) as session, session.begin():
        if before:  # the schema at 0b5fb9e: without migration 0018's indexes (rolled back)
            for index in NEW_INDEXES:
                session.execute(sa.text(f"drop index {index}"))
        started = time.perf_counter()
        take_next(session, "bench", utcnow(), poll_interval=300, lease_seconds=120)
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed


def _measure(engine: sa.Engine, old: types.ModuleType, samples: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {"old": [], "old_query_new_indexes": [], "new": []}
    for _ in range(samples):
        times["old"].append(_one_take(engine, old.take_next, before=True))
        times["old_query_new_indexes"].append(_one_take(engine, old.take_next))
        times["new"].append(_one_take(engine, leases.take_next))
    row: dict[str, Any] = {name: percentiles_ms(found, 50, 95) for name, found in times.items()}
    row["new_over_old_p50"] = round(row["new"]["p50_ms"] / row["old"]["p50_ms"], 3)
    row["server_ms_p50"] = {"old": _server_ms(engine, old.take_next, before=True),
                            "old_query_new_indexes": _server_ms(engine, old.take_next),
                            "new": _server_ms(engine, leases.take_next)}
    return row


def _server_ms(engine: sa.Engine, take_next: Callable[..., Any], samples: int = 15,
               before: bool = False) -> float:
    """PostgreSQL's own execution time of the SELECT that `take_next` sends (EXPLAIN
    ANALYZE, rolled back): the query's cost without the client and the machine's load."""
    with statements_of(engine) as seen:
        _one_take(engine, take_next)
    found = []
    for _ in range(samples):
        for statement, parameters in seen:
            with engine.connect() as conn:
                for index in NEW_INDEXES if before else ():
                    conn.execute(sa.text(f"drop index {index}"))
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement,
                                            parameters).scalar_one()
                conn.rollback()
            found.append(plan[0]["Execution Time"])
    found.sort()
    return round(found[len(found) // 2], 3)


def _enter(engine: sa.Engine, state: str, size: int) -> None:
    now = utcnow()
    with Session(engine) as session, session.begin():
        if state == "one_notified":
            leases.request_sync(session, f"user{size // 2}@contoso.com", now)
        elif state == "one_percent_stale":
            stale = [f"user{n}@contoso.com" for n in range(1, size // 100 + 1)]
            session.execute(sa.update(MailboxLease).where(MailboxLease.mailbox.in_(stale))
                            .values(last_synced_at=now - timedelta(seconds=900)))
        elif state == "all_stale":  # workers back after an outage: every mailbox is due
            session.execute(sa.update(MailboxLease).values(
                last_synced_at=MailboxLease.last_synced_at - timedelta(seconds=900)))
    with engine.begin() as conn:
        conn.execute(sa.text("analyze mailbox_leases"))


def at_size(admin_url: str, size: int, old: types.ModuleType, samples: int) -> dict[str, Any]:
    found: dict[str, Any] = {"mailboxes": size}
    with pg_database(admin_url, "interlog_leases_bench") as url, migrated(url) as engine:
        fill_leases(engine, size)
        for state in STATES:
            _enter(engine, state, size)
            found[state] = _measure(engine, old, samples)
    return found


def flatness(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each size's p50 over the smallest size's, per state and query (1.0 = flat)."""
    first = rows[0]
    return {
        f"{row['mailboxes']}_over_{first['mailboxes']}": {
            state: {q: round(row[state][q]["p50_ms"] / first[state][q]["p50_ms"], 2)
                    for q in ("old", "new")}
            | {"new_server": round(row[state]["server_ms_p50"]["new"]
                                   / first[state]["server_ms_p50"]["new"], 2)}
            for state in STATES
        }
        for row in rows[1:]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_pg_option(parser)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--sizes", default="200,5000,50000")
    args = parser.parse_args()
    old = old_leases()
    rows = [at_size(args.pg, int(size), old, args.samples) for size in args.sizes.split(",")]
    print(json.dumps({"samples": args.samples, "base": BASE, "sizes": rows,
                      "growth_p50": flatness(rows)}, indent=2))


if __name__ == "__main__":
    main()
