"""Per-day totals of the active entries, kept by the writers in the entries' own transaction.

`entry_day_totals` holds, for each UTC day and key, the number of active (not canceled)
entries, their cost and duration, and how many failed, reached the contact and were
initiated by us: every figure a sum, so that a write adds or takes away its own rows
(`apply`) with an upsert, whatever other writers do at the same time. The last date
interacted and the last date attempted are the newest days whose `reached` and `attempted`
are above zero.

Three grains, each row tagged with its own (`grain`), so that a question reads the fewest
rows that can answer it:

- `CONTACT`: day, contact (id and number), company, template, group, flow (no user: a busy
  contact's day would otherwise hold a row per user, nearly one per entry);
- `SALESPERSON`: day, template, group, flow, salesperson, user;
- `DAY`: day, template, group, flow.

A column not in a grain holds 0 or "" (never NULL: a unique key must compare equal). A
company is the entry's `contact_company_no`, or its contact's number when that contact is
a company (`storage/stats.py`'s key). Rows whose figures fall to zero stay until
`rebuild`; readers leave them out (`HAVING sum(entries) > 0`).

The writers in `storage/entry_writes.py` and `storage/entry_reclassify.py` call `apply`
with the entry numbers they insert, cancel, restore, move or reclassify; `rebuild`
(`interlog stats rebuild`) recomputes every row from the entries after a bulk load or a
restore. Which filters the table can answer, and how, is `grain_for` and `where`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.dialect import is_postgresql, one_of_param, one_of_value, upsert
from storage.local_time import days_are_utc
from storage.models import Base, Contact, InteractionLogEntry
from storage.vocabulary import ContactType, InitiatedBy

if TYPE_CHECKING:
    from storage.entry_queries import EntryFilter

CONTACT, SALESPERSON, DAY = 1, 2, 3
GRAINS = (CONTACT, SALESPERSON, DAY)
# The key columns each grain fills (after `grain` and `day`).
KEYS: dict[int, tuple[str, ...]] = {
    CONTACT: ("contact_id", "contact_no", "company_no", "template_code", "group_code",
              "information_flow"),
    SALESPERSON: ("template_code", "group_code", "information_flow", "salesperson_code",
                  "user_upn"),
    DAY: ("template_code", "group_code", "information_flow"),
}
SLOTS = 8  # rows per key of the day grain that concurrent writers spread over (`_slot`)
FIGURES = ("entries", "cost", "duration_min", "failed", "reached", "attempted")


class EntryDayTotal(Base):
    """The active entries of one day and key: how many, cost, duration, failed, reached and
    attempted by us (see the module's doc)."""

    __tablename__ = "entry_day_totals"

    grain: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(primary_key=True)
    contact_no: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    company_no: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    template_code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    group_code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    information_flow: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    salesperson_code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    user_upn: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    slot: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, default=0)
    entries: Mapped[int] = mapped_column(default=0)
    cost: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2), default=0)
    duration_min: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2), default=0)
    failed: Mapped[int] = mapped_column(default=0)
    reached: Mapped[int] = mapped_column(default=0)
    attempted: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.Index("ix_entry_day_totals_contact", "grain", "contact_id", "day"),
        sa.Index("ix_entry_day_totals_company", "grain", "company_no", "day"),
        sa.Index("ix_entry_day_totals_salesperson", "grain", "salesperson_code", "day"),
    )


def _table() -> sa.Table:
    return EntryDayTotal.__table__  # type: ignore[return-value]


def day_of(session: Session, column: Any) -> Any:
    """The UTC day of a date-time column (a DATE; SQLite's `YYYY-MM-DD` text)."""
    if is_postgresql(session):
        return sa.cast(column, sa.Date)
    return sa.func.date(column)


def _company() -> Any:
    """An entry's company: its own company's number, or its contact's when a company."""
    e = InteractionLogEntry
    own = sa.case((Contact.type == ContactType.COMPANY.value, e.contact_no), else_="")
    return sa.func.coalesce(e.contact_company_no, own)


def _key_columns(session: Session, grain: int) -> dict[str, Any]:
    e = InteractionLogEntry
    every = {
        "contact_id": e.contact_id, "contact_no": e.contact_no, "company_no": _company(),
        "template_code": e.template_code, "group_code": e.group_code,
        "information_flow": sa.func.coalesce(e.information_flow, ""),
        "salesperson_code": e.salesperson_code,
        "user_upn": sa.func.coalesce(e.user_upn, ""),
    }
    return {"grain": sa.literal_column(str(grain)), "day": day_of(session, e.occurred_at),
            **{name: (every[name] if name in KEYS[grain] else _blank(name)) for name in every},
            "slot": _slot(session, grain)}


