"""The user's own time: the zone their Teams client reports, else the one configured for them,
else the server's. Entries are stored in naive UTC; a command reads and shows them in that zone.

Teams puts the client's zone in a `clientInfo` entity on every message it sends:
`{"type": "clientInfo", "locale": "es-MX", "country": "MX", "platform": "Web",
"timezone": "America/Mexico_City"}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_ZONE_NAME = 64  # the longest IANA name is about 30 characters


def zone_named(name: object) -> ZoneInfo | None:
    """The IANA time zone `name` names (`America/Mexico_City`), or None: not a string, empty,
    unknown, or not a zone name at all (a path, a NUL…)."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_ZONE_NAME:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def client_time_zone(entities: Iterable[object] | None) -> str | None:
    """The `timezone` of the activity's `clientInfo` entity, as sent (checked when used).

    `entities` are the SDK's entity objects (`/api/messages`) or plain dicts (the outgoing
    webhook's JSON)."""
    for entity in entities or ():
        if isinstance(entity, dict):
            data = entity
        else:
            data = {"type": getattr(entity, "type", None),
                    **(getattr(entity, "model_extra", None) or {})}
        kind = data.get("type")
        if isinstance(kind, str) and kind.casefold() == "clientinfo":
            zone = data.get("timezone")
            return zone if isinstance(zone, str) and zone else None
    return None


def choose_zone(*names: str | None) -> ZoneInfo | None:
    """The first of `names` that is a known zone; None (the server's own zone) when none is."""
    for name in names:
        zone = zone_named(name)
        if zone is not None:
            return zone
    return None


@dataclass(frozen=True)
class UserClock:
    """One command's idea of now, in the user's zone (`zone` None: the server's zone)."""

    zone: ZoneInfo | None
    now_utc: datetime  # naive UTC

    @classmethod
    def utc(cls) -> UserClock:
        """A clock that shows UTC (where no user is known)."""
        return cls(ZoneInfo("UTC"), datetime.now(UTC).replace(tzinfo=None))

    def local(self, moment: datetime) -> datetime:
        """A stored (naive UTC) moment as an aware local time."""
        return moment.replace(tzinfo=UTC).astimezone(self.zone)

    def now(self) -> datetime:
        """Now, local, naive, to the second."""
        return self.local(self.now_utc).replace(tzinfo=None, microsecond=0)

    def to_utc(self, local: datetime) -> datetime:
        """A naive local time as the naive UTC a table stores."""
        aware = local.replace(tzinfo=self.zone) if self.zone is not None else local.astimezone()
        return aware.astimezone(UTC).replace(tzinfo=None)

    def show(self, moment: datetime) -> str:
        """`2026-11-30 15:00 CST`: a stored moment as the user reads it."""
        return self.local(moment).strftime("%Y-%m-%d %H:%M %Z").strip()

    def show_day(self, moment: datetime) -> str:
        """`2026-11-30 15:00`: a stored moment's local date and time, without the zone."""
        return self.local(moment).strftime("%Y-%m-%d %H:%M")
