"""Entra ID's endpoints for the client-credentials flow, outside `/v1.0` and not Graph requests.

- `POST /{tenant}/oauth2/v2.0/token` (`grant_type=client_credentials`, `client_id`,
  `client_secret`, `scope=…/.default`) answers `{token_type, expires_in, ext_expires_in,
  access_token}` with a JWT carrying the app's roles (`auth.TokenIssuer`), or Entra ID's
  OAuth error JSON: `invalid_client` 401 (AADSTS7000215 wrong secret, AADSTS700016 unknown
  app; the secret is never echoed), `invalid_scope` and `unsupported_grant_type` 400.
- `GET /{tenant}/v2.0/.well-known/openid-configuration`: what MSAL (azure-identity's
  synchronous credentials) reads before its first token request when instance discovery is
  off (`disable_instance_discovery=True`; with it on, MSAL asks login.microsoftonline.com
  about an unknown host). The asynchronous credentials post to the token endpoint directly.

Every token request is counted (`tokenRequests`, and `tokensIssued` for the successful
ones, in the control API's `/_emulator/counters`), so tests and benchmarks can see how often
a client asks for a token.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from .auth import TokenIssuer
from .limits import Counters
from .wire import Req, Resp


def is_login_path(req: Req) -> bool:
    """A request for one of Entra ID's endpoints (the tenant segment is not checked)."""
    return _kind(req) is not None


def handle(issuer: TokenIssuer, counters: Counters, req: Req) -> Resp:
    """Answer a request `is_login_path` accepted."""
    kind = _kind(req)
    if kind == "token":
        counters.bump("token_requests")
        resp = token_endpoint(issuer, req)
        if resp.status == 200:
            counters.bump("tokens_issued")
        return resp
    counters.bump("metadata_requests")
    return openid_configuration(req)


def _kind(req: Req) -> str | None:
    path = [s.lower() for s in req.segments[1:]]
    if req.method == "POST" and path == ["oauth2", "v2.0", "token"]:
        return "token"
    if req.method == "GET" and path == ["v2.0", ".well-known", "openid-configuration"]:
        return "metadata"
    return None


def token_endpoint(issuer: TokenIssuer, req: Req) -> Resp:
    """`POST /{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`."""
    form = dict(parse_qsl(req.body.decode("utf-8", "replace")))
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "AADSTS70003: The app requested an "
                            "unsupported grant type.")  # fmt: skip
    if not form.get("scope", "").endswith("/.default"):
        return _oauth_error(400, "invalid_scope", "AADSTS1002012: The provided value for scope "
                            "is not valid. Client credential flows must have a scope value "
                            "with /.default suffixed to the resource identifier.")  # fmt: skip
    client_id = form.get("client_id", "")
    problem = issuer.check_client(client_id, form.get("client_secret"))
    if problem is not None:
        return _oauth_error(401, "invalid_client", problem)
    body = {"token_type": "Bearer", "expires_in": issuer.lifetime_s,
            "ext_expires_in": issuer.lifetime_s, "access_token": issuer.issue(client_id)}
    return Resp(200, json.dumps(body).encode())


def openid_configuration(req: Req) -> Resp:
    """The tenant's OpenID Connect metadata, pointing at this emulator."""
    tenant = req.segments[0]
    base = f"{req.root}/{tenant}"
    body = {
        "issuer": f"{base}/v2.0",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "jwks_uri": f"{req.root}/{tenant}/discovery/v2.0/keys",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                  "client_secret_basic"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": "EU",
    }  # fmt: skip
    return Resp(200, json.dumps(body).encode())


def _oauth_error(status: int, code: str, description: str) -> Resp:
    """Entra ID's error body: `error`, `error_description` (with the AADSTS code, the trace
    and correlation ids and the time, as Entra ID appends them) and `error_codes`."""
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    number = re.match(r"AADSTS(\d+)", description)
    body = {
        "error": code,
        "error_description": f"{description} Trace ID: {trace} Correlation ID: {correlation} "
                             f"Timestamp: {now}",
        "error_codes": [int(number.group(1))] if number else [],
        "timestamp": now, "trace_id": trace, "correlation_id": correlation,
    }  # fmt: skip
    return Resp(status, json.dumps(body).encode())
