"""Why an item was or was not logged: `interlog explain QUERY` and the web's explain page.

For each mailbox's kept copy of the item (`captured_items`), the item is planned again with
the capture rules and the context as they are now — no Graph request — and read beside
what the log holds: logged (entry numbers, contacts, template, the rule that chose it) or
skipped (the reason, the participant and the setting behind it). QUERY is an
internetMessageId, an iCalUId, an email address (the items it took part in), or words of a
subject. Capture keeps no copy of an item it skips before matching (drafts, internal-only,
automated or excluded senders, private mail under `private_items = "skip"`, mail before
`backfill_days`): `NOT_KEPT` says so when nothing is found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.calls.items import KeptCall
from connector.capture import skip
from connector.capture.context import CaptureContext, build_capture_context
from connector.capture.entries import choose, plan_item
from connector.capture.kept import decoded
from connector.capture.participants import Plan
from connector.capture.records import Source
from connector.items import GraphEvent, GraphMessage
from connector.settings import ConnectorSettings
from storage.capture_models import CapturedAddress, CapturedItem, DeletedEntryKey
from storage.models import InteractionLogEntry, utcnow
from storage.vocabulary import ItemKind

LIMIT = 50  # copies explained per query
NOT_KEPT = ("Capture kept no copy matching this. It keeps every item it could log; it keeps"
            " none of drafts, internal-only mail, automated or excluded senders, private"
            " items under private_items = \"skip\", or mail received before backfill_days.")


@dataclass(frozen=True)
class Decision:
    """One mailbox's copy of an item, and what capture made of it."""

    key: str
    kind: str
    subject: str
    mailbox: str
    decision: str  # logged | skipped
    reason: str
    entries: tuple[int, ...] = ()
    template: str | None = None
    rule: str | None = None
    participant: str | None = None
    setting: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["entries"] = list(self.entries)
        return out


def explain(
    session: Session, settings: ConnectorSettings, query: str, *,
    now: Callable[[], datetime] = utcnow, limit: int = LIMIT,
) -> list[Decision]:  # fmt: skip
    """The decision for each kept copy matching `query`, newest first."""
    copies = _find(session, query.strip(), limit)
    if not copies:
        return []
    ctx = build_capture_context(session, settings, now=now)
    return [_decide(session, ctx, copy) for copy in copies]


def _find(session: Session, query: str, limit: int) -> list[CapturedItem]:
    ci = CapturedItem
    newest = (ci.occurred_at.desc(), ci.mailbox, ci.id)
    if not query:
        return []
    keys = {query, f"<{query.strip('<>')}>"}
    found = list(session.scalars(sa.select(ci).where(ci.key.in_(keys)).order_by(*newest)))
    if found:
        return found[:limit]
    if "@" in query and " " not in query:
        ids = sa.select(CapturedAddress.captured_item_id).where(
            CapturedAddress.address == query.lower())
        return list(session.scalars(sa.select(ci).where(ci.id.in_(ids))
                                    .order_by(*newest).limit(limit)))
    words = [w for w in query.split() if w]
    conditions = [ci.subject.icontains(w, autoescape=True) for w in words]
    return list(session.scalars(sa.select(ci).where(*conditions).order_by(*newest).limit(limit)))


def _decide(session: Session, ctx: CaptureContext, copy: CapturedItem) -> Decision:
    base = Decision(key=copy.key, kind=copy.kind, subject=copy.subject, mailbox=copy.mailbox,
                    decision="skipped", reason="")
    entries = _entries(session, copy)
    if copy.kind == ItemKind.CALL:
        return _call(base, copy, entries)
    item = decoded(copy.id, copy.item)
    plan = plan_item(ctx, copy.mailbox, item) if item is not None else None
    if entries and any(not canceled for _, _, canceled in entries):
        return _logged(ctx, base, entries, plan)
    if isinstance(plan, str):
        return _skipped(ctx, base, plan, item)
    return _not_logged(session, ctx, base, copy, plan, entries)


def _call(base: Decision, copy: CapturedItem, entries: list[tuple[int, str, bool]]) -> Decision:
    """A call's copy (`connector/calls/items.py` KeptCall): its entries, and what it kept —
    the record's version, the minutes, whether anybody answered, the other party's number."""
    try:
        kept: KeptCall | None = KeptCall.from_json(copy.item or "")
    except ValueError:
        kept = None
    if kept is None:
        return _with(base, "its kept data cannot be read")
    numbers = tuple(no for no, _, _ in entries)
    what = (f"version {kept.version}, {kept.minutes} min, "
            f"{'nobody answered' if kept.failed else 'answered'}")
    if not kept.minutes:
        return _with(base, f"version {kept.version}: no configured user took part")
    if entries and any(not canceled for _, _, canceled in entries):
        return _with(base, f"logged ({what})", decision="logged", entries=numbers,
                     template=entries[0][1], participant=kept.number or None)
    if entries:
        status = "its entries were canceled"
    elif not copy.contact_ids:
        status = f"{skip.NO_CONTACT}: no contact has this number or address"
    else:
        status = "not logged yet: the next sync logs it"
    return _with(base, f"{status} ({what})", entries=numbers, participant=kept.number or None)


