"""`POST /api/graph/notifications`: Graph change and lifecycle notifications.

- `?validationToken=…` (the subscription handshake) → 200 `text/plain` with the token,
  before anything else.
- Otherwise the body must be `{"value": [ {subscriptionId, clientState, …}, … ]}`; anything
  else → 400 and nothing is queued. Each item's `clientState` is compared (in constant time)
  with the one stored for its subscription: an unknown subscription or a mismatch is logged
  and ignored, never acted on.
- A verified item records a sync request for the subscription's mailbox (a pending request
  just counts one more) and the answer is 202 at once: no Graph call happens here; workers
  do the delta sync, which is the source of truth.
- Lifecycle events: `reauthorizationRequired` → the subscription is marked for renewal;
  `subscriptionRemoved` → marked for re-creation, and the mailbox is synced; `missed` → the
  mailbox is synced. Workers act on the marks (`connector/realtime/worker.py`).
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, jsonify, request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.realtime.leases import request_sync, wake_workers
from connector.surfaces import services
from storage.models import utcnow
from storage.vocabulary import SubscriptionAction
from storage.worker_models import GraphSubscription

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
LIFECYCLE_ACTIONS = {"reauthorizationRequired": SubscriptionAction.RENEW,
                     "subscriptionRemoved": SubscriptionAction.RECREATE, "missed": None}

bp = Blueprint("graph_notifications", __name__)


class BadNotification(ValueError):
    """The body is not a Graph notification collection; the message says why."""


@dataclass(frozen=True)
class Notification:
    subscription_id: str
    client_state: str
    lifecycle_event: str | None = None


@dataclass
class Outcome:
    queued: int = 0
    ignored: int = 0
    lifecycle: int = 0


def parse_notifications(body: bytes) -> list[Notification]:
    """Graph's `{"value": [...]}`, validated item by item; raises `BadNotification`."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadNotification("the body is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("value"), list):
        raise BadNotification('the body must be an object with a "value" array')
    if not data["value"]:
        raise BadNotification('"value" is empty')
    return [_item(i, raw) for i, raw in enumerate(data["value"])]


def _item(index: int, raw: Any) -> Notification:
    if not isinstance(raw, dict):
        raise BadNotification(f"value[{index}] is not an object")
    sub_id, state = raw.get("subscriptionId"), raw.get("clientState")
    event = raw.get("lifecycleEvent")
    if not isinstance(sub_id, str) or not sub_id:
        raise BadNotification(f"value[{index}].subscriptionId is missing")
    if state is not None and not isinstance(state, str):
        raise BadNotification(f"value[{index}].clientState is not a string")
    if event is not None and event not in LIFECYCLE_ACTIONS:
        raise BadNotification(f"value[{index}].lifecycleEvent {str(event)[:40]!r} is unknown")
    return Notification(sub_id, state or "", event)


def accept(session: Session, items: list[Notification], now: datetime) -> Outcome:
    """Verify each item against its subscription and queue what it asks for."""
    ids = {item.subscription_id for item in items}
    subs = {s.id: s for s in session.scalars(
        sa.select(GraphSubscription).where(GraphSubscription.id.in_(ids)))}
    outcome = Outcome()
    for item in items:
        sub = subs.get(item.subscription_id)
        if sub is None or not hmac.compare_digest(sub.client_state.encode(),
                                                  item.client_state.encode()):
            log.warning("graph notification ignored: subscription %s unknown or clientState "
                        "mismatch", item.subscription_id[:64])
            outcome.ignored += 1
            continue
        if item.lifecycle_event is not None:
            outcome.lifecycle += 1
            action = LIFECYCLE_ACTIONS[item.lifecycle_event]
            if action is not None:
                sub.pending_action = action
            if action == SubscriptionAction.RENEW:
                continue
        request_sync(session, sub.mailbox, now)
        outcome.queued += 1
    if outcome.queued or outcome.lifecycle:
        wake_workers(session)
    return outcome


@bp.post("/api/graph/notifications")
def notifications() -> Response | tuple[Response, int]:
    token = request.args.get("validationToken")
    if token is not None:
        return Response(token, 200, mimetype="text/plain")
    if (request.content_length or 0) > MAX_BODY:
        return jsonify(error="the body is too large"), 413
    try:
        items = parse_notifications(request.get_data(cache=False))
    except BadNotification as exc:
        return jsonify(error=str(exc)), 400
    engine: Engine = services().engine
    with Session(engine) as session, session.begin():
        outcome = accept(session, items, utcnow())
    return jsonify(queued=outcome.queued, ignored=outcome.ignored), 202


def register(app: Flask) -> None:
    """Serve the endpoint from `app` (its engine is the app's shared `Services.engine`)."""
    app.register_blueprint(bp)
