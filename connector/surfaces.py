"""What `interlog/` hands each surface of the app (`bot/`, `web/`), and the one
development-mode check they share.

The wiring builds one `Services` per app and passes it to each surface's
`register(app, services, settings)`; a surface reads it back in a request with `services()`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy.engine import Engine

from connector.settings import ConfigError, ServerSettings

EXTENSION = "interlog"
# Headers a reverse proxy or tunnel adds: a request carrying one did not come from loopback.
PROXY_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "X-Real-IP")


@dataclass(frozen=True)
class Services:
    """Shared by every surface of one app: the engine and where the app listens."""

    engine: Engine
    server: ServerSettings


def services() -> Services:
    """The running app's services (inside a request or app context)."""
    found: Services = current_app.extensions[EXTENSION]
    return found


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 and `localhost`; a name or wildcard address is not loopback."""
    if not host:
        return False
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_development_host(section: str, allow_anonymous: bool, server: ServerSettings) -> None:
    """Refuse `[section] allow_anonymous` (development mode) on a non-loopback address."""
    if allow_anonymous and not is_loopback(server.host):
        raise ConfigError(
            f"[{section}] allow_anonymous is for local development only; refusing to serve it "
            f"on {server.host!r} (listen on 127.0.0.1 or turn it off)")


def is_development_request() -> bool:
    """Whether this request may use development mode: straight from loopback, no proxy."""
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    return is_loopback(request.remote_addr)
