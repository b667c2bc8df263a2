"""Call records and PSTN call log rows in Graph's JSON, built from a few facts.

Tests, the demo and `emulator generate` make calls with these (then `CallLog.add_record`,
`CallLog.add_pstn`, or `POST /_emulator/callRecords` / `/_emulator/pstnCalls`). The shapes
are Microsoft's: a `callRecord` with `organizer_v2`, `participants_v2` and `sessions` whose
`caller` / `callee` are participant endpoints (`identity` and, for users,
`associatedIdentity`); a failed set-up has `failureInfo.stage = "callSetup"`. A phone party
is `identity.phone` with the E.164 number as its id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

ENDPOINT = "#microsoft.graph.callRecords.participantEndpoint"


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def user(object_id: str, upn: str, name: str, tenant_id: str) -> dict[str, Any]:
    """A Teams user (of this tenant or, with another tenant id, an external one)."""
    return {"id": object_id, "identity": {"user": {
        "id": object_id, "displayName": name, "tenantId": tenant_id,
        "userPrincipalName": upn}}}  # fmt: skip


def phone(number: str) -> dict[str, Any]:
    """A PSTN party: its number (E.164, or masked as `+4930123XXXX`) is its id."""
    return {"id": number, "identity": {"phone": {"id": number}}}


def _endpoint(party: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"@odata.type": ENDPOINT, "identity": party["identity"]}
    account = party["identity"].get("user")
    if account is not None:
        found["associatedIdentity"] = {
            "id": account["id"], "displayName": account.get("displayName"),
            "tenantId": account.get("tenantId"),
            "userPrincipalName": account.get("userPrincipalName")}  # fmt: skip
    return found


def call_record(
    record_id: str, start: datetime, minutes: float, caller: dict[str, Any],
    callees: list[dict[str, Any]], *, answered: bool = True, join_web_url: str | None = None,
    version: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """A peer-to-peer call (one callee) or a group call: one session from the caller to
    each callee, all failed at set-up when nobody answered."""
    end = start + timedelta(minutes=minutes)
    sessions = []
    for n, callee in enumerate(callees):
        session: dict[str, Any] = {
            "id": f"{record_id}-s{n}", "modalities": ["audio"],
            "startDateTime": iso(start), "endDateTime": iso(end if answered else start),
            "caller": _endpoint(caller), "callee": _endpoint(callee), "segments": [{
                "id": f"{record_id}-s{n}-g0", "startDateTime": iso(start),
                "endDateTime": iso(end if answered else start),
                "caller": _endpoint(caller), "callee": _endpoint(callee)}],
        }  # fmt: skip
        if not answered:
            session["failureInfo"] = {"stage": "callSetup", "reason": "noAnswer"}
        sessions.append(session)
    return {
        "id": record_id, "version": version,
        "type": "peerToPeer" if len(callees) == 1 and join_web_url is None else "groupCall",
        "modalities": ["audio"], "startDateTime": iso(start), "endDateTime": iso(end),
        "joinWebUrl": join_web_url, "organizer_v2": caller,
        "participants_v2": [caller, *callees], "sessions": sessions,
    }  # fmt: skip


def pstn_row(
    row_id: str, user_id: str, upn: str, start: datetime, seconds: int, *, outbound: bool,
    user_number: str, other_number: str,
) -> dict[str, Any]:  # fmt: skip
    """A `pstnCallLogRow`: `duration` is the seconds connected (0: nobody answered)."""
    return {
        "id": row_id, "callId": f"pstn-{row_id}", "userId": user_id,
        "userPrincipalName": upn, "userDisplayName": upn.split("@")[0],
        "startDateTime": iso(start), "endDateTime": iso(start + timedelta(seconds=seconds)),
        "duration": seconds, "charge": 0, "currency": "EUR",
        "callType": "user_out" if outbound else "user_in",
        "callerNumber": user_number if outbound else other_number,
        "calleeNumber": other_number if outbound else user_number,
        "usageCountryCode": "DE", "tenantCountryCode": "DE", "destinationContext": "International",
        "licenseCapability": "MCOPSTNEAU2", "inventoryType": "Subscriber",
    }  # fmt: skip


def demo_calls(
    tenant: dict[str, Any], contacts: list[dict[str, str]], now: datetime, count: int = 12,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:  # fmt: skip
    """Calls for a generated tenant: (call records, PSTN rows, contact no → phone number).

    Persons get German numbers; the users phone them (a PSTN record and its log row, some
    unanswered), take calls from them, call them over Teams (by their address), and one
    call comes from a number nobody knows. Deterministic for the same arguments.
    """
    users = tenant["users"]
    persons = [c for c in contacts if c.get("type") == "person" and c.get("email")]
    numbers = {c["no"]: f"+4930{5550000 + n:07d}" for n, c in enumerate(persons)}
    records: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    tenant_id = "00000000-0000-4000-8000-00000000c0de"
    for n in range(min(count, len(persons))):
        person, who = persons[n], users[n % len(users)]
        me = user(who["id"], who["userPrincipalName"], who.get("displayName", ""), tenant_id)
        start = (now - timedelta(hours=5 + 7 * n)).replace(microsecond=0)
        minutes, answered = 3 + (n * 7) % 25, n % 5 != 3
        if n % 3 == 2:  # a Teams call with the person's own account
            them = user(f"ext-{n}", person["email"], person["name"], "ext-tenant")
            records.append(call_record(f"demo-call-{n}", start, minutes, me, [them]))
            continue
        outbound, number = n % 3 == 0, numbers[person["no"]]
        ends = (me, phone(number)) if outbound else (phone(number), me)
        records.append(call_record(f"demo-call-{n}", start, minutes, ends[0], [ends[1]],
                                   answered=answered))
        rows.append(pstn_row(f"demo-row-{n}", who["id"], who["userPrincipalName"],
                             start + timedelta(seconds=15), int(minutes * 60) if answered else 0,
                             outbound=outbound, user_number=f"+4930999{n:04d}",
                             other_number=number))
    stranger = user(users[0]["id"], users[0]["userPrincipalName"], "", tenant_id)
    records.append(call_record("demo-call-unknown", now - timedelta(hours=2), 4,
                               phone("+4940123456"), [stranger]))
    return records, rows, numbers
