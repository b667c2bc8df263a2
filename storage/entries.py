"""Interaction log operations on entries a person names: log one, cancel, restore, evaluate,
add a note.

What a user, the bot, the pages or the API asks for is checked here (the template, the
values, who owns an entry), then written by `storage/entry_writes.py`, the one home of
entry writes. Every function takes the caller's `Session` and never commits: the caller
owns the transaction, so a refusal half-way leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.dialect import first_object

# The queries (filters, totals, JSON) and the set-based writes every surface shares live in
# their own modules; these names stay importable from here.
from storage.entry_queries import (
    EntryFilter,
    Totals,
    entries_of,
    entry_to_json,
    query_entries,
    totals,
)
from storage.entry_writes import (
    NewEntry,
    add_note_lines,
    cancel_where,
    delete_canceled,
    evaluate_where,
    insert_entry,
    restore_where,
)
from storage.errors import InterlogError, NotFound, Refused
from storage.models import (
    FLOWS,
    INITIATORS,
    SOURCES,
    Contact,
    InteractionLogEntry,
    InteractionTemplate,
    LoggedSegment,
    TemplateSetup,
    User,
    utcnow,
)
from storage.outcomes import MAX_NOTE_LINES, check_evaluation, note_lines, room_for
from storage.users import is_owner
from storage.values import BadValue, clean_text, number_problem

MAX_AMOUNT = Decimal("99999999.99")  # duration and cost: Numeric(10, 2) holds no more


def get_template(session: Session, code: str) -> InteractionTemplate:
    template = session.get(InteractionTemplate, code.upper())
    if template is None:
        raise NotFound("no interaction template {code!r}", code=code)
    return template


def setup_template(session: Session, kind: str) -> InteractionTemplate:
    """The default template the setup names for an event kind (email, meeting, phone_call)."""
    # The setup row and its template in one query (every `log call` in Teams asks).
    template = first_object(session, InteractionTemplate, "setup", lambda q: q.join(
        TemplateSetup, TemplateSetup.template_code == InteractionTemplate.code).where(
        TemplateSetup.kind == sa.bindparam("kind")), {"kind": kind})
    if template is not None:
        return template
    setup = session.get(TemplateSetup, kind)
    if setup is None:
        raise NotFound(f"the template setup names no template for {kind!r}; run `interlog init`")
    return get_template(session, setup.template_code)


@dataclass(frozen=True)
class Interaction:
    """What a person or system says happened; unset fields come from the template."""

    template_code: str
    subject: str | None = None
    occurred_at: datetime | None = None  # naive UTC; now when unset
    duration_min: Decimal | None = None
    cost: Decimal | None = None
    information_flow: str | None = None
    initiated_by: str | None = None
    correspondence_type: str | None = None
    attempt_failed: bool = False
    source: str = "manual"
    user_upn: str | None = None
    document_type: str | None = None
    document_no: str | None = None
    evaluation: str = ""  # one of the five (storage.outcomes.EVALUATIONS), or "" for none
    note: str | None = None  # its lines become the entry's first note lines


def check_interaction(interaction: Interaction) -> None:
    """Refuse values no entry may hold (a bad direction, a negative duration, …)."""
    check_evaluation(interaction.evaluation, allow_none=True)
    if interaction.note is not None:
        note_lines(interaction.note)
    for name, value, allowed in (
        ("information flow", interaction.information_flow, FLOWS),
        ("initiated by", interaction.initiated_by, INITIATORS),
        ("source", interaction.source, SOURCES),
    ):
        if value is not None and value not in allowed:
            raise InterlogError(f"{name} {value!r}: expected one of {', '.join(allowed)}")
    for name, amount in (("duration", interaction.duration_min), ("cost", interaction.cost)):
        problem = None if amount is None else number_problem(amount, Decimal(0), MAX_AMOUNT)
        if problem is not None:
            raise BadValue(name, f"{name} {amount} {problem}")
    for name, text in (("subject", interaction.subject), ("document no.", interaction.document_no),
                       ("document type", interaction.document_type)):
        if text is not None:
            clean_text(text, name)


def new_entry(
    session: Session, contact: Contact, interaction: Interaction, template: InteractionTemplate
) -> NewEntry:
    """The entry to insert: the template's defaults, overridden by what the interaction says."""
    check_interaction(interaction)
    code = salesperson_code(session, interaction.user_upn)
    return entry_row(contact, interaction, template, code)


def entry_row(
    contact: Contact, interaction: Interaction, template: InteractionTemplate,
    salesperson_code: str,
) -> NewEntry:  # fmt: skip
    """`new_entry` for a checked interaction whose user's salesperson code is known."""
    return NewEntry(
        contact_id=contact.id,
        contact_no=contact.no,
        contact_company_no=contact.company_no,
        contact_name=contact.name,
        occurred_at=interaction.occurred_at or utcnow().replace(microsecond=0),
        template_code=template.code,
        group_code=template.group_code,
        information_flow=interaction.information_flow or template.information_flow,
        initiated_by=interaction.initiated_by or template.initiated_by,
        subject=(interaction.subject or template.description)[:250],
        duration_min=_first(interaction.duration_min, template.unit_duration_min),
        cost=_first(interaction.cost, template.unit_cost),
        correspondence_type=_first(interaction.correspondence_type, template.correspondence_type),
        attempt_failed=interaction.attempt_failed,
        source=interaction.source,
        user_upn=interaction.user_upn.lower() if interaction.user_upn else None,
        salesperson_code=salesperson_code,
        segment_no=None,
        logged_segment_id=None,
        document_type=interaction.document_type,
        document_no=interaction.document_no,
        internet_message_id=None,
        ical_uid=None,
        web_link=None,
    )


