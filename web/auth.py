"""Who is asking: Entra ID sign-in (Microsoft's `identity` library), or development mode.

Signed-in people are mapped to a row of the users table (`storage/users.py`, which `[[user]]`
seeds) by UPN or Entra object id, on every request; the row decides who is an admin, as it does
for the bot. `[web] allow_anonymous` acts as an admin, and only for requests that come
straight from loopback (no proxy headers), as the bot's development mode does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from connector.surfaces import is_development_request
from storage.models import User
from storage.users import find_user
from web.context import db, state
from web.routes import Route, add_routes

SESSION_USER = "web_user"
SIGNED_IN_AT = "signed_in_at"  # seconds since the epoch, set once at sign-in
SIGN_IN_SECONDS = 8 * 3600  # a sign-in lasts this long, however often the cookie is re-issued
CLOCK_SKEW_SECONDS = 300  # servers behind one proxy may disagree a little on the time
PUBLIC_ENDPOINTS = frozenset({"web.login", "web.auth_callback", "web.logout", "web.static"})


@dataclass(frozen=True)
class WebUser:
    upn: str
    name: str
    admin: bool
    anonymous: bool = False

    @property
    def actor(self) -> str:
        return f"web:{self.upn}"


def current_user() -> WebUser:
    user: WebUser = g.web_user
    return user


def require_user() -> Response | None:
    """`before_request` of the pages: sets `g.web_user` or sends the browser to sign in."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    settings = state().settings
    if settings.web.allow_anonymous:
        if not is_development_request():
            abort(403, description="development mode (allow_anonymous) answers loopback only")
        g.web_user = WebUser(upn="anonymous@localhost", name="anonymous", admin=True,
                             anonymous=True)
        return None
    stored: dict[str, str] | None = session.get(SESSION_USER)
    if stored is not None and not _signed_in_recently():
        session.clear()
        stored = None
    mapped = find_user(db(), upn=stored["upn"]) if stored else None
    if stored is None or mapped is None:
        if request.method != "GET":
            abort(401)
        return redirect(url_for("web.login", next=request.full_path))
    g.web_user = WebUser(upn=mapped.upn, name=stored.get("name", ""), admin=mapped.admin)
    return None


def _signed_in_recently() -> bool:
    """Whether the session's sign-in is under `SIGN_IN_SECONDS` old. Flask's own limit counts
    from the cookie's last signature, which a page that changes the session (a flashed
    message, a CSRF token) renews: this one counts from the sign-in itself."""
    signed_in = session.get(SIGNED_IN_AT)
    if isinstance(signed_in, bool) or not isinstance(signed_in, int | float):
        return False
    return -CLOCK_SKEW_SECONDS <= time.time() - signed_in <= SIGN_IN_SECONDS


ENTRA_HOSTS = ("login.microsoftonline.com", "login.microsoftonline.us",
               "login.partner.microsoftonline.cn", "login.chinacloudapi.cn")


def _identity_auth() -> Any:
    """Microsoft's `identity` helper; an authority off Entra's hosts is a plain OIDC one."""
    import identity.web

    settings = state().settings
    authority = settings.web.authority.rstrip("/") or (
        f"https://login.microsoftonline.com/{settings.graph.tenant_id or 'organizations'}"
    )
    where = ({"authority": authority} if urlparse(authority).hostname in ENTRA_HOSTS
             else {"oidc_authority": authority})
    return identity.web.Auth(
        session=session,
        client_id=settings.web.client_id,
        client_credential=settings.web.client_secret.value or None,
        **where,
    )


def _claims_problem(claims: dict[str, Any]) -> str | None:
    """Why these ID token claims are not acceptable (MSAL checks state and nonce only)."""
    settings = state().settings
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.web.client_id not in audiences:
        return "the ID token was issued to another application"
    tenant = settings.graph.tenant_id
    if tenant and claims.get("tid") and claims.get("tid") != tenant:
        return "the account belongs to another tenant"
    return None


def _redirect_uri() -> str:
    public = state().settings.server.public_url.rstrip("/")
    if public:
        return public + url_for("web.auth_callback")
    return url_for("web.auth_callback", _external=True)


def safe_next(value: str | None) -> str:
    """`value` when it is a path on this site, else the log (no open redirects).

    What a browser does to a `Location` decides: it drops tabs and newlines (so
    `/\\t/evil.example/` becomes `//evil.example/`, another site) and reads `\\` as `/`. So any
    control, format or space character (CR/LF too: no header injection), any backslash, and
    anything that parses with a scheme or a host is refused, not repaired.
    """
    import unicodedata

    if (not value or len(value) > 2048 or not value.startswith("/") or value.startswith("//")
            or "\\" in value
            or any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in value)):
        return url_for("web.log")
    parts = urlparse(value)
    return url_for("web.log") if parts.scheme or parts.netloc else value


def login() -> Response:
    if not state().settings.web.client_id:
        abort(503, description="sign-in is not configured: set [web] client_id, "
                               "client_secret and authority, or use allow_anonymous locally")
    try:
        result = _identity_auth().log_in(scopes=[], redirect_uri=_redirect_uri(),
                                         next_link=safe_next(request.args.get("next")))
    except (ValueError, OSError) as exc:  # discovery failed: the provider is unreachable
        abort(502, description=f"the sign-in provider did not answer: {exc}")
    if "error" in result:
        abort(502, description=f"sign-in failed: {result['error']}")
    return redirect(result["auth_uri"])


def auth_callback() -> Response:
    try:
        result = _identity_auth().complete_log_in(request.args)
    except (ValueError, OSError) as exc:
        abort(502, description=f"the sign-in provider did not answer: {exc}")
    if "error" in result:
        abort(401, description=f"sign-in failed: {result.get('error')}")
    claims: dict[str, Any] = session.pop("_logged_in_user", None) or {}
    session.pop("_token_cache", None)  # only the identity is kept, never tokens
    if not claims:  # a stale or replayed response (identity logs why)
        abort(400, description="this sign-in response has expired; sign in again")
    mapped = _signed_in_user(claims)
    session.clear()
    name = str(claims.get("name") or _claimed_upn(claims))
    session[SESSION_USER] = {"upn": mapped.upn, "name": name}
    session[SIGNED_IN_AT] = int(time.time())
    return redirect(safe_next(result.get("next_link")))


def _signed_in_user(claims: dict[str, Any]) -> User:
    """The user these ID token claims sign in as; 403 when they sign in as nobody."""
    if (problem := _claims_problem(claims)) is not None:
        abort(403, description=f"sign-in refused: {problem}")
    upn = _claimed_upn(claims)
    mapped = find_user(db(), upn=upn, aad_object_id=str(claims.get("oid") or ""))
    if not upn or mapped is None:
        abort(403, description=f"{upn or 'this account'} is not a [[user]] of interlog")
    if mapped.aad_object_id and mapped.aad_object_id != claims.get("oid"):
        abort(403, description=f"{upn} signed in with another Entra object id than "
                               "its [[user]] aad_object_id")
    return mapped


def _claimed_upn(claims: dict[str, Any]) -> str:
    return str(claims.get("preferred_username") or claims.get("upn") or "")


def logout() -> Response:
    session.clear()
    return redirect(url_for("web.log"))


ROUTES: tuple[Route, ...] = (
    ("/auth/login", "login", login, ("GET",)),
    ("/auth/callback", "auth_callback", auth_callback, ("GET",)),
    ("/auth/logout", "logout", logout, ("POST",)),
)


def register_routes(bp: Blueprint) -> None:
    add_routes(bp, ROUTES)
