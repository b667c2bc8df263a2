"""The app's application permissions: the tokens the emulator issues, and role checks.

The token endpoint (`emulator/login.py`, Entra ID's `POST /{tenant}/oauth2/v2.0/token`)
issues a JWT whose `roles` claim is the tenant file's `app.roles` (default `DEFAULT_ROLES`),
signed here (`TokenIssuer`). Every Graph request
is then checked against the roles of the bearer token it carries — a token issued here, or,
for any other (opaque) bearer token, the tenant's roles — and refused as Graph refuses it:
403 `ErrorAccessDenied`, "Access is denied. Check credentials and try again." (the code and
message Graph answers, e.g. Microsoft Q&A 1025656 "Error access denied while using
/users/<userid>/mailFolders api": https://learn.microsoft.com/answers/questions/1025656/).

What each role allows (Microsoft Graph permissions reference,
https://learn.microsoft.com/en-us/graph/permissions-reference#mailreadbasicall):
`Mail.ReadBasic.All` "Allows the app to read basic mail properties in all mailboxes without a
signed-in user. Includes all properties except body, previewBody, attachments and any
extended properties." "Get singleValueLegacyExtendedProperty" lists `Mail.Read` as the least
privileged application permission for a message's extended properties
(https://learn.microsoft.com/en-us/graph/api/singlevaluelegacyextendedproperty-get).
What Graph answers when a ReadBasic app nevertheless asks for them (`$expand=
singleValueExtendedProperties…`, or `$select=body`) is not documented, so the emulator takes
the stricter case: 403 ErrorAccessDenied.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from .wire import GraphError, Req

# The set the docs recommend (docs/deployment.md), plus User.ReadBasic.All for `/users`.
DEFAULT_ROLES = ("Mail.Read", "Calendars.Read", "CallRecords.Read.All", "User.ReadBasic.All")
DENIED = ("ErrorAccessDenied", "Access is denied. Check credentials and try again.")

MAIL_FULL = frozenset({"Mail.Read", "Mail.ReadWrite"})
MAIL_ANY = MAIL_FULL | {"Mail.ReadBasic", "Mail.ReadBasic.All"}
CALENDAR_ANY = frozenset({"Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic.All"})
CALL_RECORDS = frozenset({"CallRecords.Read.All"})  # application only (emulator/calls.py)
USERS_ANY = frozenset(
    {"User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All",
     "Directory.ReadWrite.All"}
)  # fmt: skip
# Route name (app.ROUTES) → the roles any one of which allows it.
ROUTE_ROLES: dict[str, frozenset[str]] = {
    "users": USERS_ANY, "user": USERS_ANY,
    "mailFolders": MAIL_ANY, "mailFolder": MAIL_ANY, "folderMsgs": MAIL_ANY,
    "messagesDelta": MAIL_ANY, "messages": MAIL_ANY, "message": MAIL_ANY,
    "events": CALENDAR_ANY, "event": CALENDAR_ANY, "calendarView": CALENDAR_ANY,
    "calendarViewDelta": CALENDAR_ANY,
}  # fmt: skip
MESSAGE_ROUTES = frozenset({"folderMsgs", "messagesDelta", "messages", "message"})
# Message properties Mail.ReadBasic(.All) does not read.
NOT_BASIC = frozenset({"body", "bodypreview", "uniquebody", "attachments", "extensions"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and verifies this emulator's access tokens (HS256 with a per-run key)."""

    def __init__(self, tenant_id: str, app: dict[str, Any], *, lifetime_s: int = 3599,
                 leeway_s: float = 300.0) -> None:
        self._key = secrets.token_bytes(32)
        self.tenant_id = tenant_id
        self.lifetime_s = lifetime_s
        self.leeway_s = leeway_s
        self.roles: tuple[str, ...] = tuple(app.get("roles", DEFAULT_ROLES))
        self.client_id: str | None = app.get("clientId")
        self._secret: str | None = app.get("clientSecret")

    def issue(self, client_id: str, now: float | None = None) -> str:
        """A signed JWT for the app, carrying its roles."""
        iat = int(time.time() if now is None else now)
        claims = {
            "aud": "https://graph.microsoft.com", "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": iat, "nbf": iat, "exp": iat + self.lifetime_s, "tid": self.tenant_id,
            "appid": client_id, "idtyp": "app", "roles": list(self.roles),
        }  # fmt: skip
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{head}.{body}.{self._sign(f'{head}.{body}')}"

    def _sign(self, text: str) -> str:
        return _b64(hmac.new(self._key, text.encode(), hashlib.sha256).digest())

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this emulator issued and that has not expired (give or take
        `leeway_s`, the clock skew a validator allows); else None."""
        head, _, rest = token.partition(".")
        body, _, sig = rest.partition(".")
        if not hmac.compare_digest(sig, self._sign(f"{head}.{body}")):
            return None
        try:
            claims: dict[str, Any] = json.loads(_unb64(body))
        except ValueError:
            return None
        return claims if claims.get("exp", 0) + self.leeway_s > time.time() else None

    def check_client(self, client_id: str, secret: str | None) -> str | None:
        """Why the client's credentials are refused (an AADSTS line), or None."""
        if self.client_id is not None and client_id != self.client_id:
            return f"AADSTS700016: Application with identifier '{client_id}' was not found."
        if self._secret is not None and not hmac.compare_digest(secret or "", self._secret):
            return "AADSTS7000215: Invalid client secret provided."
        return None


def is_jwt(token: str) -> bool:
    return token.count(".") == 2


def bearer(req: Req) -> str:
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def roles_of(issuer: TokenIssuer, req: Req) -> frozenset[str]:
    """The roles a request carries: its JWT's, else (an opaque token) the tenant app's."""
    token = bearer(req)
    if not is_jwt(token):
        return frozenset(issuer.roles)
    claims = issuer.verify(token)
    if claims is None:
        raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure.")
    roles = claims.get("roles")
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(r for r in roles if isinstance(r, str))


def enforce(roles: frozenset[str], route: str, req: Req) -> None:
    """403 ErrorAccessDenied when no role allows the route, or ReadBasic asks for more."""
    allowed = ROUTE_ROLES.get(route)
    if allowed is not None and not roles & allowed:
        raise GraphError(403, *DENIED)
    if route in MESSAGE_ROUTES and not roles & MAIL_FULL and _asks_beyond_basic(req):
        raise GraphError(403, *DENIED)


def enforce_resource(roles: frozenset[str] | None, kind: str) -> None:
    """A subscription needs the role that reads its resource ("message", "event" or
    "callRecord")."""
    allowed = {"message": MAIL_ANY, "callRecord": CALL_RECORDS}.get(kind, CALENDAR_ANY)
    if roles is not None and not roles & allowed:
        raise GraphError(403, *DENIED)


def _asks_beyond_basic(req: Req) -> bool:
    """Extended properties (`$expand`, also kept in a delta token) or body-like `$select`."""
    expand = req.query.get("$expand", "").lower()
    if "extendedproperties" in expand or "attachments" in expand or "extensions" in expand:
        return True
    select = {s.strip().lower() for s in req.query.get("$select", "").split(",")}
    return bool(select & NOT_BASIC)
