"""The SQL that differs between SQLite and PostgreSQL, in small named functions.

Everything above `storage/` calls these instead of asking which database it is on. Two
back-ends are supported; any other is refused by name (`Unsupported`).

Bulk inserts (`bulk_insert`) take plain tuples in a fixed column order: building a
dictionary per row and letting SQLAlchemy compile an `executemany` costs more than the
database's own work on pages of a thousand rows.

- SQLite: `INSERT … VALUES (?, …), (?, …) … ON CONFLICT … [RETURNING …]`, as many rows per
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
import json
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session

from storage import driver
from storage.driver import Processor, Returned

# The dialect modules are imported where they are used: a SQLite command never loads
# PostgreSQL's (about 60 ms of start-up for every CLI command, issue 16).

SQLITE_MAX_PARAMS = 32_000  # below SQLite's default SQLITE_MAX_VARIABLE_NUMBER (32,766)

Row = Sequence[Any]
Bind = Session | Connection | Engine


class Unsupported(NotImplementedError):
    """A database other than SQLite or PostgreSQL."""


def _name(bind: Bind) -> str:
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    if dialect.name not in ("sqlite", "postgresql"):
        raise Unsupported(f"interlog does not support the {dialect.name!r} database")
    return dialect.name


def is_postgresql(bind: Bind) -> bool:
    return _name(bind) == "postgresql"


def single_writer(bind: Bind) -> bool:
    """Whether one process at a time may write (SQLite: one writer, no row locks)."""
    return _name(bind) == "sqlite"


def upsert(session: Session, model: Any) -> Any:
    """`INSERT` into `model` (a mapped class or a table) with `on_conflict_do_…` methods."""
    if is_postgresql(session):
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(model)


def least(session: Session) -> Any:
    """The smaller-of-arguments SQL function (`least` / SQLite's two-argument `min`)."""
    return sa.func.least if is_postgresql(session) else sa.func.min


def greatest(session: Session) -> Any:
    return sa.func.greatest if is_postgresql(session) else sa.func.max


def month_of(session: Session, column: Any) -> Any:
    """The month of a date-time `column` as text, `YYYY-MM`."""
    if is_postgresql(session):
        return sa.func.to_char(column, sa.literal_column("'YYYY-MM'"))
    return sa.func.strftime(sa.literal_column("'%Y-%m'"), column)


def week_of(session: Session, column: Any) -> Any:
    """The Monday that starts a date-time `column`'s ISO week, as text `YYYY-MM-DD`."""
    if is_postgresql(session):
        return sa.func.to_char(sa.func.date_trunc(sa.literal_column("'week'"), column),
                               sa.literal_column("'YYYY-MM-DD'"))
    # Six days back, then forward to the next Monday (the same day when it is one).
    return sa.func.date(column, sa.literal_column("'-6 days'"), sa.literal_column("'weekday 1'"))


# Statements of the hot paths (a bot command, a capture page), per dialect and caller's key.
_BUILT: dict[tuple[str, Hashable], Any] = {}


def built_once(session: Session, key: Hashable, build: Callable[[], Any]) -> Any:
    """The statement `build()` makes for the session's dialect, built at its first use in
    the process and kept, its values bound at each execution: on the bot's and capture's
    hot paths, SQLAlchemy building a statement costs more than the database running it.
    `key` names the statement among every caller's (e.g. `("deliveries.claim",)`)."""
    name = _name(session)
    statement = _BUILT.get((name, key))
    if statement is None:
        statement = _BUILT[name, key] = build()
    return statement


def prepared(session: Session, key: Hashable, build: Callable[[], Any]) -> driver.Prepared:
    """`built_once`'s statement compiled for the session's dialect, once per process.

    For the statements every bot command and capture page runs: SQLAlchemy's execution of a
    statement (its cache key, the compiled cache, the execution context, the result and, for
    ORM statements, the ORM's loading) costs ~0.1–0.2 ms of CPU, several times the driver's
    own work on SQLite."""
    return cast(driver.Prepared, built_once(session, ("prepared", key), lambda: driver.compiled(
        session.get_bind().dialect, build())))


def first_object[M](session: Session, model: type[M], key: Hashable,
                    finish: Callable[[sa.Select[Any]], sa.Select[Any]],
                    params: dict[str, Any]) -> M | None:
    """The first `model` object that `finish(select of model's columns)` finds, `prepared`
    and `run` (`key` names the statement among `model`'s), as the session's own object:
    the one already in the session, else one `loaded` from the row. For the bot's look-ups
    of one row (its user, a template, a contact), where the ORM's execution and loading
    cost more than the query. (For many rows the ORM's loading is as quick.)"""
    mapper = driver.mapper_of(model)
    statement = prepared(session, ("first_object", model, key), lambda: finish(
        sa.select(*(attr.columns[0] for attr in mapper.column_attrs))))
    rows = driver.run(session, statement, params)
    if not rows:
        return None
    keys = driver.attribute_keys(mapper)
    return driver.loaded(session, model, dict(zip(keys, rows[0], strict=True)))


def one_of(session: Session, column: Any, values: Sequence[str] | Sequence[int]) -> Any:
    """`column IN values` with the list bound as one parameter: a JSON array read by
    `json_each` (SQLite), an array compared with `= ANY` (PostgreSQL). For lists of a
    page's size, where one bound parameter per value costs more than the query."""
    return _in_list(session, column, sa.bindparam(
        None, one_of_value(session, values), type_=_list_type(session, column)))


def one_of_param(session: Session, column: Any, name: str) -> Any:
    """`one_of` with the list left to bind as `name` (its value: `one_of_value`), for a
    statement built once and executed many times."""
    return _in_list(session, column, sa.bindparam(name, type_=_list_type(session, column)))


def one_of_value(session: Session, values: Sequence[str] | Sequence[int]) -> Any:
    """The bound value of a `one_of` list."""
    return list(values) if is_postgresql(session) else json.dumps(list(values))


def _list_type(session: Session, column: Any) -> Any:
    if is_postgresql(session):
        from sqlalchemy.dialects import postgresql

        return postgresql.ARRAY(column.type)
    return sa.String


def _in_list(session: Session, column: Any, parameter: Any) -> Any:
    if is_postgresql(session):
        return column == sa.any_(parameter)
    listed: sa.Select[Any] = sa.select(sa.column("value")).select_from(
        sa.func.json_each(parameter))
    return column.in_(listed.scalar_subquery())


def skip_locked[S: sa.Select[Any]](query: S) -> S:
    """`query … FOR UPDATE SKIP LOCKED` (PostgreSQL); SQLite, one writer, ignores it."""
    return query.with_for_update(skip_locked=True)


def notify(session: Session, channel: str) -> None:
    """Wake the listeners of `channel` when this transaction commits (PostgreSQL only)."""
    if is_postgresql(session):
        session.execute(sa.text(f"NOTIFY {channel}"))


def listen(engine: Engine, channel: str) -> Any | None:
    """An autocommit psycopg connection listening on `channel`; None on SQLite."""
    if not is_postgresql(engine):
        return None
    import psycopg

    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"LISTEN {channel}")
    return conn


