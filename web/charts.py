"""The statistics page's charts as shapes: the SVG template draws them, on the server.

No script and no library: each chart is a list of rectangles and labels in the coordinates
of its `viewBox`, so the page looks the same in every browser and passes a CSP without
`unsafe-inline`. Colours are CSS classes (`s0` … `s9`, in `static/style.css`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from storage.stats import KeyCount, StatRow, WeekCount

WIDE = 1160  # the weekly chart, across the page
HALF = 560  # a ranking, beside another
PALETTE = 10  # colour classes s0 … s9
MAX_WEEKS = 53  # a year: an open or longer range shows its last 53 weeks
ROW = 22  # a horizontal bar's height with its gap
LABEL_W = 170  # room for a horizontal bar's label


def _r(value: float) -> float:
    """A coordinate as the SVG gets it: a tenth of a unit is finer than a pixel."""
    return round(value, 1)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str  # its colour class
    title: str  # the tooltip: what it counts
    key: str = ""
    label: str = ""  # a horizontal bar's name, drawn on its left
    value: int = 0


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (key, colour class)
    left: float = 0  # where the plot starts (right of the y axis' labels)
    cut: bool = False  # a weekly chart showing only the range's last `MAX_WEEKS` weeks


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def nice_ceiling(value: int, steps: int = 4) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ step whose `steps` multiples reach `value`, times
    `steps`: the top of a y axis with round ticks."""
    if value <= steps:
        return steps
    raw = value / steps
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return int(step * steps)


def week_range(counts: Sequence[WeekCount], since: date | None,
               until: date | None) -> tuple[list[date], bool]:
    """Every Monday from the range's first week to its last (the filter's bounds, else the
    first and last week with entries), the last `MAX_WEEKS` of them; and whether some were
    cut."""
    if not counts:
        return [], False
    first = _monday(since) if since else counts[0].week
    last = _monday(until) if until and until < date.max else counts[-1].week
    n = (last - first).days // 7 + 1
    cut = n > MAX_WEEKS
    start = last - timedelta(weeks=MAX_WEEKS - 1) if cut else first
    return [start + timedelta(weeks=i) for i in range(min(n, MAX_WEEKS))], cut


def weekly_chart(counts: Sequence[WeekCount], since: date | None = None,
                 until: date | None = None, height: int = 260) -> Chart:
    """Stacked bars: one bar a week, one segment per key (group) with entries that week."""
    weeks, cut = week_range(counts, since, until)
    keys = sorted({c.key for c in counts})
    colour = {key: f"s{i % PALETTE}" for i, key in enumerate(keys)}
    chart = Chart(WIDE, height, legend=[(key, colour[key]) for key in keys], left=40,
                  cut=cut)
    if not weeks:
        return chart
    per_week: dict[date, list[WeekCount]] = {}
    for c in counts:
        per_week.setdefault(c.week, []).append(c)
    left, top, bottom = chart.left, 8, 26
    plot_h = height - top - bottom
    top_value = nice_ceiling(max(sum(c.count for c in per_week.get(w, [])) for w in weeks))
    slot = (WIDE - left - 4) / len(weeks)
    every = max(1, math.ceil(len(weeks) / 12))
    for i in range(5):
        value = top_value * i // 4
        chart.y_ticks.append(Tick(left - 6, _r(top + plot_h - plot_h * value / top_value),
                                  str(value)))
    for i, week in enumerate(weeks):
        x = left + i * slot + slot * 0.15
        base = float(top + plot_h)
        for c in per_week.get(week, []):
            h = plot_h * c.count / top_value
            base -= h
            chart.bars.append(Bar(_r(x), _r(base), _r(slot * 0.7), _r(h), colour[c.key],
                                  f"{week.isoformat()} · {c.key}: {c.count}", c.key,
                                  value=c.count))
        if i % every == 0:
            chart.x_ticks.append(Tick(_r(x + slot * 0.35), height - 8, week.isoformat()))
    return chart


def ranking_chart(rows: Sequence[StatRow | KeyCount], names: dict[str, str],
                  none: str = "") -> Chart:
    """Horizontal bars, most first: one a row, labelled with its name (else its key)."""
    ordered = sorted(rows, key=lambda r: (-r.count, r.key))
    chart = Chart(HALF, max(ROW, ROW * len(ordered) + 4), left=LABEL_W)
    most = max((r.count for r in ordered), default=1)
    room = HALF - LABEL_W - 50
    for i, row in enumerate(ordered):
        label = names.get(row.key) or row.key or none
        named = f"{label} ({row.key})" if row.key and label != row.key else label
        chart.bars.append(Bar(LABEL_W, i * ROW + 2, _r(max(1.0, room * row.count / most)),
                              ROW - 6, "s0", f"{named}: {row.count}", row.key, label,
                              row.count))
    return chart
