"""Bot Framework activities at the HTTP boundary, as plain JSON: the incoming one read and
checked (`Inbound`), the replies built (`reply_activity`, `invoke_body`).

`/api/messages` reads only the fields it uses, each checked for its JSON type: a body that
is not an activity gets a 400 naming the field, before anything is written. Replies have the
shape the Agents SDK gives them (`TurnContext.send_activity` after
`apply_conversation_reference`): from the bot to the sender, in the same conversation, as
a reply to the activity's `id`. No pydantic model is built or dumped on the way (the profile
in docs/bot-profile.md); the SDK's `Activity` is built only for the Bot Connector, which
takes one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.cards import CONTENT_TYPE
from bot.commands import Reply
from bot.flask_host import HttpError

CARD_ACTION = "adaptiveCard/action"
EXPECT_REPLIES = "expectReplies"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"

_ACCOUNT_KEYS = ("id", "name", "aadObjectId", "role")
_CONVERSATION_KEYS = ("id", "name", "conversationType", "tenantId", "isGroup")


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise HttpError(400, f"the activity's {name} is not a string")


def _object(body: dict[str, Any], name: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object `body[name]` (empty when absent), with only `keys`, each a string
    (`isGroup` a boolean)."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise HttpError(400, f"the activity's {name} is not an object")
    kept: dict[str, Any] = {}
    for key in keys:
        item = value.get(key)
        if item is None:
            continue
        if not isinstance(item, bool if key == "isGroup" else str):
            raise HttpError(400, f"the activity's {name}.{key} is not a "
                                 f"{'boolean' if key == 'isGroup' else 'string'}")
        kept[key] = item
    return kept


@dataclass(frozen=True)
class Inbound:
    """The fields of an incoming activity that the bot reads, checked."""

    type: str
    conversation: dict[str, Any]
    id: str | None = None
    name: str | None = None
    channel_id: str | None = None
    service_url: str | None = None
    sender: dict[str, Any] = field(default_factory=dict)  # `from`
    recipient: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None
    text: str | None = None
    value: Any = None
    delivery_mode: str | None = None
    entities: list[Any] | None = None

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Inbound:
        """The activity `body` holds, or 400 naming the field that is wrong."""
        kind = body.get("type")
        conversation = _object(body, "conversation", _CONVERSATION_KEYS)
        if not isinstance(kind, str) or not kind or not conversation.get("id"):
            raise HttpError(400, "an activity needs a type and a conversation.id")
        entities = body.get("entities")
        if entities is not None and not isinstance(entities, list):
            raise HttpError(400, "the activity's entities is not a list")
        return cls(
            type=kind, conversation=conversation, id=_optional_str(body, "id"),
            name=_optional_str(body, "name"), channel_id=_optional_str(body, "channelId"),
            service_url=_optional_str(body, "serviceUrl"),
            sender=_object(body, "from", _ACCOUNT_KEYS),
            recipient=_object(body, "recipient", _ACCOUNT_KEYS),
            locale=_optional_str(body, "locale"), text=_optional_str(body, "text"),
            value=body.get("value"), delivery_mode=_optional_str(body, "deliveryMode"),
            entities=entities,
        )

    @property
    def expects_replies(self) -> bool:
        return self.delivery_mode == EXPECT_REPLIES

    def check_answerable(self) -> None:
        """400 unless the activity can be acted on once and answered: its `id` (with the
        conversation's, the key that makes a redelivery a repeat), where to reply
        (`serviceUrl`, `conversation.id`) and who talks to whom (`from.id`, `recipient.id`).
        Checked before anything is written, so a refused activity changes nothing."""
        missing = [name for name, present in (
            ("id", self.id),
            ("conversation.id", self.conversation.get("id")),
            ("serviceUrl", self.service_url),
            ("from.id", self.sender.get("id")),
            ("recipient.id", self.recipient.get("id")),
        ) if not present]
        if missing:
            raise HttpError(400, "the activity cannot be answered: it has no "
                                 + ", ".join(missing))


def reply_activity(inbound: Inbound, reply: Reply) -> dict[str, Any]:
    """The message that answers `inbound`: the card when there is one (its text as the
    summary), else the text; addressed from the bot back to the sender."""
    message: dict[str, Any] = {
        "type": "message",
        "channelId": inbound.channel_id,
        "serviceUrl": inbound.service_url,
        "conversation": inbound.conversation,
        "from": inbound.recipient,
        "recipient": inbound.sender,
        "replyToId": inbound.id,
        "locale": inbound.locale,
        "inputHint": "acceptingInput",
    }
    if reply.card is None:
        message["text"] = reply.text
    else:
        message["attachmentLayout"] = "list"
        message["attachments"] = [{"contentType": CONTENT_TYPE, "content": reply.card}]
        message["summary"] = reply.text
    return {key: value for key, value in message.items() if value is not None}


def invoke_body(reply: Reply) -> dict[str, Any]:
    """The answer to a card's `Action.Execute` (an `AdaptiveCardInvokeResponse`): the card that
    replaces the clicked one, or a message shown as a toast when there is no card."""
    if reply.card is not None:
        return {"statusCode": 200, "type": CONTENT_TYPE, "value": reply.card}
    return {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": reply.text}
