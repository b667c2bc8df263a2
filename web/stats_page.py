"""`/stats`: the statistics of the log (storage/stats.py) as charts and a table, with the log
page's filters. Whoever may read the log may read it (the blueprint's sign-in check)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for

from storage.stats import BY, StatRow, labels, ranking, stats, weekly
from web.charts import MAX_WEEKS, ranking_chart, weekly_chart
from web.context import db
from web.filters import BadInput, ParsedFilters, parse_filters
from web.i18n import gettext as _
from web.pages import _choices as filter_choices  # the filters form's options: one home
from web.routes import Route, add_routes

TOP_CONTACTS = 10
TABLE_MAX = 500  # more rows: the table shows those with the most entries
BY_TITLES = {"template": "Template", "group": "Group", "contact": "Contact",
             "company": "Company", "salesperson": "Salesperson", "month": "Month"}
# The log filter that selects a row's entries, by the kind of its key.
DRILL = {"template": "template", "group": "group", "contact": "contact", "company": "company",
         "salesperson": "salesperson"}


def _by() -> str:
    by = request.args.get("by", "") or "template"
    if by not in BY:
        raise BadInput("by", f"{by!r} is not one of {', '.join(BY)}")
    return by


def _month_range(key: str, values: dict[str, str]) -> dict[str, str]:
    """The log's `since`/`until` for month `key` (YYYY-MM), within the filter's own range."""
    year, month = int(key[:4]), int(key[5:7])
    first = date(year, month, 1).isoformat()
    last = date(year, month, calendar.monthrange(year, month)[1]).isoformat()
    return {"since": max(first, values.get("since", first)),
            "until": min(last, values.get("until", last))}


def drill_link(by: str, row: StatRow, values: dict[str, str]) -> str | None:
    """The log page showing a row's entries (with the page's filters), if a filter can."""
    if by == "month":
        return url_for("web.log") + "?" + urlencode({**values, **_month_range(row.key, values)})
    if not row.key:  # no salesperson: the log has no filter for "none"
        return None
    return url_for("web.log") + "?" + urlencode({**values, DRILL[by]: row.key})


def _charts(parsed: ParsedFilters, by: str, rows: list[StatRow]) -> dict[str, Any]:
    """The three charts; the table's `rows` serve again when they are the salespeople's. The
    rankings count only (`ranking`: from a year's or month's rows, not every day's)."""
    session, where = db(), parsed.filter
    top = ranking(session, where, "contact", top=TOP_CONTACTS)
    salespeople = rows if by == "salesperson" else ranking(session, where, "salesperson")
    return {
        "weekly_chart": weekly_chart(weekly(session, where, "group"), where.since, where.until),
        "salesperson_chart": ranking_chart(salespeople, {}, _("(none)")),
        "contact_chart": ranking_chart(top, labels(session, "contact", [r.key for r in top])),
    }


def _table(by: str, rows: list[StatRow], values: dict[str, str]) -> dict[str, Any]:
    """The table: every row in key order, or the `TABLE_MAX` with the most entries."""
    shown = rows if len(rows) <= TABLE_MAX else sorted(
        rows, key=lambda r: (-r.count, r.key))[:TABLE_MAX]
    return {"rows": shown, "row_count": len(rows),
            "names": labels(db(), by, [r.key for r in shown]),
            "links": {r.key: drill_link(by, r, values) for r in shown}}


def _render(parsed: ParsedFilters | None, error: BadInput | None, by: str) -> Any:
    ctx: dict[str, Any] = {"values": dict(request.args), "error": error, "by": by, "by_all": BY,
                           "by_titles": BY_TITLES,
                           "rows": [], "names": {}, "links": {}, "query": "",
                           "filter_action": url_for("web.stats"), "max_weeks": MAX_WEEKS,
                           "row_count": 0}
    ctx.update(filter_choices())
    if parsed is not None:
        rows = stats(db(), parsed.filter, by)
        ctx.update(_charts(parsed, by, rows))
        ctx.update(_table(by, rows, parsed.values), values=parsed.values,
                   query=urlencode(parsed.values))
    return render_template("stats.html", **ctx), 400 if error else 200


def stats_page() -> Any:
    by = "template"
    try:
        by = _by()
        parsed = parse_filters(db(), request.args, allowed_extra=("by",))
    except BadInput as exc:
        return _render(None, exc, by)
    return _render(parsed, None, by)


ROUTES: tuple[Route, ...] = (("/stats", "stats", stats_page, ("GET",)),)


def register_routes(bp: Blueprint) -> None:
    add_routes(bp, ROUTES)
