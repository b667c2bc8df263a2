"""Segments: log one interaction for every contact of a segment (NAV's Log Segment)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.orm import Session

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
from storage.vocabulary import EntrySource


def create_segment(
    session: Session, no: str, contacts: Sequence[Contact], *, description: str = ""
) -> Segment:
    no = no.strip().upper()
    if not no:
        raise InterlogError("a segment needs a number")
    if len(no) > 20:
        raise InterlogError(f"segment number {no!r} is longer than 20 characters")
    if len(description) > 100:
        raise InterlogError("a segment description is at most 100 characters")
    if session.get(Segment, no) is not None:
        raise Refused(f"segment {no} exists already")
    segment = Segment(no=no, description=description)
    for contact in dict.fromkeys(contacts):
        segment.lines.append(SegmentLine(contact_id=contact.id))
    session.add(segment)
    session.flush()
    return segment


def log_segment(
    session: Session, no: str, interaction: Interaction, *, actor: str
) -> LoggedSegment:
    """One entry per contact of the segment, tied to a new logged segment; refused if logged."""
    segment = get_segment(session, no)
    if logged_segment(session, segment.no) is not None:
        raise Refused(f"segment {segment.no} is logged already")
    if not segment.lines:
        raise Refused(f"segment {segment.no} is empty")
    template = get_template(session, interaction.template_code)
    interaction = replace(interaction, source=EntrySource.SEGMENT)
    check_interaction(interaction)
    logged = LoggedSegment(
        segment_no=segment.no,
        template_code=template.code,
        description=segment.description,
        entry_count=len(segment.lines),
        user_upn=interaction.user_upn.lower() if interaction.user_upn else None,
    )
    session.add(logged)
    session.flush()
    code = salesperson_code(session, interaction.user_upn)
    rows = [entry_row(line.contact, interaction, template, code) for line in segment.lines]
    for row in rows:
        row["segment_no"], row["logged_segment_id"] = segment.no, logged.id
    insert_entries(session, rows, actor=actor)
    return logged


def set_segment_canceled(
    session: Session, no: str, canceled: bool, *, actor: str
) -> LoggedSegment:
    """Cancel or restore a logged segment and, with it, every one of its entries."""
    logged = logged_segment(session, no)
    if logged is None:
        raise NotFound(f"segment {no!r} has not been logged")
    logged.canceled = canceled
    in_segment = InteractionLogEntry.logged_segment_id == logged.id
    if canceled:
        cancel_where(session, in_segment, actor=actor, segment=logged.segment_no,
                     reason=f"segment {logged.segment_no} canceled")
    else:
        restore_where(session, in_segment, actor=actor, segment=logged.segment_no)
    return logged


def get_segment(session: Session, no: str) -> Segment:
    """The segment numbered `no` (any case); NotFound when there is none."""
    segment = session.get(Segment, no.strip().upper())
    if segment is None:
        raise NotFound(f"no segment {no!r}")
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
