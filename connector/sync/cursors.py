"""Where each stream stands, and which delta rounds a sync runs next.

Rules (docs/sync.md):
- A round in progress (a stored `next_link`) is resumed where it stopped.
- No stored cursor, `--full`, or a 410 → a new *initial* round: the whole folder is read (no
  `$filter`: it caps a round at 5,000).
- In every mail round, initial or not, only mail received within `backfill_days` of the
  round's start is kept: a changed old message is not a new interaction.
- The calendarView window is [today − calendar_past_days, today + calendar_future_days]
  (days in UTC). When the stored window's start or end is a day or more away from that,
  the window is *stale*: the old round is first caught up from its deltaLink (so no
  cancellation in the old window is missed), then a new initial round opens the new window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from connector.settings import SyncSettings
from connector.streams import Window
from storage.models import utcnow
from storage.sync_models import SyncCursor
from storage.vocabulary import StreamKind

STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class CursorState:
    delta_link: str | None = None
    next_link: str | None = None
    round_initial: bool = True
    window: Window | None = None
    round_started_at: datetime | None = None


@dataclass(frozen=True)
class Round:
    """One delta round to run: from `link` (None = open a new round), initial or not."""

    link: str | None
    initial: bool
    window: Window | None
    started_at: datetime


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def _naive(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _find(session: Session, mailbox: str, stream: str, folder: str) -> SyncCursor | None:
    query = sa.select(SyncCursor).where(
        SyncCursor.mailbox == mailbox, SyncCursor.stream == stream, SyncCursor.folder == folder
    )
    return session.scalars(query).one_or_none()


def load_cursor(session: Session, mailbox: str, stream: str, folder: str) -> CursorState:
    row = _find(session, mailbox, stream, folder)
    if row is None:
        return CursorState()
    window = None
    if row.window_start is not None and row.window_end is not None:
        window = Window(row.window_start.replace(tzinfo=UTC), row.window_end.replace(tzinfo=UTC))
    return CursorState(row.delta_link, row.next_link, row.round_initial, window,
                       _aware(row.round_started_at))


def save_cursor(
    session: Session, mailbox: str, stream: str, folder: str, state: CursorState,
    *, round_done: bool = False, resynced: bool = False,
) -> None:  # fmt: skip
    """Write the cursor (never commits: the caller's transaction also holds the page).

    An UPDATE of its row, else an INSERT of a new one, as Core statements: loading the row
    into the ORM and flushing it back cost ~3 ms of CPU a page, more than a small page's
    capture (issue 16)."""
    session.flush()  # the caller's pending objects first, as the ORM's own query did
    t = cast(sa.Table, SyncCursor.__table__)
    values: dict[str, Any] = {
        "delta_link": state.delta_link, "next_link": state.next_link,
        "round_initial": state.round_initial, "round_started_at": _naive(state.round_started_at),
        "window_start": _naive(state.window.start) if state.window else None,
        "window_end": _naive(state.window.end) if state.window else None,
    }  # fmt: skip
    if round_done:
        values["last_round_at"] = utcnow()
    where = (t.c.mailbox == mailbox, t.c.stream == stream, t.c.folder == folder)
    update = values | ({"resyncs": sa.func.coalesce(t.c.resyncs, 0) + 1} if resynced else {})
    result = cast(CursorResult[Any], session.execute(sa.update(t).where(*where).values(update)))
    if result.rowcount == 0:
        session.execute(sa.insert(t).values(mailbox=mailbox, stream=stream, folder=folder,
                                            resyncs=int(resynced), **values))


def wanted_window(now: datetime, sync: SyncSettings) -> Window:
    """The calendar window for `now`: whole UTC days around today."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return Window(today - timedelta(days=sync.calendar_past_days),
                  today + timedelta(days=sync.calendar_future_days))


def window_stale(stored: Window | None, wanted: Window) -> bool:
    if stored is None:
        return True
    return (abs(stored.start - wanted.start) >= STALE_AFTER
            or abs(stored.end - wanted.end) >= STALE_AFTER)


def initial_round(kind: StreamKind, now: datetime, sync: SyncSettings) -> Round:
    window = wanted_window(now, sync) if kind == StreamKind.CALENDAR else None
    return Round(None, True, window, now)


def plan_rounds(
    kind: StreamKind, state: CursorState, now: datetime, sync: SyncSettings, *, full: bool
) -> list[Round]:
    """The rounds this sync runs for one stream, in order."""
    if full:
        return [initial_round(kind, now, sync)]
    started = state.round_started_at or now
    if state.next_link:
        return [Round(state.next_link, state.round_initial, state.window, started)]
    if not state.delta_link:
        return [initial_round(kind, now, sync)]
    resume = Round(state.delta_link, False, state.window, now)
    if kind == StreamKind.CALENDAR and window_stale(state.window, wanted_window(now, sync)):
        return [resume, initial_round(kind, now, sync)]
    return [resume]


def round_state(rnd: Round, *, next_link: str | None, delta_link: str | None) -> CursorState:
    """The cursor to store after a page of `rnd` (a deltaLink ends the round)."""
    state = CursorState(None, next_link, rnd.initial, rnd.window, rnd.started_at)
    if delta_link is not None:
        state = replace(state, delta_link=delta_link, next_link=None, round_initial=False,
                        round_started_at=None)
    return state


def backfill_cutoff(rnd: Round, kind: StreamKind, sync: SyncSettings) -> datetime | None:
    """Mail received before this is never logged, in any round (naive UTC); None for calendars.

    Every round, not only the first: a later round reports every message that *changed*
    (read, flagged, categorised, moved into a synced folder), and a years-old message someone
    marked read today did not happen today (docs/capture.md, "Changed items"). Counted from
    when the round started, so a resumed round keeps the same cut-off.
    """
    if kind != StreamKind.MAIL:
        return None
    start = rnd.started_at.astimezone(UTC)
    return (start - timedelta(days=sync.backfill_days)).replace(tzinfo=None)
