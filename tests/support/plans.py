"""The statements a piece of code sends, for the plan tests (EXPLAIN on PostgreSQL, EXPLAIN
QUERY PLAN on SQLite) to explain with their own parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def selects_sent(session: Session, run: Callable[[], object]) -> list[tuple[str, Any]]:
    """Every SELECT that `run()` sends on the session's connection, with its parameters."""
    sent: list[tuple[str, Any]] = []

    def note(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    connection = session.connection()
    sa.event.listen(connection, "before_cursor_execute", note)
    try:
        run()
    finally:
        sa.event.remove(connection, "before_cursor_execute", note)
    return sent
