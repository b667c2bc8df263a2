"""The real msgraph-sdk pointed at a running emulator, with a token that needs no Entra ID."""

from __future__ import annotations

import time
from typing import Any

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
