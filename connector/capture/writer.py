"""`capture_page`: one delta page of one mailbox → interaction log entries, in bulk.

Per page: a few SELECTs for what is already known (copies, keys, entries), one bulk
`INSERT … ON CONFLICT DO NOTHING` of new entries, set-based updates for moved or canceled
meetings, the captured-items and unmatched-address upserts, and one audit row. The caller
owns the transaction (and saves its stream cursor in it); nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture import changes, skip
from connector.capture.bulk import insert_rows
from connector.capture.context import CaptureContext
from connector.capture.outcome import PageOutcome
from connector.capture.participants import Plan, plan_event, plan_message
from connector.capture.records import Sighting, record_unmatched, save_copies
from connector.capture.rules import Choice, choose_template
from connector.capture.state import PageState, load_state
from connector.items import DeltaItem, GraphEvent, GraphMessage, Removed, Skipped
from storage.models import AuditEvent, InteractionLogEntry, utcnow


def _sort(
    ctx: CaptureContext, mailbox: str, items: Sequence[DeltaItem], out: PageOutcome
) -> tuple[dict[str, Plan], dict[str, GraphEvent], set[str]]:
    """Plans by graph id, canceled events by graph id, removed ids; skips counted in `out`."""
    plans: dict[str, Plan] = {}
    canceled: dict[str, GraphEvent] = {}
    removed: set[str] = set()
    for item in items:
        if isinstance(item, Skipped):
            out.skipped[skip.malformed(item.reason)] += 1
            continue
        if isinstance(item, Removed):
            removed.add(item.id)
            continue
        if isinstance(item, GraphEvent) and item.is_cancelled:
            canceled[item.id] = item
            continue
        plan = (plan_message(ctx, mailbox, item) if isinstance(item, GraphMessage)
                else plan_event(ctx, mailbox, item))
        if isinstance(plan, str):
            out.skipped[plan] += 1
        else:
            plans[plan.graph_id] = plan  # a replayed item in the same page: the last one wins
    return plans, canceled, removed


def capture_page(
    session: Session, ctx: CaptureContext, mailbox: str, items: Sequence[DeltaItem]
) -> PageOutcome:
    """Log what one page of `mailbox`'s delta items shows; see docs/capture.md for the rules."""
    mailbox = mailbox.strip().lower()
    actor = f"sync:{mailbox}"
    out = PageOutcome(items_seen=len(items))
    plans, canceled, removed = _sort(ctx, mailbox, items, out)
    state = load_state(
        session, mailbox,
        mail_keys={p.key for p in plans.values() if p.kind == "email"},
        meeting_keys={p.key for p in plans.values() if p.kind == "meeting"}
        | {e.ical_uid for e in canceled.values() if e.ical_uid},
        removed_ids=removed,
    )
    out.entries_canceled = changes.cancel_meetings(
        session, state, _cancellations(ctx, mailbox, canceled, removed, state, out), actor=actor
    )
    meetings = [p for p in plans.values() if p.kind == "meeting" and p.contacts]
    moved = changes.move_meetings(session, state, meetings)
    out.entries_updated = len(moved)
    created = _insert_entries(session, ctx, plans.values(), state)
    out.entries_created = len(created)
    out.skipped[skip.NO_CONTACT] += sum(1 for p in plans.values() if not p.contacts)
    out.unmatched_addresses = record_unmatched(session, mailbox, _sightings(plans.values(), state))
    save_copies(session, mailbox, list(plans.values()), state)
    out.skipped = +out.skipped  # drop zero counts
    if created or moved:
        session.execute(sa.insert(AuditEvent), [{
            "at": utcnow(), "actor": actor, "action": "capture", "entry_no": None,
            "details": json.dumps({"created": created, "updated": moved}),
        }])
    return out


