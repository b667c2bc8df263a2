"""The settings the connector needs, as typed objects of its own.

`interlog/config.py` reads the TOML file and the environment and builds them; nothing in
the connector reads a file or the environment for its settings. Secrets are held as
`Secret`, whose repr and str never show the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class ConfigError(ValueError):
    """The configuration file or environment is wrong; the message names what."""


@dataclass(frozen=True)
class Secret:
    """A secret string that never shows itself in logs, errors or repr."""

    value: str = field(default="", repr=False)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __repr__(self) -> str:
        return "Secret('***')" if self.value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class GraphSettings:
    tenant_id: str = ""
    client_id: str = ""
    client_secret: Secret = Secret()
    certificate_path: str = ""
    cloud: str = "global"
    base_url: str = ""
    static_token: Secret = Secret()
    authority: str = ""  # emulators only: their Entra ID authority, https on a loopback host
    ca_file: str = ""  # emulators only: the CA certificate (PEM) their https is signed by


@dataclass(frozen=True)
class SyncSettings:
    mailboxes: tuple[str, ...] = ()
    internal_domains: tuple[str, ...] = ()
    folders: tuple[str, ...] = ("inbox", "sentitems")
    backfill_days: int = 90
    calendar_past_days: int = 90
    calendar_future_days: int = 180
    exclude_addresses: tuple[str, ...] = ()
    exclude_domains: tuple[str, ...] = ()
    private_items: str = "skip"
    unknown_privacy: str = "log"  # mail whose privacy is unknown (Mail.ReadBasic.All): log | redact
    match_company_by_domain: bool = True
    page_size: int = 1000
    max_concurrency: int = 16
    poll_interval: int = 300
    calls: bool = False  # Teams and PSTN calls → CALL entries (needs CallRecords.Read.All)
    default_region: str = ""  # ISO 3166 region for numbers without a country code, e.g. "DE"


@dataclass(frozen=True)
class UserSettings:
    """A `[[user]]`: it seeds the users table (`storage/users.py` decides who is who)."""

    upn: str
    salesperson_code: str = ""
    aad_object_id: str = ""
    admin: bool = False
    time_zone: str = ""  # IANA, e.g. "America/Mexico_City"; "": the server's


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""


@dataclass(frozen=True)
class WorkerSettings:
    """`interlog worker`: leases, heartbeats and Graph subscriptions."""

    lease_seconds: int = 120  # a dead worker's mailbox is taken over after this
    heartbeat_seconds: int = 15  # also how often a live worker extends its lease
    idle_ms: int = 1000  # wait between looks at the queue when nothing is due
    min_resync_ms: int = 1000  # a notified mailbox is synced at most once per this
    error_backoff_seconds: int = 60  # a mailbox whose sync failed waits this long
    subscription_minutes: int = 4230  # Outlook's documented maximum lifetime
    renew_before_minutes: int = 2880  # renew a subscription this long before it expires
    keep_history_days: int = 7  # sync runs and intervals older than this are deleted


class ConnectorSettings(Protocol):
    """What the connector reads of the configuration (`interlog.config.Settings` is one)."""

    @property
    def graph(self) -> GraphSettings: ...

    @property
    def sync(self) -> SyncSettings: ...

    @property
    def worker(self) -> WorkerSettings: ...

    @property
    def server(self) -> ServerSettings: ...
