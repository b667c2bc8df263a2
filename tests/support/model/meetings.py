"""The meeting half of the history generator (`generate.py`'s `Generator` mixes it in)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from tests.support.model.world import (
    Action,
    Meet,
    MeetAttendee,
    MeetCancel,
    MeetDrop,
    Meeting,
    MeetMove,
    Occurrence,
    World,
)

HALF_HOUR = timedelta(minutes=30)


class MeetingSteps:
    rng: random.Random
    world: World
    boxes: tuple[str, ...]
    last_sync: datetime
    seen: set[str]
    touched: set[str]
    n: int
    seed: int

    def outsiders(self) -> tuple[str, ...]:
        raise NotImplementedError

    def some(self, pool: tuple[str, ...], low: int, high: int) -> tuple[str, ...]:
        raise NotImplementedError

    def slot(self, low: int, high: int) -> datetime:
        """A start on a half hour, `low`..`high` half hours from now (never at a sync)."""
        hour = self.world.now.replace(minute=0)
        return hour + self.rng.randint(low, high) * HALF_HOUR

    def meeting(self) -> Action:
        self.n += 1
        key = f"ev{self.n}.s{self.seed}"
        if self.rng.random() < 0.7:
            organizer = self.rng.choice(self.boxes)
            others = tuple(b for b in self.boxes if b != organizer)
            people = (*self.some(self.outsiders(), 0, 3), *self.some(others, 0, 1))
        else:
            organizer = self.rng.choice(self.outsiders())
            people = (*self.some(self.boxes, 1, 2), *self.some(self.outsiders(), 0, 1))
        kind = self.rng.random()
        if kind < 0.1:  # all day
            day = self.slot(-200, 200).replace(hour=0, minute=0)
            return Meet(Meeting(key, organizer, people, day, 24 * 60, all_day=True))
        if kind < 0.25:  # a weekly series of three, some of it past
            return Meet(Meeting(key, organizer, people, self.slot(-700, 50), 60, occurrences=3))
        minutes = self.rng.choice((30, 60, 90))
        return Meet(Meeting(key, organizer, people, self.slot(-300, 300), minutes))

    def actionable(self, occ: Occurrence) -> bool:
        """Still to come, or seen started by a complete sync; not canceled; held somewhere."""
        live = not (occ.canceled or occ.organizer_deleted) and bool(occ.holders)
        return live and (occ.start > self.world.now or occ.start < self.last_sync)

    def pick(self, single: bool = False) -> Occurrence | None:
        found = [o for o in self.world.meetings.values()
                 if self.actionable(o) and (not single or o.key == o.series)]
        return self.rng.choice(sorted(found, key=lambda o: o.key)) if found else None

    def move_meeting(self) -> Action | None:
        """Within the future or the settled past; sometimes a past one into the future."""
        if (occ := self.pick()) is None:
            return None
        future = occ.start > self.world.now or self.rng.random() < 0.2
        if future:
            start = self.slot(1, 300)
        else:
            start = self.last_sync.replace(minute=0) - self.rng.randint(1, 200) * HALF_HOUR
        if occ.all_day:
            start = start.replace(hour=0, minute=0)
        if (start > self.world.now) != future or (not future and start >= self.last_sync):
            return None
        self.touched.add(occ.key)
        return MeetMove(occ.key, start)

    def cancel(self) -> Action | None:
        if (occ := self.pick()) is None:
            return None
        whole = occ.key != occ.series and self.rng.random() < 0.5
        group = self.world.series_of(occ.series) if whole else [occ]
        if not all(self.actionable(o) and self.may_end(o) for o in group):
            return None
        single = occ.key == occ.series or whole
        delete = single and occ.organizer in self.boxes and self.rng.random() < 0.5
        return MeetCancel(occ.series if whole else occ.key, delete=delete)

    def may_end(self, occ: Occurrence) -> bool:
        """Not canceled after a change that no complete sync has seen."""
        return occ.key not in self.seen or occ.key not in self.touched

    def drop(self) -> Action | None:
        if (occ := self.pick()) is None:
            return None
        group = self.world.series_of(occ.series)
        holders = sorted(occ.holders - {occ.organizer})
        if not holders or not all(self.actionable(o) for o in group):
            return None
        return MeetDrop(occ.series, self.rng.choice(holders))

    def attendee(self) -> Action | None:
        if (occ := self.pick(single=True)) is None:
            return None
        present = {occ.organizer, *(a for a, _ in occ.attendees)}
        outside = [a for a, r in occ.attendees if a in self.outsiders() and r == "none"]
        if outside and self.rng.random() < 0.3:
            return MeetAttendee(occ.key, self.rng.choice(outside), declined=True)
        new = [a for a in (*self.outsiders(), *self.boxes) if a not in present]
        if not new:
            return None
        self.touched.add(occ.key)
        return MeetAttendee(occ.key, self.rng.choice(new))
