"""`POST /api/messages`: Bot Framework activities from Teams (Microsoft 365 Agents SDK).

The Flask view reads, size-checks, parses and authenticates the request, runs the command
in its own WSGI thread (one transaction, `bot/runner.py`) and answers:

- `deliveryMode: expectReplies`: the reply in the HTTP response (`{"activities": [...]}`);
- a card's `Action.Execute` (an `adaptiveCard/action` invoke): the card that replaces it;
- otherwise (what Teams sends): the reply is POSTed to the activity's serviceUrl through
  the SDK's Bot Connector client with the bot's token, then 202.

Nothing crosses a thread or builds a pydantic model unless it must: the profile in
docs/bot-profile.md found most of a command's time there. A request with a token (every one
Teams sends) is served by `DirectPosts` in front of Flask (`answer_activity`, the same
answer as the Flask view's, without Flask's per-request machinery); one without, and
anything else, by the Flask view.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, request
from microsoft_agents.hosting.core import OutboundHostValidator

from bot.activities import CARD_ACTION, Inbound, invoke_body, reply_activity
from bot.auth import AuthError, BotTokenValidator
from bot.commands import Reply
from bot.flask_host import (
    Answer,
    Connector,
    DirectPosts,
    HttpError,
    TokenSource,
    check_tenant,
    http_error_response,
    json_object,
    read_body,
    read_environ_body,
)
from bot.grammar import clean_text
from bot.i18n import language, t
from bot.install import INSTALL_TYPES, handle_install, reference_of
from bot.local_time import client_time_zone
from bot.runner import CommandRunner, Turn, new_ref
from bot.settings import BotConfig
from bot.state import BotState, bot_state
from connector.surfaces import is_development_request
from storage.deliveries import activity_key

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
HANDLED = frozenset({"message", "invoke"})
REPLY_TIMEOUT_S = 30.0  # the Bot Connector's answer to a reply

bp = Blueprint("teams", __name__)
bp.register_error_handler(HttpError, http_error_response)


def _turn(activity: Inbound, *, text: str = "", action: dict[str, Any] | None = None) -> Turn:
    sender = activity.sender
    key = activity_key(str(activity.conversation["id"]), activity.id or "")
    return Turn(channel="teams", aad_object_id=sender.get("aadObjectId") or "",
                user_name=sender.get("name") or "", locale=activity.locale,
                text=text, action=action, delivery_key=key,
                time_zone=client_time_zone(activity.entities),
                reference=reference_of(activity, activity.conversation.get("tenantId")))


def message_turn(activity: Inbound) -> Turn:
    """A typed message, or an `Action.Submit` button (no text, the button's data as value)."""
    text = clean_text(activity.text)
    if not text and isinstance(activity.value, dict):
        return _turn(activity, action=dict(activity.value))
    return _turn(activity, text=text)


def card_action_turn(activity: Inbound) -> Turn:
    """An `Action.Execute` button: `value.action.data`, its verb as the action."""
    value = activity.value if isinstance(activity.value, dict) else {}
    action: dict[str, Any] = value["action"] if isinstance(value.get("action"), dict) else {}
    data = dict(action["data"]) if isinstance(action.get("data"), dict) else {}
    data.setdefault("action", action.get("verb"))
    return _turn(activity, action=data)


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


production_token_source = _production_token_source  # the proactive sender's too


class TeamsEndpoint:
    """The token validator, serviceUrl check, command runner and Bot Connector of one app,
    built once."""

    def __init__(self, svc: BotState) -> None:
        bot = svc.settings.bot
        self.settings = svc.settings
        self.runner: CommandRunner = svc.runner
        self.validator = BotTokenValidator(app_id=bot.app_id, metadata_url=bot.openid_metadata_url)
        # In production replies go only to Microsoft's Bot Connector hosts.
        self.hosts = OutboundHostValidator(enabled=not bot.allow_anonymous)
        self.connector = Connector(svc.loop, svc.token_source
                                   or _production_token_source(svc.settings))

    def claims(self, activity: Inbound, header: str | None) -> dict[str, Any] | None:
        """The verified claims of the token in `header` (`Authorization`); None for an
        anonymous request (development mode, decided by the Flask request)."""
        if not header:
            if self.settings.bot.allow_anonymous and is_development_request():
                return None
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
        return claims

    def check_service_url(self, activity: Inbound) -> None:
        """401 when replies would go to a host that is not Microsoft's (production)."""
        if activity.service_url and not self.hosts.is_allowed(activity.service_url):
            log.warning("Service URL %s is not allowed by the host validator.",
                        activity.service_url)
            raise HttpError(401, "Service URL is not allowed by the host validator.")

    def answer(self, activity: Inbound, claims: dict[str, Any] | None) -> Answer:
        if activity.type == "invoke":
            if activity.name != CARD_ACTION:
                return Answer(200)
            return Answer(200, invoke_body(self.runner.run(card_action_turn(activity))))
        if activity.expects_replies:
            reply = self.runner.run(message_turn(activity))
            return Answer(200, {"activities": [reply_activity(activity, reply)]})
        token = self.connector.token(claims)  # before the command: no token, nothing done
        self._send(activity, token, self.runner.run(message_turn(activity)))
        return Answer(202)

    def _send(self, activity: Inbound, token: str, reply: Reply) -> None:
        """The reply to the Bot Connector; when that fails, the failure is logged with a
        ref and an apology tried (the command itself is done and kept)."""
        assert activity.service_url  # check_answerable
        try:
            self.connector.reply(activity.service_url, token, reply_activity(activity, reply),
                                 timeout=REPLY_TIMEOUT_S)
        except Exception as exc:
            ref = new_ref()
            log.error("bot turn failed (ref %s)", ref, exc_info=exc)
            apology = Reply(t(language(activity.locale), "sorry", ref=ref))
            try:
                self.connector.reply(activity.service_url, token,
                                     reply_activity(activity, apology), timeout=REPLY_TIMEOUT_S)
            except Exception:  # the channel itself may be what failed
                log.exception("could not send the apology (ref %s)", ref)


PATH = "/api/messages"


@bp.post(PATH)
def messages() -> Response:
    endpoint = bot_state().teams
    assert endpoint is not None  # registered with the route
    return answer_activity(endpoint, read_body(MAX_BODY),
                           request.headers.get("Authorization")).response()


def answer_activity(endpoint: TeamsEndpoint, raw: bytes, authorization: str | None) -> Answer:
    """The answer to the activity in `raw`, sent with the `Authorization` header given."""
    body = json_object(raw)
    activity = Inbound.parse(body)
    claims = endpoint.claims(activity, authorization)
    check_tenant(endpoint.settings.bot.app_tenant_id, body)
    if activity.type in INSTALL_TYPES:  # where proactive cards go (`bot/install.py`)
        handle_install(endpoint.runner.engine, activity, body)
    if activity.type not in HANDLED:
        return Answer(200, {})
    activity.check_answerable()
    endpoint.check_service_url(activity)
    return endpoint.answer(activity, claims)


def register(app: Flask) -> None:
    state = _state_of(app)
    endpoint = state.teams = TeamsEndpoint(state)
    app.register_blueprint(bp)

    def direct(environ: dict[str, Any]) -> Answer:
        return answer_activity(endpoint, read_environ_body(environ, MAX_BODY),
                               environ.get("HTTP_AUTHORIZATION"))

    app.wsgi_app = DirectPosts(app, PATH, direct, app.wsgi_app)  # type: ignore[method-assign]


def _state_of(app: Flask) -> BotState:
    with app.app_context():
        return bot_state()
