"""The real msgraph-sdk pointed at a running emulator, with a token that needs no Entra ID."""

from __future__ import annotations

import time
from typing import Any

import httpx
from azure.core.credentials import AccessToken
from msgraph import GraphServiceClient

from emulator import EmulatorServer


class StaticTokenCredential:
    """A duck-typed azure-core TokenCredential: no Entra ID call."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token", int(time.time()) + 3600)


def sdk_client(emu: EmulatorServer) -> GraphServiceClient:
    """The real SDK, static token, base URL overridden (graph-sdk-notes §1 option A)."""
    client = GraphServiceClient(
        credentials=StaticTokenCredential(), scopes=["https://graph.microsoft.com/.default"]
    )
    client.request_adapter.base_url = emu.base_url
    return client


def with_roles(tenant: dict[str, Any], *roles: str, **app: str) -> dict[str, Any]:
    """The tenant with its application holding exactly `roles` (and clientId/clientSecret)."""
    return {**tenant, "app": {"roles": list(roles), **app}}


def app_token(emu: EmulatorServer, client_id: str = "interlog-app", secret: str = "s") -> str:
    """An access token from the emulator's client-credentials endpoint (carries `roles`)."""
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default"}
    resp = httpx.post(f"{emu.url}/{emu.state.settings.tenant_id}/oauth2/v2.0/token", data=form)
    resp.raise_for_status()
    token: str = resp.json()["access_token"]
    return token