@contextmanager
def advisory_lock(engine: Engine, key: int, *, wait: bool = False) -> Iterator[bool]:
    """Whether this process holds the session-level advisory lock `key` (PostgreSQL);
    always yes on SQLite, which has a single writer process."""
    if not is_postgresql(engine):
        yield True
        return
    with engine.connect() as conn:
        fn = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        got = conn.execute(sa.text(f"SELECT {fn}({int(key)})")).scalar()
        got = True if wait else bool(got)
        try:
            yield got
        finally:
            if got:
                conn.execute(sa.text(f"SELECT pg_advisory_unlock({int(key)})"))
            conn.commit()


def bulk_insert(
    session: Session, table: sa.Table, names: Sequence[str], rows: Sequence[Row], *,
    conflict: Sequence[str] = (), update: Sequence[str] = (), returning: Sequence[str] = (),
) -> list[Returned]:  # fmt: skip
    """Insert `rows` (tuples ordered as `names`); returns the `returning` columns' values.

    Without `update` a row that conflicts with an existing one is skipped; with it, the
    existing row (found by the unique `conflict` columns) gets the `update` columns' values.
    """
    if not rows:
        return []
    if update and not conflict:
        raise ValueError("an upsert needs its conflict columns")
    if is_postgresql(session):
        return _postgresql(session, table, names, rows, conflict, update, returning)
    return _sqlite(session, table, names, rows, conflict, update, returning)


