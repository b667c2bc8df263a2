"""A calendar `@removed` is not proof that a meeting is gone: check it before the writer acts.

calendarView delta reports `@removed` both for events deleted inside the window and for
events that merely left it (moved, or changed outside it). For each removed id that this
mailbox has captured, `GET /users/{id}/events/{id}` — twenty to a `POST /$batch`
(`connector/graph/batch.py`), so a page's checks cost ⌈n / 20⌉ requests, not n: found → the
fetched `GraphEvent` is passed on instead (its entries stay, moved if its times changed);
404 → `Removed(id, "deleted")` and the writer decides. Ids never captured need no request:
nothing refers to them.

A new *initial* round (first sync, `--full`, or a 410 resync) lists only the events that
exist: an event deleted meanwhile is never reported `@removed`. So when such a round ends,
each event this mailbox had captured in the window that the round did not list is checked
the same way (`missing_from_round`) and written with the round's last page.

Items of a batch that fail retriably (429 with their own `Retry-After`, 503…) are asked again
in the next batch through the run's retry policy and clock; any other failure fails the
stream with Graph's message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC
from typing import TYPE_CHECKING

import sqlalchemy as sa
from kiota_abstractions.request_information import RequestInformation
from sqlalchemy.orm import Session

from connector.errors import Action
from connector.graph.batch import SubResponse, get_many
from connector.items import DeltaItem, Removed
from connector.streams import CalendarViewStream, Window
from connector.sync.env import PER_MAILBOX
from storage.capture_models import CapturedItem
from storage.vocabulary import ItemKind

if TYPE_CHECKING:
    from connector.sync.env import StreamRun

WHAT = "removed-event check"
# Outlook runs up to 4 items of a batch at once: a batch holds this many of the mailbox's
# slots of requests in flight, so that it does not get the mailbox's other requests throttled.
BATCH_SLOTS = PER_MAILBOX


def captured_ids(session: Session, mailbox: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` this mailbox has a captured copy of."""
    wanted = list(set(ids))
    query = sa.select(CapturedItem.graph_id).where(
        CapturedItem.mailbox == mailbox.lower(), CapturedItem.graph_id.in_(wanted)
    )
    return set(session.scalars(query))


@asynccontextmanager
async def _holding(gate: asyncio.Semaphore, slots: int) -> AsyncIterator[None]:
    """`slots` places of a semaphore, taken one by one and all given back."""
    taken = 0
    try:
        for _ in range(slots):
            await gate.acquire()
            taken += 1
        yield
    finally:
        for _ in range(taken):
            gate.release()


async def _send_batch(run: StreamRun, info: RequestInformation) -> bytes:
    """One `$batch` request: one Graph request for the run's count, behind both gates."""
    async with _holding(run.env.box(run.stream.mailbox), BATCH_SLOTS), run.env.gate:
        run.stats.graph_requests += 1
        return await run.env.client.send(info, f"{WHAT} ($batch)")


def _item(stream: CalendarViewStream, event_id: str, answer: SubResponse) -> DeltaItem:
    if not answer.ok:  # only NOT_FOUND is accepted as an answer
        return Removed(event_id, "deleted")
    return stream.parse_item(answer.body)


async def check_events(
    run: StreamRun, stream: CalendarViewStream, event_ids: list[str]
) -> dict[str, DeltaItem]:
    """Each event as Graph has it now, or `Removed(id, "deleted")` when Graph says 404."""
    client = run.env.client
    requests = {str(n): stream.event_request(client, i) for n, i in enumerate(event_ids)}
    answers = await get_many(
        requests, lambda info: _send_batch(run, info), clock=run.env.clock,
        policy=run.env.policy, what=WHAT, accept={Action.NOT_FOUND}, on_retry=run._on_retry,
    )  # fmt: skip
    return {i: _item(stream, i, answers[str(n)]) for n, i in enumerate(event_ids)}


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
    checked = await check_events(run, stream, sorted(ids))
    return [checked.get(i.id, i) if isinstance(i, Removed) else i for i in items]


def _unlisted(session: Session, mailbox: str, window: Window, listed: set[str]) -> list[str]:
    """This mailbox's captured, not canceled meetings starting in `window` not in `listed`."""
    ci = CapturedItem
    start, end = (w.astimezone(UTC).replace(tzinfo=None) for w in (window.start, window.end))
    query = sa.select(ci.graph_id).where(
        ci.mailbox == mailbox.lower(), ci.kind == ItemKind.MEETING.value,
        ci.canceled_at.is_(None), ci.occurred_at >= start, ci.occurred_at < end)
    return sorted(set(session.scalars(query)) - listed)


async def missing_from_round(
    run: StreamRun, stream: CalendarViewStream, window: Window, listed: set[str]
) -> list[DeltaItem]:
    """What Graph says now of each captured event of the window a finished initial round did
    not list (`listed`: the ids this run saw of the round): the event (moved away) or
    `Removed(id, "deleted")` on a 404. A round resumed from a stored link saw only its last
    pages here, so more events are checked: ⌈n / 20⌉ requests, never a missed deletion."""

    def unlisted() -> list[str]:
        with Session(run.env.db) as session:
            return _unlisted(session, stream.mailbox, window, listed)

    ids = await asyncio.to_thread(unlisted)
    if not ids:
        return []
    checked = await check_events(run, stream, ids)
    return [checked[i] for i in ids]
