"""Capture from the data it kept (`captured_items.item`), with no Graph request: one home for
the meetings that have just started (`due.py`) and a contact added later (`past.py`).

The kept copies of one mailbox are decoded, planned again with the context as it is now
(contacts, templates, rules) and written through the same code as a delta page
(`entries.write_plans`): what is already logged is not logged again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from sqlalchemy.orm import Session

from connector.capture.context import CaptureContext
from connector.capture.entries import plan_item, write_plans
from connector.capture.outcome import PageOutcome
from connector.capture.participants import Plan
from connector.capture.records import Source
from connector.capture.state import load_state
from connector.item_json import item_from_json
from storage.vocabulary import ItemKind

log = logging.getLogger(__name__)


def decoded(copy_id: int, text: str | None) -> Source | None:
    """A kept item, or None (logged) when its data is missing or cannot be read."""
    try:
        return item_from_json(text) if text else None
    except (ValueError, KeyError, TypeError):
        log.warning("captured item %s: its kept data cannot be read; not logged", copy_id)
        return None


def write_kept(session: Session, ctx: CaptureContext, rows: Iterable[Any]) -> PageOutcome:
    """Plan again and write the kept copies `rows` — (id, mailbox, item) tuples, sorted by
    mailbox — mailbox by mailbox; the figures of what was written."""
    total = PageOutcome()
    for mailbox, group in groupby(rows, key=lambda r: str(r[1])):
        total += _write_mailbox(session, ctx, mailbox, [decoded(r[0], r[2]) for r in group])
    return total


def _write_mailbox(
    session: Session, ctx: CaptureContext, mailbox: str, items: list[Source | None]
) -> PageOutcome:
    out = PageOutcome()
    plans: dict[str, Plan] = {}
    sources: dict[str, Source] = {}
    for item in items:
        plan = None if item is None else plan_item(ctx, mailbox, item)
        if isinstance(plan, str):
            out.skipped[plan] += 1
        elif plan is not None and item is not None:
            plans[plan.graph_id], sources[plan.graph_id] = plan, item
    state = load_state(
        session, mailbox,
        mail_keys={p.key for p in plans.values() if p.kind == ItemKind.EMAIL},
        meeting_keys={p.key for p in plans.values() if p.kind == ItemKind.MEETING},
        removed_ids=set(),
    )
    write_plans(session, ctx, mailbox, plans, sources, state, ctx.now(), out)
    return out
