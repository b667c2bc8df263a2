"""Writing a round's call plans: CALL entries once per contact per call, updated (never
duplicated) when a later version of the record changes them; the calls' captured copies;
unmatched numbers and addresses.

The entries' key is the call's (`ical_uid` = `call:<record id>` or `pstn:<row id>`), so the
unique (key, contact) index makes every insert idempotent, whatever re-runs, crashes or
concurrent workers do. A PSTN row and a record of the same call met in different rounds
share the key of whichever was captured first (`_reuse_keys`). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.calls.items import GraphCall, KeptCall, kept_call
from connector.calls.plan import TOLERANCE, CallPlan, Unmatched
from connector.capture import skip
from connector.capture.context import CaptureContext, TemplateInfo
from connector.capture.outcome import PageOutcome
from connector.capture.participants import initiated_by
from connector.capture.records import COPY_COLUMNS, COPY_UPDATE, unmatched_upsert
from connector.capture.rules import Facts, choose_template
from connector.capture.state import chunks
from storage import dialect
from storage.attempts import set_attempt_failed
from storage.capture_models import CapturedItem, DeletedEntryKey, UnmatchedAddress
from storage.entry_writes import MeetingMove, NewEntry, insert_entries, move_meetings
from storage.models import InteractionLogEntry
from storage.vocabulary import EntrySource, ItemKind

MEETING_SLACK = timedelta(hours=1)  # a meeting's call may start this long before or after it
KEPT = timedelta(days=31)  # Microsoft keeps call records 30 days (a day's margin)
TENANT_COPY = ""  # the "mailbox" of records seen that log nothing


def write_calls(session: Session, ctx: CaptureContext, template: TemplateInfo,
                plans: Sequence[CallPlan], now: datetime) -> PageOutcome:
    """Log `plans` (see the module docstring); returns what was written."""
    out = PageOutcome(items_seen=len(plans))
    plans = _reuse_keys(session, list(plans))
    plans = _without_meetings(session, plans, out)
    existing = _entries(session, [p.key for p in plans])
    deleted = _deleted(session, [p.key for p in plans])
    rows, moves, failed = [], [], {}
    for plan in sorted(plans, key=lambda p: p.key):
        had = existing.get(plan.key, {})
        for contact in plan.contacts:
            entry = had.get(contact.id)
            if entry is None and (plan.key, contact.id) in deleted:
                out.skipped[skip.DELETED_ENTRY] += 1  # deleted by a user: never again
            elif entry is None:
                rows.append(_entry(ctx, template, plan, contact))
            elif (entry[1], entry[2]) != (plan.occurred_at, plan.duration_min):
                moves.append(MeetingMove(entry[0], plan.occurred_at, plan.duration_min,
                                         entry[3]))
            if entry is not None and entry[4] != plan.attempt_failed:
                failed[entry[0]] = plan.attempt_failed
        out.skipped["no_contact"] += 0 if plan.contacts else 1
    unique = {(r["ical_uid"], r["contact_id"]): r for r in rows}
    out.entries_created = len(insert_entries(session, list(unique.values()), actor="sync:calls"))
    out.entries_updated = len(move_meetings(session, moves, actor="sync:calls"))
    set_attempt_failed(session, failed, actor="sync:calls")  # totals and audit follow
    new_keys = _new_keys(session, plans)
    _save_copies(session, plans, now)
    out.unmatched_addresses = _unmatched(session, plans, new_keys)
    out.skipped = +out.skipped
    return out


def _reuse_keys(session: Session, plans: list[CallPlan]) -> list[CallPlan]:
    """A PSTN call already captured under the other source's key keeps that key (and the
    start it was logged with: the two sources' starts differ by a few seconds)."""
    phoned = [p for p in plans if p.number]
    if not phoned:
        return plans
    low = min(p.occurred_at for p in phoned) - TOLERANCE
    high = max(p.occurred_at for p in phoned) + TOLERANCE
    ci = CapturedItem
    copies = session.execute(sa.select(ci.mailbox, ci.graph_id, ci.key, ci.occurred_at, ci.item)
                             .where(ci.kind == ItemKind.CALL.value, ci.occurred_at >= low,
                                    ci.occurred_at <= high)).all()
    by_number: dict[tuple[str, str], list[tuple[str, str, datetime]]] = {}
    for mailbox, graph_id, key, at, item in copies:
        number = kept_call(item).number
        if number and at is not None:
            by_number.setdefault((mailbox, number), []).append((graph_id, key, at))
    out = []
    for plan in plans:
        for graph_id, key, at in by_number.get((plan.user_upn, plan.number), ()):
            if graph_id != plan.graph_id and abs(at - plan.occurred_at) <= TOLERANCE:
                plan = replace(plan, key=key, occurred_at=at)  # dated as first seen
                break
        out.append(plan)
    return out


