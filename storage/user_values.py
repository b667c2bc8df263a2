"""What a configured user must be before a users row can hold it: the configuration's
checks of its `[[user]]`s (`interlog/config.py`), without the ORM (`storage/users.py` holds
who a user is and what they may do).
"""

from __future__ import annotations

from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.tables import USERS

SALESPERSON_CODE_CHARS: int = USERS.c.salesperson_code.type.length  # type: ignore[attr-defined]
UPN_CHARS: int = USERS.c.upn.type.length  # type: ignore[attr-defined]
TIME_ZONE_CHARS: int = USERS.c.time_zone.type.length  # type: ignore[attr-defined]


class UserLike(Protocol):
    """A `[[user]]` of the configuration (storage does not import the connector's settings)."""

    @property
    def upn(self) -> str: ...
    @property
    def salesperson_code(self) -> str: ...
    @property
    def aad_object_id(self) -> str: ...
    @property
    def admin(self) -> bool: ...
    @property
    def time_zone(self) -> str: ...


def normal_upn(upn: str) -> str:
    """UPNs are stored and compared lower-case, without surrounding spaces."""
    return upn.strip().lower()


def user_problem(user: UserLike) -> str | None:
    """What no users row can hold: a salesperson code or UPN longer than its column."""
    if len(user.salesperson_code) > SALESPERSON_CODE_CHARS:
        return (f"salesperson_code {user.salesperson_code!r} is longer than"
                f" {SALESPERSON_CODE_CHARS} characters")
    if len(normal_upn(user.upn)) > UPN_CHARS:
        return f"upn is longer than {UPN_CHARS} characters"
    if user.time_zone and not known_time_zone(user.time_zone):
        return (f"time_zone {user.time_zone!r} is not an IANA time zone"
                " (e.g. \"America/Mexico_City\")")
    return None


def known_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this machine knows (`America/Mexico_City`)."""
    if len(name) > TIME_ZONE_CHARS or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
