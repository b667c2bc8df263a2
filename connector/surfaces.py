"""What `interlog/` hands each surface of the app (`bot/`, `web/`), and the one
development-mode check they share.

The wiring builds one `Services` per app and passes it to each surface's
`register(app, services, settings)`; a surface reads it back in a request with `services()`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, request
from sqlalchemy.engine import Engine

from connector.settings import ConfigError, ConnectorSettings, ServerSettings

EXTENSION = "interlog"
# Headers a reverse proxy, CDN or tunnel adds: a request carrying one did not come straight
# from loopback. Waitress deletes X-Forwarded-For, -Host, -Proto, -Port, -By and Forwarded
# before the app runs unless told not to (no `trusted_proxy` is set; waitress/proxy_headers.py);
# in development mode `interlog serve` tells it to keep them (`interlog/wsgi.py`,
# `clear_untrusted_proxy_headers=False`), so they reach this check. A proxy may add none of
# them: that is why `Host` and `Origin` are checked too (`is_development_request`).
PROXY_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded",
                 "X-Real-IP", "X-Client-IP", "True-Client-IP", "CF-Connecting-IP", "CDN-Loop",
                 "Via", "X-Forwarded-Server")


@dataclass(frozen=True)
class Services:
    """Shared by every surface of one app: the engine, where the app listens, and the
    settings capture runs with (a contact created on a page gets its past logged)."""

    engine: Engine
    server: ServerSettings
    capture: ConnectorSettings


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


def is_loopback_authority(value: str) -> bool:
    """A `Host` header (or an origin's host[:port]) naming loopback: `127.0.0.1[:port]`,
    `localhost[:port]`, `[::1][:port]`; no user info, path, space or bad port."""
    if not value or not value.isprintable() or any(ch in value for ch in " @/\\?#"):
        return False
    try:
        parts = urlsplit("//" + value)
        parts.port  # noqa: B018  (a bad port raises ValueError)
    except ValueError:
        return False
    return is_loopback(parts.hostname)


def is_loopback_origin(origin: str) -> bool:
    """An `Origin` header of a page served from loopback (`null` and `file://` are not)."""
    scheme, sep, authority = origin.partition("://")
    return bool(sep) and scheme.lower() in ("http", "https") and is_loopback_authority(authority)


def is_development_request() -> bool:
    """Whether this request may use development mode (anonymous admin, bot and pages).

    All of: the peer is loopback; no proxy header (`PROXY_HEADERS`); `Host` names loopback,
    which a browser sets and a page cannot change, so DNS rebinding (evil.example resolving
    to 127.0.0.1) and tunnels or proxies that forward the public name (ngrok, dev tunnels) are
    refused; an `Origin`, which browsers send on cross-site fetch and POST, is a loopback
    page; and not HTTP/1.0, what nginx speaks upstream by default. A local proxy that
    rewrites all of these still passes: development mode is for a machine with nothing in
    front of it (docs/security.md).
    """
    headers = request.headers
    if any(header in headers for header in PROXY_HEADERS):
        return False
    if request.environ.get("SERVER_PROTOCOL") == "HTTP/1.0":
        return False
    if not is_loopback_authority(headers.get("Host", "")):
        return False
    origin = headers.get("Origin")
    if origin is not None and not is_loopback_origin(origin):
        return False
    return is_loopback(request.remote_addr)