def _sqlite(
    session: Session, table: sa.Table, names: Sequence[str], rows: Sequence[Row],
    conflict: Sequence[str], update: Sequence[str], returning: Sequence[str],
) -> list[Returned]:  # fmt: skip
    dialect = session.get_bind().dialect
    head, group, tail, processors = _sqlite_shape(dialect, table, tuple(names), tuple(conflict),
                                                  tuple(update), tuple(returning))
    values = _processed(processors, rows)
    per = max(1, SQLITE_MAX_PARAMS // len(names))
    connection = session.connection()
    found: list[Returned] = []
    for start in range(0, len(values), per):
        batch = values[start:start + per]
        sql = head + ", ".join([group] * len(batch)) + tail
        _, rows_back = driver.execute(connection, sql, tuple(itertools.chain.from_iterable(batch)))
        found += rows_back
    return found


@functools.cache
def _sqlite_shape(dialect: Dialect, table: sa.Table, names: tuple[str, ...],
                  conflict: tuple[str, ...], update: tuple[str, ...], returning: tuple[str, ...],
                  ) -> tuple[str, str, str, tuple[Processor | None, ...]]:
    """The INSERT's head, one row's placeholders, its tail, and each column's bind processor:
    built once per shape (the bot inserts one row at a time: building them was most of it)."""
    q = dialect.identifier_preparer.quote
    head = f"INSERT INTO {q(table.name)} ({', '.join(q(n) for n in names)}) VALUES "
    if update:
        tail = (f" ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO UPDATE SET "
                + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in update))
    else:
        tail = " ON CONFLICT DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(q(c) for c in returning)
    group = "(" + ", ".join("?" * len(names)) + ")"
    processors = tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                       for name in names)
    return head, group, tail, processors


def _processed(processors: tuple[Processor | None, ...], rows: Sequence[Row]) -> Sequence[Row]:
    """Rows with each value converted by its column type's bind processor.

    Column by column, through a cache when there are several rows: dates, amounts and flags
    repeat within a page.
    """
    if all(processor is None for processor in processors):
        return rows
    if len(rows) == 1:
        return [tuple(value if processor is None else processor(value)
                      for processor, value in zip(processors, rows[0], strict=True))]
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for i, processor in enumerate(processors):
        if processor is not None:
            columns[i] = list(map(functools.lru_cache(maxsize=4096)(processor), columns[i]))
    return list(zip(*columns, strict=True))


def _postgresql(
    session: Session, table: sa.Table, names: Sequence[str], rows: Sequence[Row],
    conflict: Sequence[str], update: Sequence[str], returning: Sequence[str],
) -> list[Returned]:  # fmt: skip
    shape = (tuple(names), tuple(conflict), tuple(update), tuple(returning))
    stmt = prepared(session, ("bulk_insert", table.name, *shape),
                    lambda: _unnest_insert(table, *shape))
    columns = zip(*rows, strict=True)
    return driver.run(session, stmt, {name: list(values)
                                      for name, values in zip(names, columns, strict=True)})


def _unnest_insert(table: sa.Table, names: tuple[str, ...], conflict: tuple[str, ...],
                   update: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    """`INSERT … SELECT unnest(:col1), unnest(:col2) …`: one array parameter per column.
    Prepared once per shape (`_postgresql`), so a call only binds its arrays (the bot inserts
    one row a time)."""
    from sqlalchemy.dialects import postgresql

    arrays = sa.select(*[
        sa.func.unnest(sa.bindparam(name, type_=postgresql.ARRAY(table.c[name].type)))
        .label(name) for name in names])
    stmt = postgresql.insert(table).from_select(list(names), arrays)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(conflict),
                                          set_={c: stmt.excluded[c] for c in update})
    else:
        stmt = stmt.on_conflict_do_nothing()
    return stmt.returning(*(table.c[c] for c in returning)) if returning else stmt
