"""Apply the rules again to what capture kept: `entries reclassify` and the preview of a
templates file (`templates import --dry-run`, the Templates page).

Both plan captured items again from their kept data (`kept.decoded`, `entries.plan_item`)
and pick the template with capture's own choice (`entries.choose`), so what they say is
what a sync would do; no Graph request is made.

- `reclassify`: the captured entries (email, meeting; never manual, bot, API, segment or
  call entries) that the filters select get the template, group and document fields the
  rules pick now, with the cost of the new template and, for an email or an all-day
  meeting, its unit duration; a meeting keeps its real length, and direction stays what was
  observed (as capture writes them). Audited `reclassify` per entry changed
  (`storage/entry_reclassify.py`). An entry whose kept copy is missing, cannot be read or no
  longer names its contact is left alone and counted.
- `preview_rules`: for the items captured in the last `days` days, the template the current
  setup and rules pick beside the one a parsed templates file would pick; only those that
  differ. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture.context import CaptureContext, TemplateInfo, build_capture_context
from connector.capture.entries import choose, plan_item
from connector.capture.kept import decoded
from connector.capture.participants import Plan
from connector.capture.rules import Choice, compile_rules
from connector.settings import ConnectorSettings
from storage.capture_models import CapturedItem
from storage.entry_queries import EntryFilter
from storage.entry_reclassify import FIELDS, Reclassified, reclassify_entries
from storage.entry_writes import CAPTURED
from storage.models import InteractionLogEntry, MatchRule, utcnow
from storage.templates_spec import RULE_KEYS, TemplatesFile
from storage.vocabulary import CorrespondenceType, ItemKind

CHUNK = 500  # entries read, planned and written at a time
PREVIEW_DAYS = 30


@dataclass(frozen=True)
class EntryChange:
    """An entry the rules now classify differently: who, when, what, and the change."""

    contact_no: str
    subject: str
    occurred_at: datetime
    change: Reclassified

    @property
    def entry_no(self) -> int:
        return self.change.entry_no


@dataclass
class ReclassifyResult:
    """What `reclassify` changed (or would change on a dry run) and what it left alone."""

    changed: list[EntryChange] = field(default_factory=list)  # the first `keep` of them
    count: int = 0  # entries changed (or that would be)
    examined: int = 0  # captured entries the filters selected
    not_kept: int = 0  # no kept copy that can be planned, or it no longer names the contact
    not_captured: int = 0  # manual, bot, API, segment and call entries: never re-classified


def reclassify(
    session: Session, settings: ConnectorSettings, filters: EntryFilter, *, actor: str,
    dry_run: bool = False, keep: int | None = None, now: Callable[[], datetime] = utcnow,
) -> ReclassifyResult:  # fmt: skip
    """Re-apply the rules to the captured entries `filters` selects; see the module. The
    result lists the first `keep` entries changed (all when None) and counts them all."""
    ctx = build_capture_context(session, settings, now=now)
    e = InteractionLogEntry
    where = filters.where()
    result = ReclassifyResult(not_captured=session.scalar(
        sa.select(sa.func.count()).where(*where, e.source.not_in(CAPTURED))) or 0)
    last = 0
    while True:
        rows = session.execute(
            sa.select(e.entry_no, e.source, e.internet_message_id, e.ical_uid, e.contact_id,
                      e.contact_no, e.user_upn, e.subject, e.occurred_at,
                      *(getattr(e, name) for name in FIELDS))
            .where(*where, e.source.in_(CAPTURED), e.entry_no > last)
            .order_by(e.entry_no).limit(CHUNK)
        ).all()
        if not rows:
            return result
        last = rows[-1].entry_no
        result.examined += len(rows)
        changed = _chunk(session, ctx, rows, result)
        result.count += len(changed)
        room = len(changed) if keep is None else max(keep - len(result.changed), 0)
        result.changed += changed[:room]
        if not dry_run:
            reclassify_entries(session, [c.change for c in changed], actor=actor)


def _chunk(session: Session, ctx: CaptureContext, rows: Sequence[Any],
           result: ReclassifyResult) -> list[EntryChange]:
    copies = _copies(session, rows)
    plans: dict[int, Plan | None] = {}
    changed = []
    for row in rows:
        kind = ItemKind.EMAIL if row.source == ItemKind.EMAIL else ItemKind.MEETING
        key = row.internet_message_id if kind == ItemKind.EMAIL else row.ical_uid
        copy = _copy_for(copies.get((kind, key), []), row.contact_id, row.user_upn)
        if copy is None:
            result.not_kept += 1
            continue
        if copy.id not in plans:
            plan = _plan(ctx, copy)
            plans[copy.id] = plan
        plan = plans[copy.id]
        if plan is None or all(c.id != row.contact_id for c in plan.contacts):
            result.not_kept += 1
            continue
        after = _classified(ctx, plan, choose(ctx, plan), row.duration_min)
        before = {name: getattr(row, name) for name in FIELDS}
        if any(before[k] != after[k] for k in ("template_code", "document_type", "document_no")):
            changed.append(EntryChange(row.contact_no, row.subject, row.occurred_at,
                                       Reclassified(row.entry_no, before, after)))
    return changed


def _classified(ctx: CaptureContext, plan: Plan, choice: Choice, minutes: Any
                ) -> dict[str, object]:
    """The entry's classified values as capture writes them (`entries._plan_values`)."""
    template = ctx.templates[choice.template_code]
    email = plan.kind == ItemKind.EMAIL
    return {
        "template_code": template.code, "group_code": template.group_code,
        "cost": template.unit_cost,
        "duration_min": template.unit_duration_min if plan.duration_min is None else minutes,
        "correspondence_type": (CorrespondenceType.EMAIL.value if email
                                else template.correspondence_type),
        "document_type": choice.document_type, "document_no": choice.document_no,
    }


