"""The app's credential: built once per Graph client, asked one coroutine at a time.

- `make_credential`: azure-identity's async `ClientSecretCredential` or
  `CertificateCredential` (or, for emulators on a loopback address, `StaticTokenCredential`).
  azure-identity keeps the token in memory, per credential instance, and asks Entra ID again
  only when it nears expiry (azure-identity 1.27 `get_refresh_status`: 5 minutes or less
  left, or past the `refresh_in` Entra ID gave, and at most once every 30 seconds; at once
  when expired). A client that lives as long as its worker therefore asks for about one
  token an hour, whatever the number of mailboxes.
- `SharedCredential` wraps it: azure-identity's async credentials have no lock, so the
  first requests of a run (up to `[sync] max_concurrency` at once) would each ask Entra ID
  for a token; here the first one asks and the others get the cached token. A credential
  Entra ID refused for good (a wrong secret, an unknown app or tenant: `TOKEN_ACTIONS` in
  `connector/errors.py`) is not asked again: the refusal is raised again as it was.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from connector.errors import Action, GraphError, token_error
from connector.settings import ConfigError, GraphSettings

ERROR_TEXT = re.compile(r"\((?P<code>[a-z_]+)\) (?P<text>.*)", re.DOTALL)


class StaticTokenCredential:
    """An async TokenCredential that always returns one fixed token (emulators only)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticTokenCredential('***')"

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None


def make_credential(graph: GraphSettings, authority: str, ca_file: str | None = None) -> Any:
    """The async azure-identity credential (or the static one) the settings ask for.
    `ca_file`: the CA an emulator's https authority is signed by (azure-core's
    `connection_verify`)."""
    if graph.static_token:
        return StaticTokenCredential(graph.static_token.value)
    if not graph.tenant_id or not graph.client_id:
        raise ConfigError("[graph] needs tenant_id and client_id (or static_token for an emulator)")
    from azure.identity.aio import CertificateCredential, ClientSecretCredential

    extra: dict[str, Any] = {"connection_verify": ca_file} if ca_file else {}
    if graph.certificate_path:
        return CertificateCredential(
            graph.tenant_id, graph.client_id, certificate_path=graph.certificate_path,
            authority=authority, **extra,
        )  # fmt: skip
    if not graph.client_secret:
        raise ConfigError(
            "[graph] needs client_secret (or $INTERLOG_GRAPH_CLIENT_SECRET) or certificate_path"
        )
    return ClientSecretCredential(
        graph.tenant_id, graph.client_id, graph.client_secret.value, authority=authority, **extra
    )


def refusal(exc: ClientAuthenticationError, what: str) -> GraphError:
    """The classified `GraphError` for a token request Entra ID refused."""
    status = getattr(exc.response, "status_code", None)
    code, text = "", str(exc.message or exc)
    try:
        body = json.loads(exc.response.text()) if exc.response is not None else {}
        code, text = str(body.get("error") or ""), str(body.get("error_description") or text)
    except (ValueError, AttributeError, TypeError):  # no JSON body: read the message instead
        found = ERROR_TEXT.search(text)
        if found:
            code, text = found["code"], found["text"].rstrip("'")
    return token_error(status, code, text, what)


class SharedCredential:
    """One credential for one Graph client: single-flight token requests, refusals kept."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._lock = asyncio.Lock()
        self.refused: ClientAuthenticationError | None = None

    def __repr__(self) -> str:
        return f"SharedCredential({self.inner!r})"

    async def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
        enable_cae: bool = False, **kwargs: Any,
    ) -> AccessToken:  # fmt: skip
        if self.refused is not None:
            raise self.refused
        async with self._lock:
            if self.refused is not None:
                raise self.refused
            try:
                token: AccessToken = await self.inner.get_token(
                    *scopes, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs)
            except ClientAuthenticationError as exc:
                if refusal(exc, "token").action is Action.FATAL:
                    self.refused = exc
                raise
            return token

    async def close(self) -> None:
        await self.inner.close()

    async def __aenter__(self) -> SharedCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
