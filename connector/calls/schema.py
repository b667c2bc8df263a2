"""Graph's call-record and PSTN-log JSON as typed structs (msgspec), validated as decoded.

Only what capture reads; other fields are ignored. The deprecated `organizer` and
`participants` (no data since 2026) are not read: `organizer_v2` and the sessions' caller
and callee are.
"""

from __future__ import annotations

from msgspec import Struct, field


class Identity(Struct, frozen=True, rename="camel"):
    id: str | None = None
    display_name: str | None = None
    tenant_id: str | None = None
    user_principal_name: str | None = None


class IdentitySet(Struct, frozen=True):
    user: Identity | None = None
    phone: Identity | None = None
    guest: Identity | None = None


class Endpoint(Struct, frozen=True, rename="camel"):
    identity: IdentitySet | None = None
    associated_identity: Identity | None = None


class Organizer(Struct, frozen=True):
    id: str | None = None
    identity: IdentitySet | None = None


class FailureInfo(Struct, frozen=True):
    stage: str | None = None
    reason: str | None = None


class Session(Struct, frozen=True, rename="camel"):
    id: str | None = None
    caller: Endpoint | None = None
    callee: Endpoint | None = None
    failure_info: FailureInfo | None = None


class CallRecord(Struct, frozen=True, rename="camel"):
    id: str
    start_date_time: str
    end_date_time: str
    version: int = 1
    type: str | None = None
    join_web_url: str | None = None
    organizer_v2: Organizer | None = field(name="organizer_v2", default=None)
    sessions: list[Session] | None = None


class RecordPage(Struct, frozen=True):
    value: list[CallRecord]
    next_link: str | None = field(name="@odata.nextLink", default=None)


class PstnRow(Struct, frozen=True, rename="camel"):
    id: str
    start_date_time: str
    user_id: str | None = None
    user_principal_name: str | None = None
    duration: int | None = None
    call_type: str | None = None
    caller_number: str | None = None
    callee_number: str | None = None


class PstnPage(Struct, frozen=True):
    value: list[PstnRow]
    next_link: str | None = field(name="@odata.nextLink", default=None)
