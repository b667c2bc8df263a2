"""Segments: a list of contacts, built by hand or by criteria (NAV's Add Contacts and Reduce
Contacts), logged as one interaction for every contact (NAV's Log Segment).

A segment is logged once; after that its contacts cannot change. Canceling or restoring a
logged segment cancels or restores its entries that are still in the log (`SegmentChange`
says how many changed, how many were so already, and how many were deleted since). Only an
unlogged or a canceled logged segment can be deleted (NAV's Delete Logged Segments): the
entries stay in the log, canceled, keeping their segment number but no longer tied to a
logged segment, so that each can be restored or deleted on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from storage.audit import audit
from storage.entries import (
    Interaction,
    check_interaction,
    entry_row,
    get_template,
    salesperson_code,
)
from storage.entry_writes import cancel_where, insert_entries, restore_where
from storage.errors import InterlogError, NotFound, Refused
from storage.models import Contact, InteractionLogEntry, LoggedSegment, Segment, SegmentLine
from storage.segment_criteria import ContactCriteria
from storage.values import clean_text, contact_number_problem
from storage.vocabulary import EntrySource


def create_segment(
    session: Session, no: str, contacts: Sequence[Contact], *, description: str = "",
    actor: str | None = None,
) -> Segment:  # fmt: skip
    """A new segment with `contacts` (each once); audited `segment_create` when `actor` is
    given."""
    no = no.strip().upper()
    if not no:
        raise InterlogError("a segment needs a number")
    if len(no) > 20:
        raise InterlogError(f"segment number {no!r} is longer than 20 characters")
    if (problem := contact_number_problem(no)) is not None:
        raise InterlogError(f"segment number {no!r} {problem}")
    clean_text(description, "description")
    if len(description) > 100:
        raise InterlogError("a segment description is at most 100 characters")
    if session.get(Segment, no) is not None:
        raise Refused("segment {no} exists already", no=no)
    segment = Segment(no=no, description=description)
    for contact in dict.fromkeys(contacts):
        segment.lines.append(SegmentLine(contact_id=contact.id))
    session.add(segment)
    session.flush()
    if actor is not None:
        audit(session, actor, "segment_create", None, segment=segment.no,
              contacts=[c.no for c in dict.fromkeys(contacts)])
    return segment


def log_segment(
    session: Session, no: str, interaction: Interaction, *, actor: str
) -> LoggedSegment:
    """One entry per contact of the segment, tied to a new logged segment; refused if logged."""
    segment = get_segment(session, no, lock=True)
    if logged_segment(session, segment.no) is not None:
        raise Refused("segment {no} is logged already", no=segment.no)
    contacts = _contacts_of(session, segment.no)
    if not contacts:
        raise Refused("segment {no} is empty", no=segment.no)
    template = get_template(session, interaction.template_code)
    interaction = replace(interaction, source=EntrySource.SEGMENT)
    check_interaction(interaction)
    logged = LoggedSegment(
        segment_no=segment.no,
        template_code=template.code,
        description=segment.description,
        entry_count=len(contacts),
        user_upn=interaction.user_upn.lower() if interaction.user_upn else None,
    )
    session.add(logged)
    session.flush()
    code = salesperson_code(session, interaction.user_upn)
    rows = [entry_row(contact, interaction, template, code) for contact in contacts]
    for row in rows:
        row["segment_no"], row["logged_segment_id"] = segment.no, logged.id
    insert_entries(session, rows, actor=actor)
    return logged


@dataclass(frozen=True)
class SegmentChange:
    """What canceling or restoring a logged segment did: the entries whose flag changed,
    how many of its entries had that flag already, and how many of those it logged are no
    longer in the log (deleted while canceled)."""

    logged: LoggedSegment
    changed: list[int]
    unchanged: int
    deleted: int


def set_segment_canceled(
    session: Session, no: str, canceled: bool, *, actor: str
) -> SegmentChange:
    """Cancel or restore a logged segment and, with it, every one of its entries."""
    logged = logged_segment(session, no)
    if logged is None:
        raise NotFound("segment {no!r} has not been logged", no=no)
    logged.canceled = canceled
    in_segment = InteractionLogEntry.logged_segment_id == logged.id
    if canceled:
        changed = cancel_where(session, in_segment, actor=actor, segment=logged.segment_no,
                               reason=f"segment {logged.segment_no} canceled")
    else:
        changed = restore_where(session, in_segment, actor=actor, segment=logged.segment_no)
    present = segment_entry_count(session, logged)
    return SegmentChange(logged=logged, changed=changed, unchanged=present - len(changed),
                         deleted=max(0, logged.entry_count - present))


def segment_entry_count(session: Session, logged: LoggedSegment) -> int:
    """How many entries of the logged segment are in the log now (NAV's No. of
    Interactions; `entry_count` is how many it logged)."""
    e = InteractionLogEntry
    return session.scalar(sa.select(sa.func.count()).where(e.logged_segment_id == logged.id)) or 0


@dataclass(frozen=True)
class ContactsChange:
    """What Add Contacts or Reduce Contacts did: contacts added (or removed), those the
    criteria selected that were in the segment already (or not in it), and its size now."""

    segment_no: str
    changed: int
    unchanged: int
    contacts: int


def add_contacts(session: Session, no: str, criteria: ContactCriteria, *, actor: str,
                 details: dict[str, object] | None = None) -> ContactsChange:
    """Add the contacts `criteria` selects to unlogged segment `no`, each once (a contact in
    it already is left alone); audited `segment_add` with `details` (the criteria)."""
    segment = _open_segment(session, no)
    selected = criteria.contact_ids_select().subquery()
    line = SegmentLine
    already = sa.select(line.contact_id).where(line.segment_no == segment.no)
    matched = _count(session, sa.select(selected.c.id))
    insert = sa.insert(line).from_select(
        ["segment_no", "contact_id"],
        sa.select(sa.literal(segment.no, sa.String(20)), selected.c.id)
        .where(selected.c.id.not_in(already)).order_by(selected.c.id)
    ).returning(line.contact_id)
    added = len(session.execute(insert).all())
    return _contacts_changed(session, segment, "segment_add", added, matched, actor, details)


def reduce_contacts(session: Session, no: str, criteria: ContactCriteria, *, actor: str,
                    details: dict[str, object] | None = None) -> ContactsChange:
    """Remove from unlogged segment `no` the contacts `criteria` selects (NAV's Reduce
    Contacts); audited `segment_reduce` with `details` (the criteria)."""
    segment = _open_segment(session, no)
    selected = criteria.contact_ids_select()
    matched = _count(session, selected)
    line = SegmentLine
    removed = len(session.execute(sa.delete(line).where(
        line.segment_no == segment.no, line.contact_id.in_(selected)).returning(line.id)).all())
    return _contacts_changed(session, segment, "segment_reduce", removed, matched, actor,
                             details)


def _open_segment(session: Session, no: str) -> Segment:
    """Segment `no`, locked against a concurrent change, refused once logged."""
    segment = get_segment(session, no, lock=True)
    if logged_segment(session, segment.no) is not None:
        raise Refused("segment {no} is logged already; its contacts cannot change",
                      no=segment.no)
    return segment


def _count(session: Session, stmt: sa.Select[Any]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


def _contacts_changed(session: Session, segment: Segment, action: str, changed: int,
                      matched: int, actor: str, details: dict[str, object] | None
                      ) -> ContactsChange:
    session.expire(segment, ["lines"])  # written by Core statements
    size = _count(session, sa.select(SegmentLine.id).where(SegmentLine.segment_no == segment.no))
    audit(session, actor, action, None, segment=segment.no, changed=changed, **(details or {}))
    return ContactsChange(segment_no=segment.no, changed=changed, unchanged=matched - changed,
                          contacts=size)


def delete_segment(session: Session, no: str, *, actor: str) -> int:
    """Delete segment `no`: an unlogged one, or a canceled logged one (NAV's Delete Logged
    Segments; an active one is refused). The logged segment's entries stay in the log,
    canceled, with their segment number, no longer tied to it. Returns how many entries it
    left behind; audited `segment_delete`."""
    segment = get_segment(session, no, lock=True)
    logged = logged_segment(session, segment.no)
    kept = 0
    if logged is not None:
        if not logged.canceled:
            raise Refused("segment {no} is logged and not canceled; cancel it first"
                          " (only a canceled logged segment can be deleted)", no=segment.no)
        e = InteractionLogEntry
        kept = len(session.execute(sa.update(e).where(e.logged_segment_id == logged.id)
                                   .values(logged_segment_id=None).returning(e.entry_no)).all())
        session.delete(logged)
    session.delete(segment)
    session.flush()
    audit(session, actor, "segment_delete", None, segment=segment.no,
          logged=logged is not None, entries_kept=kept)
    return kept


def get_segment(session: Session, no: str, *, lock: bool = False) -> Segment:
    """The segment numbered `no` (any case); NotFound when there is none. `lock` holds its
    row until the transaction ends (PostgreSQL), so that adding, reducing and logging the
    same segment at once happen one after the other."""
    stmt = sa.select(Segment).where(Segment.no == no.strip().upper())
    segment = session.scalar(stmt.with_for_update() if lock else stmt)
    if segment is None:
        raise NotFound("no segment {no!r}", no=no)
    return segment


def logged_segment(session: Session, no: str) -> LoggedSegment | None:
    """The logged segment of segment `no`, or None while it has not been logged."""
    return session.scalar(
        sa.select(LoggedSegment).where(LoggedSegment.segment_no == no.strip().upper())
    )


def list_segments(session: Session) -> list[tuple[Segment, LoggedSegment | None]]:
    """Every segment with its logged segment, if it has been logged."""
    logged = {ls.segment_no: ls for ls in session.scalars(sa.select(LoggedSegment))}
    return [(s, logged.get(s.no)) for s in session.scalars(sa.select(Segment).order_by(Segment.no))]


@dataclass(frozen=True)
class SegmentRow:
    """A segment as the list shows it: its size, and its logged segment with the number of
    its entries in the log now (None while it is not logged)."""

    segment: Segment
    contacts: int
    logged: LoggedSegment | None
    entries: int | None


def segment_rows(session: Session) -> list[SegmentRow]:
    """Every segment, by number, counted in two queries (not one per segment)."""
    line, e = SegmentLine, InteractionLogEntry
    sizes: dict[str, int] = {no: n for no, n in session.execute(
        sa.select(line.segment_no, sa.func.count()).group_by(line.segment_no))}
    present: dict[int | None, int] = {ls_id: n for ls_id, n in session.execute(
        sa.select(e.logged_segment_id, sa.func.count()).where(e.logged_segment_id.is_not(None))
        .group_by(e.logged_segment_id))}
    rows = []
    for segment, logged in list_segments(session):
        entries = None if logged is None else present.get(logged.id, 0)
        rows.append(SegmentRow(segment, sizes.get(segment.no, 0), logged, entries))
    return rows


def segment_contacts(session: Session, no: str) -> list[Contact]:
    """The contacts of segment `no`, in the order they were added."""
    segment = get_segment(session, no)
    return _contacts_of(session, segment.no)


def _contacts_of(session: Session, segment_no: str) -> list[Contact]:
    return list(session.scalars(
        sa.select(Contact).join(SegmentLine, SegmentLine.contact_id == Contact.id)
        .where(SegmentLine.segment_no == segment_no).order_by(SegmentLine.id)
        .options(selectinload(Contact.company))))