def _without_meetings(session: Session, plans: list[CallPlan], out: PageOutcome
                      ) -> list[CallPlan]:
    """An online meeting's call gives nothing to a contact whose meeting entry is logged."""
    kept = []
    e = InteractionLogEntry
    for plan in plans:
        if plan.online_meeting and plan.contacts:
            logged = set(session.scalars(sa.select(e.contact_id).where(
                e.source == EntrySource.MEETING.value,
                e.contact_id.in_([c.id for c in plan.contacts]),
                e.occurred_at >= plan.occurred_at - MEETING_SLACK,
                e.occurred_at <= plan.end + MEETING_SLACK)))
            if logged:
                out.skipped["logged_as_meeting"] += len(logged)
                plan = replace(plan, contacts=tuple(c for c in plan.contacts
                                                    if c.id not in logged))
        kept.append(plan)
    return kept


def _entries(session: Session, keys: list[str]) -> dict[str, dict[int, tuple[Any, ...]]]:
    """key → contact → (entry_no, occurred_at, duration, subject, attempt_failed)."""
    found: dict[str, dict[int, tuple[Any, ...]]] = {}
    e = InteractionLogEntry
    for start in range(0, len(keys), 500):
        rows = session.execute(sa.select(
            e.ical_uid, e.contact_id, e.entry_no, e.occurred_at, e.duration_min, e.subject,
            e.attempt_failed).where(e.ical_uid.in_(keys[start : start + 500])))
        for key, contact_id, *rest in rows:
            found.setdefault(key or "", {})[contact_id] = tuple(rest)
    return found


def _deleted(session: Session, keys: list[str]) -> set[tuple[str, int]]:
    """(key, contact) of the call entries a user deleted (storage's tombstones)."""
    t = DeletedEntryKey
    found: set[tuple[str, int]] = set()
    for start in range(0, len(keys), 500):
        found.update((key, cid) for key, cid in session.execute(
            sa.select(t.key, t.contact_id).where(t.kind == EntrySource.CALL,
                                                 t.key.in_(keys[start : start + 500]))))
    return found


def _entry(ctx: CaptureContext, template: TemplateInfo, plan: CallPlan, contact: Any
           ) -> NewEntry:
    facts = Facts(kind=ItemKind.CALL, direction=plan.direction, subject=plan.subject,
                  from_domain="", participant_domains=frozenset(), categories=frozenset(),
                  online_meeting=plan.online_meeting)
    choice = choose_template(ctx.rules, facts, template.code)
    chosen = ctx.templates.get(choice.template_code, template)
    return {
        "contact_id": contact.id, "contact_no": contact.no,
        "contact_company_no": contact.company_no, "contact_name": contact.name[:100],
        "occurred_at": plan.occurred_at, "template_code": chosen.code,
        "group_code": chosen.group_code, "information_flow": plan.direction.value,
        "initiated_by": initiated_by(plan.direction).value, "subject": plan.subject,
        "duration_min": plan.duration_min, "cost": chosen.unit_cost,
        "correspondence_type": chosen.correspondence_type,
        "attempt_failed": plan.attempt_failed, "source": EntrySource.CALL.value,
        "user_upn": plan.user_upn, "salesperson_code": ctx.salesperson.get(plan.user_upn, ""),
        "segment_no": None, "logged_segment_id": None, "document_type": choice.document_type,
        "document_no": choice.document_no, "internet_message_id": None,
        "ical_uid": plan.key, "web_link": None,
    }  # fmt: skip


