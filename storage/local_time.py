"""A user's own time: which zone, and the conversions between it and the naive UTC that every
table stores. One home for the bot's replies and cards (`bot/local_time.py` adds the Teams
client's zone) and the pages (`web/context.py` picks the signed-in user's zone).

A zone of None means the server's own zone (the process's local time, as `astimezone()`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_ZONE_NAME = 64  # the longest IANA name is about 30 characters
_ZONEINFO_DIRS = ("/usr/share/zoneinfo/", "/usr/lib/zoneinfo/", "/usr/share/lib/zoneinfo/")


def zone_named(name: object) -> ZoneInfo | None:
    """The IANA time zone `name` names (`America/Mexico_City`), or None: not a string, empty,
    unknown, or not a zone name at all (a path, a NUL…)."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_ZONE_NAME:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def choose_zone(*names: str | None) -> ZoneInfo | None:
    """The first of `names` that is a known zone; None (the server's own zone) when none is."""
    for name in names:
        zone = zone_named(name)
        if zone is not None:
            return zone
    return None


@cache
def server_zone_name() -> str:
    """The server's zone by its IANA name when the system says it (`TZ`, the `/etc/localtime`
    link), else its abbreviation now (`UTC`, `CET`): what a page says its times are in."""
    named = os.environ.get("TZ", "").lstrip(":")
    if zone_named(named) is not None:
        return named
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        target = ""
    for prefix in _ZONEINFO_DIRS:
        if target.startswith(prefix) and zone_named(target[len(prefix):]) is not None:
            return target[len(prefix):]
    return datetime.now().astimezone().tzname() or "UTC"


UTC_NAMES = frozenset({"UTC", "Etc/UTC", "UCT", "Etc/UCT", "GMT", "Etc/GMT", "Etc/GMT0",
                       "Etc/GMT+0", "Etc/GMT-0", "GMT0", "Zulu", "Etc/Zulu", "Universal",
                       "Etc/Universal", "Greenwich", "Etc/Greenwich"})


def days_are_utc(zone: tzinfo | None) -> bool:
    """Whether `zone`'s days are UTC days (UTC, or one of its names; None: the server's zone):
    only then may a per-UTC-day total answer a filter of its dates."""
    if zone is UTC:
        return True
    name = getattr(zone, "key", None) if zone is not None else server_zone_name()
    return name in UTC_NAMES


def to_local(moment: datetime, zone: tzinfo | None) -> datetime:
    """A stored (naive UTC) moment as an aware time in `zone` (None: the server's)."""
    return moment.replace(tzinfo=UTC).astimezone(zone)


def local_to_utc(local: datetime, zone: tzinfo | None) -> datetime:
    """A naive time in `zone` (None: the server's) as the naive UTC a table stores."""
    aware = local.replace(tzinfo=zone) if zone is not None else local.astimezone()
    return aware.astimezone(UTC).replace(tzinfo=None)


def day_start_utc(day: date, zone: tzinfo | None) -> datetime:
    """Where `day` begins in `zone`, in naive UTC: the lower bound of a filter's local day.
    `zone` UTC (the API's and the CLI's days) gives midnight itself; a day at the calendar's
    ends (year 1, year 9999) too, where shifting it would leave the calendar."""
    midnight = datetime.combine(day, time())
    try:
        return local_to_utc(midnight, zone)
    except (OverflowError, ValueError):
        return midnight


@dataclass(frozen=True)
class UserClock:
    """One command's or page's idea of now, in the user's zone (`zone` None: the server's)."""

    zone: ZoneInfo | None
    now_utc: datetime  # naive UTC

    @classmethod
    def utc(cls) -> UserClock:
        """A clock that shows UTC (where no user is known)."""
        return cls(ZoneInfo("UTC"), datetime.now(UTC).replace(tzinfo=None))

    @property
    def zone_name(self) -> str:
        """`America/Mexico_City`; the server's name when the zone is the server's."""
        return self.zone.key if self.zone is not None else server_zone_name()

    def local(self, moment: datetime) -> datetime:
        """A stored (naive UTC) moment as an aware local time."""
        return to_local(moment, self.zone)

    def now(self) -> datetime:
        """Now, local, naive, to the second."""
        return self.local(self.now_utc).replace(tzinfo=None, microsecond=0)

    def to_utc(self, local: datetime) -> datetime:
        """A naive local time as the naive UTC a table stores."""
        return local_to_utc(local, self.zone)

    def show(self, moment: datetime) -> str:
        """`2026-11-30 15:00 CST`: a stored moment as the user reads it."""
        return self.local(moment).strftime("%Y-%m-%d %H:%M %Z").strip()

    def show_day(self, moment: datetime) -> str:
        """`2026-11-30 15:00`: a stored moment's local date and time, without the zone."""
        return self.local(moment).strftime("%Y-%m-%d %H:%M")

    def abbreviation(self) -> str:
        """The zone's abbreviation now (`CST`, `CET`, `UTC`)."""
        return self.local(self.now_utc).tzname() or self.zone_name
