"""Every write of an interaction log entry, set-based, each audited one row per entry.

Capture, the bot, the pages, the API, the CLI and segments all write entries through these
functions: `insert_entries` (log), `move_meetings` (a captured meeting moved), `cancel_where`
and `restore_where` (the canceled flag), `evaluate_where` and `add_note_lines` (the outcome
afterwards), `delete_canceled` (only canceled entries, ever). A set of entries costs one
statement and one audit INSERT, not a round-trip per entry.

Every function takes the caller's `Session` and never commits: the caller owns the
transaction. They write with Core statements, so the entries they insert are not in the
session until read; cancel and restore keep loaded entries in step.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage import aggregates, dialect, driver
from storage.audit import NO_DETAILS, EntryAction, audit_changes
from storage.capture_models import DeletedEntryKey
from storage.entry_queries import EntryFilter
from storage.models import InteractionLogEntry, utcnow
from storage.vocabulary import EntrySource, ItemKind

CHUNK = 500  # entry numbers per statement when deleting
CAPTURED = (EntrySource.EMAIL, EntrySource.MEETING)  # sources capture dedupes and reclassifies
# Sources whose deleted entries are remembered so that capture never logs them again: calls too
# (their key is the ical_uid column, `call:<id>` or `pstn:<id>`, connector/calls/write.py).
TOMBSTONED = (*CAPTURED, EntrySource.CALL)


class NewEntry(TypedDict):
    """An entry to insert: everything but its number, canceled flag, evaluation, note and
    creation time (`insert_entry` takes the evaluation and note of a manual entry). An
    `internet_message_id` or `ical_uid` makes it a captured entry, one per contact.
    Every key is required (None where it does not apply): a row is read by one itemgetter."""

    contact_id: int
    contact_no: str
    contact_company_no: str | None
    contact_name: str
    occurred_at: datetime  # naive UTC
    template_code: str
    group_code: str
    information_flow: str | None
    initiated_by: str | None
    subject: str
    duration_min: Decimal
    cost: Decimal
    correspondence_type: str
    attempt_failed: bool
    source: str
    user_upn: str | None
    salesperson_code: str
    segment_no: str | None
    logged_segment_id: int | None
    document_type: str | None
    document_no: str | None
    internet_message_id: str | None
    ical_uid: str | None
    web_link: str | None


FIELDS = tuple(NewEntry.__annotations__)  # in declaration order
COLUMNS = (*FIELDS, "canceled", "canceled_reason", "evaluation", "note", "created_at")
_values = itemgetter(*FIELDS)
# A `NewEntry`'s values as a tuple in `FIELDS` order (`insert_entry_values`): capture builds
# its rows so, a page's thousand rows costing no dictionary each.
EntryValues = tuple[Any, ...]


def _table() -> sa.Table:
    return cast(sa.Table, InteractionLogEntry.__table__)


def insert_entries(session: Session, rows: Sequence[NewEntry], *, actor: str,
                   at: datetime | None = None, outcome: tuple[str, str] = ("", "")) -> list[int]:
    """Insert `rows` in their order; audited `log` per entry. Returns the new entry numbers.

    A captured row whose message or meeting already has an entry for its contact is skipped
    (the unique keys; a concurrent writer's row waits for its commit), so the numbers
    returned may be fewer than the rows. Callers that may race sort rows by key first. The
    `log` rows carry no details: the entry holds them (a `delete` row records them).
    `outcome` is the (evaluation, note) every row starts with: none for capture.
    """
    return insert_entry_values(session, [_values(row) for row in rows], actor=actor, at=at,
                               outcome=outcome)


def insert_entry_values(
    session: Session, rows: Sequence[EntryValues], *, actor: str, at: datetime | None = None,
    outcome: tuple[str, str] = ("", ""),
) -> list[int]:  # fmt: skip
    """`insert_entries` for rows given as tuples of a `NewEntry`'s values in `FIELDS` order."""
    if not rows:
        return []
    session.flush()  # pending contacts, logged segments: the rows refer to them
    now = at or utcnow()
    tail = (False, None, *outcome, now)  # canceled, canceled_reason, evaluation, note, created
    values = [row + tail for row in rows]
    created = dialect.bulk_insert(session, _table(), COLUMNS, values, returning=("entry_no",))
    entry_nos = sorted(row[0] for row in created)
    audit_changes(session, actor, EntryAction.LOG, dict.fromkeys(entry_nos, NO_DETAILS), at=now)
    # The totals last: on PostgreSQL their rows (a day's, a salesperson's) are the ones every
    # concurrent writer updates, each holding its row locks until it commits.
    aggregates.apply(session, entry_nos, 1)
    return entry_nos


def insert_entry(session: Session, row: NewEntry, *, actor: str, evaluation: str = "",
                 note: str = "") -> InteractionLogEntry:
    """Insert one entry that nothing else can hold (a manual, bot, API or segment log, no
    captured key) through `insert_entries`, and return it as a loaded object: every column
    is known here, so it is not read back (one round trip less for the bot and the API).
    `evaluation` and `note` (checked by the caller) are the outcome it is logged with."""
    now = utcnow()
    outcome = (evaluation, note)
    [entry_no] = insert_entries(session, [row], actor=actor, at=now, outcome=outcome)
    # Its columns set as a query loads them, not through the constructor's change events
    # and `merge` (0.17 against 0.05 ms of CPU).
    values = dict(zip(COLUMNS, _column_values(row, now, outcome), strict=True))
    return driver.loaded(session, InteractionLogEntry, {"entry_no": entry_no, **values})


def _column_values(row: NewEntry, now: datetime, outcome: tuple[str, str]) -> tuple[Any, ...]:
    # canceled, canceled_reason, evaluation, note, created_at
    return (*_values(row), False, None, *outcome, now)


@dataclass(frozen=True, slots=True)
class MeetingMove:
    """An entry of a captured meeting that moved, and the meeting's start, length, subject."""

    entry_no: int
    occurred_at: datetime
    duration_min: Decimal
    subject: str


def move_meetings(session: Session, moves: Sequence[MeetingMove], *, actor: str) -> list[int]:
    """Give each entry its meeting's new start, length and subject (same number, template
    and contact); audited `move` per entry. Returns the entry numbers moved."""
    if not moves:
        return []
    ordered = sorted(moves, key=lambda m: m.entry_no)  # one lock order for concurrent writers
    table = _table()
    aggregates.apply(session, [m.entry_no for m in ordered], -1)  # out of their old day
    stmt = (
        sa.update(table)
        .where(table.c.entry_no == sa.bindparam("_no"))
        .values(occurred_at=sa.bindparam("_at"), duration_min=sa.bindparam("_minutes"),
                subject=sa.bindparam("_subject"))
    )
    session.connection().execute(stmt, [
        {"_no": m.entry_no, "_at": m.occurred_at, "_minutes": m.duration_min,
         "_subject": m.subject} for m in ordered
    ])
    aggregates.apply(session, [m.entry_no for m in ordered], 1)
    audit_changes(session, actor, EntryAction.MOVE, {
        m.entry_no: {"occurred_at": m.occurred_at.isoformat(), "duration_min": m.duration_min,
                     "subject": m.subject} for m in ordered
    })
    return [m.entry_no for m in ordered]


def cancel_where(
    session: Session, *where: sa.ColumnElement[bool], actor: str, reason: str | None,
    segment: str | None = None,
) -> list[int]:  # fmt: skip
    """Cancel the active entries `where` selects, keeping `reason` on each; audited `cancel`
    per entry. Returns their numbers (entries already canceled are left alone)."""
    details: dict[str, object] = {"reason": reason}
    if segment is not None:
        details["segment"] = segment
    return _set_canceled(session, where, True, reason, actor, details)


def restore_where(
    session: Session, *where: sa.ColumnElement[bool], actor: str, segment: str | None = None,
) -> list[int]:  # fmt: skip
    """Clear the canceled flag of the canceled entries `where` selects; audited `restore`
    per entry. Returns their numbers."""
    details: dict[str, object] = {} if segment is None else {"segment": segment}
    return _set_canceled(session, where, False, None, actor, details)


def _set_canceled(
    session: Session, where: Sequence[sa.ColumnElement[bool]], canceled: bool,
    reason: str | None, actor: str, details: dict[str, object],
) -> list[int]:  # fmt: skip
    e = InteractionLogEntry
    stmt = (
        sa.update(e).where(*where, e.canceled.is_(not canceled))
        .values(canceled=canceled, canceled_reason=reason)
        .returning(e.entry_no)
    )
    entry_nos = sorted(session.scalars(stmt))
    action = EntryAction.CANCEL if canceled else EntryAction.RESTORE
    audit_changes(session, actor, action, dict.fromkeys(entry_nos, details))
    aggregates.apply(session, entry_nos, -1 if canceled else 1, canceled=canceled)  # last
    return entry_nos


def evaluate_where(
    session: Session, *where: sa.ColumnElement[bool], evaluation: str, actor: str,
) -> list[int]:  # fmt: skip
    """Give the entries `where` selects the (checked) `evaluation`, canceled ones too (NAV's
    Evaluate Interaction does not look at the flag); audited `evaluate` per entry changed,
    with the previous evaluation. Returns the numbers changed (those that had it already
    are left alone)."""
    e = InteractionLogEntry
    previous = session.execute(
        sa.select(e.entry_no, e.evaluation).where(*where, e.evaluation != evaluation)
        .order_by(e.entry_no).with_for_update()  # one lock order; the previous value holds
    ).all()
    entry_nos = [no for no, _ in previous]
    if not entry_nos:
        return []
    session.execute(sa.update(e).where(e.entry_no.in_(entry_nos)).values(evaluation=evaluation))
    by_previous: dict[str, dict[str, object]] = {}  # one details mapping per previous value
    audit_changes(session, actor, EntryAction.EVALUATE, {
        no: by_previous.setdefault(was, {"evaluation": evaluation, "previous": was})
        for no, was in previous
    })
    return entry_nos


def add_note_lines(
    session: Session, entry_nos: Sequence[int], lines: Sequence[str], *, actor: str,
) -> list[int]:  # fmt: skip
    """Append the (checked, one-line) `lines` to the note of each entry, after its own lines
    (NAV's comment lines); audited `note` per entry, the text added in its details. Returns
    the numbers of the entries found."""
    if not entry_nos or not lines:
        return []
    e = InteractionLogEntry
    text = "\n".join(lines)
    stmt = (
        sa.update(e).where(e.entry_no.in_(sorted(set(entry_nos))))
        .values(note=sa.case((e.note == "", text), else_=e.note + ("\n" + text)))
        .returning(e.entry_no)
    )
    found = sorted(session.scalars(stmt))
    details: dict[str, object] = {"note": text}  # one mapping: encoded once for all
    audit_changes(session, actor, EntryAction.NOTE, dict.fromkeys(found, details))
    return found


def delete_canceled(
    session: Session, filters: EntryFilter, *, actor: str, dry_run: bool = False,
    only: Collection[int] | None = None,
) -> list[int]:  # fmt: skip
    """Delete the canceled entries the filters select (only canceled ones, ever).

    `only` narrows the call to those entry numbers (what a user confirmed). Returns the
    entry numbers deleted, or that would be deleted on a dry run; audited `delete` per entry.
    """
    canceled_only = replace(filters, status="canceled")
    e = InteractionLogEntry
    entry_nos = list(session.scalars(
        sa.select(e.entry_no).where(*canceled_only.where()).order_by(e.entry_no)
    ))
    if only is not None:
        allowed = set(only)
        entry_nos = [n for n in entry_nos if n in allowed]
    if dry_run or not entry_nos:
        return entry_nos
    now = utcnow()
    for chunk_start in range(0, len(entry_nos), CHUNK):
        chunk = entry_nos[chunk_start : chunk_start + CHUNK]
        doomed = session.execute(
            sa.select(e.entry_no, e.source, e.internet_message_id, e.ical_uid, e.contact_id,
                      e.contact_no, e.template_code)
            .where(e.entry_no.in_(chunk), e.canceled.is_(True)).order_by(e.entry_no)
        ).all()
        _tombstones(session, [row[:5] for row in doomed if row[1] in TOMBSTONED], now)
        session.execute(sa.delete(e).where(e.entry_no.in_(chunk), e.canceled.is_(True)))
        audit_changes(session, actor, EntryAction.DELETE, {
            no: {"contact_no": contact_no, "template": template}
            for no, *_, contact_no, template in doomed
        }, at=now)
    session.flush()  # the tombstones
    return entry_nos


def _tombstones(session: Session, captured: Sequence[Sequence[Any]], now: datetime) -> None:
    """Remember the dedupe keys of captured entries about to be deleted (entry number,
    source, message id, iCalUId, contact), so that capture never logs them again."""
    t = DeletedEntryKey
    keys = {(no, kind, (mid if kind == ItemKind.EMAIL else uid) or "", cid)
            for no, kind, mid, uid, cid in captured}
    keys = {k for k in keys if k[2]}
    if not keys:
        return
    query = sa.select(t.kind, t.key, t.contact_id).where(t.key.in_(sorted({k[2] for k in keys})))
    known = {(kind, key, cid) for kind, key, cid in session.execute(query)}
    fresh = {(kind, key, cid): no for no, kind, key, cid in sorted(keys)
             if (kind, key, cid) not in known}
    session.add_all(DeletedEntryKey(kind=kind, key=key, contact_id=cid, entry_no=no,
                                    deleted_at=now)
                    for (kind, key, cid), no in fresh.items())
