"""`MailFolderStream`: messages delta of one mail folder, header fields only."""

from __future__ import annotations

from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.users.item.mail_folders.item.messages.delta.delta_request_builder import (
    DeltaRequestBuilder,
)

from connector.graph.client import GraphClient
from connector.graph.permissions import WhenPermitted
from connector.items import GraphMessage
from connector.streams import schema
from connector.streams.base import Malformed, Stream, Window, address, addresses, configure, utc
from storage.vocabulary import StreamKind

# Only what matching, rules and entries need (no body: Mail.ReadBasic.All is enough).
SELECT = (
    "id", "subject", "from", "toRecipients", "ccRecipients", "bccRecipients",
    "receivedDateTime", "sentDateTime", "internetMessageId", "conversationId", "isDraft",
    "categories", "hasAttachments", "webLink", "parentFolderId",
)  # fmt: skip
# Outlook's sensitivity (PidTagSensitivity), read in the same page — an extended property,
# so asked for only when the token's roles allow it (Mail.Read; not Mail.ReadBasic.All).
SENSITIVITY_PROP = "Integer 0x0036"
EXPAND = (f"singleValueExtendedProperties($filter=id eq '{SENSITIVITY_PROP}')",)
SENSITIVITY = {0: "normal", 1: "personal", 2: "private", 3: "confidential"}
UNKNOWN = "unknown"  # the property was not asked for (ReadBasic): capture applies
# `[sync] unknown_privacy`


def sensitivity(props: list[schema.ExtendedProperty] | None) -> str:
    """Outlook's sensitivity from the expanded MAPI property (normal when absent)."""
    for prop in props or ():
        kind, _, tag = (prop.id or "").partition(" ")
        try:
            if kind.lower() == "integer" and int(tag, 16) == 0x36:
                return SENSITIVITY.get(int(str(prop.value)), "normal")
        except ValueError:
            raise Malformed("bad_sensitivity") from None
    return "normal"


class MailFolderStream(Stream):
    """`GET /users/{user}/mailFolders/{folder}/messages/delta`."""

    kind = StreamKind.MAIL
    wire_type = schema.Message
    path = "/users/{user}/mailFolders/{folder}/messages/delta"
    _client: GraphClient | None = None  # the client of the last request built

    def _reads_sensitivity(self) -> bool:
        """Whether the pages carry the property: the client's permissions, once known."""
        perms = None if self._client is None else self._client.permissions
        return perms is None or perms.detects_private_mail

    @staticmethod
    def prefer(page_size: int) -> list[str]:
        return [f"odata.maxpagesize={page_size}", 'IdType="ImmutableId"']

    def _builder(self, client: GraphClient) -> DeltaRequestBuilder:
        user = client.sdk.users.by_user_id(self.mailbox)
        return user.mail_folders.by_mail_folder_id(self.folder).messages.delta

    def first_request(
        self, client: GraphClient, page_size: int, window: Window | None
    ) -> RequestInformation:
        self._client = client
        query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=list(SELECT))
        config = configure(self.prefer(page_size), query)
        info = self._builder(client).to_get_request_information(config)
        expand = WhenPermitted(lambda p: p.detects_private_mail, "%24expand", list(EXPAND))
        info.add_request_options([expand])
        return info

    def link_request(self, client: GraphClient, link: str, page_size: int) -> RequestInformation:
        self._client = client
        builder = self._builder(client).with_url(link)
        return builder.to_get_request_information(configure(self.prefer(page_size)))

    def convert(self, wire: schema.Message) -> GraphMessage:
        return GraphMessage(
            id=wire.id,
            internet_message_id=wire.internet_message_id or None,
            subject=wire.subject or "",
            sender=address(wire.from_),
            to=addresses(wire.to_recipients),
            cc=addresses(wire.cc_recipients),
            bcc=addresses(wire.bcc_recipients),
            received_at=utc(wire.received_date_time, "received"),
            sent_at=utc(wire.sent_date_time, "sent"),
            is_draft=wire.is_draft is True,
            has_attachments=wire.has_attachments is True,
            categories=tuple(wire.categories) if wire.categories else (),
            web_link=wire.web_link or None,
            sensitivity=(sensitivity(wire.single_value_extended_properties)
                         if self._reads_sensitivity() else UNKNOWN),
            folder=self.folder,
            conversation_id=wire.conversation_id or None,
        )
