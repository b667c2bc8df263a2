"""From plans to entries: the one home of "what a plan logs", for a delta page and for the
meetings that have just started (`connector/capture/due.py`).

A plan is logged when what it records has happened: every message, and a meeting once its
start has passed (`now`). A meeting still to come is only kept (its copy, `pending`), and
logged from that data when it starts. An all-day or multi-day event (`isAllDay`, or 24 hours
or more) takes the template's unit duration and is dated by its start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from connector.capture import changes, skip
from connector.capture.context import CaptureContext, ContactInfo
from connector.capture.outcome import PageOutcome
from connector.capture.participants import Plan, initiated_by, plan_event, plan_message
from connector.capture.records import Source, save_copies
from connector.capture.rules import Choice, choose_template
from connector.capture.state import PageState
from connector.items import GraphMessage
from storage.entry_writes import EntryValues, insert_entry_values, move_meetings
from storage.vocabulary import (
    CorrespondenceType,
    EntrySource,
    InformationFlow,
    ItemKind,
)

LONG_EVENT = timedelta(hours=24)  # this long or longer: the template's unit duration
# Plain str values, looked up once: sqlite3 adapts a str subclass (an enum member) slowly,
# and an enum's `.value` is a Python-level property.
_FLOWS = {flow: (flow.value, initiated_by(flow).value) for flow in InformationFlow}
_EMAIL = CorrespondenceType.EMAIL.value
_SOURCES = {True: EntrySource.EMAIL.value, False: EntrySource.MEETING.value}


def plan_item(ctx: CaptureContext, mailbox: str, item: Source) -> Plan | str:
    """The plan for a message or event (`participants.py`), or the reason it is not logged.
    An all-day or multi-day event's plan has no length of its own (`duration_min` None)."""
    if isinstance(item, GraphMessage):
        return plan_message(ctx, mailbox, item)
    plan = plan_event(ctx, mailbox, item)
    if isinstance(plan, Plan) and (item.is_all_day or item.end - item.start >= LONG_EVENT):
        plan = replace(plan, duration_min=None)
    return plan


def is_due(plan: Plan, now: datetime) -> bool:
    """Whether the plan records something that has happened (a meeting: it has started)."""
    return plan.kind == ItemKind.EMAIL or plan.occurred_at <= now


def write_plans(
    session: Session, ctx: CaptureContext, mailbox: str, plans: Mapping[str, Plan],
    sources: Mapping[str, Source], state: PageState, now: datetime, out: PageOutcome,
) -> None:  # fmt: skip
    """Move and insert the entries of the plans that are due; save every plan's copy."""
    actor = f"sync:{mailbox}"
    due = [p for p in plans.values() if is_due(p, now)]
    meetings = [p for p in due if p.kind == ItemKind.MEETING and p.contacts]
    moved = move_meetings(session, changes.meeting_moves(ctx, state, meetings), actor=actor)
    out.entries_updated += len(moved)
    created = insert_entry_values(session, new_entries(ctx, due, state), actor=actor)
    out.entries_created += len(created)
    out.skipped[skip.NO_CONTACT] += sum(1 for p in due if not p.contacts)
    save_copies(session, ctx, mailbox, list(plans.values()), sources, state, now)


def new_entries(ctx: CaptureContext, plans: Iterable[Plan], state: PageState) -> list[EntryValues]:
    """The entries not yet logged, one per (key, contact), sorted by key so that concurrent
    writers take the unique-index locks in one order: each a tuple of a `NewEntry`'s values
    (`storage.entry_writes.insert_entry_values`), the contact's then the plan's."""
    unique: dict[tuple[str, int], EntryValues] = {}
    for plan in plans:
        todo = _not_logged(plan, state)
        if not todo:
            continue
        values = _plan_values(ctx, plan)
        key = plan.key
        for c in todo:
            unique.setdefault((key, c.id), (c.id, c.no, c.company_no, c.name[:100], *values))
    return [unique[k] for k in sorted(unique)]


def choose(ctx: CaptureContext, plan: Plan) -> Choice:
    """The template (and document fields) the rules pick for the plan, else the setup's."""
    default = ctx.setup[plan.kind].code
    return choose_template(ctx.rules, plan.facts, default) if plan.facts else Choice(default)


def _not_logged(plan: Plan, state: PageState) -> list[ContactInfo]:
    """The plan's contacts with no entry of its key yet (nor one deleted by a user)."""
    copy = state.copies.get(plan.graph_id)
    if copy is None and not state.mail_entries and not state.meeting_entries \
            and not state.deleted:
        return list(plan.contacts)  # nothing of the page is known: a first sync's pages
    given = copy.contact_ids if copy is not None else frozenset()
    if plan.kind == ItemKind.EMAIL:
        logged = state.mail_entries.get(plan.key, set())
    else:
        logged = {entry.contact_id for entry in state.meeting_entries.get(plan.key, [])}
    deleted = state.deleted.get((plan.kind, plan.key), ())
    return [c for c in plan.contacts
            if c.id not in given and c.id not in logged and c.id not in deleted]


def _plan_values(ctx: CaptureContext, plan: Plan) -> tuple[Any, ...]:
    """A `NewEntry`'s values after the contact's four (`FIELDS` order), for every contact
    of the plan."""
    choice = choose(ctx, plan)
    template = ctx.templates[choice.template_code]
    email = plan.kind == ItemKind.EMAIL
    minutes = template.unit_duration_min if plan.duration_min is None else plan.duration_min
    direction, initiated_by = _FLOWS[plan.direction]
    message_id, ical_uid = (plan.key, None) if email else (None, plan.key)
    return (
        plan.occurred_at, template.code, template.group_code, direction, initiated_by,
        plan.subject, minutes, template.unit_cost,
        _EMAIL if email else template.correspondence_type,  # correspondence_type
        False, _SOURCES[email], plan.user_upn,  # attempt_failed, source, user_upn
        ctx.salesperson.get(plan.user_upn, ""), None, None,  # salesperson, segment, logged
        choice.document_type, choice.document_no, message_id, ical_uid, plan.web_link,
    )  # fmt: skip
