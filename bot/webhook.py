"""`POST /api/teams/webhook`: a Teams outgoing webhook (for teams without a bot registration).

Teams signs the raw body with HMAC-SHA256 under the base64-decoded security token shown
when the webhook is created, and waits five seconds for the reply in the HTTP response.
Only channels, only @mentions, and cards may hold only openURL actions: replies here are
text with a button-less card; `cancel N` is typed. A body is acted on once: a replay of the
same bytes (within `storage.deliveries.RETENTION`) gets the first answer again.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, request

from bot.auth import verify_webhook
from bot.cards import CONTENT_TYPE, without_buttons
from bot.flask_host import (
    HttpError,
    check_tenant,
    http_error_response,
    json_object,
    json_response,
    read_body,
)
from bot.grammar import clean_text
from bot.local_time import client_time_zone
from bot.runner import Turn
from bot.state import bot_state
from storage.deliveries import body_key

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024

bp = Blueprint("teams_webhook", __name__)
bp.register_error_handler(HttpError, http_error_response)


def _turn(body: dict[str, Any], raw: bytes) -> Turn:
    """The turn of a signed body; its key is the body itself (a replay is the same bytes)."""
    sender: dict[str, Any] = body["from"] if isinstance(body.get("from"), dict) else {}
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    locale = body.get("locale") if isinstance(body.get("locale"), str) else None
    entities = body.get("entities") if isinstance(body.get("entities"), list) else None
    return Turn(channel="teams-webhook", aad_object_id=str(sender.get("aadObjectId") or ""),
                user_name=str(sender.get("name") or ""), locale=locale, text=clean_text(text),
                delivery_key=body_key(raw), time_zone=client_time_zone(entities))


@bp.post("/api/teams/webhook")
def webhook() -> Response:
    svc = bot_state()
    secret = svc.settings.bot.outgoing_webhook_secret.value
    raw = read_body(MAX_BODY)
    if not secret:
        log.warning("/api/teams/webhook called but bot.outgoing_webhook_secret is not set")
        raise HttpError(401, "outgoing webhook not configured")
    if not verify_webhook(secret, raw, request.headers.get("Authorization")):
        raise HttpError(401, "bad or missing HMAC signature")
    body = json_object(raw)
    if not isinstance(body.get("type"), str):
        raise HttpError(400, "the body is not an activity (no type)")
    check_tenant(svc.settings.bot.app_tenant_id, body)
    if body["type"] != "message":
        return json_response({})
    reply = svc.runner.run(_turn(body, raw))
    message: dict[str, Any] = {"type": "message", "text": reply.text}
    if reply.card is not None:
        message["attachments"] = [{"contentType": CONTENT_TYPE,
                                   "content": without_buttons(reply.card)}]
    return json_response(message)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
