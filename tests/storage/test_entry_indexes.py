"""The entries' indexes after migration 0019 (issue 14): the canceled entries are found
through their own partial index (the entry numbers of the canceled ones only, which an
active entry written costs nothing) on SQLite; PostgreSQL's plans are in
tests/storage/test_entry_pages.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.orm import Session

from storage.entries import (
    EntryFilter,
    Interaction,
    cancel_entries,
    delete_canceled,
    log_interaction,
)
from storage.entry_queries import entry_page
from tests.support.plans import selects_sent

if TYPE_CHECKING:
    from tests.support.world import World


def _sqlite_plans(session: Session, run: Any) -> list[str]:
    """EXPLAIN QUERY PLAN of every SELECT that `run()` sends."""
    sent = selects_sent(session, run)
    connection = session.connection()
    return [" | ".join(str(r[-1]) for r in connection.exec_driver_sql(
        "EXPLAIN QUERY PLAN " + sql, params)) for sql, params in sent]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL's: test_entry_pages
def test_the_canceled_entries_are_read_through_their_partial_index_on_sqlite(
    db: Session, world: World
) -> None:
    assert db.get_bind().dialect.name == "sqlite"
    logged = [log_interaction(db, world.jose, Interaction(template_code="CALL"),
                              actor="test").entry_no for _ in range(6)]
    cancel_entries(db, logged[1:3], actor="test")
    canceled = EntryFilter(status="canceled")
    plans = _sqlite_plans(db, lambda: (
        entry_page(db, canceled, 50),
        delete_canceled(db, EntryFilter(), actor="test", dry_run=True)))
    assert len(plans) == 2
    for plan in plans:
        assert "ix_entries_canceled_no" in plan, plan
    assert [e.entry_no for e in entry_page(db, canceled, 50).entries] == logged[2:0:-1]
