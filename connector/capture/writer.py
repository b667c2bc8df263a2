"""`capture_page`: one delta page of one mailbox → interaction log entries, in bulk.

Per page: a few SELECTs for what is already known (copies, keys, entries), then the
entry writes of `storage.entry_writes` (one bulk insert of the new entries, set-based
updates for moved or canceled meetings, each audited one row per entry in one INSERT), and
the captured-items and unmatched-address upserts. The caller owns the transaction (and
saves its stream cursor in it); nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from connector.capture import changes, skip
from connector.capture.context import CaptureContext
from connector.capture.outcome import PageOutcome
from connector.capture.participants import Plan, plan_event, plan_message
from connector.capture.records import Sighting, record_unmatched, save_copies
from connector.capture.rules import Choice, choose_template
from connector.capture.state import PageState, load_state
from connector.items import DeltaItem, GraphEvent, GraphMessage, Removed, Skipped
from storage.entry_writes import NewEntry, insert_entries, move_meetings
from storage.vocabulary import CorrespondenceType, EntrySource, ItemKind


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
        session, _cancellations(ctx, mailbox, canceled, removed, state, out), actor=actor
    )
    meetings = [p for p in plans.values() if p.kind == ItemKind.MEETING and p.contacts]
    moved = move_meetings(session, changes.meeting_moves(state, meetings), actor=actor)
    out.entries_updated = len(moved)
    created = insert_entries(session, _new_entries(ctx, plans.values(), state), actor=actor)
    out.entries_created = len(created)
    out.skipped[skip.NO_CONTACT] += sum(1 for p in plans.values() if not p.contacts)
    out.unmatched_addresses = record_unmatched(session, mailbox, _sightings(plans.values(), state))
    save_copies(session, mailbox, list(plans.values()), state)
    out.skipped = +out.skipped  # drop zero counts
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


def _new_entries(
    ctx: CaptureContext, plans: Iterable[Plan], state: PageState
) -> list[NewEntry]:
    """The entries not yet logged, one per (key, contact), sorted by key so that concurrent
    writers take the unique-index locks in one order."""
    unique: dict[tuple[str, int], NewEntry] = {}
    for plan in plans:
        for row in _entry_rows(ctx, plan, state):
            unique.setdefault((plan.key, row["contact_id"]), row)
    return [unique[k] for k in sorted(unique)]


def _entry_rows(ctx: CaptureContext, plan: Plan, state: PageState) -> list[NewEntry]:
    copy = state.copies.get(plan.graph_id)
    given = copy.contact_ids if copy is not None else frozenset()
    if plan.kind == ItemKind.EMAIL:
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
    email = plan.kind == ItemKind.EMAIL
    minutes = Decimal(template.unit_duration_min if plan.duration_min is None
                      else plan.duration_min)
    # Plain str values (.value): sqlite3 adapts a str subclass, an enum member, slowly.
    direction, initiated_by = plan.direction.value, plan.initiated_by.value
    correspondence = CorrespondenceType.EMAIL.value if email else template.correspondence_type
    source = (EntrySource.EMAIL if email else EntrySource.MEETING).value
    salesperson = ctx.salesperson.get(plan.user_upn, "")
    message_id, ical_uid = (plan.key, None) if email else (None, plan.key)
    return [{
        "contact_id": c.id, "contact_no": c.no, "contact_company_no": c.company_no,
        "contact_name": c.name[:100], "occurred_at": plan.occurred_at,
        "template_code": template.code, "group_code": template.group_code,
        "information_flow": direction, "initiated_by": initiated_by,
        "subject": plan.subject, "duration_min": minutes, "cost": template.unit_cost,
        "correspondence_type": correspondence, "attempt_failed": False, "source": source,
        "user_upn": plan.user_upn, "salesperson_code": salesperson, "segment_no": None,
        "logged_segment_id": None, "document_type": choice.document_type,
        "document_no": choice.document_no, "internet_message_id": message_id,
        "ical_uid": ical_uid, "web_link": plan.web_link,
    } for c in todo]  # fmt: skip


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
