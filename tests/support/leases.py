"""A mailbox queue at a tenant's size, built in one statement (plan tests, lease benchmark)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

# Every mailbox synced within the last 200 s: with a 300 s poll nothing is due.
FILL = """insert into mailbox_leases (mailbox, requested_count, sync_count, last_synced_at)
select 'user' || g || '@contoso.com', 0, 1, now() at time zone 'utc' - (g % 200) * interval '1 s'
from generate_series(1, :n) g"""


def fill_leases(engine: Engine, mailboxes: int) -> None:
    """`mailboxes` queue rows user1…userN@contoso.com (PostgreSQL), then fresh statistics."""
    with engine.begin() as conn:
        conn.execute(sa.text(FILL), {"n": mailboxes})
        conn.execute(sa.text("analyze mailbox_leases"))


@contextmanager
def statements_of(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Record the queries (SELECT or WITH) on mailbox_leases sent through `engine`:
    (statement, parameters)."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Connection, _cursor: Any, statement: str, parameters: Any,
               _context: Any, _many: bool) -> None:
        query = statement.lstrip().upper().startswith(("SELECT", "WITH"))
        if query and "mailbox_leases" in statement:
            seen.append((statement, parameters))

    listener: Callable[..., None] = record
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def plan_of(engine: Engine, statement: str, parameters: Any) -> str:
    """PostgreSQL's plan for one recorded statement, as EXPLAIN's text."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    return "\n".join(row[0] for row in rows)