def _entries(session: Session, copy: CapturedItem) -> list[tuple[int, str, bool]]:
    """(entry no, template, canceled) of the item's entries, from any mailbox's copy."""
    e = InteractionLogEntry
    column = e.internet_message_id if copy.kind == ItemKind.EMAIL else e.ical_uid
    rows = session.execute(sa.select(e.entry_no, e.template_code, e.canceled)
                           .where(column == copy.key).order_by(e.entry_no))
    return [(int(no), str(code), bool(canceled)) for no, code, canceled in rows]


def _logged(
    ctx: CaptureContext, base: Decision, entries: list[tuple[int, str, bool]],
    plan: Plan | str | None,
) -> Decision:  # fmt: skip
    numbers = tuple(no for no, _, _ in entries)
    contacts = ", ".join(c.no for c in plan.contacts) if isinstance(plan, Plan) else ""
    choice = choose(ctx, plan) if isinstance(plan, Plan) else None
    rule = None if choice is None else (choice.rule or f"setup default for {base.kind}")
    reason = f"logged for {contacts}" if contacts else "logged"
    return Decision(**{**asdict(base), "decision": "logged", "reason": reason,
                       "entries": numbers, "template": entries[0][1], "rule": rule})


def _skipped(ctx: CaptureContext, base: Decision, reason: str, item: Source | None) -> Decision:
    """A reason `plan_item` gives, with the participant and the setting behind it."""
    who = _sender(item)
    participant, setting = None, None
    if reason == skip.EXCLUDED:
        participant, setting = who, "[sync] exclude_addresses / exclude_domains"
    elif reason == skip.AUTOMATED:
        participant, setting = who, "an automated sender (no-reply, notifications, …)"
    elif reason == skip.PRIVATE:
        setting = f'[sync] private_items = "{ctx.sync.private_items}"'
    elif reason == skip.INTERNAL_ONLY:
        setting = "[sync] internal_domains, mailboxes and [[user]]"
    return Decision(**{**asdict(base), "reason": reason, "participant": participant,
                       "setting": setting})


def _sender(item: Source | None) -> str | None:
    if isinstance(item, GraphMessage):
        return item.sender.address if item.sender else None
    if isinstance(item, GraphEvent):
        return item.organizer.address if item.organizer else None
    return None


def _not_logged(
    session: Session, ctx: CaptureContext, base: Decision, copy: CapturedItem,
    plan: Plan | None, entries: list[tuple[int, str, bool]],
) -> Decision:  # fmt: skip
    """A copy with nothing active in the log: why."""
    numbers = tuple(no for no, _, _ in entries)
    now = ctx.now()
    if copy.canceled_at is not None or (entries and copy.kind == ItemKind.MEETING):
        return _with(base, "canceled: the meeting was canceled or its organizer deleted it",
                     entries=numbers)
    if entries:
        return _with(base, "its entries were canceled", entries=numbers)
    if copy.pending or (plan is not None and plan.occurred_at > now):
        return _with(base, "upcoming: logged when the meeting starts")
    if plan is None:
        return _with(base, "its kept data cannot be read")
    if copy.kind == ItemKind.EMAIL and plan.occurred_at < ctx.windows()[0]:
        return _with(base, "before_backfill", setting=f"[sync] backfill_days = "
                     f"{ctx.sync.backfill_days}")
    if not plan.contacts:
        who = ", ".join(a.address for a in plan.unmatched)
        by_domain = " or company domain" if ctx.sync.match_company_by_domain else ""
        return _with(base, skip.NO_CONTACT, participant=who,
                     setting=f"no contact has this address{by_domain}")
    if _tombstoned(session, copy):
        return _with(base, "deleted with entries delete-canceled; never logged again")
    return _with(base, "not logged yet: the next sync logs it")


def _with(base: Decision, reason: str, **more: Any) -> Decision:
    return Decision(**{**asdict(base), "reason": reason, **more})


def _tombstoned(session: Session, copy: CapturedItem) -> bool:
    t = DeletedEntryKey
    found = session.scalar(sa.select(sa.func.count()).select_from(t)
                           .where(t.kind == copy.kind, t.key == copy.key))
    return bool(found)
