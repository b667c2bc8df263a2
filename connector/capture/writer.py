"""`capture_page`: one delta page of one mailbox → interaction log entries, in bulk.

Per page: a few SELECTs for what is already known (copies, keys, entries), then the
entry writes of `storage.entry_writes` (one bulk insert of the new entries, set-based
updates for moved or canceled meetings, each audited one row per entry in one INSERT), and
the captured-items and unmatched-address upserts. The caller owns the transaction (and
saves its stream cursor in it); nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from connector.capture import changes, skip
from connector.capture.context import CaptureContext
from connector.capture.entries import plan_item, write_plans
from connector.capture.outcome import PageOutcome
from connector.capture.participants import Plan, plan_event
from connector.capture.records import Sighting, Source, record_unmatched
from connector.capture.state import PageState, load_state
from connector.items import DeltaItem, GraphEvent, Removed, Skipped


def _sort(
    ctx: CaptureContext, mailbox: str, items: Sequence[DeltaItem], out: PageOutcome
) -> Sorted:
    """Plans by graph id (and their items), canceled events, removed ids, events not logged;
    skips counted in `out`."""
    page = Sorted()
    for item in items:
        if isinstance(item, Skipped):
            out.skipped[skip.malformed(item.reason)] += 1
            continue
        if isinstance(item, Removed):
            page.removed.add(item.id)
            continue
        if isinstance(item, GraphEvent) and item.is_cancelled:
            page.canceled[item.id] = item
            continue
        plan = plan_item(ctx, mailbox, item)
        if isinstance(plan, str):
            out.skipped[plan] += 1
            if isinstance(item, GraphEvent):
                page.unplanned.add(item.id)
        else:
            page.plans[plan.graph_id] = plan  # a replayed item in the same page: the last wins
            page.sources[plan.graph_id] = item
    return page


@dataclass
class Sorted:
    plans: dict[str, Plan] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    canceled: dict[str, GraphEvent] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    unplanned: set[str] = field(default_factory=set)  # events planned no more: not upcoming


def capture_page(
    session: Session, ctx: CaptureContext, mailbox: str, items: Sequence[DeltaItem]
) -> PageOutcome:
    """Log what one page of `mailbox`'s delta items shows; see docs/capture.md for the rules."""
    mailbox = mailbox.strip().lower()
    now = ctx.now()
    out = PageOutcome(items_seen=len(items))
    page = _sort(ctx, mailbox, items, out)
    plans, canceled, removed = page.plans, page.canceled, page.removed
    state = load_state(
        session, mailbox,
        mail_keys={p.key for p in plans.values() if p.kind == "email"},
        meeting_keys={p.key for p in plans.values() if p.kind == "meeting"}
        | {e.ical_uid for e in canceled.values() if e.ical_uid},
        removed_ids=removed,
    )
    gone = _cancellations(ctx, mailbox, canceled, removed, state, out)
    out.entries_canceled = changes.cancel_meetings(session, gone, actor=f"sync:{mailbox}")
    changes.end_upcoming(session, mailbox, keys={key for key, _ in gone}
                         | {e.ical_uid for e in canceled.values() if e.ical_uid},
                         graph_ids=removed | page.unplanned, now=now)
    sightings = _sightings(plans.values(), state)  # before the copies are saved
    write_plans(session, ctx, mailbox, plans, page.sources, state, now, out)
    out.unmatched_addresses = record_unmatched(session, mailbox, sightings)
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