def _cancellations(
    ctx: CaptureContext, mailbox: str, canceled: dict[str, GraphEvent], removed: set[str],
    state: PageState, out: PageOutcome,
) -> list[tuple[str, str]]:
    """(iCalUId, reason) of the meetings whose entries must be canceled.

    A canceled event cancels its meeting's entries; one never logged is not logged now. A
    verified-deleted event (the engine passes `Removed` only after Graph answered 404)
    cancels them only when it is the organizer's own copy: an attendee deleting the meeting
    from their calendar does not make it not happen. A deleted message changes nothing.
    """
    result = []
    for event in canceled.values():
        if state.meeting_entries.get(event.ical_uid):
            result.append((event.ical_uid, changes.CANCELED_IN_OUTLOOK))
        else:
            plan = plan_event(ctx, mailbox, event)
            out.skipped[plan if isinstance(plan, str) else skip.CANCELED_WHEN_FIRST_SEEN] += 1
    for graph_id in removed:
        copy = state.copies.get(graph_id)
        if copy is not None and copy.kind == "meeting" and copy.is_organizer:
            result.append((copy.key, changes.DELETED_BY_ORGANIZER))
    return result


# The entry columns capture writes, in the order of `_entry_rows`' tuples.
ENTRY_COLUMNS = (
    "occurred_at", "template_code", "group_code", "information_flow", "initiated_by",
    "subject", "duration_min", "cost", "correspondence_type", "canceled", "canceled_reason",
    "attempt_failed", "evaluation", "source", "user_upn", "salesperson_code", "segment_no",
    "logged_segment_id", "document_type", "document_no", "internet_message_id", "ical_uid",
    "web_link", "created_at", "contact_id", "contact_no", "contact_company_no", "contact_name",
)  # fmt: skip


def _insert_entries(
    session: Session, ctx: CaptureContext, plans: Iterable[Plan], state: PageState
) -> list[int]:
    """Bulk-insert the entries not yet logged; returns the new entry numbers."""
    unique: dict[tuple[str, int], tuple[object, ...]] = {}
    now = utcnow()
    for plan in plans:
        for contact_id, row in _entry_rows(ctx, plan, state, now):
            unique.setdefault((plan.key, contact_id), row)
    # Sorted by key, so that concurrent writers take the unique-index locks in one order.
    rows = [unique[k] for k in sorted(unique)]
    table = cast(sa.Table, InteractionLogEntry.__table__)
    return sorted(insert_rows(session, table, ENTRY_COLUMNS, rows, returning="entry_no"))


def _entry_rows(
    ctx: CaptureContext, plan: Plan, state: PageState, now: datetime
) -> list[tuple[int, tuple[object, ...]]]:
    copy = state.copies.get(plan.graph_id)
    given = copy.contact_ids if copy is not None else frozenset()
    if plan.kind == "email":
        logged = state.mail_entries.get(plan.key, set())
    else:
        logged = {entry.contact_id for entry in state.meeting_entries.get(plan.key, [])}
    deleted = state.deleted.get((plan.kind, plan.key), ())
    todo = [c for c in plan.contacts
            if c.id not in given and c.id not in logged and c.id not in deleted]
    if not todo:
        return []
    default = ctx.setup[plan.kind].code
    choice = choose_template(ctx.rules, plan.facts, default) if plan.facts else Choice(default)
    template = ctx.templates[choice.template_code]
    email = plan.kind == "email"
    duration = template.unit_duration_min if plan.duration_min is None else plan.duration_min
    common = (
        plan.occurred_at, template.code, template.group_code, plan.direction,
        plan.initiated_by, plan.subject, Decimal(duration), template.unit_cost,
        "email" if email else template.correspondence_type, False, None, False, "",
        plan.kind, plan.user_upn, ctx.salesperson.get(plan.user_upn, ""), None, None,
        choice.document_type, choice.document_no, plan.key if email else None,
        None if email else plan.key, plan.web_link, now,
    )  # fmt: skip
    return [(c.id, (*common, c.id, c.no, c.company_no, c.name[:100])) for c in todo]


def _sightings(plans: Iterable[Plan], state: PageState) -> list[Sighting]:
    """Unmatched people of items this mailbox had not captured before."""
    sightings = []
    for plan in plans:
        if plan.graph_id in state.copies:
            continue
        new_everywhere = (plan.kind, plan.key) not in state.known_keys
        state.known_keys.add((plan.kind, plan.key))
        sightings += [Sighting(a.address, a.name, plan.occurred_at, plan.subject, new_everywhere)
                      for a in plan.unmatched]
    return sightings
