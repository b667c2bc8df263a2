"""Who may talk to the bot: Bot Framework JWTs and outgoing-webhook HMACs.

Incoming Bot Framework tokens are checked the way Microsoft's channel validation does:
RS256 signature by a key from the OpenID metadata's JWKS, audience = the bot's app id,
expiry (5 minutes of clock skew), issuer = the metadata's issuer, the key's endorsements
include the activity's channel, and the token's `serviceurl` claim is the activity's
serviceUrl. The metadata URL is a setting, so tests publish their own keys over HTTP.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)

CLOCK_SKEW_S = 300
KEYS_MAX_AGE_S = 24 * 3600
REFRESH_MIN_INTERVAL_S = 60


class AuthError(Exception):
    """A request that is not who it claims to be; the message is safe to log (no token)."""


@dataclass
class _Keys:
    issuer: str
    by_kid: dict[str, tuple[jwt.PyJWK, dict[str, Any]]]
    fetched_at: float


@dataclass
class BotTokenValidator:
    """Validates `Authorization: Bearer …` of /api/messages against the published keys."""

    app_id: str
    metadata_url: str
    timeout_s: float = 10.0
    _keys: _Keys | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def validate(self, token: str, *, service_url: str | None, channel_id: str | None
                 ) -> dict[str, Any]:
        """The verified claims of `token`, or `AuthError` naming what is wrong."""
        if not self.app_id:
            raise AuthError("bot.app_id is not configured")
        header = _header(token)
        if header.get("alg") != "RS256":
            raise AuthError("token is not signed with RS256")
        key, raw, issuer = self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=["RS256"], audience=self.app_id, issuer=issuer,
                leeway=CLOCK_SKEW_S, options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {type(exc).__name__}") from None
        _check_endorsements(raw, channel_id)
        _check_service_url(claims, service_url)
        return claims

    def _key(self, kid: str) -> tuple[jwt.PyJWK, dict[str, Any], str]:
        with self._lock:
            keys = self._keys
            stale = keys is None or time.monotonic() - keys.fetched_at > KEYS_MAX_AGE_S
            unknown = keys is not None and kid not in keys.by_kid and (
                time.monotonic() - keys.fetched_at > REFRESH_MIN_INTERVAL_S)
            if stale or unknown:
                self._keys = keys = self._fetch()
        assert keys is not None
        if kid not in keys.by_kid:
            raise AuthError("token signed by an unknown key")
        key, raw = keys.by_kid[kid]
        return key, raw, keys.issuer

    def _fetch(self) -> _Keys:
        try:
            with httpx.Client(timeout=self.timeout_s) as client:
                metadata = client.get(self.metadata_url).raise_for_status().json()
                jwks = client.get(metadata["jwks_uri"]).raise_for_status().json()
            by_kid = {}
            for raw in jwks["keys"]:
                if raw.get("kty") == "RSA" and raw.get("kid"):
                    by_kid[raw["kid"]] = (jwt.PyJWK.from_dict(raw, algorithm="RS256"), raw)
            return _Keys(issuer=str(metadata["issuer"]), by_kid=by_kid,
                         fetched_at=time.monotonic())
        except (httpx.HTTPError, KeyError, TypeError, ValueError, jwt.PyJWTError) as exc:
            log.warning("cannot load the bot signing keys from %s: %s", self.metadata_url, exc)
            raise AuthError("signing keys unavailable") from None


def _header(token: str) -> dict[str, Any]:
    """The token's (unverified) header, only to pick the key: `jwt.decode` then checks the
    whole token, header included. (`jwt.get_unverified_header` would check every character
    of the token a first time, a tenth of a command's time in the profile.)"""
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        raise AuthError("malformed token: its header is not base64 JSON") from None
    if not isinstance(header, dict):
        raise AuthError("malformed token: its header is not a JSON object")
    return header


def _check_endorsements(raw: dict[str, Any], channel_id: str | None) -> None:
    endorsements = raw.get("endorsements")
    if endorsements is not None and channel_id not in endorsements:
        raise AuthError(f"the signing key is not endorsed for channel {channel_id!r}")


def _norm_url(url: str) -> str:
    return url.strip().rstrip("/").casefold()


def _check_service_url(claims: dict[str, Any], service_url: str | None) -> None:
    claimed = claims.get("serviceurl")
    if not isinstance(claimed, str) or not service_url:
        raise AuthError("token or activity has no serviceUrl")
    if _norm_url(claimed) != _norm_url(service_url):
        raise AuthError("the activity's serviceUrl is not the one the token was issued for")


def webhook_signature(secret_b64: str, body: bytes) -> str:
    """`HMAC <base64>` as Teams computes it: HMAC-SHA256 of the raw body, key base64-decoded."""
    key = base64.b64decode(secret_b64, validate=True)
    return "HMAC " + base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def verify_webhook(secret_b64: str, body: bytes, authorization: str | None) -> bool:
    """Constant-time check of an outgoing webhook's `Authorization` header."""
    if not secret_b64 or not authorization or not authorization.startswith("HMAC "):
        return False
    try:
        expected = webhook_signature(secret_b64, body)
    except (binascii.Error, ValueError):
        log.error("bot.outgoing_webhook_secret is not valid base64")
        return False
    return hmac.compare_digest(expected.encode(), authorization.strip().encode())
