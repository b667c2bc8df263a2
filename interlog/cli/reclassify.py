"""`interlog entries reclassify [filters] [--dry-run]`: the rules applied again to captured
entries (`connector/capture/reclassify.py`), never to manual ones; audited `reclassify`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import click

from interlog.cli.common import AppContext, cli_actor, pass_app, print_table
from interlog.cli.entry_filters import entry_filter, filter_options

SHOWN = 50  # entries listed; the rest are counted


@click.command("reclassify")
@filter_options("contact", "company", "template", "group", "salesperson", "user", "source",
                "document_no", "status", "since", "until")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@pass_app
def reclassify(app: AppContext, dry_run: bool, **filters: str | datetime | None) -> None:
    """Apply the current rules again to captured entries (never manual ones)."""
    from connector.capture.reclassify import reclassify as run

    with app.transaction() as session:
        result = run(session, app.settings, entry_filter(session, filters), actor=cli_actor(),
                     dry_run=dry_run, keep=SHOWN)
    changed = result.changed
    verb = "Would re-classify" if dry_run else "Re-classified"
    if changed:
        print_table(f"{verb} {result.count} of {result.examined} captured entries",
                    ["no", "date", "contact", "subject", "template", "cost", "min"],
                    [[c.entry_no, c.occurred_at.date().isoformat(), c.contact_no, c.subject,
                      _was_is(c.change.before, c.change.after, "template_code"),
                      _was_is(c.change.before, c.change.after, "cost"),
                      _was_is(c.change.before, c.change.after, "duration_min")]
                     for c in changed])
        if result.count > len(changed):
            click.echo(f"… and {result.count - len(changed)} more.")
    else:
        click.echo(f"The rules classify all {result.examined} captured entries as they are;"
                   " nothing to change.")
    left = [f"{result.not_captured} not captured (manual, bot, API, segment or call)"
            if result.not_captured else "",
            f"{result.not_kept} without kept data to plan again" if result.not_kept else ""]
    if any(left):
        click.echo("Left alone: " + "; ".join(t for t in left if t) + ".")


def _was_is(before: Mapping[str, object], after: Mapping[str, object], key: str) -> str:
    was, now = before[key], after[key]
    return str(now) if was == now else f"{was} → {now}"