def _save_copies(session: Session, plans: Sequence[CallPlan], now: datetime) -> None:
    rows = sorted({(p.user_upn, p.graph_id): (
        p.user_upn, p.graph_id, ItemKind.CALL.value, p.key, p.direction.value == "outbound",
        now, ",".join(str(c.id) for c in sorted(p.contacts, key=lambda c: c.id)),
        KeptCall(p.version, p.number, str(p.duration_min), p.attempt_failed).to_json(),
        p.subject, p.occurred_at, False) for p in plans}.values(), key=lambda r: (r[0], r[1]))
    dialect.bulk_insert(session, cast(sa.Table, CapturedItem.__table__), COPY_COLUMNS, rows,
                        conflict=("mailbox", "graph_id"), update=COPY_UPDATE)


def remember_skipped(session: Session, calls: Sequence[GraphCall], now: datetime) -> None:
    """Records that log nothing (nobody configured took part) are kept as seen, at their
    version, under the tenant (mailbox ""), so a later round reads them again only when
    their version grows; those older than Microsoft keeps records are dropped."""
    ci = CapturedItem
    session.execute(sa.delete(ci).where(ci.mailbox == TENANT_COPY, ci.kind == ItemKind.CALL.value,
                                        ci.occurred_at < now - KEPT))
    rows = sorted({c.id: (TENANT_COPY, c.id, ItemKind.CALL.value, f"call:{c.id}", False, now,
                          "", KeptCall(c.version).to_json(), "", c.start, False)
                   for c in calls}.values(), key=lambda r: r[1])
    dialect.bulk_insert(session, cast(sa.Table, CapturedItem.__table__), COPY_COLUMNS, rows,
                        conflict=("mailbox", "graph_id"), update=COPY_UPDATE)


def _new_keys(session: Session, plans: Sequence[CallPlan]) -> set[str]:
    """The plans' calls no configured user's copy describes yet: new calls, whose unmatched
    parties count one more sighting each (a record read again at a later version does not)."""
    ci = CapturedItem
    keys = sorted({p.key for p in plans})
    known: set[str] = set()
    for batch in chunks(keys):
        known.update(session.scalars(sa.select(ci.key).where(
            ci.kind == ItemKind.CALL.value, ci.mailbox != TENANT_COPY, ci.key.in_(batch))))
    return set(keys) - known


def _unmatched(session: Session, plans: Sequence[CallPlan], new_keys: set[str]) -> int:
    """Upsert unmatched numbers (kind phone, masked) and addresses seen in calls: `count`
    is the calls each was seen in (as an address's is its messages and meetings); one first
    seen in a call captured before counts 1."""
    merged: dict[str, tuple[Unmatched, CallPlan]] = {}
    calls: dict[str, set[str]] = {}
    for plan in plans:
        for item in plan.unmatched:
            calls.setdefault(item.value, set()).update({plan.key} & new_keys)
            seen = merged.get(item.value)
            if seen is None or plan.occurred_at > seen[1].occurred_at:
                merged[item.value] = (item, plan)
    if not merged:
        return 0
    rows = [{"address": v[:254], "domain": v.rpartition("@")[2] if u.kind == "address" else "",
             "name": u.name[:200], "count": len(calls[v]), "first_seen_at": p.occurred_at,
             "last_seen_at": p.occurred_at, "mailbox": p.user_upn,
             "example_subject": p.subject, "kind": u.kind, "masked": u.masked}
            for v, (u, p) in sorted(merged.items())]
    session.execute(unmatched_upsert(session), rows)
    fresh = [r["address"] for r in rows if r["count"] == 0]
    u = UnmatchedAddress
    for batch in chunks(fresh):
        session.execute(sa.update(u).where(u.address.in_(batch), u.count == 0).values(count=1))
    return len(rows)