def _copies(session: Session, rows: Sequence[Any]) -> dict[tuple[str, str], list[Any]]:
    """The kept copies of the rows' items, by (kind, key), oldest copy first."""
    keys = {r.internet_message_id or r.ical_uid for r in rows} - {None}
    ci = CapturedItem
    found: dict[tuple[str, str], list[Any]] = {}
    for copy in session.execute(
        sa.select(ci.id, ci.kind, ci.key, ci.mailbox, ci.contact_ids, ci.item)
        .where(ci.key.in_(sorted(keys))).order_by(ci.id)
    ):
        found.setdefault((copy.kind, copy.key), []).append(copy)
    return found


def _copy_for(copies: Sequence[Any], contact_id: int, user_upn: str | None) -> Any | None:
    """The copy that gave the contact its entry, else the entry's user's, else the first."""
    for copy in copies:
        if str(contact_id) in (copy.contact_ids or "").split(","):
            return copy
    for copy in copies:
        if copy.mailbox == user_upn:
            return copy
    return copies[0] if copies else None


def _plan(ctx: CaptureContext, copy: Any) -> Plan | None:
    item = decoded(copy.id, copy.item)
    plan = plan_item(ctx, copy.mailbox, item) if item is not None else None
    return plan if isinstance(plan, Plan) else None


# The preview of a templates file ------------------------------------------------------

@dataclass(frozen=True)
class ItemChange:
    """A captured item the file's rules would classify differently."""

    kind: str
    key: str
    subject: str
    occurred_at: datetime
    mailbox: str
    entries: int  # entries the item has now (any status)
    before: Choice
    after: Choice


def preview_rules(
    session: Session, settings: ConnectorSettings, parsed: TemplatesFile, *,
    days: int = PREVIEW_DAYS, now: Callable[[], datetime] = utcnow,
) -> tuple[int, list[ItemChange]]:  # fmt: skip
    """(items looked at, those `parsed` would classify differently), newest first."""
    old = build_capture_context(session, settings, now=now)
    new = with_file(old, parsed)
    ci = CapturedItem
    since = now() - timedelta(days=days)
    rows = session.execute(
        sa.select(ci.id, ci.kind, ci.key, ci.mailbox, ci.item, ci.occurred_at, ci.subject)
        .where(ci.occurred_at >= since, ci.pending.is_(False))
        .order_by(ci.occurred_at.desc(), ci.id).execution_options(yield_per=CHUNK)
    )
    seen: set[tuple[str, str]] = set()
    looked, changed = 0, []
    for row in rows:
        if (row.kind, row.key) in seen:
            continue
        seen.add((row.kind, row.key))
        before, after = _plan(old, row), _plan(new, row)
        if before is None or after is None or not before.contacts:
            continue
        looked += 1
        was, will = choose(old, before), choose(new, after)
        if (was.template_code, was.document_type, was.document_no) != (
                will.template_code, will.document_type, will.document_no):
            changed.append(ItemChange(row.kind, row.key, row.subject, row.occurred_at,
                                      row.mailbox, 0, was, will))
    return looked, _with_entry_counts(session, changed)


def with_file(ctx: CaptureContext, parsed: TemplatesFile) -> CaptureContext:
    """The capture context as it would be once `parsed` is applied (nothing is written)."""
    templates = dict(ctx.templates)
    for t in parsed.templates:
        templates[t.code] = TemplateInfo(t.code, t.group, t.unit_cost, t.unit_duration_min,
                                         t.correspondence_type)
    setup = {kind: templates[parsed.setup.get(kind, info.code)]
             for kind, info in ctx.setup.items()}
    rules = ctx.rules
    if parsed.rules is not None:
        stored = [MatchRule(position=position, template_code=rule.template,
                            **{k: getattr(rule, k) for k in RULE_KEYS - {"template"}})
                  for position, rule in enumerate(parsed.rules)]
        rules = compile_rules(sorted(stored, key=lambda r: (r.priority, r.position)))
    return replace(ctx, templates=templates, setup=setup, rules=rules)


def _with_entry_counts(session: Session, changes: Iterable[ItemChange]) -> list[ItemChange]:
    changes = list(changes)
    e = InteractionLogEntry
    counts: dict[str, int] = {}
    keys = sorted({c.key for c in changes})
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
        for column in (e.internet_message_id, e.ical_uid):
            counts.update(dict(session.execute(  # type: ignore[arg-type]
                sa.select(column, sa.func.count()).where(column.in_(part)).group_by(column)
            ).all()))
    return [replace(c, entries=counts.get(c.key, 0)) for c in changes]
