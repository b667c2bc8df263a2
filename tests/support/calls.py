"""Calls end to end: a small tenant (alice and bob at Contoso), contacts with phone numbers,
settings with `[sync] calls = true`, and ways to make calls in the emulator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.sync.engine import sync_mailboxes
from connector.sync.runs import RunSummary
from emulator import EmulatorServer
from emulator.gen_calls import call_record, phone, pstn_row, user
from interlog.config import Settings, settings_from_dict
from storage.capture_models import UnmatchedAddress
from storage.contacts_csv import import_contacts_csv
from storage.models import InteractionLogEntry
from tests.support.clock import FakeClock
from tests.support.seed import Dataset
from tests.support.sync import FAST, TOKEN

NOW = datetime(2025, 3, 14, 12, tzinfo=UTC)  # the sync's and the emulator's clock
TENANT_ID = "00000000-0000-4000-8000-00000000c0de"
OTHER_TENANT = "11111111-1111-4111-8111-111111111111"
ALICE = {"id": "a1a1a1a1-0000-4000-8000-000000000001", "userPrincipalName": "alice@contoso.com",
         "mail": "alice@contoso.com", "displayName": "Alice"}
BOB = {"id": "b0b0b0b0-0000-4000-8000-000000000002", "userPrincipalName": "bob@contoso.com",
       "mail": "bob@contoso.com", "displayName": "Bob"}
TENANT = {"users": [ALICE, BOB], "messages": {}, "events": {}}
ALICE_NUMBER = "+4930555000"  # alice's own line (the user side of her PSTN rows)
HANS = "+49301234567"  # written "030 1234567" in the CSV: read in default_region DE
ANA = "+12065550100"
CONTACTS_CSV = (
    "no,type,name,company_no,email,email2,domains,phone,mobile\n"
    "C1,company,Fabrikam,,,,fabrikam.com,,\n"
    "P1,person,Hans Weber,C1,hans@fabrikam.com,,,030 1234567,+49 170 1234567\n"
    "P2,person,Ana Ruiz,,ana@adatum.com,,,+1 206 555 0100,\n"
)


def settings(base_url: str, **sync: Any) -> Settings:
    return settings_from_dict({
        "graph": {"base_url": base_url, "static_token": TOKEN},
        "sync": {"mailboxes": [ALICE["mail"], BOB["mail"]], "internal_domains": ["contoso.com"],
                 "calls": True, "default_region": "DE", **sync},
        "user": [{"upn": u["mail"], "aad_object_id": u["id"]} for u in (ALICE, BOB)],
    }, env={})  # fmt: skip


# Inbound calls get a template of their own: a rule with kind = "call".
TEMPLATES = """
[[group]]
code = "CALLS"
description = "Phone calls"

[[template]]
code = "CALLIN"
group = "CALLS"
description = "Incoming call"
information_flow = "inbound"
initiated_by = "them"
unit_cost = 0.0
unit_duration_min = 5
correspondence_type = ""

[[rule]]
template = "CALLIN"
priority = 5
kind = "call"
direction = "inbound"
"""


def dataset(config: Settings) -> Dataset:
    def contacts(session: Session) -> None:
        import_contacts_csv(session, CONTACTS_CSV, default_region="DE")

    return Dataset(defaults=True, users=tuple(config.users), templates_toml=TEMPLATES,
                   more=contacts)


def teams(person: dict[str, Any]) -> dict[str, Any]:
    """A configured user as a call party."""
    return user(person["id"], person["userPrincipalName"], person["displayName"], TENANT_ID)


def external(upn: str, name: str) -> dict[str, Any]:
    return user(f"ext-{upn}", upn, name, OTHER_TENANT)


@dataclass
class Calls:
    """Makes calls in the emulator and syncs them."""

    emulator: EmulatorServer
    config: Settings
    engine: Engine
    made: int = 0

    def sync(self, *, full: bool = False, trigger: str = "cli") -> RunSummary:
        summary = self.sync_unchecked(full=full, trigger=trigger)
        assert summary.ok, summary.errors
        return summary

    def sync_unchecked(self, *, full: bool = False, trigger: str = "cli") -> RunSummary:
        return sync_mailboxes(self.config, self.engine, full=full, clock=FakeClock(NOW),
                              policy=FAST, trigger=trigger)

    def record(self, caller: dict[str, Any], callees: list[dict[str, Any]], *,
               hours_ago: float = 3, minutes: float = 7, **kw: Any) -> str:
        self.made += 1
        start = NOW - timedelta(hours=hours_ago)
        return self.emulator.calls.add_record(
            call_record(f"call-{self.made}", start, minutes, caller, callees, **kw))

    def pstn(self, number: str, *, hours_ago: float = 3, seconds: int = 420,
             outbound: bool = True, offset_s: int = 20) -> str:
        self.made += 1
        start = NOW - timedelta(hours=hours_ago) + timedelta(seconds=offset_s)
        return self.emulator.calls.add_pstn(pstn_row(
            f"row-{self.made}", ALICE["id"], ALICE["mail"], start, seconds, outbound=outbound,
            user_number=ALICE_NUMBER, other_number=number))


def call_entries(engine: Engine) -> list[InteractionLogEntry]:
    with Session(engine) as session:
        return list(session.scalars(sa.select(InteractionLogEntry).where(
            InteractionLogEntry.source == "call").order_by(InteractionLogEntry.contact_no)))


def unmatched(engine: Engine) -> dict[str, tuple[str, bool]]:
    with Session(engine) as session:
        rows = session.execute(sa.select(UnmatchedAddress.address, UnmatchedAddress.kind,
                                         UnmatchedAddress.masked))
        return {a: (k, m) for a, k, m in rows}


__all__ = ["ALICE", "ANA", "BOB", "HANS", "Calls", "phone"]
