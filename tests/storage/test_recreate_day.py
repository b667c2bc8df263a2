"""`on_day`: the day a re-created or segment interaction is dated, in whose days (the pages
give the signed-in user's zone, the CLI UTC), at that zone's time of day now."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from storage.entry_recreate import on_day

MEXICO = ZoneInfo("America/Mexico_City")  # UTC-6 in March and December
EVENING_IN_MEXICO = datetime(2026, 12, 2, 2, 0)  # noqa: DTZ001 (naive UTC): Dec 1, 20:00 there


def test_a_day_in_the_users_zone_is_her_day_at_her_time_now() -> None:
    moment = on_day(date(2025, 3, 2), MEXICO, now=EVENING_IN_MEXICO)
    assert moment == datetime(2025, 3, 3, 2, 0)  # noqa: DTZ001 (naive UTC)
    local = moment.replace(tzinfo=UTC).astimezone(MEXICO)
    assert (local.date(), local.hour) == (date(2025, 3, 2), 20)


def test_a_utc_day_keeps_the_utc_time_of_day() -> None:
    assert on_day(date(2025, 3, 2), UTC, now=EVENING_IN_MEXICO) == datetime(  # noqa: DTZ001
        2025, 3, 2, 2, 0)
    assert on_day(date(2025, 3, 2), now=EVENING_IN_MEXICO) == datetime(  # noqa: DTZ001
        2025, 3, 2, 2, 0)  # the default: UTC days (the CLI's)
