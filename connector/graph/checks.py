"""`interlog doctor`'s checks: the app's token and roles, and each mailbox with one request.

One cheap request per mailbox and collection — `GET /users/{m}/mailFolders/inbox?$select=id`
and `GET /users/{m}/events?$top=1&$select=id` — says whether capture can read it: `ok`,
`forbidden` (403: the permission is missing, or an application access policy / RBAC scope
leaves the mailbox out), `not_found` (404: no such mailbox), `unauthorized` (401) or `error`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.users.item.events.events_request_builder import EventsRequestBuilder
from msgraph.generated.users.item.mail_folders.item.mail_folder_item_request_builder import (
    MailFolderItemRequestBuilder,
)

from connector.errors import GraphError
from connector.graph.client import GraphClient, build_client
from connector.graph.permissions import Permissions
from connector.settings import ConfigError, GraphSettings, SyncSettings

STATUS_WORDS = {401: "unauthorized", 403: "forbidden", 404: "not_found"}


@dataclass(frozen=True)
class MailboxAccess:
    mailbox: str
    mail: str  # ok | forbidden | not_found | unauthorized | error
    calendar: str
    detail: str = ""  # the first failure's message, when not ok


@dataclass(frozen=True)
class AccessReport:
    """What the app may do (from its token) and what it could reach (from the probes)."""

    token_error: str | None
    permissions: Permissions | None
    mailboxes: tuple[MailboxAccess, ...]
    unknown_privacy: str
    calls: bool = False  # [sync] calls: CallRecords.Read.All is needed too

    @property
    def capture(self) -> dict[str, bool | None]:
        """Per capability: from the roles; None when the token's roles cannot be read."""
        perms = self.permissions
        if perms is None:
            return dict.fromkeys(("mail", "private_mail", "calendar", "call_records"), False)
        if not perms.known:
            return dict.fromkeys(("mail", "private_mail", "calendar", "call_records"))
        return {
            "mail": perms.reads_mail,
            "private_mail": perms.reads_mail and perms.detects_private_mail,
            "calendar": perms.reads_calendar,
            "call_records": perms.reads_call_records,
        }

    @property
    def missing(self) -> list[str]:
        return [] if self.permissions is None else self.permissions.missing(self.calls)

    @property
    def ok(self) -> bool:
        """Capture can run: a token, the mail and calendar roles, every mailbox reachable."""
        if self.token_error is not None or self.missing:
            return False
        return all(m.mail == "ok" and m.calendar == "ok" for m in self.mailboxes)

    def as_dict(self) -> dict[str, Any]:
        perms = self.permissions
        roles = None if perms is None or perms.roles is None else sorted(perms.roles)
        return {
            "ok": self.ok,
            "token": {"obtained": self.token_error is None, "error": self.token_error},
            "roles": roles,
            "capture": {**self.capture, "unknown_privacy": self.unknown_privacy},
            "missing": self.missing,
            "mailboxes": [
                {"mailbox": m.mailbox, "mail": m.mail, "calendar": m.calendar,
                 "detail": m.detail or None}
                for m in self.mailboxes
            ],
        }  # fmt: skip


def _mail_probe(client: GraphClient, mailbox: str) -> RequestInformation:
    query = MailFolderItemRequestBuilder.MailFolderItemRequestBuilderGetQueryParameters(
        select=["id"]
    )
    builder = client.sdk.users.by_user_id(mailbox).mail_folders.by_mail_folder_id("inbox")
    return builder.to_get_request_information(_config(query))


def _calendar_probe(client: GraphClient, mailbox: str) -> RequestInformation:
    query = EventsRequestBuilder.EventsRequestBuilderGetQueryParameters(top=1, select=["id"])
    builder = client.sdk.users.by_user_id(mailbox).events
    return builder.to_get_request_information(_config(query))


def _config(query: Any) -> RequestConfiguration[Any]:
    return RequestConfiguration(query_parameters=query)


async def _probe(client: GraphClient, info: RequestInformation, what: str) -> tuple[str, str]:
    try:
        await client.send(info, what)
    except GraphError as exc:
        return STATUS_WORDS.get(exc.status or 0, "error"), exc.message
    return "ok", ""


async def _mailbox(client: GraphClient, mailbox: str) -> MailboxAccess:
    (mail, why_mail), (cal, why_cal) = await asyncio.gather(
        _probe(client, _mail_probe(client, mailbox), f"{mailbox} inbox"),
        _probe(client, _calendar_probe(client, mailbox), f"{mailbox} calendar"),
    )
    return MailboxAccess(mailbox, mail, cal, why_mail or why_cal)


async def check_access(graph: GraphSettings, sync: SyncSettings) -> AccessReport:
    """Get the app's token, read its roles, and probe every configured mailbox."""
    try:
        client = build_client(graph)
    except ConfigError as exc:
        return AccessReport(str(exc), None, (), sync.unknown_privacy)
    try:
        try:
            permissions = await client.resolve_permissions()
        except AzureError as exc:  # the token request failed (never shows the secret)
            reason = " ".join(str(exc.message or exc).split())
            return AccessReport(f"{type(exc).__name__}: {reason}", None, (), sync.unknown_privacy)
        boxes = [await _mailbox(client, m) for m in dict.fromkeys(sync.mailboxes)]
    finally:
        await client.close()
    return AccessReport(None, permissions, tuple(boxes), sync.unknown_privacy, sync.calls)
