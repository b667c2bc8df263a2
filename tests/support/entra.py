"""The connector signing in as in production: a real azure-identity `ClientSecretCredential`
pointed at the emulator's token endpoint (https, `EmulatorServer.start(..., tls=True)`)."""

from __future__ import annotations

from typing import Any

from emulator import EmulatorServer, EmulatorSettings
from interlog.config import Settings, settings_from_dict
from tests.support.builders import DOMAIN

CLIENT_ID = "interlog-app"
SECRET = "emulator-secret-value"
# Graph requests with anything but a token the emulator issued are refused (401).
NOT_ISSUED = "no-such-token"


def with_app(tenant: dict[str, Any]) -> dict[str, Any]:
    """The tenant whose application signs in with `CLIENT_ID` / `SECRET` only."""
    return {**tenant, "app": {"clientId": CLIENT_ID, "clientSecret": SECRET}}


def start_emulator(tenant: dict[str, Any], **settings: Any) -> EmulatorServer:
    """The emulator over https, accepting only the tokens it issued."""
    return EmulatorServer.start(with_app(tenant), tls=True,
                                settings=EmulatorSettings(require_token=NOT_ISSUED, **settings))


def graph_section(emu: EmulatorServer, secret: str = SECRET) -> dict[str, str]:
    """`[graph]` for a real client-credentials sign-in at the emulator."""
    assert emu.authority is not None
    assert emu.ca_file is not None
    return {"base_url": emu.base_url, "authority": emu.authority, "ca_file": emu.ca_file,
            "tenant_id": emu.state.settings.tenant_id, "client_id": CLIENT_ID,
            "client_secret": secret}


def credential_settings(emu: EmulatorServer, db_url: str, mailboxes: list[str], *,
                        secret: str = SECRET, **worker: int) -> Settings:
    return settings_from_dict({
        "storage": {"url": db_url},
        "graph": graph_section(emu, secret),
        "sync": {"mailboxes": mailboxes, "internal_domains": [DOMAIN], "folders": ["inbox"],
                 "poll_interval": 3600},
        "worker": {"lease_seconds": 30, "heartbeat_seconds": 1, "idle_ms": 50,
                   "min_resync_ms": 0, **worker},
    }, env={})  # fmt: skip


def token_requests(emu: EmulatorServer) -> int:
    count: int = emu.state.counters_snapshot()["tokenRequests"]
    return count
