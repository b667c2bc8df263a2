"""Links to a captured item in Outlook: only an https URL that Graph gave (`webLink`).

The kept `web_link` came from outside (a Graph answer); a page or a card turns it into a link
only when it is a plain `https://host/…` URL, so a `javascript:`, `data:` or any other scheme,
or a value with spaces or control characters, never becomes a link anywhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_LINK_CHARS = 4096


def outlook_link(web_link: str | None) -> str | None:
    """`web_link` when it is safe to open as a link (https, a host, no spaces), else None."""
    if not web_link or len(web_link) > MAX_LINK_CHARS:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in web_link):
        return None
    try:
        parts = urlsplit(web_link)
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return None
    return web_link