def _first[T](value: T | None, default: T) -> T:
    return default if value is None else value


def salesperson_code(session: Session, upn: str | None) -> str:
    """The salesperson code of the user `upn` names ("" for none, or no such user)."""
    if not upn:
        return ""
    for user in session.identity_map.values():  # already loaded (the bot's asker): no query
        if isinstance(user, User) and user.upn == upn.lower():
            return user.salesperson_code or ""
    code = session.scalar(sa.select(User.salesperson_code).where(User.upn == upn.lower()))
    return code or ""


def log_interaction(
    session: Session, contact: Contact, interaction: Interaction, *, actor: str
) -> InteractionLogEntry:
    """Log one interaction for one contact; returns the saved entry (its `entry_no` set)."""
    template = get_template(session, interaction.template_code)
    row = new_entry(session, contact, interaction, template)
    note = "\n".join(note_lines(interaction.note)) if interaction.note is not None else ""
    return insert_entry(session, row, actor=actor, evaluation=interaction.evaluation, note=note)


def find_entries(session: Session, entry_nos: Iterable[int]) -> list[InteractionLogEntry]:
    wanted = list(dict.fromkeys(entry_nos))
    found = {
        e.entry_no: e
        for e in session.scalars(
            sa.select(InteractionLogEntry).where(InteractionLogEntry.entry_no.in_(wanted))
        )
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        names = ", ".join(f"#{n}" for n in missing)
        raise NotFound("no interaction log entry {names}; nothing was changed", names=names)
    return [found[n] for n in wanted]


def check_owner(entries: Sequence[InteractionLogEntry], owner_upn: str | None) -> None:
    if owner_upn is None:
        return
    for entry in entries:
        if not is_owner(owner_upn, entry):
            raise Refused("entry #{entry_no} is not yours; only an admin may change it",
                          entry_no=entry.entry_no)


def cancel_entries(
    session: Session,
    entry_nos: Iterable[int],
    *,
    actor: str,
    reason: str | None = None,
    owner_upn: str | None = None,
) -> list[InteractionLogEntry]:
    """Mark entries canceled (all or nothing). `owner_upn` limits the call to own entries."""
    entries = find_entries(session, entry_nos)
    check_owner(entries, owner_upn)
    cancel_where(session, InteractionLogEntry.entry_no.in_([e.entry_no for e in entries]),
                 actor=actor, reason=reason)
    return entries


def restore_entries(
    session: Session, entry_nos: Iterable[int], *, actor: str, owner_upn: str | None = None
) -> list[InteractionLogEntry]:
    """Clear the canceled flag (all or nothing); refused under a canceled logged segment."""
    entries = find_entries(session, entry_nos)
    check_owner(entries, owner_upn)
    segment_ids = {e.logged_segment_id for e in entries if e.logged_segment_id is not None}
    if segment_ids:
        canceled = session.scalars(
            sa.select(LoggedSegment).where(
                LoggedSegment.id.in_(segment_ids), LoggedSegment.canceled.is_(True)
            )
        ).first()
        if canceled is not None:
            raise Refused("logged segment {no} is canceled; restore the segment instead",
                          no=canceled.segment_no)
    restore_where(session, InteractionLogEntry.entry_no.in_([e.entry_no for e in entries]),
                  actor=actor)
    return entries


def evaluate_entries(
    session: Session, entry_nos: Iterable[int], evaluation: str, *, actor: str,
    owner_upn: str | None = None,
) -> list[InteractionLogEntry]:  # fmt: skip
    """Evaluate entries afterwards (NAV's Evaluate Interaction; all or nothing): one of the
    five values, on any entry, captured or canceled ones too. `owner_upn` limits the call to
    own entries. Audited `evaluate` for each entry whose evaluation changed."""
    check_evaluation(evaluation)
    entries = find_entries(session, entry_nos)
    check_owner(entries, owner_upn)
    evaluate_where(session, InteractionLogEntry.entry_no.in_([e.entry_no for e in entries]),
                   evaluation=evaluation, actor=actor)
    return entries


def note_entries(
    session: Session, entry_nos: Iterable[int], text: str, *, actor: str,
    owner_upn: str | None = None,
) -> list[InteractionLogEntry]:  # fmt: skip
    """Add the lines of `text` to the note of each entry (NAV's comment lines; all or
    nothing), on any entry, canceled ones too. Audited `note` per entry."""
    lines = note_lines(text)
    entries = find_entries(session, entry_nos)
    check_owner(entries, owner_upn)
    for entry in entries:
        if not room_for(entry.note, lines):
            raise BadValue("note", f"entry #{entry.entry_no}'s note holds {MAX_NOTE_LINES}"
                           " lines at most; nothing was added")
    add_note_lines(session, [e.entry_no for e in entries], lines, actor=actor)
    return entries


__all__ = [
    "EntryFilter", "Interaction", "Totals", "cancel_entries", "check_interaction",
    "check_owner", "delete_canceled", "entries_of", "entry_row", "entry_to_json",
    "evaluate_entries", "find_entries", "get_template", "log_interaction", "new_entry",
    "note_entries", "query_entries", "restore_entries", "salesperson_code", "setup_template",
    "totals",
]
