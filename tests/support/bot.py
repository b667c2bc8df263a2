"""The bot's test kit: its dataset, signed Bot Framework tokens, activities, replies, and a
Flask test client that sends a valid token by default."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.app import create_app
from interlog.config import Settings, UserSettings, settings_from_dict
from storage.models import AuditEvent, InteractionLogEntry
from tests.support.seed import ContactRow, Dataset, TemplateRow

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
BF_ISSUER = "https://api.botframework.com"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
WEBHOOK_SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()

ALICE = "aad-alice"
BOB = "aad-bob"
CAROL = "aad-carol"  # admin


BOT = Dataset(
    groups=(("CALLS", "Phone calls"), ("MEETINGS", "Meetings"), ("EMAIL", "Email")),
    templates=(
        TemplateRow("CALL", "CALLS", "Phone call", flow="outbound", initiated_by="us",
                    minutes="5", cost="1.50"),
        TemplateRow("MEETING", "MEETINGS", "Meeting", minutes="30"),
        TemplateRow("EMAIL", "EMAIL", "Email", correspondence="email"),
        TemplateRow("DEMO", "MEETINGS", "Product demo", minutes="45"),
    ),
    setup=(("phone_call", "CALL"), ("meeting", "MEETING"), ("email", "EMAIL")),
    contacts=(
        ContactRow("C0001", "Jane Doe", ("jane@fabrikam.com",)),
        ContactRow("C0002", "John Smith", ("john@contoso-partner.com",)),
        ContactRow("C0003", "Jane Roe", ("roe@example.org",)),
        ContactRow("C0004", "José Pérez", ("jose@example.es",)),
    ),
    users=(
        UserSettings("alice@contoso.com", salesperson_code="AL", aad_object_id=ALICE),
        UserSettings("bob@contoso.com", salesperson_code="BO", aad_object_id=BOB),
        UserSettings("carol@contoso.com", salesperson_code="CA", aad_object_id=CAROL,
                     admin=True),
    ),
)
"""Templates, contacts and users the bot tests talk about (`seed(engine, BOT)`)."""


def entries(engine: Engine) -> list[InteractionLogEntry]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(sa.select(InteractionLogEntry)
                                    .order_by(InteractionLogEntry.entry_no)))


def audit_actors(engine: Engine) -> list[tuple[str, str, int | None]]:
    with Session(engine) as session:
        rows = session.execute(sa.select(AuditEvent.action, AuditEvent.actor, AuditEvent.entry_no)
                               .order_by(AuditEvent.id)).all()
        return [(r[0], r[1], r[2]) for r in rows]


def activity(text: str | None = "", *, aad: str = ALICE, locale: str = "en-US",
             expect_replies: bool = True, service_url: str = SERVICE_URL,
             **extra: Any) -> dict[str, Any]:
    """A Teams message activity as the Bot Connector posts it."""
    body: dict[str, Any] = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:user", "name": "Alice Example", "aadObjectId": aad},
        "recipient": {"id": "28:bot", "name": "interlog"},
        "conversation": {"id": "a:conv1", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": locale,
        "text": text,
    }
    if expect_replies:
        body["deliveryMode"] = "expectReplies"
    body.update(extra)
    return body


def card_action(data: dict[str, Any], *, verb: str | None = None, aad: str = ALICE,
                locale: str = "en-US") -> dict[str, Any]:
    """An `adaptiveCard/action` invoke, as Teams sends it for an Action.Execute button."""
    body = activity(None, aad=aad, locale=locale, expect_replies=False)
    body.update(type="invoke", name="adaptiveCard/action", value={
        "action": {"type": "Action.Execute", "verb": verb or data.get("action"), "data": data},
        "trigger": "manual"})
    return body


def replies(response_json: dict[str, Any]) -> list[dict[str, Any]]:
    return list(response_json["activities"])


def reply_text(response_json: dict[str, Any]) -> str:
    """The text of the first reply: its summary when it is a card."""
    first = replies(response_json)[0]
    return str(first.get("summary") or first.get("text") or "")


def reply_card(response_json: dict[str, Any]) -> dict[str, Any]:
    first = replies(response_json)[0]
    attachment = first["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return dict(attachment["content"])


def hmac_header(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    key = base64.b64decode(secret)
    return "HMAC " + base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


@dataclass
class SigningKey:
    """An RSA key pair; its public half is published as a JWK with this kid."""

    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self, endorsements: list[str] | None = None) -> dict[str, Any]:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        data.update(kid=self.kid, use="sig", alg="RS256")
        if endorsements is not None:
            data["endorsements"] = endorsements
        return data

    def token(self, *, aud: str = APP_ID, iss: str = BF_ISSUER, expires_in: int = 3600,
              service_url: str | None = SERVICE_URL, **claims: Any) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {"aud": aud, "iss": iss, "nbf": now - 10, "iat": now - 10,
                                   "exp": now + expires_in, **claims}
        if service_url is not None:
            payload["serviceurl"] = service_url
        return jwt.encode(payload, self.private, algorithm="RS256", headers={"kid": self.kid})


async def fake_token_source(resource: str, scopes: list[str]) -> str:
    """The bot's outgoing token, without Entra ID."""
    return "fake-bot-token"


def make_settings(openid_url: str, **bot: Any) -> Settings:
    section = {"app_id": APP_ID, "openid_metadata_url": openid_url,
               "outgoing_webhook_secret": WEBHOOK_SECRET, **bot}
    return settings_from_dict({"bot": section}, env={})


@dataclass
class BotClient:
    """The Flask test client, with a valid Bot Framework token on every request by default."""

    app: Flask
    http: FlaskClient
    key: SigningKey

    def send(self, body: Any, *, token: str | None = "valid", **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if token == "valid":
            token = self.key.token(service_url=body.get("serviceUrl")
                                   if isinstance(body, dict) else None)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.post("/api/messages", json=body, headers=headers, **kwargs)


def bot_client(engine: Engine, openid_url: str, key: SigningKey, **bot: Any) -> BotClient:
    app = create_app(make_settings(openid_url, **bot), engine=engine,
                     token_source=fake_token_source)
    return BotClient(app, app.test_client(), key)


def row_counts(engine: Engine) -> dict[str, int]:
    """How many entries, audit rows and Teams deliveries the database holds."""
    from storage.delivery_models import ActivityDelivery

    with Session(engine) as session:
        return {name: int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
                for name, model in (("entries", InteractionLogEntry), ("audit", AuditEvent),
                                    ("deliveries", ActivityDelivery))}


def post_at_once(urls: list[str], path: str, n: int, **request: Any) -> list[Any]:
    """`n` threads POST the same request at once (a barrier releases them together),
    spread over `urls` (servers of the same database); returns their httpx responses."""
    import threading

    import httpx

    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def post(i: int) -> None:
        with httpx.Client(base_url=urls[i % len(urls)], timeout=30) as http:
            barrier.wait(timeout=30)
            results[i] = http.post(path, **request)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results), "a request did not finish"
    return results


def say(client: BotClient, text: str, **kwargs: Any) -> dict[str, Any]:
    """Send `text` as a message activity; the 200 answer's JSON."""
    response = client.send(activity(text, **kwargs))
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def facts(node: Any) -> dict[str, str]:
    """Every FactSet's title → value in a card."""
    found: dict[str, str] = {}
    if isinstance(node, dict):
        if node.get("type") == "FactSet":
            found.update({f["title"]: f["value"] for f in node["facts"]})
        for value in node.values():
            found.update(facts(value))
    elif isinstance(node, list):
        for value in node:
            found.update(facts(value))
    return found
