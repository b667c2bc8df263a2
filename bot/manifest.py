"""The Teams app package: manifest.json (schema 1.17) and its two icons, drawn in code.

`write_package(path, app_id=…, endpoint=…)` writes a zip that Teams accepts in
"Upload a custom app": the bot with its command list in personal, team and group-chat
scopes, `validDomains` from the messaging endpoint, a 192×192 colour icon and a 32×32
white-on-transparent outline icon.
"""

from __future__ import annotations

import json
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storage.errors import InterlogError

SCHEMA = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
MANIFEST_VERSION = "1.17"
ACCENT = (0x2B, 0x57, 0x9A)  # the blue of Dynamics NAV / BC
SCOPES = ["personal", "team", "groupChat"]
COMMANDS = [
    ("log", "log call with Jane Doe about renewal 15 min"),
    ("cancel", "cancel 1234 (your own entries; admins any)"),
    ("restore", "restore 1234 (undo a cancel)"),
    ("show", "show Jane Doe: the last 10 interactions"),
    ("templates", "the interaction templates you can log with"),
    ("help", "what I understand, in English and Spanish"),
]

Pixel = tuple[int, int, int, int]


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An 8-bit RGBA PNG of `pixel(x, y)` (no compression library beyond zlib)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def _ring(size: int, x: int, y: int, inner: float, outer: float) -> bool:
    centre = (size - 1) / 2
    distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
    return inner * size <= distance <= outer * size


def color_icon() -> bytes:
    """192×192: a white ring on the accent colour (full bleed, as Teams asks)."""
    white, accent = (255, 255, 255, 255), (*ACCENT, 255)
    return png(192, 192, lambda x, y: white if _ring(192, x, y, 0.22, 0.32) else accent)


def outline_icon() -> bytes:
    """32×32: a white ring on a transparent background (the only colours Teams allows)."""
    return png(32, 32, lambda x, y: (255, 255, 255, 255) if _ring(32, x, y, 0.25, 0.42)
               else (0, 0, 0, 0))


def _check(app_id: str, endpoint: str) -> str:
    try:
        uuid.UUID(app_id)
    except ValueError:
        raise InterlogError(f"--app-id {app_id!r} is not the bot's Microsoft App ID (a GUID)"
                            ) from None
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        raise InterlogError(f"--endpoint {endpoint!r} must be an https URL (Teams requires it)")
    return parts.hostname


def manifest(*, app_id: str, endpoint: str, name: str = "interlog",
             version: str = "1.0.0") -> dict[str, Any]:
    """The manifest.json for a bot whose Azure registration has `app_id`."""
    host = _check(app_id, endpoint)
    site = f"https://{host}"
    commands = [{"title": title, "description": text} for title, text in COMMANDS]
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {"name": name, "websiteUrl": site, "privacyUrl": f"{site}/privacy",
                      "termsOfUseUrl": f"{site}/terms"},
        "name": {"short": name[:30], "full": f"{name}: interaction log"[:100]},
        "description": {
            "short": "Log calls and see recent interactions with your contacts.",
            "full": ("Log a call in one line (log call with Jane Doe about renewal 15 min), "
                     "see a contact's recent interactions, and cancel or restore your own "
                     "entries. Emails and meetings are captured from Microsoft 365 for you. "
                     "Speaks English and Spanish."),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [{
            "botId": app_id,
            "scopes": SCOPES,
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": SCOPES, "commands": commands}],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
    }


def write_package(path: Path, *, app_id: str, endpoint: str, name: str = "interlog") -> None:
    """Write the app package zip (manifest.json, color.png, outline.png) to `path`."""
    data = json.dumps(manifest(app_id=app_id, endpoint=endpoint, name=name), indent=2)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", data)
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
