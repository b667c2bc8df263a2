"""What a call logs: one plan per call, with the contacts it gives a CALL entry to.

A call is logged when a configured user (a `[[user]]` / mailbox, known by UPN or Entra
object id) took part in it with an external party that matches a contact: a phone number
(`storage/phones.py`, E.164), or a Teams user of another organisation by UPN (its contact,
else the company owning its domain). Direction comes from who started it (the first
session's caller, else the organiser): ours → outbound / us, theirs → inbound / them.

The PSTN log and the call records describe a PSTN call twice, with no documented id linking
them: a row is the record's when they share the user, the other party's number and a start
within `TOLERANCE`. For such a call the row wins (its connected seconds are the duration,
and 0 seconds means nobody answered); otherwise a record is unanswered when all its
sessions failed at set-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from connector.calls.items import GraphCall, Party, PstnCall
from connector.capture.context import CaptureContext, ContactInfo
from connector.items import Address
from storage.phones import is_masked, party_number
from storage.vocabulary import InformationFlow

TOLERANCE = timedelta(minutes=2)  # a PSTN row and a call record of the same call
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Unmatched:
    value: str  # an E.164 number (maybe masked) or an address
    kind: str  # phone | address
    masked: bool = False
    name: str = ""


@dataclass(frozen=True)
class CallPlan:
    key: str  # "call:<record id>" or "pstn:<row id>": the entries' key
    graph_id: str  # the record id, or "pstn:<row id>"
    version: int
    user_upn: str
    occurred_at: datetime
    end: datetime
    duration_min: Decimal
    attempt_failed: bool
    direction: InformationFlow
    number: str  # the other party's number, for reconciliation ("" for Teams-only calls)
    online_meeting: bool
    contacts: tuple[ContactInfo, ...]
    unmatched: tuple[Unmatched, ...]
    subject: str


@dataclass
class CallContext:
    """What planning needs besides the capture context: the configured users and numbers."""

    capture: CaptureContext
    upn_by_object_id: dict[str, str]
    configured: frozenset[str]  # lower-case UPNs
    contacts_by_number: dict[str, ContactInfo]
    default_region: str | None = None
    own_numbers: set[str] = field(default_factory=set)  # configured users' numbers

    def user_of(self, party: Party | None) -> str | None:
        """The configured user `party` is, else None."""
        if party is None or party.is_phone:
            return None
        upn = party.upn or self.upn_by_object_id.get(party.user_id.lower(), "")
        return upn if upn in self.configured else None

    def is_ours(self, party: Party) -> bool:
        """A configured user or a colleague (an internal address)."""
        if self.user_of(party) is not None:
            return True
        return bool(party.upn) and self.capture.is_internal(party.upn)

    def external(self, party: Party) -> ContactInfo | Unmatched | None:
        """The contact an external party matches, else what goes to the unmatched list
        (None: internal, excluded, or nobody to name)."""
        if party.is_phone:
            number = party_number(party.number, self.default_region)
            if number is None or number in self.own_numbers:
                return None
            if is_masked(number):
                return Unmatched(number, "phone", masked=True)
            return self.contacts_by_number.get(number) or Unmatched(number, "phone")
        if not party.upn or self.is_ours(party):
            return None
        who = self.capture.who(Address(party.upn, party.name))
        if who.internal or who.excluded or who.automated:
            return None
        return who.contact or Unmatched(party.upn, "address", name=party.name)


def _minutes(seconds: float) -> Decimal:
    return (Decimal(seconds) / 60).quantize(CENT)


def plan_call(ctx: CallContext, call: GraphCall) -> CallPlan | str:
    """The plan of a call record, or why it logs nothing."""
    parties = call.parties
    users = [u for u in (ctx.user_of(p) for p in parties) if u is not None]
    if not users:
        return "no_configured_user"
    first = call.sessions[0].caller if call.sessions else call.organizer
    starter = ctx.user_of(first)
    outbound = first is not None and ctx.is_ours(first)
    contacts, unmatched, numbers = _sort(ctx, parties)
    failed = call.unanswered
    seconds = 0.0 if failed else (call.end - call.start).total_seconds()
    return CallPlan(
        key=f"call:{call.id}", graph_id=call.id, version=call.version,
        user_upn=starter or users[0], occurred_at=call.start, end=call.end,
        duration_min=_minutes(seconds), attempt_failed=failed,
        direction=InformationFlow.OUTBOUND if outbound else InformationFlow.INBOUND,
        number=numbers[0] if numbers else "", online_meeting=call.join_web_url is not None,
        contacts=contacts, unmatched=unmatched,
        subject="Phone call" if numbers else "Teams call",
    )  # fmt: skip


def _sort(ctx: CallContext, parties: Iterable[Party]
          ) -> tuple[tuple[ContactInfo, ...], tuple[Unmatched, ...], list[str]]:
    contacts: dict[int, ContactInfo] = {}
    unmatched: dict[str, Unmatched] = {}
    numbers = []
    for party in parties:
        found = ctx.external(party)
        if party.is_phone and found is not None:
            numbers.append(found.value if isinstance(found, Unmatched)
                           else party_number(party.number, ctx.default_region) or "")
        if isinstance(found, ContactInfo):
            contacts.setdefault(found.id, found)
        elif isinstance(found, Unmatched):
            unmatched.setdefault(found.value, found)
    return tuple(contacts.values()), tuple(unmatched.values()), numbers


def plan_row(ctx: CallContext, row: PstnCall) -> CallPlan | str:
    """The plan of a PSTN log row that no call record describes."""
    if row.upn not in ctx.configured:
        return "no_configured_user"
    contacts, unmatched, numbers = _sort(ctx, [Party(number=row.other_number)])
    return CallPlan(
        key=f"pstn:{row.id}", graph_id=f"pstn:{row.id}", version=1, user_upn=row.upn,
        occurred_at=row.start, end=row.start + timedelta(seconds=row.seconds),
        duration_min=_minutes(row.seconds), attempt_failed=row.seconds == 0,
        direction=InformationFlow.OUTBOUND if row.outbound else InformationFlow.INBOUND,
        number=numbers[0] if numbers else "", online_meeting=False, contacts=contacts,
        unmatched=unmatched, subject="Phone call",
    )  # fmt: skip


def reconcile(ctx: CallContext, plans: list[CallPlan], rows: list[PstnCall]
              ) -> tuple[list[CallPlan], list[PstnCall]]:
    """Plans with their PSTN rows applied (the row's seconds win), and the rows no plan has.
    Rows are indexed by (user, number) once: a round may hold thousands of each."""
    index: dict[tuple[str, str], list[PstnCall]] = {}
    for each in rows:
        number = party_number(each.other_number, ctx.default_region)
        if number:
            index.setdefault((each.upn, number), []).append(each)
    used: set[str] = set()
    out = []
    for plan in plans:
        row: PstnCall | None = next(
            (r for r in index.get((plan.user_upn, plan.number), ())
             if r.id not in used and abs(r.start - plan.occurred_at) <= TOLERANCE), None)
        if row is not None:
            used.add(row.id)
            plan = replace(plan, duration_min=_minutes(row.seconds),
                           attempt_failed=row.seconds == 0)
        out.append(plan)
    return out, [r for r in rows if r.id not in used]
