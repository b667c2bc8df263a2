"""The statistics page's chart shapes (web/charts.py): week ranges, axis tops, bar sizes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from storage.stats import StatRow, WeekCount
from web.charts import MAX_WEEKS, nice_ceiling, ranking_chart, week_range, weekly_chart


@pytest.mark.parametrize(("value", "top"), [
    (0, 4), (3, 4), (4, 4), (5, 8), (9, 20), (21, 40), (47, 80), (81, 200), (1234, 2000)])
def test_the_y_axis_ends_on_a_round_number(value: int, top: int) -> None:
    assert nice_ceiling(value) == top


def test_weeks_run_between_the_filter_bounds_or_the_entries() -> None:
    counts = [WeekCount(date(2025, 1, 6), "EMAIL", 2), WeekCount(date(2025, 1, 20), "EMAIL", 1)]
    assert week_range(counts, None, None) == (
        [date(2025, 1, 6), date(2025, 1, 13), date(2025, 1, 20)], False)
    # Bounds from a Wednesday to a Sunday: their weeks' Mondays, empty weeks included.
    weeks, cut = week_range(counts, date(2025, 1, 1), date(2025, 2, 2))
    assert (weeks[0], weeks[-1], len(weeks), cut) == (date(2024, 12, 30), date(2025, 1, 27),
                                                      5, False)
    assert week_range([], date(2025, 1, 1), None) == ([], False)


def test_a_range_longer_than_a_year_shows_its_last_weeks() -> None:
    first, last = date(2023, 1, 2), date(2025, 3, 3)
    counts = [WeekCount(first, "CALLS", 1), WeekCount(last, "CALLS", 1)]
    chart = weekly_chart(counts)
    assert chart.cut
    assert len(chart.bars) == 1  # the week of 2023 is cut
    weeks, _ = week_range(counts, None, None)
    assert (len(weeks), weeks[-1], weeks[0]) == (
        MAX_WEEKS, last, last - timedelta(weeks=MAX_WEEKS - 1))


def test_stacked_segments_fill_the_axis_in_proportion() -> None:
    week = date(2025, 1, 6)
    chart = weekly_chart([WeekCount(week, "CALLS", 1), WeekCount(week, "EMAIL", 3)])
    calls, email = chart.bars
    assert email.height == pytest.approx(3 * calls.height)
    assert email.y + email.height == pytest.approx(calls.y)  # stacked on top
    assert calls.y + calls.height == pytest.approx(chart.height - 26)  # on the x axis
    assert [t.text for t in chart.y_ticks] == ["0", "1", "2", "3", "4"]
    assert [(key, css) for key, css in chart.legend] == [("CALLS", "s0"), ("EMAIL", "s1")]


def test_a_ranking_is_most_first_with_names() -> None:
    def row(key: str, n: int) -> StatRow:
        return StatRow(key, n, Decimal(0), Decimal(0), None, None)

    chart = ranking_chart([row("AL", 1), row("", 4), row("BO", 2)], {"BO": "Bob"}, "(none)")
    assert [(b.label, b.value, b.title) for b in chart.bars] == [
        ("(none)", 4, "(none): 4"), ("Bob", 2, "Bob (BO): 2"), ("AL", 1, "AL: 1")]
    assert chart.bars[0].width == pytest.approx(2 * chart.bars[1].width)
