"""`POST /api/graph/notifications`: Graph change and lifecycle notifications.

- `?validationToken=…` (the subscription handshake) → 200 `text/plain` with the token,
  before anything else.
- Otherwise the body must be `{"value": [ {subscriptionId, clientState, …}, … ]}` of at most
  `MAX_ITEMS` items (more → 413); anything else → 400, and nothing is queued. Each item's
  `clientState` is compared (in constant time) with the one stored for its subscription
  (all looked up in one query): an unknown subscription or a mismatch is ignored, never
  acted on, and the ignored items of a body make one log line.
- A verified item records a sync request for the subscription's mailbox (a pending request
  just counts one more) and the answer is 202 at once: no Graph call happens here; workers
  do the delta sync, which is the source of truth. A call-records subscription's
  "mailbox" is the queue's `tenant` item: its notification asks for a calls round
  (`connector/calls/tenant.py`), verified exactly like mail's.
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
from storage.values import text_problem
from storage.vocabulary import SubscriptionAction
from storage.worker_models import GraphSubscription

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
# Items in one body. Microsoft documents no maximum, only that "when many changes occur,
# Microsoft Graph may send multiple notifications that correspond to different subscriptions
# in the same POST request" (learn.microsoft.com/graph/change-notifications-delivery-webhooks).
# Anyone can post here, so one body must stay one bounded piece of work: far more than a
# tenant's subscriptions batch, far less than the 38,000 ids 1 MB can carry.
MAX_ITEMS = 1_000
LOGGED_EXAMPLES = 3  # ids of ignored items named in the one log line of a body
LIFECYCLE_ACTIONS = {"reauthorizationRequired": SubscriptionAction.RENEW,
                     "subscriptionRemoved": SubscriptionAction.RECREATE, "missed": None}

bp = Blueprint("graph_notifications", __name__)


class BadNotification(ValueError):
    """The body is not a Graph notification collection; the message says why."""


class TooManyNotifications(BadNotification):
    """More than `MAX_ITEMS` items: refused whole (413), before any is looked at."""


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
    if len(data["value"]) > MAX_ITEMS:
        raise TooManyNotifications(f'"value" may hold at most {MAX_ITEMS} notifications')
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
    for key, text in (("subscriptionId", sub_id), ("clientState", state or "")):
        problem = text_problem(text)
        if problem is not None:
            raise BadNotification(f"value[{index}].{key} {problem}")
    if event is not None and event not in LIFECYCLE_ACTIONS:
        raise BadNotification(f"value[{index}].lifecycleEvent {str(event)[:40]!r} is unknown")
    return Notification(sub_id, state or "", event)


def accept(session: Session, items: list[Notification], now: datetime) -> Outcome:
    """Verify each item against its subscription (one query for all of them) and queue what
    it asks for; the items ignored are logged once for the whole body."""
    ids = {item.subscription_id for item in items}
    subs = {s.id: s for s in session.scalars(
        sa.select(GraphSubscription).where(GraphSubscription.id.in_(ids)))}
    outcome = Outcome()
    ignored: list[str] = []
    for item in items:
        sub = subs.get(item.subscription_id)
        if sub is None or not hmac.compare_digest(sub.client_state.encode(),
                                                  item.client_state.encode()):
            ignored.append(item.subscription_id)
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
    _log_ignored(ignored)
    return outcome


def _log_ignored(ids: list[str]) -> None:
    """One warning for every ignored item of a body: how many, and a few of their ids
    (repr: an id is the sender's text, so no control characters reach the log)."""
    if not ids:
        return
    examples = list(dict.fromkeys(i[:64] for i in ids))[:LOGGED_EXAMPLES]
    log.warning("graph notifications ignored: %d item(s) of an unknown subscription or with "
                "a clientState mismatch (e.g. %s)", len(ids), ", ".join(map(repr, examples)))


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
        return jsonify(error=str(exc)), 413 if isinstance(exc, TooManyNotifications) else 400
    engine: Engine = services().engine
    with Session(engine) as session, session.begin():
        outcome = accept(session, items, utcnow())
    return jsonify(queued=outcome.queued, ignored=outcome.ignored), 202


def register(app: Flask) -> None:
    """Serve the endpoint from `app` (its engine is the app's shared `Services.engine`)."""
    app.register_blueprint(bp)
