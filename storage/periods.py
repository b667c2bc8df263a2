"""Dates cut into calendar periods: the per-month and per-year totals
(`storage/aggregates.py`) answer the whole months and years of a range, the per-day ones
the days left around them."""

from __future__ import annotations

from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def one_period(since: date | None, until: date | None) -> bool:
    """Whether the dates are one whole month or year (`storage.aggregates.spans` reads one
    row per key of its coarse grain then)."""
    parts = periods(since, until)
    if len(parts) != 1:
        return False
    period, first, last = parts[0]
    if period == "day" or first is None or last is None:
        return False
    return first.year == last.year and (period == "year" or first.month == last.month)


def periods(since: date | None, until: date | None
            ) -> list[tuple[str, date | None, date | None]]:
    """The dates from `since` to `until` (None: open) as ("year" | "month" | "day", first,
    last) parts: the whole years, the whole months around them, the days around those."""
    high = until if until is not None and until < date.max else None
    first = since if since is None or since.day == 1 else _month_after(since)
    last = high if high is None or (high + ONE_DAY).day == 1 else high.replace(day=1) - ONE_DAY
    if first is not None and last is not None and first > last:
        return [("day", since, high)]
    parts: list[tuple[str, date | None, date | None]] = []
    if since is not None and first is not None and since < first:
        parts.append(("day", since, first - ONE_DAY))
    years = (first if first is None or first.month == 1 else date(first.year + 1, 1, 1),
             last if last is None or last.month == 12 else date(last.year - 1, 12, 31))
    if years[0] is None or years[1] is None or years[0] < years[1]:
        if first is not None and years[0] is not None and first < years[0]:
            parts.append(("month", first, years[0] - ONE_DAY))
        parts.append(("year", *years))
        if last is not None and years[1] is not None and years[1] < last:
            parts.append(("month", years[1] + ONE_DAY, last))
    else:
        parts.append(("month", first, last))
    if high is not None and last is not None and last < high:
        parts.append(("day", last + ONE_DAY, high))
    return parts


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
