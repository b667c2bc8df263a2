"""Bulk inserts of plain tuples, one statement per chunk of rows, bound at the driver level.

The capture writer inserts a row per entry and per captured copy on every page (a thousand
or more). Building a dictionary per row and letting SQLAlchemy compile an `executemany`
costs more than the database's own work, so rows here are tuples in a fixed column order:

- SQLite: `INSERT … VALUES (?, …), (?, …) … ON CONFLICT … [RETURNING col]`, as many rows per
  statement as the bound-parameter limit allows, values converted once by the column types'
  own bind processors (memoised: dates and amounts repeat within a page).
- PostgreSQL: `INSERT … SELECT unnest(:col1), unnest(:col2) … ON CONFLICT …`: one short
  statement with an array per column instead of a bound parameter per cell (about five
  times faster than a VALUES list for a thousand rows).

Either way a conflicting row is skipped (`DO NOTHING`) or updated (`DO UPDATE SET` the
`update` columns from the proposed row), and a concurrent writer's rows wait for its commit.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

SQLITE_MAX_PARAMS = 32_000  # below SQLite's default SQLITE_MAX_VARIABLE_NUMBER (32,766)

Row = Sequence[Any]


def insert_rows(
    session: Session, table: sa.Table, names: Sequence[str], rows: Sequence[Row], *,
    conflict: Sequence[str] = (), update: Sequence[str] = (), returning: str | None = None,
) -> list[Any]:  # fmt: skip
    """Insert `rows` (tuples ordered as `names`); returns the `returning` column's values.

    Without `update` a row that conflicts with an existing one is skipped; with it, the
    existing row (found by the unique `conflict` columns) gets the `update` columns' values.
    """
    if not rows:
        return []
    if update and not conflict:
        raise ValueError("an upsert needs its conflict columns")
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        return _postgresql(session, table, names, rows, conflict, update, returning)
    if dialect.name == "sqlite":
        return _sqlite(session, dialect, table, names, rows, conflict, update, returning)
    raise NotImplementedError(f"capture does not support the {dialect.name!r} database")


def _sqlite(
    session: Session, dialect: Dialect, table: sa.Table, names: Sequence[str],
    rows: Sequence[Row], conflict: Sequence[str], update: Sequence[str], returning: str | None,
) -> list[Any]:  # fmt: skip
    q = dialect.identifier_preparer.quote
    head = f"INSERT INTO {q(table.name)} ({', '.join(q(n) for n in names)}) VALUES "
    if update:
        tail = (f" ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO UPDATE SET "
                + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in update))
    else:
        tail = " ON CONFLICT DO NOTHING"
    if returning:
        tail += f" RETURNING {q(returning)}"
    group = "(" + ", ".join("?" * len(names)) + ")"
    values = _processed(dialect, table, names, rows)
    per = max(1, SQLITE_MAX_PARAMS // len(names))
    connection = session.connection()
    found: list[Any] = []
    for start in range(0, len(values), per):
        batch = values[start:start + per]
        sql = head + ", ".join([group] * len(batch)) + tail
        result = connection.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(batch)))
        if returning:
            found += result.scalars().all()
    return found


def _processed(dialect: Dialect, table: sa.Table, names: Sequence[str],
               rows: Sequence[Row]) -> Sequence[Row]:
    """Rows with each value converted by its column type's bind processor.

    Column by column, through a cache: dates, amounts and flags repeat within a page.
    """
    columns: list[Sequence[Any]] | None = None
    for i, name in enumerate(names):
        column_type = table.c[name].type
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is None:
            continue
        if columns is None:
            columns = list(zip(*rows, strict=True))
        columns[i] = list(map(functools.lru_cache(maxsize=4096)(processor), columns[i]))
    return rows if columns is None else list(zip(*columns, strict=True))


def _postgresql(
    session: Session, table: sa.Table, names: Sequence[str], rows: Sequence[Row],
    conflict: Sequence[str], update: Sequence[str], returning: str | None,
) -> list[Any]:  # fmt: skip
    columns = list(zip(*rows, strict=True))
    arrays = sa.select(*[
        sa.func.unnest(sa.bindparam(name, list(values),
                                    type_=postgresql.ARRAY(table.c[name].type))).label(name)
        for name, values in zip(names, columns, strict=True)
    ])
    stmt = postgresql.insert(table).from_select(list(names), arrays)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(conflict),
                                          set_={c: stmt.excluded[c] for c in update})
    else:
        stmt = stmt.on_conflict_do_nothing()
    connection = session.connection()
    if returning:
        return list(connection.scalars(stmt.returning(table.c[returning])).all())
    connection.execute(stmt)
    return []
