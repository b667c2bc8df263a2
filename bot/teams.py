"""`POST /api/messages`: Bot Framework activities through the Microsoft 365 Agents SDK.

The Flask view reads, size-checks, parses and authenticates the request in the WSGI
thread; the SDK's adapter then runs the turn on the app's one event loop. The agent turns
the activity into a `Turn`, runs the command in a worker thread (the database work is
synchronous), and sends the reply: to the serviceUrl, in the HTTP response for
`expectReplies`, or as the invoke response for a card's `Action.Execute`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from typing import Any

import pydantic
from flask import Blueprint, Flask, Response, jsonify, request
from microsoft_agents.activity import (
    Activity,
    AdaptiveCardInvokeResponse,
    InvokeResponse,
)
from microsoft_agents.hosting.core import (
    CardFactory,
    ClaimsIdentity,
    MessageFactory,
    OutboundHostValidator,
    TurnContext,
)

from bot.auth import AuthError, BotTokenValidator
from bot.cards import CONTENT_TYPE
from bot.commands import Reply
from bot.flask_host import (
    FlaskCloudAdapter,
    FlaskRequestAdapter,
    HttpError,
    ReplyClientFactory,
    TokenSource,
    check_tenant,
    http_error_response,
    json_object,
    read_body,
    to_flask,
)
from bot.grammar import clean_text
from bot.i18n import language, t
from bot.local_time import client_time_zone
from bot.runner import CommandRunner, Turn, new_ref
from bot.settings import BotConfig
from bot.state import BotState, bot_state
from connector.surfaces import is_development_request
from storage.deliveries import activity_key

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
HANDLED = frozenset({"message", "invoke"})
CARD_ACTION = "adaptiveCard/action"
TURN_TIMEOUT_S = 30.0

bp = Blueprint("teams", __name__)
bp.register_error_handler(HttpError, http_error_response)


def reply_activity(reply: Reply) -> Activity:
    """A message: the card when there is one (its text as the summary), else the text."""
    if reply.card is None:
        return MessageFactory.text(reply.text)
    activity = MessageFactory.attachment(CardFactory.adaptive_card(reply.card))
    activity.summary = reply.text
    return activity


def _turn(activity: Activity, *, text: str = "", action: dict[str, Any] | None = None) -> Turn:
    sender = activity.from_property
    key = activity_key(activity.conversation.id, activity.id or "")
    return Turn(channel="teams", aad_object_id=(sender.aad_object_id or "") if sender else "",
                user_name=(sender.name or "") if sender else "", locale=activity.locale,
                text=text, action=action, delivery_key=key,
                time_zone=client_time_zone(activity.entities))


class InterlogAgent:
    """The SDK `Agent`: messages and card actions become commands; the rest is ignored."""

    def __init__(self, runner: CommandRunner) -> None:
        self._runner = runner

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        if activity.type == "message":
            await self._on_message(context)
        elif activity.type == "invoke" and activity.name == CARD_ACTION:
            await self._on_card_action(context)
        elif activity.type == "invoke":
            await context.send_activity(Activity(type="invokeResponse",
                                                 value=InvokeResponse(status=200)))

    async def _run(self, turn: Turn) -> Reply:
        return await asyncio.to_thread(self._runner.run, turn)

    async def _on_message(self, context: TurnContext) -> None:
        activity = context.activity
        text = clean_text(activity.text)
        if not text and isinstance(activity.value, dict):  # an Action.Submit button
            reply = await self._run(_turn(activity, action=dict(activity.value)))
        else:
            reply = await self._run(_turn(activity, text=text))
        await context.send_activity(reply_activity(reply))

    async def _on_card_action(self, context: TurnContext) -> None:
        value = context.activity.value if isinstance(context.activity.value, dict) else {}
        action: dict[str, Any] = value["action"] if isinstance(value.get("action"), dict) else {}
        data = dict(action["data"]) if isinstance(action.get("data"), dict) else {}
        data.setdefault("action", action.get("verb"))
        reply = await self._run(_turn(context.activity, action=data))
        if reply.card is not None:
            body = AdaptiveCardInvokeResponse(status_code=200, type=CONTENT_TYPE, value=reply.card)
        else:
            body = AdaptiveCardInvokeResponse(
                status_code=200, type="application/vnd.microsoft.activity.message",
                value=reply.text)
        response = InvokeResponse(status=200, body=body.model_dump(by_alias=True,
                                                                    exclude_none=True))
        await context.send_activity(Activity(type="invokeResponse", value=response))


def _production_token_source(settings: BotConfig) -> TokenSource:
    """The bot's Bot Connector token from Entra ID (MSAL client credentials, cached)."""
    from microsoft_agents.authentication.msal import MsalAuth
    from microsoft_agents.hosting.core import AgentAuthConfiguration

    msal = MsalAuth(AgentAuthConfiguration(
        client_id=settings.bot.app_id or None,
        tenant_id=settings.bot.app_tenant_id or "botframework.com",
        client_secret=settings.bot.app_password.value or None,
    ))

    async def token(resource: str, scopes: list[str]) -> str:
        return await msal.get_access_token(resource, scopes)

    return token


