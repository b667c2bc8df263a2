"""Test helpers for the bot: seeded data, signed tokens, activities, and tiny local servers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.contacts import fold
from storage.models import (
    AuditEvent,
    Contact,
    ContactEmail,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    TemplateSetup,
    User,
)

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
BF_ISSUER = "https://api.botframework.com"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
WEBHOOK_SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()

ALICE = "aad-alice"
BOB = "aad-bob"
CAROL = "aad-carol"  # admin


def seed(engine: Engine) -> None:
    """Empty every table the bot touches, then add templates, contacts and users."""
    with Session(engine) as session, session.begin():
        for model in (AuditEvent, InteractionLogEntry, ContactEmail, Contact, TemplateSetup,
                      InteractionTemplate, InteractionGroup, User):
            session.execute(sa.delete(model))
        session.add_all([
            InteractionGroup(code="CALLS", description="Phone calls"),
            InteractionGroup(code="MEETINGS", description="Meetings"),
            InteractionGroup(code="EMAIL", description="Email"),
        ])
        session.flush()
        session.add_all([
            InteractionTemplate(code="CALL", group_code="CALLS", description="Phone call",
                                information_flow="outbound", initiated_by="us",
                                unit_duration_min=Decimal(5), unit_cost=Decimal("1.50")),
            InteractionTemplate(code="MEETING", group_code="MEETINGS", description="Meeting",
                                unit_duration_min=Decimal(30)),
            InteractionTemplate(code="EMAIL", group_code="EMAIL", description="Email",
                                correspondence_type="email"),
            InteractionTemplate(code="DEMO", group_code="MEETINGS", description="Product demo",
                                unit_duration_min=Decimal(45)),
        ])
        session.flush()
        session.add_all([TemplateSetup(kind="phone_call", template_code="CALL"),
                         TemplateSetup(kind="meeting", template_code="MEETING"),
                         TemplateSetup(kind="email", template_code="EMAIL")])
        for no, name, email in (("C0001", "Jane Doe", "jane@fabrikam.com"),
                                ("C0002", "John Smith", "john@contoso-partner.com"),
                                ("C0003", "Jane Roe", "roe@example.org"),
                                ("C0004", "José Pérez", "jose@example.es")):
            contact = Contact(no=no, type="person", name=name, search_name=fold(name))
            contact.emails.append(ContactEmail(address=email))
            session.add(contact)
        session.add_all([
            User(upn="alice@contoso.com", salesperson_code="AL", aad_object_id=ALICE),
            User(upn="bob@contoso.com", salesperson_code="BO", aad_object_id=BOB),
            User(upn="carol@contoso.com", salesperson_code="CA", aad_object_id=CAROL, admin=True),
        ])


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


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        body = self.server.routes.get(self.path)
        self._send(200 if body is not None else 404, body or {})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        self.server.posted.append((self.path, dict(self.headers.items()), payload))
        self._send(200, {"id": "reply-1"})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    routes: dict[str, dict[str, Any]]
    posted: list[tuple[str, dict[str, str], dict[str, Any]]]


@contextmanager
def local_server(routes: dict[str, dict[str, Any]]) -> Iterator[_Server]:
    """A real HTTP server on 127.0.0.1: serves `routes` to GET, records every POST."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes = routes
    server.posted = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"
