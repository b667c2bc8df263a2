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
import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session, make_transient_to_detached

# The dialect modules are imported where they are used: a SQLite command never loads
# PostgreSQL's (about 60 ms of start-up for every CLI command, issue 16).

SQLITE_MAX_PARAMS = 32_000  # below SQLite's default SQLITE_MAX_VARIABLE_NUMBER (32,766)

Row = Sequence[Any]
Returned = tuple[Any, ...]  # a row of the RETURNING columns
Bind = Session | Connection | Engine
Processor = Any  # a column type's bind (or result) processor: value -> the driver's (or ours)


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


@dataclass(frozen=True, slots=True, eq=False)
class Prepared:
    """A statement compiled once for a dialect, to run on the driver's cursor (`run`): its
    SQL, its parameters in the driver's order with their column types' bind processors, the
    values the statement binds itself, and its result columns' types."""

    sql: str
    binds: tuple[tuple[str, Processor | None], ...]
    own: dict[str, Any]  # bound by the statement itself (a CASE's 1 and 0, a COALESCE's '')
    numbered: bool  # PostgreSQL's own `$1`, run on psycopg's `RawCursor`; else SQLite's `?`
    types: tuple[Any, ...]  # of the result columns
    results: dict[tuple[Any, ...], tuple[Processor | None, ...]] = field(default_factory=dict)


def prepared(session: Session, key: Hashable, build: Callable[[], Any]) -> Prepared:
    """`built_once`'s statement compiled for the session's dialect, once per process.

    For the statements every bot command and capture page runs: SQLAlchemy's execution of a
    statement (its cache key, the compiled cache, the execution context, the result and, for
    ORM statements, the ORM's loading) costs ~0.1–0.2 ms of CPU, several times the driver's
    own work on SQLite."""
    return cast(Prepared, built_once(session, ("prepared", key), lambda: _compiled(
        session.get_bind().dialect, build())))


def _compiled(dialect: Dialect, statement: Any) -> Prepared:
    compiled = statement.compile(dialect=dialect)
    if compiled.escaped_bind_names or "POSTCOMPILE" in compiled.string:
        raise ValueError("a prepared statement's parameters are plain names, never expanded")
    names = {compiled.bind_names[b]: b for b in compiled.bind_names}
    if any(b.callable is not None for b in names.values()):  # e.g. a column's default=utcnow
        raise ValueError("a prepared statement binds no value computed at each execution")
    numbered = dialect.paramstyle != "qmark"
    sql, order = _numbered(compiled.string) if numbered else (compiled.string,
                                                               compiled.positiontup)
    processors = compiled._bind_processors
    own = {name: b.effective_value for name, b in names.items() if not b.required}
    types = tuple(column[3] for column in getattr(compiled, "_result_columns", ()))
    return Prepared(sql, tuple((name, processors.get(name)) for name in order), own, numbered,
                    types)


def _numbered(sql: str) -> tuple[str, list[str]]:
    """psycopg's `%(name)s` SQL as PostgreSQL's own `$1, $2, …` and the names in that order.
    psycopg converts the first at each execution, keeping the result of statements up to
    4 KB only: the per-day totals' upsert (8 KB) cost ~0.35 ms of CPU a write to parse."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "%"  # a literal %, doubled in pyformat
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    return re.sub(r"%%|%\((\w+)\)s", number, sql), order


def run(session: Session, statement: Prepared, params: dict[str, Any]) -> list[Returned]:
    """Execute a `prepared` statement with `params` on the session's connection (its
    transaction) and return its rows as tuples, each value converted by its column type as
    SQLAlchemy would. The session's pending objects are flushed first, as a query would."""
    session._autoflush()
    connection = session.connection()
    values = {**statement.own, **params} if statement.own else params
    driver_params = tuple(values[n] if p is None else p(values[n]) for n, p in statement.binds)
    description, rows = _driver(connection, statement.sql, driver_params, statement.numbered)
    return _converted(session, statement, description, rows)


