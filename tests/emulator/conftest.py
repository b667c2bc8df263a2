"""Fixtures: a small tenant, a running emulator, the real msgraph-sdk pointed at it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from msgraph import GraphServiceClient

from emulator import EmulatorServer, EmulatorSettings

ALICE = "alice@contoso.com"
BOB = "bob@contoso.com"


class StaticTokenCredential:
    """A duck-typed azure-core TokenCredential: no Entra ID call."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token", int(time.time()) + 3600)


def a_message(i: int, *, folder: str = "inbox", day: int = 1, **extra: Any) -> dict[str, Any]:
    """A Graph message; `day` is the day of May 2024 it was received."""
    return {
        "id": f"msg-{i:04d}",
        "internetMessageId": f"<m{i}@fabrikam.com>",
        "subject": f"Subject {i}",
        "from": {"emailAddress": {"name": "José Pérez", "address": "jose.perez@fabrikam.com"}},
        "toRecipients": [{"emailAddress": {"name": "Alice", "address": ALICE}}],
        "receivedDateTime": f"2024-05-{day:02d}T10:00:{i % 60:02d}Z",
        "isDraft": False,
        "parentFolderId": folder,
        **extra,
    }


def an_event(event_id: str, day: int, **extra: Any) -> dict[str, Any]:
    """A one-hour meeting on a day of May 2024, 09:00 UTC."""
    return {
        "id": event_id,
        "iCalUId": f"uid-{event_id}",
        "subject": f"Meeting {event_id}",
        "start": {"dateTime": f"2024-05-{day:02d}T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": f"2024-05-{day:02d}T10:00:00.0000000", "timeZone": "UTC"},
        "organizer": {"emailAddress": {"name": "Alice", "address": ALICE}},
        "attendees": [],
        **extra,
    }


def small_tenant(messages: int = 25) -> dict[str, Any]:
    series = an_event(
        "series-1",
        6,
        type="seriesMaster",
        recurrence={
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "numbered", "startDate": "2024-05-06", "numberOfOccurrences": 4},
        },
    )
    return {
        "users": [
            {"id": "u-alice", "userPrincipalName": ALICE, "mail": ALICE, "displayName": "Alice"},
            {"id": "u-bob", "userPrincipalName": BOB, "mail": BOB, "displayName": "Bob"},
        ],
        "messages": {
            ALICE: [a_message(i, day=1 + i % 28) for i in range(messages)]
            + [a_message(900, folder="sentitems")],
        },
        "events": {
            ALICE: [
                an_event("ev-1", 2),
                an_event("ev-private", 3, sensitivity="private"),
                an_event("ev-canceled", 4, isCancelled=True),
                an_event("ev-june", 1, start={"dateTime": "2024-06-20T09:00:00", "timeZone": "UTC"},
                         end={"dateTime": "2024-06-20T10:00:00", "timeZone": "UTC"}),
                series,
            ]
        },
    }  # fmt: skip


@pytest.fixture
def emu_factory() -> Iterator[Any]:
    started: list[EmulatorServer] = []

    def start(tenant: Any = None, **settings: Any) -> EmulatorServer:
        server = EmulatorServer.start(
            tenant if tenant is not None else small_tenant(),
            settings=EmulatorSettings(**settings),
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def emu(emu_factory: Any) -> EmulatorServer:
    server: EmulatorServer = emu_factory()
    return server


def sdk_client(emu: EmulatorServer) -> GraphServiceClient:
    """The real SDK, static token, base URL overridden (graph-sdk-notes §1 option A)."""
    client = GraphServiceClient(
        credentials=StaticTokenCredential(), scopes=["https://graph.microsoft.com/.default"]
    )
    client.request_adapter.base_url = emu.base_url
    return client
