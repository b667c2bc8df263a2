"""`MailFolderStream`: messages delta of one mail folder, header fields only."""

from __future__ import annotations

from typing import Any

from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.users.item.mail_folders.item.messages.delta.delta_request_builder import (
    DeltaRequestBuilder,
)

from connector.graph.client import GraphClient
from connector.items import GraphMessage
from connector.streams.base import (
    Malformed,
    Stream,
    Window,
    address,
    addresses,
    configure,
    flag,
    optional_text,
    strings,
    text,
    utc,
)
from storage.vocabulary import StreamKind

# Only what matching, rules and entries need (no body: Mail.ReadBasic.All is enough).
SELECT = (
    "id", "subject", "from", "toRecipients", "ccRecipients", "bccRecipients",
    "receivedDateTime", "sentDateTime", "internetMessageId", "conversationId", "isDraft",
    "categories", "hasAttachments", "webLink", "parentFolderId",
)  # fmt: skip
# Outlook's sensitivity (PidTagSensitivity), read in the same page.
SENSITIVITY_PROP = "Integer 0x0036"
EXPAND = (f"singleValueExtendedProperties($filter=id eq '{SENSITIVITY_PROP}')",)
SENSITIVITY = {0: "normal", 1: "personal", 2: "private", 3: "confidential"}


def sensitivity(raw: dict[str, Any]) -> str:
    """Outlook's sensitivity from the expanded MAPI property (normal when absent)."""
    props = raw.get("singleValueExtendedProperties")
    if not isinstance(props, list):
        return "normal"
    for prop in props:
        if not isinstance(prop, dict):
            continue
        kind, _, tag = str(prop.get("id", "")).partition(" ")
        try:
            if kind.lower() == "integer" and int(tag, 16) == 0x36:
                return SENSITIVITY.get(int(str(prop.get("value"))), "normal")
        except ValueError:
            raise Malformed("bad_sensitivity") from None
    return "normal"


class MailFolderStream(Stream):
    """`GET /users/{user}/mailFolders/{folder}/messages/delta`."""

    kind = StreamKind.MAIL
    path = "/users/{user}/mailFolders/{folder}/messages/delta"

    @staticmethod
    def prefer(page_size: int) -> list[str]:
        return [f"odata.maxpagesize={page_size}", 'IdType="ImmutableId"']

    def _builder(self, client: GraphClient) -> DeltaRequestBuilder:
        user = client.sdk.users.by_user_id(self.mailbox)
        return user.mail_folders.by_mail_folder_id(self.folder).messages.delta

    def first_request(
        self, client: GraphClient, page_size: int, window: Window | None
    ) -> RequestInformation:
        query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
            select=list(SELECT), expand=list(EXPAND)
        )
        config = configure(self.prefer(page_size), query)
        return self._builder(client).to_get_request_information(config)

    def link_request(self, client: GraphClient, link: str, page_size: int) -> RequestInformation:
        builder = self._builder(client).with_url(link)
        return builder.to_get_request_information(configure(self.prefer(page_size)))

    def parse(self, raw: dict[str, Any]) -> GraphMessage:
        return GraphMessage(
            id=raw["id"],
            internet_message_id=optional_text(raw, "internetMessageId"),
            subject=text(raw, "subject"),
            sender=address(raw.get("from")),
            to=addresses(raw.get("toRecipients"), "to"),
            cc=addresses(raw.get("ccRecipients"), "cc"),
            bcc=addresses(raw.get("bccRecipients"), "bcc"),
            received_at=utc(raw.get("receivedDateTime"), "received"),
            sent_at=utc(raw.get("sentDateTime"), "sent"),
            is_draft=flag(raw, "isDraft"),
            has_attachments=flag(raw, "hasAttachments"),
            categories=strings(raw, "categories"),
            web_link=optional_text(raw, "webLink"),
            sensitivity=sensitivity(raw),
            folder=self.folder,
            conversation_id=optional_text(raw, "conversationId"),
        )