def first_object[M](session: Session, model: type[M], key: Hashable,
                    finish: Callable[[sa.Select[Any]], sa.Select[Any]],
                    params: dict[str, Any]) -> M | None:
    """The first `model` object that `finish(select of model's columns)` finds, `prepared`
    and `run` (`key` names the statement among `model`'s), as the session's own object:
    the one already in the session, else one `loaded` from the row. For the bot's look-ups
    of one row (its user, a template, a contact), where the ORM's execution and loading
    cost more than the query. (For many rows the ORM's loading is as quick.)"""
    mapper = _mapper(model)
    statement = prepared(session, ("first_object", model, key), lambda: finish(
        sa.select(*(attr.columns[0] for attr in mapper.column_attrs))))
    rows = run(session, statement, params)
    if not rows:
        return None
    return loaded(session, model, dict(zip(_attribute_keys(mapper), rows[0], strict=True)))


def loaded[M](session: Session, model: type[M], values: dict[str, Any]) -> M:
    """The session's object of `model` with these column values (every column), as a query
    would load it: the one already in the session when there is one, else a new persistent
    object whose values are set as loaded (no change events, no `merge`, not read back)."""
    mapper = _mapper(model)
    identity = mapper.identity_key_from_primary_key(
        [values[mapper.get_property_by_column(c).key] for c in mapper.primary_key])
    existing = session.identity_map.get(identity)
    if existing is not None:
        return cast(M, existing)
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return cast(M, instance)


_MAPPERS: dict[Any, Any] = {}


def _mapper(model: Any) -> Any:
    mapper = _MAPPERS.get(model)
    if mapper is None:
        mapper = _MAPPERS[model] = sa.inspect(model)
    return mapper


@functools.cache
def _attribute_keys(mapper: Any) -> tuple[str, ...]:
    return tuple(attr.key for attr in mapper.column_attrs)


def _driver(connection: Connection, sql: str, params: Any,
            numbered: bool = False) -> tuple[Any, list[Any]]:
    """`sql` run on the driver's cursor: its description and rows (none for a statement
    that returns none). The connection's `before_cursor_execute` and `after_cursor_execute`
    listeners see it as they see SQLAlchemy's own (the bot's writers' lock on SQLite, a test
    counting statements); a driver error is raised as SQLAlchemy raises it
    (`IntegrityError`, …)."""
    events = connection._has_events or connection.engine._has_events
    driver = connection.connection.dbapi_connection
    cursor = _raw_cursor(driver) if numbered else driver.cursor()  # type: ignore[union-attr]
    try:
        if events:
            for before in connection.dispatch.before_cursor_execute:
                sql, params = before(connection, cursor, sql, params, None, False)
        try:
            cursor.execute(sql, params)
        except connection.dialect.loaded_dbapi.Error as exc:
            connection._handle_dbapi_exception(exc, sql, params, cursor, None)
        if events:
            for after in connection.dispatch.after_cursor_execute:
                after(connection, cursor, sql, params, None, False)
        description = cursor.description
        return description, list(cursor.fetchall()) if description is not None else []
    finally:
        cursor.close()


def _raw_cursor(driver: Any) -> Any:
    """A psycopg cursor that sends `$n` SQL as it is."""
    import psycopg

    return psycopg.RawCursor(driver)


def _converted(session: Session, statement: Prepared, description: Any,
               rows: list[Any]) -> list[Returned]:
    if not rows or not statement.types:
        return [tuple(row) for row in rows]
    codes = tuple(column[1] for column in description)
    processors = statement.results.get(codes)
    if processors is None:
        dialect = session.get_bind().dialect
        processors = statement.results[codes] = tuple(
            type_._cached_result_processor(dialect, code)
            for type_, code in zip(statement.types, codes, strict=True))
    if all(p is None for p in processors):
        return [tuple(row) for row in rows]
    return [tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True))
            for row in rows]


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
        _, rows_back = _driver(connection, sql, tuple(itertools.chain.from_iterable(batch)))
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
    return run(session, stmt, {name: list(values)
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