class TeamsEndpoint:
    """The adapter, agent and token validator of one app."""

    def __init__(self, svc: BotState) -> None:
        bot = svc.settings.bot
        self.settings = svc.settings
        self.loop = svc.loop
        self.validator = BotTokenValidator(app_id=bot.app_id, metadata_url=bot.openid_metadata_url)
        self.agent = InterlogAgent(svc.runner)
        token_source = svc.token_source or _production_token_source(svc.settings)
        self.adapter = FlaskCloudAdapter(
            channel_service_client_factory=ReplyClientFactory(token_source),
            host_validator=OutboundHostValidator(enabled=not bot.allow_anonymous),
        )
        self.adapter.on_turn_error = self._on_turn_error

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        ref = new_ref()
        log.error("bot turn failed (ref %s)", ref, exc_info=error)
        try:
            await context.send_activity(MessageFactory.text(
                t(language(context.activity.locale), "sorry", ref=ref)))
        except Exception:  # the channel itself may be what failed
            log.exception("could not send the apology (ref %s)", ref)

    def claims(self, activity: Activity) -> ClaimsIdentity:
        header = request.headers.get("Authorization")
        if not header:
            if self.settings.bot.allow_anonymous and is_development_request():
                return ClaimsIdentity()
            raise HttpError(401, "Authorization header not found")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(401, "Invalid authorization header format")
        try:
            claims = self.validator.validate(token.strip(), service_url=activity.service_url,
                                             channel_id=activity.channel_id)
        except AuthError as exc:
            log.warning("/api/messages: %s", exc)
            raise HttpError(401, "Invalid token or authentication failed.") from None
        tenant = self.settings.bot.app_tenant_id
        if tenant and claims.get("tid") and str(claims["tid"]).lower() != tenant.lower():
            raise HttpError(403, "this bot does not serve that tenant")
        return ClaimsIdentity(claims, authentication_type="Bearer", security_token=token.strip())


def _activity(body: dict[str, Any]) -> Activity:
    try:
        activity = Activity.model_validate(body)
    except pydantic.ValidationError:
        raise HttpError(400, "the body is not a Bot Framework activity") from None
    if not activity.type or not activity.conversation or not activity.conversation.id:
        raise HttpError(400, "an activity needs a type and a conversation.id")
    return activity


def check_answerable(activity: Activity) -> None:
    """400 unless the activity can be acted on once and answered: its `id` (with the
    conversation's, the key that makes a redelivery a repeat), where to reply (`serviceUrl`,
    `conversation.id`) and who talks to whom (`from.id`, `recipient.id`). Checked before
    anything is written, so a refused activity changes nothing."""
    sender, recipient = activity.from_property, activity.recipient
    missing = [name for name, present in (
        ("id", activity.id),
        ("conversation.id", activity.conversation and activity.conversation.id),
        ("serviceUrl", activity.service_url),
        ("from.id", sender and sender.id),
        ("recipient.id", recipient and recipient.id),
    ) if not present]
    if missing:
        raise HttpError(400, f"the activity cannot be answered: it has no {', '.join(missing)}")


@bp.post("/api/messages")
def messages() -> Response:
    endpoint = bot_state().teams
    assert endpoint is not None  # registered with the route
    body = json_object(read_body(MAX_BODY))
    activity = _activity(body)
    claims = endpoint.claims(activity)
    check_tenant(endpoint.settings.bot.app_tenant_id, body)
    if activity.type not in HANDLED:
        return jsonify({})
    check_answerable(activity)
    adapted = FlaskRequestAdapter(dict(request.headers.items()), body, claims)
    try:
        response = endpoint.loop.run(endpoint.adapter.process_request(adapted, endpoint.agent),
                                     timeout=TURN_TIMEOUT_S)
    except concurrent.futures.TimeoutError:
        raise HttpError(504, "the bot did not answer in time") from None
    return to_flask(response)


def register(app: Flask) -> None:
    state = _state_of(app)
    state.teams = TeamsEndpoint(state)
    app.register_blueprint(bp)


def _state_of(app: Flask) -> BotState:
    with app.app_context():
        return bot_state()
