"""What the connector may do in Graph, read from the `roles` claim of the token it uses.

An app-only access token is a JWT whose payload lists the application permissions granted
to the app (`roles`). Reading our own token's claims needs no signature check: Graph checks
the signature; the connector only adapts what it asks for. A token that is not a JWT (an
emulator's opaque `static_token`) has unknown roles: the connector then asks for everything,
as before permissions were read, and Graph's answers tell.

Mail privacy (Outlook's sensitivity) is the extended property `Integer 0x0036`, which
`Mail.ReadBasic.All` does not return ("all properties except body, previewBody, attachments
and any extended properties", Microsoft Graph permissions reference): with ReadBasic only,
the mail stream does not ask for it and marks each message's sensitivity `unknown`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiota_abstractions.request_information import RequestInformation
from kiota_abstractions.request_option import RequestOption

MAIL_FULL = frozenset({"Mail.Read", "Mail.ReadWrite"})
MAIL_BASIC = frozenset({"Mail.ReadBasic.All", "Mail.ReadBasic"})
CALENDAR = frozenset({"Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic.All"})
CALL_RECORDS = frozenset({"CallRecords.Read.All"})

# The one recommended set (docs/deployment.md), each with what it adds.
RECOMMENDED: dict[str, str] = {
    "Mail.Read": "mail headers of every mailbox, and Outlook's privacy marking (private mail "
    "detected); Mail.ReadBasic.All instead reads the headers only",
    "Calendars.Read": "meetings (calendarView delta)",
    "CallRecords.Read.All": "Teams and PSTN call records (calls)",
}


@dataclass(frozen=True)
class Permissions:
    """The application permissions a token carries; `roles` None: not known (opaque token)."""

    roles: frozenset[str] | None

    @property
    def known(self) -> bool:
        return self.roles is not None

    def _has(self, wanted: frozenset[str]) -> bool:
        return self.roles is None or bool(self.roles & wanted)

    @property
    def reads_mail(self) -> bool:
        return self._has(MAIL_FULL | MAIL_BASIC)

    @property
    def detects_private_mail(self) -> bool:
        """Outlook's sensitivity is readable (an extended property: Mail.Read, not ReadBasic)."""
        return self._has(MAIL_FULL)

    @property
    def reads_calendar(self) -> bool:
        return self._has(CALENDAR)

    @property
    def reads_call_records(self) -> bool:
        return self._has(CALL_RECORDS)

    def missing(self, calls: bool = False) -> list[str]:
        """The permissions capture needs and the token lacks (mail and calendar; with
        `calls`, `[sync] calls = true`, also the call records')."""
        out = [] if self.reads_mail else ["Mail.Read (or Mail.ReadBasic.All)"]
        out += [] if self.reads_calendar else ["Calendars.Read"]
        return out + (["CallRecords.Read.All"] if calls and not self.reads_call_records else [])


UNKNOWN = Permissions(None)


def roles_from_token(token: str) -> frozenset[str] | None:
    """The `roles` claim of a JWT access token; None when the token is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    roles = payload.get("roles", [])
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(r for r in roles if isinstance(r, str))


def permissions_from_token(token: str) -> Permissions:
    return Permissions(roles_from_token(token))


class WhenPermitted(RequestOption):
    """A query option that `GraphClient.send` adds only when the app's permissions allow it
    (the request is built before the first token is known)."""

    KEY = "interlog.when_permitted"

    def __init__(self, allowed: Callable[[Permissions], bool], name: str, value: Any) -> None:
        self.allowed, self.name, self.value = allowed, name, value

    @staticmethod
    def get_key() -> str:
        return WhenPermitted.KEY

    def apply(self, info: RequestInformation, permissions: Permissions) -> None:
        if self.allowed(permissions):
            info.query_parameters[self.name] = self.value
