"""`interlog stats`: the statistics of the interaction log (storage/stats.py) as a table or
JSON, with the filters of `entries list`; `interlog stats rebuild` recomputes the per-day,
per-month and per-year totals they are read from (storage/aggregates.py) after a bulk load
or a restore."""

from __future__ import annotations

from datetime import date, datetime

import click

from interlog.cli.common import AppContext, add_row, new_table, pass_app, print_json, print_rich
from interlog.cli.entry_filters import FILTERS, entry_filter, filter_options
from storage.stats import BY, StatRow, labels, stat_to_json, stats

# Canceled entries are never counted, so `--status` would select nothing or change nothing.
STATS_FILTERS = tuple(name for name in FILTERS if name != "status")
COLUMNS = ("count", "cost", "min", "last date", "last attempted")


@click.group("stats", invoke_without_command=True)
@click.option("--by", type=click.Choice(BY), default="template", show_default=True,
              help="One row per template, group, contact, company (with its persons),"
                   " salesperson or month.")
@filter_options(*STATS_FILTERS)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of rows.")
@click.pass_context
def stats_(ctx: click.Context, by: str, as_json: bool,
           **filters: str | datetime | None) -> None:
    """Number, cost, duration, last date interacted and last date attempted, per template,
    group, contact, company, salesperson or month; canceled entries left out.

    The last date interacted is the newest entry whose attempt did not fail; the last date
    attempted, the newest entry initiated by us (reached or not), as in NAV. A company's row
    holds its own entries and its persons'.
    """
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(AppContext)
    assert app is not None
    with app.transaction() as session:
        rows = stats(session, entry_filter(session, filters), by)
        names = {} if as_json else labels(session, by, [row.key for row in rows])
    if as_json:
        print_json([stat_to_json(row) for row in rows])
        return
    _print(by, rows, names)


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _print(by: str, rows: list[StatRow], names: dict[str, str]) -> None:
    head = (by, "name") if names else (by,)
    table = new_table(f"Interactions by {by} (canceled left out)", (*head, *COLUMNS),
                      right=("count", "cost", "min"))
    for row in rows:
        label = (row.key or "(none)", names.get(row.key, "")) if names else (row.key or "(none)",)
        add_row(table, (*label, row.count, row.cost, row.duration_min, _day(row.last_date),
                        _day(row.last_attempt_date)))
    print_rich(table)


@stats_.command("rebuild")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def rebuild_(app: AppContext, as_json: bool) -> None:
    """Recompute the per-day, per-month and per-year totals the statistics and the pages'
    totals are read from, from the entries (after a bulk load, a restore or a change made
    outside interlog)."""
    from storage.aggregates import rebuild

    with app.transaction() as session:
        rows = rebuild(session)
    if as_json:
        print_json({"rows": rows})
    else:
        click.echo(f"Per-day, per-month and per-year totals rebuilt from the entries: {rows} rows.")