def _blank(name: str) -> Any:
    """What a column not in a grain holds."""
    return sa.literal_column("0" if name in ("contact_id", "slot") else "''")


def _slot(session: Session, grain: int) -> Any:
    """The slot a writer adds to: in the day grain on PostgreSQL, one of `SLOTS` by its
    server process, so that concurrent writers of the same day and template (every capture
    worker, every bot command) do not all wait on one row until each commits; readers sum
    the slots as they sum the days. Elsewhere 0 (a contact's or a user's rows are rarely
    written by two transactions at once; SQLite has one writer)."""
    if grain == DAY and is_postgresql(session):
        return sa.func.pg_backend_pid() % SLOTS
    return sa.literal_column("0")


def _figures(sign: int) -> list[Any]:
    e = InteractionLogEntry

    def times(expr: Any) -> Any:
        return expr if sign == 1 else -expr

    def tally(condition: Any) -> Any:
        return times(sa.func.sum(sa.case((condition, 1), else_=0)))

    return [times(sa.func.count()), times(sa.func.coalesce(sa.func.sum(e.cost), 0)),
            times(sa.func.coalesce(sa.func.sum(e.duration_min), 0)),
            tally(e.attempt_failed.is_(True)), tally(e.attempt_failed.is_(False)),
            tally(e.initiated_by == InitiatedBy.US.value)]


def _add(session: Session, grain: int, where: Sequence[Any], sign: int,
         canceled: bool = False, *, fresh: bool = False) -> None:
    """Add (`sign` 1) or take away (-1) the entries `where` selects, at `grain`: the active
    ones, or with `canceled` the ones just canceled. `fresh`: the grain has no rows yet (a
    rebuild), so a plain INSERT, unsorted."""
    if fresh:
        keys, select, _ = _grouped(session, grain, where, sign, canceled)
        session.execute(sa.insert(_table()).from_select([*keys, *FIGURES], select))
        return
    session.execute(_upsert(session, grain, where, sign, canceled))


def _grouped(session: Session, grain: int, where: Sequence[Any], sign: int,
             canceled: bool) -> tuple[dict[str, Any], Any, list[Any]]:
    """The key columns, the GROUP BY of the entries `where` selects, and its groups."""
    e = InteractionLogEntry
    keys = _key_columns(session, grain)
    groups = [v for k, v in keys.items() if k in KEYS[grain] or k == "day"]
    select = sa.select(*keys.values(), *_figures(sign)).select_from(e)
    if grain == CONTACT:
        select = select.join(Contact, Contact.id == e.contact_id)
    return keys, select.where(*where, e.canceled.is_(canceled)).group_by(*groups), groups


def _upsert(session: Session, grain: int, where: Sequence[Any], sign: int,
            canceled: bool) -> Any:
    keys, select, groups = _grouped(session, grain, where, sign, canceled)
    t = _table()
    select = select.order_by(*groups)  # one lock order for concurrent writers
    stmt = upsert(session, t).from_select([*keys, *FIGURES], select)
    return stmt.on_conflict_do_update(
        index_elements=[c.name for c in t.primary_key.columns],
        set_={name: t.c[name] + stmt.excluded[name] for name in FIGURES})


# `apply`'s upserts, built once per dialect, grain, sign and `canceled` with the entry numbers
# bound at each call: building them cost ~2 ms of CPU per write (a bot command's most).
_APPLY: dict[tuple[str, int, int, bool], Any] = {}


def apply(session: Session, entry_nos: Sequence[int], sign: int, *,
          canceled: bool = False) -> None:
    """Add (`sign` 1) or take away (-1) entries `entry_nos`, as they are now, in every grain.

    Only active entries count: an insert or a restore adds its entries after writing them; a
    move or a reclassification takes them away before it writes and adds them back after;
    a cancel takes away, after the flag is set, the entries it just canceled (`canceled`).
    Deleting canceled entries changes nothing."""
    if not entry_nos:
        return
    session.flush()  # loaded entries changed through the ORM are read as they are
    numbers = {"entry_nos": one_of_value(session, sorted(set(entry_nos)))}
    name = session.get_bind().dialect.name
    for grain in GRAINS:
        stmt = _APPLY.get((name, grain, sign, canceled))
        if stmt is None:
            where = one_of_param(session, InteractionLogEntry.entry_no, "entry_nos")
            stmt = _APPLY[name, grain, sign, canceled] = _upsert(session, grain, [where], sign,
                                                                 canceled)
        session.execute(stmt, numbers)


