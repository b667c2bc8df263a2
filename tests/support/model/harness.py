"""Run a history through real syncs and compare the log with the reference model.

A fresh emulator per history (a tenant of the history's mailboxes only), the given database
seeded with templates, users and contacts, and `sync_mailboxes` through the real
msgraph-sdk over HTTP between the actions: some syncs throttled (429 with Retry-After, waited
out on a fake clock), killed mid-run (a `BaseException` from `after_page`, as a crash),
stopped (an `Exception` from `after_page`, as SIGTERM) or with every delta token expired.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture.past import log_new_reach, reach
from connector.sync.engine import sync_mailboxes
from connector.sync.runs import RunSummary, StreamStats
from emulator import EmulatorServer, EmulatorSettings
from interlog.config import Settings, settings_from_dict
from storage.contacts_csv import import_contacts_csv
from storage.models import InteractionLogEntry as E
from tests.support.clock import FakeClock
from tests.support.model.emulate import apply
from tests.support.model.reference import (
    BACKFILL_DAYS,
    EMAIL_MINUTES,
    MEETING_MINUTES,
    Expected,
    Flags,
    expected,
)
from tests.support.model.world import (
    COMPANY,
    PERSONS,
    AddContact,
    Advance,
    History,
    Send,
    Sync,
    World,
)
from tests.support.seed import ContactRow, Dataset, TemplateRow, seed
from tests.support.sync import FAST, TOKEN

CSV_HEADER = "no,type,name,company_no,email,email2,domains\n"


class Crash(BaseException):
    """The process dying mid-sync: nothing on the way catches it."""


class Stop(Exception):
    """What a worker raises from `after_page` on SIGTERM."""


def settings_for(history: History, base_url: str) -> Settings:
    boxes = list(history.mailboxes)
    return settings_from_dict({
        "graph": {"base_url": base_url, "static_token": TOKEN},
        "sync": {"mailboxes": boxes, "internal_domains": ["contoso.com"], "page_size": 10,
                 "backfill_days": BACKFILL_DAYS, "calendar_past_days": 90,
                 "calendar_future_days": 90},
        "user": [{"upn": u} for u in boxes],
    }, env={})


def dataset(settings: Settings) -> Dataset:
    """Two templates (their unit durations are the model's), the users and the contacts."""
    nos: dict[str, list[str]] = {}
    for address, no in PERSONS.items():
        if no is not None:
            nos.setdefault(no, []).append(address)
    company = ContactRow(COMPANY[0], COMPANY[1], type="company", domains=(COMPANY[2],))
    persons = tuple(ContactRow(no, no.title(), tuple(emails),
                               company=COMPANY[0] if emails[0].endswith(COMPANY[2]) else None)
                    for no, emails in nos.items())
    return Dataset(
        groups=(("MAIL", "Mail"), ("MEET", "Meetings")),
        templates=(TemplateRow("EMAIL", "MAIL", minutes=str(EMAIL_MINUTES)),
                   TemplateRow("MEETING", "MEET", minutes=str(MEETING_MINUTES))),
        setup=(("email", "EMAIL"), ("meeting", "MEETING")),
        users=tuple(settings.users), contacts=(company, *persons),
    )  # fmt: skip


@dataclass
class Outcome:
    history: History
    model: set[Expected]
    log: set[Expected]
    rows: int
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and self.model == self.log and self.rows == len(self.log)

    def report(self) -> str:
        lines = [f"seed {self.history.seed}: {len(self.model)} entries expected, "
                 f"{self.rows} logged", *self.failures]
        lines += [f"  missing {e}" for e in sorted(self.model - self.log, key=repr)]
        lines += [f"  extra   {e}" for e in sorted(self.log - self.model, key=repr)]
        return "\n".join([*lines, "history:", *describe(self.history)])


def describe(history: History) -> list[str]:
    """One line per step: hours since the start, then the action."""
    out, hours = [], 0.0
    for step in history.steps:
        if isinstance(step, Advance):
            hours += step.hours
        elif isinstance(step, Send):
            m = step.mail
            out.append(f"  +{hours:g}h send {m.key} {m.sender} -> {','.join(m.to)}"
                       f" cc {','.join(m.cc)} bcc {','.join(m.bcc)} at {m.when:%m-%d %H:%M}"
                       f"{' draft' if m.draft else ''} in {m.folder}")
        else:
            out.append(f"  +{hours:g}h {step!r}")
    return out


def run(history: History, engine: Engine, flags: Flags) -> Outcome:
    """Play `history` against a fresh emulator into `engine` (migrated, empty)."""
    tenant = {"users": [{"id": f"id-{u.split('@')[0]}", "userPrincipalName": u, "mail": u,
                         "displayName": u.split("@")[0].title()} for u in history.mailboxes]}
    failures: list[str] = []
    with EmulatorServer.start(tenant, settings=EmulatorSettings(require_token=TOKEN),
                              port=0) as emu:
        settings = settings_for(history, emu.base_url)
        seed(engine, dataset(settings))
        world = World(now=history.start)
        for step in history.steps:
            world.apply(step)
            if isinstance(step, Sync):
                failures += _sync(step, emu, settings, engine, world)
            elif isinstance(step, AddContact):
                _add_contact(engine, step, settings, world)
            else:
                apply(emu.state, world, step)
    log, rows = logged(engine)
    return Outcome(history, expected(history, flags), log, rows, failures)


def _sync(step: Sync, emu: EmulatorServer, settings: Settings, engine: Engine,
          world: World) -> list[str]:  # fmt: skip
    if step.how == "throttle":
        emu.state.inject_fault(429, count=step.arg, path="(?i)delta", retry_after=30 * step.arg)
    elif step.how == "expire":
        emu.state.expire_tokens()
    pages = 0

    def after_page(stats: StreamStats) -> None:
        nonlocal pages
        pages += 1
        if pages == step.arg and step.how in ("kill", "stop"):
            raise Crash if step.how == "kill" else Stop("stop requested")

    clock = FakeClock(world.now.replace(tzinfo=UTC))
    summary: RunSummary | None = None
    with contextlib.suppress(Crash):
        summary = sync_mailboxes(settings, engine, None, clock=clock, after_page=after_page,
                                 policy=FAST)
    emu.state.faults.clear()
    if summary is None or summary.ok or (step.how == "stop" and not summary.errors):
        return []  # a stop ends streams as `stopped`, without errors (docs/sync.md)
    return [f"  sync {step} at {world.now}: {summary.status} {summary.errors}"]


def _add_contact(engine: Engine, step: AddContact, settings: Settings, world: World) -> None:
    """What `interlog contacts import FILE.csv` does with a one-row file: the contact, and
    its past from the kept data (no Graph request), at the history's time."""
    row = f"{step.no},person,{step.no.title()},,{step.address},,\n"
    now = world.now.astimezone(UTC).replace(tzinfo=None)
    with Session(engine) as session, session.begin():
        before = reach(session)
        import_contacts_csv(session, CSV_HEADER + row)
        log_new_reach(session, settings, before, now=lambda: now)


def logged(engine: Engine) -> tuple[set[Expected], int]:
    """The entries table as the model's tuples (the user only where the rules fix it)."""
    query = sa.select(E.source, E.internet_message_id, E.ical_uid, E.contact_no, E.canceled,
                      E.occurred_at, E.duration_min, E.information_flow, E.user_upn)
    with Session(engine) as session:
        rows = session.execute(query).all()
    out = {Expected(str(src), str(imid or uid), no, bool(canceled), at.replace(microsecond=0),
                    int(minutes), str(flow), upn if flow == "outbound" else None)
           for src, imid, uid, no, canceled, at, minutes, flow, upn in rows}
    return out, len(rows)
