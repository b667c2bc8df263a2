"""A seeded generator of mailbox histories: mail sent, replied to all, forwarded, read,
flagged, categorised, moved, deleted and restored; meetings and series created, moved,
canceled, declined, deleted; attendees added; a contact added later; syncs in between, some
killed, stopped, throttled or with expired delta tokens.

It keeps to histories whose outcome the documented rules decide: a meeting is acted on only
while it is still to come or after a complete sync has seen it started, and is not canceled
after a move or a new attendee that no sync has seen yet.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.support.model.meetings import MeetingSteps
from tests.support.model.world import (
    LATE,
    MAILBOXES,
    PERSONS,
    ROBOT,
    Action,
    AddContact,
    Advance,
    History,
    Mail,
    MailChange,
    MailDelete,
    MailMove,
    Send,
    Sync,
    World,
    is_internal,
)

# naive UTC, like the entries table; meetings start on :00 and :30, syncs run at :07
START = datetime(2025, 3, 10, 9, 7, tzinfo=UTC).replace(tzinfo=None)
EXTERNAL = (*PERSONS, ROBOT)
SYNCS = ("plain",) * 5 + ("throttle",) * 2 + ("kill",) * 2 + ("stop", "expire")


class Generator(MeetingSteps):
    def __init__(self, seed: int, late_contacts: bool, steps: int) -> None:
        self.rng = random.Random(seed)
        self.seed, self.late, self.steps = seed, late_contacts, steps
        self.boxes = MAILBOXES[: self.rng.choice((2, 2, 3))]
        self.world = World(now=START)
        self.out: list[Action] = []
        self.n = 0
        self.last_sync = START - timedelta(days=365)
        self.seen: set[str] = set()  # meeting keys a complete sync has seen
        self.touched: set[str] = set()  # moved or given attendees since the last sync

    def history(self) -> History:
        late_at = self.rng.randrange(self.steps) if self.late else -1
        for i in range(self.steps):
            if i == late_at:
                self.emit(AddContact(*LATE))
            self.one_step()
            self.emit(Advance(self.rng.choice((1, 2, 3, 5, 8, 13))))
            if self.rng.random() < 0.2:
                self.sync()
        self.sync()
        return History(self.seed, START, self.boxes, tuple(self.out))

    def emit(self, action: Action) -> None:
        self.world.apply(action)
        self.out.append(action)

    def sync(self) -> None:
        how = self.rng.choice(SYNCS)
        self.emit(Sync(how, self.rng.randint(1, 3)))
        if how in ("kill", "stop"):
            self.emit(Sync("plain"))
        self.last_sync = self.world.now
        self.seen |= {k for k, o in self.world.meetings.items() if o.holders}
        self.touched.clear()

    def one_step(self) -> None:
        moves: list[tuple[int, Callable[[], Action | None]]] = [
            (5, self.inbound), (5, self.outbound), (1, self.internal), (1, self.draft),
            (1, self.old_mail), (3, self.reply_all), (2, self.forward), (4, self.change),
            (3, self.move_mail), (1, self.delete_mail), (4, self.meeting),
            (3, self.move_meeting), (2, self.cancel), (1, self.drop), (2, self.attendee),
        ]  # fmt: skip
        weights = [w for w, _ in moves]
        for _ in range(5):
            action = self.rng.choices([f for _, f in moves], weights)[0]()
            if action is not None:
                self.emit(action)
                return

    # -- mail ------------------------------------------------------------------------------
    def key(self, prefix: str) -> str:
        self.n += 1
        return f"<{prefix}{self.n}.s{self.seed}@model.test>"

    def when(self) -> datetime:
        return self.world.now - timedelta(minutes=self.rng.randrange(1, 50))

    def some(self, pool: tuple[str, ...], low: int, high: int) -> tuple[str, ...]:
        return tuple(self.rng.sample(pool, self.rng.randint(low, min(high, len(pool)))))

    def outsiders(self) -> tuple[str, ...]:
        return (*(a for a in EXTERNAL if a != ROBOT), LATE[0])

    def inbound(self) -> Action:
        sender = self.rng.choice((*EXTERNAL, LATE[0]))
        return Send(Mail(self.key("in"), sender, self.some(self.boxes, 1, 2),
                         cc=self.some(self.outsiders(), 0, 1), when=self.when()))

    def outbound(self) -> Action:
        sender, out = self.rng.choice(self.boxes), self.outsiders()
        return Send(Mail(self.key("out"), sender, self.some(out, 1, 2),
                         cc=self.some(self.boxes, 0, 1), bcc=self.some(out, 0, 1),
                         when=self.when()))

    def internal(self) -> Action:
        sender = self.rng.choice(self.boxes)
        return Send(Mail(self.key("int"), sender, self.some(self.boxes, 1, 2), when=self.when()))

    def draft(self) -> Action:
        sender = self.rng.choice(self.boxes)
        return Send(Mail(self.key("draft"), sender, self.some(self.outsiders(), 1, 1),
                         when=self.when(), draft=True))

    def old_mail(self) -> Action:
        sender = self.rng.choice(self.outsiders())
        when = START - timedelta(days=self.rng.randint(200, 900))
        return Send(Mail(self.key("old"), sender, self.some(self.boxes, 1, 2), when=when,
                         folder=self.rng.choice(("archive", "inbox"))))

    def sent_mail(self) -> Mail | None:
        mails = [m for m in self.world.mails.values() if not m.draft]
        return self.rng.choice(mails) if mails else None

    def reply_all(self) -> Action | None:
        if (old := self.sent_mail()) is None or not old.to:
            return None
        sender = self.rng.choice([a for a in old.to if a in self.boxes or not is_internal(a)])
        rest = tuple(dict.fromkeys(a for a in (old.sender, *old.to) if a != sender))
        return Send(Mail(self.key("re"), sender, rest, cc=old.cc, when=self.when()))

    def forward(self) -> Action | None:
        if (old := self.sent_mail()) is None:
            return None
        held = [b for b in (old.sender, *old.to, *old.cc) if b in self.boxes]
        if not held:
            return None
        to = self.some(self.outsiders(), 1, 1)
        return Send(Mail(self.key("fw"), self.rng.choice(held), to, when=self.when()))

    def copy(self) -> tuple[str, str, str] | None:
        copies = sorted(self.world.copies.items())
        if not copies:
            return None
        (box, key), folder = self.rng.choice(copies)
        return box, key, folder

    def change(self) -> Action | None:
        if (c := self.copy()) is None:
            return None
        return MailChange(c[0], c[1], self.rng.choice(("read", "flag", "category")))

    def move_mail(self) -> Action | None:
        if (c := self.copy()) is None:
            return None
        home = "sentitems" if self.world.mails[c[1]].sender == c[0] else "inbox"
        targets = [f for f in (home, "archive", "deleteditems") if f != c[2]]
        return MailMove(c[0], c[1], self.rng.choice(targets))

    def delete_mail(self) -> Action | None:
        return None if (c := self.copy()) is None else MailDelete(c[0], c[1])



def generate(seed: int, *, late_contacts: bool = False, steps: int = 30) -> History:
    """The history of `seed`: the same seed always gives the same history."""
    return Generator(seed, late_contacts, steps).history()
