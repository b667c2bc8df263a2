"""Events as calendarView sees them: series masters expanded into occurrences."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .tenant import parse_datetime

MAX_OCCURRENCES = 520
NO_END_HORIZON = timedelta(days=730)
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WINDOWS_ZONES = {
    "utc": "UTC",
    "gmt standard time": "Europe/London",
    "w. europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris",
    "central europe standard time": "Europe/Budapest",
    "eastern standard time": "America/New_York",
    "central standard time": "America/Chicago",
    "mountain standard time": "America/Denver",
    "pacific standard time": "America/Los_Angeles",
}


def zone(name: str | None) -> ZoneInfo | None:
    """The zone for an IANA or common Windows name; None when unknown."""
    if not name:
        return None
    key = WINDOWS_ZONES.get(name.lower(), name)
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def to_utc(value: dict[str, Any], *, where: str) -> datetime:
    """A Graph dateTimeTimeZone as an aware UTC datetime."""
    naive = parse_datetime(value.get("dateTime"), where=where).replace(tzinfo=None)
    tz = zone(value.get("timeZone")) or UTC
    return naive.replace(tzinfo=tz).astimezone(UTC)


def graph_dt(moment: datetime, tz_name: str = "UTC") -> dict[str, str]:
    """A dateTimeTimeZone in Graph's form: naive, seven fractional digits."""
    tz = zone(tz_name)
    local = moment.astimezone(tz) if tz is not None else moment.astimezone(UTC)
    name = tz_name if tz is not None else "UTC"
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": name}


def normalise(raw: dict[str, Any]) -> tuple[dict[str, Any], datetime, datetime]:
    """A copy of an event with start/end in UTC, plus both as datetimes."""
    start = to_utc(raw["start"], where="start")
    end = to_utc(raw["end"], where="end")
    out = dict(raw)
    out["start"], out["end"] = graph_dt(start), graph_dt(end)
    out.setdefault("type", "seriesMaster" if raw.get("recurrence") else "singleInstance")
    return out, start, end


def occurrence_dates(recurrence: dict[str, Any], first: date) -> list[date]:
    """Dates of a recurrence pattern (daily, weekly, absoluteMonthly, absoluteYearly)."""
    pattern = recurrence.get("pattern") or {}
    rng = recurrence.get("range") or {}
    kind = str(pattern.get("type", "daily"))
    interval = max(1, int(pattern.get("interval", 1)))
    begin = date.fromisoformat(rng["startDate"]) if rng.get("startDate") else first
    limit = int(rng.get("numberOfOccurrences") or 0) if rng.get("type") == "numbered" else 0
    if rng.get("type") == "endDate" and rng.get("endDate"):
        last = date.fromisoformat(rng["endDate"])
    else:
        last = begin + NO_END_HORIZON
    days = {_DAYS.index(d.lower()) for d in pattern.get("daysOfWeek") or [] if d.lower() in _DAYS}
    out: list[date] = []
    day = begin
    while day <= last and len(out) < MAX_OCCURRENCES and (not limit or len(out) < limit):
        if _matches(kind, interval, days, pattern, begin, day):
            out.append(day)
        day += timedelta(days=1)
    return out


def _matches(
    kind: str, interval: int, days: set[int], pattern: dict[str, Any], begin: date, day: date
) -> bool:
    if kind == "daily":
        return (day - begin).days % interval == 0
    if kind == "weekly":
        weeks = (day - (begin - timedelta(days=begin.weekday()))).days // 7
        return weeks % interval == 0 and day.weekday() in (days or {begin.weekday()})
    months = (day.year - begin.year) * 12 + day.month - begin.month
    if kind == "absoluteMonthly":
        return months % interval == 0 and day.day == int(pattern.get("dayOfMonth", begin.day))
    if kind == "absoluteYearly":
        return day.month == int(pattern.get("month", begin.month)) and day.day == int(
            pattern.get("dayOfMonth", begin.day)
        )
    return False


def expand(master: dict[str, Any]) -> list[dict[str, Any]]:
    """Occurrences of a series master, each with its own id and iCalUId."""
    base, start, end = normalise(master)
    length = end - start
    out = []
    for day in occurrence_dates(master.get("recurrence") or {}, start.date()):
        begin = datetime.combine(day, start.timetz())
        stamp = day.strftime("%Y%m%d")
        occ = copy.deepcopy(base)
        occ.pop("recurrence", None)
        occ.update(
            id=f"{master['id']}_{stamp}",
            iCalUId=f"{master.get('iCalUId', master['id'])}_{stamp}",
            type="occurrence",
            seriesMasterId=master["id"],
            start=graph_dt(begin),
            end=graph_dt(begin + length),
            originalStart=begin.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        out.append(occ)
    return out


def instances(raw: dict[str, Any], exceptions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What calendarView shows for one source event (a master gives its occurrences).

    Args:
        raw: the event as stored (single instance or series master).
        exceptions: tenant-supplied instances of this series; they replace the generated
            occurrence with the same id or original start.
    """
    if raw.get("type") != "seriesMaster" and not raw.get("recurrence"):
        return [normalise(raw)[0]]
    occurrences = {o["id"]: o for o in expand(raw)}
    by_start = {o["originalStart"]: k for k, o in occurrences.items()}
    for exc in exceptions:
        key = exc["id"] if exc["id"] in occurrences else by_start.get(exc.get("originalStart", ""))
        if key is not None:
            occurrences.pop(key)
        item = normalise(exc)[0]
        item.setdefault("seriesMasterId", raw["id"])
        occurrences[item["id"]] = item
    return list(occurrences.values())
