"""The settings the bot needs, as typed objects of its own (built by `interlog/config.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from connector.settings import Secret, ServerSettings


@dataclass(frozen=True)
class BotSettings:
    app_id: str = ""
    app_tenant_id: str = ""
    app_password: Secret = Secret()
    allow_anonymous: bool = False
    outgoing_webhook_secret: Secret = Secret()
    # Where the signing keys of incoming Bot Framework tokens are published (OpenID metadata).
    openid_metadata_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    outcome_card_minutes: int = 10  # one outcome card per user at most this often (minutes)


class BotConfig(Protocol):
    """What the bot reads of the configuration (`interlog.config.Settings` is one)."""

    @property
    def bot(self) -> BotSettings: ...

    @property
    def server(self) -> ServerSettings: ...
