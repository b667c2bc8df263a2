"""The user's own time: the zone their Teams client reports, else the one configured for them,
else the server's. Entries are stored in naive UTC; a command reads and shows them in that zone.

The zones and conversions are `storage/local_time.py`'s; this module reads the client's.
Teams puts the client's zone in a `clientInfo` entity on every message it sends:
`{"type": "clientInfo", "locale": "es-MX", "country": "MX", "platform": "Web",
"timezone": "America/Mexico_City"}`.
"""

from __future__ import annotations

from collections.abc import Iterable

# The zones and the conversions live in storage (the pages use them too); re-exported here
# for the bot's modules.
from storage.local_time import MAX_ZONE_NAME, UserClock, choose_zone, zone_named

__all__ = ["MAX_ZONE_NAME", "UserClock", "choose_zone", "client_time_zone", "zone_named"]


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
