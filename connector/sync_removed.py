"""A calendar `@removed` is not proof that a meeting is gone: check it before the writer acts.

calendarView delta reports `@removed` both for events deleted inside the window and for
events that merely left it (moved, or changed outside it). For each removed id that this
mailbox has captured, `GET /users/{id}/events/{id}`: found → the fetched `GraphEvent` is
passed on instead (its entries stay, moved if its times changed); 404 → `Removed(id,
"deleted")` and the writer decides. Ids never captured need no request: nothing refers to
them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.errors import Action, GraphError
from connector.items import DeltaItem, Removed
from connector.streams import CalendarViewStream
from storage.capture_models import CapturedItem

if TYPE_CHECKING:
    from connector.sync_env import StreamRun


def captured_ids(session: Session, mailbox: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` this mailbox has a captured copy of."""
    wanted = list(set(ids))
    query = sa.select(CapturedItem.graph_id).where(
        CapturedItem.mailbox == mailbox.lower(), CapturedItem.graph_id.in_(wanted)
    )
    return set(session.scalars(query))


async def check_event(run: StreamRun, stream: CalendarViewStream, event_id: str) -> DeltaItem:
    """The event as Graph has it now, or `Removed(id, "deleted")` when Graph says 404."""
    try:
        raw = await run.send(lambda _size: stream.event_request(run.env.client, event_id),
                             "removed-event check")
    except GraphError as error:
        if error.action is Action.NOT_FOUND:
            return Removed(event_id, "deleted")
        raise
    return stream.parse_item(json.loads(raw))


async def verify_removed(
    run: StreamRun, stream: CalendarViewStream, items: list[DeltaItem]
) -> list[DeltaItem]:
    """`items` with every captured `@removed` event replaced by what Graph says now."""
    removed = [i.id for i in items if isinstance(i, Removed)]

    def known() -> set[str]:
        with Session(run.env.db) as session:
            return captured_ids(session, stream.mailbox, removed)

    ids = await asyncio.to_thread(known)
    if not ids:
        return items
    order = sorted(ids)
    found = await asyncio.gather(*(check_event(run, stream, i) for i in order))
    checked = dict(zip(order, found, strict=True))
    return [checked.get(i.id, i) if isinstance(i, Removed) else i for i in items]
