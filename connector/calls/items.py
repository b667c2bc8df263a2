"""A call as capture sees it: frozen dataclasses built from Graph's call records and PSTN
log rows (`connector/streams/calls.py`), never raw JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Party:
    """One side of a call: a Teams user (object id, UPN when Graph gives it, tenant) or a
    phone number (E.164 as Graph reports it, possibly masked)."""

    user_id: str = ""
    upn: str = ""  # lower-case
    tenant_id: str = ""
    name: str = ""
    number: str = ""

    @property
    def is_phone(self) -> bool:
        return bool(self.number)


@dataclass(frozen=True)
class Session:
    caller: Party | None
    callee: Party | None
    failed_at_setup: bool  # failureInfo.stage == "callSetup"


@dataclass(frozen=True)
class CallSummary:
    """A listed call record: no sessions, no participants (Graph lists none)."""

    id: str
    version: int
    start: datetime  # naive UTC
    end: datetime


@dataclass(frozen=True)
class GraphCall:
    """A call record read with its sessions."""

    id: str
    version: int
    type: str  # peerToPeer | groupCall | unknown
    start: datetime  # naive UTC
    end: datetime
    join_web_url: str | None
    organizer: Party | None
    sessions: tuple[Session, ...]

    @property
    def parties(self) -> tuple[Party, ...]:
        """Everyone in a session, once each, in order of appearance."""
        seen: dict[Party, None] = {}
        for session in self.sessions:
            for party in (session.caller, session.callee):
                if party is not None:
                    seen.setdefault(party)
        return tuple(seen)

    @property
    def unanswered(self) -> bool:
        """Nobody answered: every session failed at set-up."""
        return bool(self.sessions) and all(s.failed_at_setup for s in self.sessions)


@dataclass(frozen=True)
class PstnCall:
    """A row of the PSTN call log (`getPstnCalls`)."""

    id: str
    user_id: str
    upn: str  # lower-case
    start: datetime  # naive UTC
    seconds: int  # connected; 0: nobody answered
    outbound: bool  # callType *_out
    user_number: str
    other_number: str


@dataclass(frozen=True)
class KeptCall:
    """What a call's captured copy keeps (`captured_items.item`, kind `call`): its record's
    `version`, the other party's number, the minutes and whether nobody answered. A record
    that logs nothing is kept with its version only."""

    version: int
    number: str = ""
    minutes: str = ""  # a Decimal as text ("7.00"); "" when the copy logs nothing
    failed: bool = False

    def to_json(self) -> str:
        if not self.minutes:
            return json.dumps({"version": self.version})
        return json.dumps({"version": self.version, "number": self.number,
                           "minutes": self.minutes, "failed": self.failed})

    @classmethod
    def from_json(cls, text: str) -> KeptCall:
        """Raises ValueError naming what is wrong."""
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("version"), int):
            raise ValueError("a kept call needs an integer version")
        return cls(int(data["version"]), str(data.get("number") or ""),
                   str(data.get("minutes") or ""), bool(data.get("failed")))


def kept_call(text: str | None) -> KeptCall:
    """A copy's kept call; version 0 (read the record again) when missing or unreadable."""
    try:
        return KeptCall.from_json(text) if text else KeptCall(0)
    except (ValueError, TypeError):
        return KeptCall(0)