def rebuild(session: Session) -> int:
    """Recompute every row from the entries; returns how many rows the table holds. The
    contact and salesperson grains are read from the entries, the day's rolled up."""
    t = _table()
    session.execute(sa.delete(t))
    with _unindexed(session, t):
        _add(session, CONTACT, [sa.true()], 1, fresh=True)
        _add(session, SALESPERSON, [sa.true()], 1, fresh=True)
        _roll_up(session, SALESPERSON, DAY)
    return session.scalar(sa.select(sa.func.count()).select_from(t)) or 0


@contextmanager
def _unindexed(session: Session, t: sa.Table) -> Iterator[None]:
    """On PostgreSQL, the table's key and indexes dropped while the block fills it and
    built once after (a row at a time into a 10-column key is ten times slower), sorting
    and hashing in memory; in the caller's transaction, so no one sees the table without
    them. SQLite, small, keeps them."""
    if not is_postgresql(session):
        yield
        return
    session.execute(sa.text("SET LOCAL work_mem = '256MB'"))
    session.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
    pk = t.primary_key
    session.execute(sa.schema.DropConstraint(pk))
    for index in t.indexes:
        session.execute(sa.schema.DropIndex(index))
    yield
    session.execute(sa.schema.AddConstraint(pk))
    for index in t.indexes:
        session.execute(sa.schema.CreateIndex(index))


def _roll_up(session: Session, source: int, grain: int) -> None:
    t = _table()
    keys: dict[str, Any] = {"grain": sa.literal_column(str(grain)), "day": t.c.day}
    for name in _key_columns(session, grain):
        if name not in ("grain", "day"):
            keys[name] = t.c[name] if name in KEYS[grain] else _blank(name)
    groups = [t.c.day, *(t.c[name] for name in KEYS[grain])]
    select = (sa.select(*keys.values(), *(sa.func.sum(t.c[f]) for f in FIGURES))
              .where(t.c.grain == source).group_by(*groups))
    session.execute(sa.insert(t).from_select([*keys, *FIGURES], select))


def grain_for(filters: EntryFilter, by: str | None = None) -> int | None:
    """The coarsest grain that answers the filters (and statistics by `by`), or None when a
    filter only the entries have is set (source, document, evaluation, canceled ones), a
    contact goes with a salesperson or a user (no grain holds both), or the dates are days
    of a zone other than UTC (a page's user in Mexico City)."""
    if (filters.source is not None or filters.document_no is not None
            or filters.evaluation is not None or filters.status == "canceled"):
        return None
    if (filters.since is not None or filters.until is not None) and not days_are_utc(
            filters.day_zone):  # the rows are UTC days; a page's local days are not
        return None
    person = filters.salesperson_code is not None or filters.user_upn is not None
    if (filters.contact_id is not None or filters.company_no is not None
            or by in ("contact", "company")):
        return None if person or by == "salesperson" else CONTACT
    return SALESPERSON if person or by == "salesperson" else DAY


def where(filters: EntryFilter, grain: int) -> list[sa.ColumnElement[bool]]:
    """The filters on the rows of `grain` (which `grain_for` chose for them)."""
    t = _table()
    clauses: list[sa.ColumnElement[bool]] = [t.c.grain == grain]
    equal = {
        "contact_id": filters.contact_id, "company_no": filters.company_no,
        "template_code": filters.template_code.upper() if filters.template_code else None,
        "group_code": filters.group_code.upper() if filters.group_code else None,
        "salesperson_code": filters.salesperson_code,
        "user_upn": filters.user_upn.lower() if filters.user_upn else None,
    }
    clauses += [t.c[name] == value for name, value in equal.items() if value is not None]
    if filters.since is not None:
        clauses.append(t.c.day >= filters.since)
    if filters.until is not None and filters.until < date.max:
        clauses.append(t.c.day <= filters.until)
    return clauses


def totals(session: Session, filters: EntryFilter) -> tuple[int, Any, Any] | None:
    """Count, cost and duration of the active entries the filters select, from the rows;
    None when the rows cannot answer (`grain_for`)."""
    grain = grain_for(filters)
    if grain is None:
        return None
    t = _table()
    row = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(t.c.entries), 0),
                  sa.func.coalesce(sa.func.sum(t.c.cost), 0),
                  sa.func.coalesce(sa.func.sum(t.c.duration_min), 0))
        .where(*where(filters, grain))).one()
    return int(row[0]), row[1], row[2]
