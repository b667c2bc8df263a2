"""Statements run on the database driver's cursor, past SQLAlchemy's execution machinery.

For the statements every bot command and capture page runs (`storage.dialect.prepared`
compiles them once per process): SQLAlchemy's execution of a statement — its cache key,
the compiled cache, the execution context, the result and, for ORM statements, the ORM's
loading — costs ~0.1–0.2 ms of CPU, several times the driver's own work on SQLite.
`run` sends the compiled SQL to the driver with the values converted by the column types'
own bind processors and converts the rows back as SQLAlchemy would; the connection's
cursor-execute listeners see every statement and a driver error is raised as SQLAlchemy
raises it. `loaded` puts a row into the session as a query would have loaded it.

This reaches into SQLAlchemy's compiled statements and connection internals (names with a
leading underscore), checked against the versions `pyproject.toml` admits; the tests of the
bot's and capture's writes run through it on both back-ends.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session, make_transient_to_detached

Processor = Any  # a column type's bind (or result) processor: value -> the driver's (or ours)
Returned = tuple[Any, ...]  # a row of the RETURNING columns


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




def compiled(dialect: Dialect, statement: Any) -> Prepared:
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
    """Execute a prepared statement (`storage.dialect.prepared`) with `params` on the
    session's connection (its transaction) and return its rows as tuples, each value
    converted by its column type as SQLAlchemy would. The session's pending objects are
    flushed first, as a query would."""
    session._autoflush()
    connection = session.connection()
    values = {**statement.own, **params} if statement.own else params
    driver_params = tuple(values[n] if p is None else p(values[n]) for n, p in statement.binds)
    description, rows = execute(connection, statement.sql, driver_params, statement.numbered)
    return _converted(session, statement, description, rows)


def loaded[M](session: Session, model: type[M], values: dict[str, Any]) -> M:
    """The session's object of `model` with these column values (every column), as a query
    would load it: the one already in the session when there is one, else a new persistent
    object whose values are set as loaded (no change events, no `merge`, not read back)."""
    mapper = mapper_of(model)
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


def mapper_of(model: Any) -> Any:
    """`model`'s mapper, looked up once (`sa.inspect` was 0.6 % of a bot command)."""
    mapper = _MAPPERS.get(model)
    if mapper is None:
        mapper = _MAPPERS[model] = sa.inspect(model)
    return mapper


@functools.cache
def attribute_keys(mapper: Any) -> tuple[str, ...]:
    """The keys of `mapper`'s column attributes, in its columns' order."""
    return tuple(attr.key for attr in mapper.column_attrs)


def execute(connection: Connection, sql: str, params: Any,
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
