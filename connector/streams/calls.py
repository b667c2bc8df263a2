"""`CallRecordsStream`: Teams call records and the PSTN call log of the whole tenant.

Unlike mail and calendar, call records have no delta query and belong to the tenant, not to
a mailbox: `GET /communications/callRecords` lists them (`$filter` on `startDateTime`,
without sessions or participants — Microsoft documents that a listed record carries no
relationships), so each new or changed record (its `version` grew) is read once more with
`$expand=sessions`. The PSTN call log is `getPstnCalls(fromDateTime=…,toDateTime=…)`, at
most 90 days a request. `connector/calls/round.py` drives a round; this module builds the
requests (through the SDK's request builders) and decodes the answers with msgspec into
`connector/calls/items.py`. Raw JSON never leaves it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.communications.call_records.call_records_request_builder import (
    CallRecordsRequestBuilder,
)
from msgraph.generated.communications.call_records.item.call_record_item_request_builder import (
    CallRecordItemRequestBuilder,
)

from connector.calls import schema
from connector.calls.items import CallSummary, GraphCall, Party, PstnCall, Session
from connector.errors import Action, GraphError
from connector.graph.client import GraphClient
from connector.streams.base import Malformed, utc

PSTN_MAX_DAYS = 90  # Microsoft: fromDateTime..toDateTime at most 90 days a request
SETUP = "callsetup"
_RECORDS = msgspec.json.Decoder(schema.RecordPage)
_RECORD = msgspec.json.Decoder(schema.CallRecord)
_PSTN = msgspec.json.Decoder(schema.PstnPage)


def iso_z(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _decode[T](decoder: msgspec.json.Decoder[T], content: bytes, what: str) -> T:
    try:
        return decoder.decode(content)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise GraphError(Action.RETRY, f"calls: a malformed {what}: {exc}") from None


def _when(value: str, field: str) -> datetime:
    parsed = utc(value, field)
    if parsed is None:
        raise Malformed(f"no_{field}")
    return parsed


class CallRecordsStream:
    """The tenant's call records and PSTN call log (one per sync run, when `[sync] calls`)."""

    name = "calls"
    path = "/communications/callRecords"

    # -- requests --------------------------------------------------------------------------
    @staticmethod
    def list_request(client: GraphClient, since: datetime) -> RequestInformation:
        """`GET /communications/callRecords?$filter=startDateTime ge {since}`."""
        query = CallRecordsRequestBuilder.CallRecordsRequestBuilderGetQueryParameters(
            filter=f"startDateTime ge {iso_z(since)}")
        config = RequestConfiguration(query_parameters=query)
        return client.sdk.communications.call_records.to_get_request_information(config)

    @staticmethod
    def link_request(client: GraphClient, link: str) -> RequestInformation:
        """A list's or the PSTN log's `@odata.nextLink`, followed verbatim."""
        return client.sdk.communications.call_records.with_url(link).to_get_request_information()

    @staticmethod
    def record_request(client: GraphClient, record_id: str) -> RequestInformation:
        """`GET /communications/callRecords/{id}?$expand=sessions`: who called whom, and
        whether each session failed at set-up (segments are not needed)."""
        query = CallRecordItemRequestBuilder.CallRecordItemRequestBuilderGetQueryParameters(
            expand=["sessions"])
        builder = client.sdk.communications.call_records.by_call_record_id(record_id)
        return builder.to_get_request_information(RequestConfiguration(query_parameters=query))

    @staticmethod
    def pstn_request(client: GraphClient, start: datetime, end: datetime) -> RequestInformation:
        """`GET …/callRecords/getPstnCalls(fromDateTime=…,toDateTime=…)`, built here: the
        SDK's builder (msgraph-sdk 1.65) renders the URL without the comma between the two
        parameters and Graph answers 400 — msgraph-sdk-python issues #285 and #1234
        (https://github.com/microsoftgraph/msgraph-sdk-python/issues/285,
        https://github.com/microsoftgraph/msgraph-sdk-python/issues/1234)."""
        if end - start > timedelta(days=PSTN_MAX_DAYS):
            raise ValueError(f"a PSTN log request covers at most {PSTN_MAX_DAYS} days")
        base = str(client.sdk.request_adapter.base_url).rstrip("/")
        url = (f"{base}/communications/callRecords/getPstnCalls("
               f"fromDateTime={iso_z(start)},toDateTime={iso_z(end)})")
        return CallRecordsStream.link_request(client, url)

    # -- decoding --------------------------------------------------------------------------
    @staticmethod
    def decode_list(content: bytes) -> tuple[list[CallSummary | str], str | None]:
        """A list page → summaries (a malformed one: its reason) and the next link."""
        page = _decode(_RECORDS, content, "call record list")
        found: list[CallSummary | str] = []
        for wire in page.value:
            try:
                start = _when(wire.start_date_time, "start")
                found.append(CallSummary(wire.id, wire.version, start,
                                         _when(wire.end_date_time, "end")))
            except Malformed as exc:
                found.append(str(exc))
        return found, page.next_link

    @staticmethod
    def decode_record(content: bytes) -> GraphCall:
        """A record read with its sessions; raises `Malformed` naming what is wrong."""
        return CallRecordsStream.record(_decode(_RECORD, content, "call record"))

    @staticmethod
    def parse_record(raw: Any) -> GraphCall:
        """A record already parsed from JSON (a `$batch` answer's body)."""
        try:
            wire = msgspec.convert(raw, schema.CallRecord)
        except msgspec.ValidationError as exc:
            raise Malformed(f"bad_call_record ({exc})") from None
        return CallRecordsStream.record(wire)

    @staticmethod
    def record(wire: schema.CallRecord) -> GraphCall:
        organizer = wire.organizer_v2
        return GraphCall(
            id=wire.id, version=wire.version, type=wire.type or "unknown",
            start=_when(wire.start_date_time, "start"), end=_when(wire.end_date_time, "end"),
            join_web_url=wire.join_web_url or None,
            organizer=None if organizer is None else party(organizer.identity, None),
            sessions=tuple(Session(_endpoint(s.caller), _endpoint(s.callee),
                                   (s.failure_info is not None
                                    and (s.failure_info.stage or "").lower() == SETUP))
                           for s in wire.sessions or ()),
        )  # fmt: skip

    @staticmethod
    def decode_pstn(content: bytes) -> tuple[list[PstnCall | str], str | None]:
        """A PSTN log page → rows (a malformed one: its reason) and the next link."""
        page = _decode(_PSTN, content, "PSTN call log page")
        rows: list[PstnCall | str] = []
        for wire in page.value:
            outbound = (wire.call_type or "").lower().endswith("_out")
            mine, other = ((wire.caller_number, wire.callee_number) if outbound
                           else (wire.callee_number, wire.caller_number))
            try:
                rows.append(PstnCall(wire.id, wire.user_id or "",
                                     (wire.user_principal_name or "").lower(),
                                     _when(wire.start_date_time, "start"),
                                     max(0, wire.duration or 0), outbound, mine or "",
                                     other or ""))
            except Malformed as exc:
                rows.append(str(exc))
        return rows, page.next_link


def _endpoint(value: schema.Endpoint | None) -> Party | None:
    return None if value is None else party(value.identity, value.associated_identity)


def party(identity: schema.IdentitySet | None, associated: schema.Identity | None) -> Party | None:
    """A participant endpoint's identity → `Party` (None when it names nobody)."""
    if identity is not None and identity.phone is not None and identity.phone.id:
        return Party(number=identity.phone.id.strip())
    user = identity.user if identity is not None else None
    user = user or (identity.guest if identity is not None else None) or associated
    if user is None or not (user.id or user.user_principal_name):
        return None
    upn = user.user_principal_name or (associated.user_principal_name if associated else None)
    return Party(user_id=user.id or "", upn=(upn or "").strip().lower(),
                 tenant_id=user.tenant_id or "", name=user.display_name or "")
