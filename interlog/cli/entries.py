"""`interlog entries list | cancel | restore | delete-canceled`: the Interaction Log Entries.

`list` shows the newest 50 by default (`--limit N`, `--all`) and streams what it prints
(`interlog/cli/entry_output.py`); the filters are the log page's, checked by the same parser
(`web/filters.py`).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import click

from interlog.cli.common import AppContext, cli_actor, pass_app
from interlog.cli.entry_filters import FILTERS, entry_filter, filter_options
from interlog.cli.lazy import Lazy, LazyGroup
from storage.errors import InterlogError

if TYPE_CHECKING:  # SQLAlchemy and the models are imported when a command runs, not by --help
    from sqlalchemy.orm import Session

    from storage.entry_queries import EntryFilter

DEFAULT_LIMIT = 50

# The subcommands of `entries` defined in other modules, imported when they run (see
# `interlog/cli/lazy.py`); the help is the first paragraph of the command's docstring.
ENTRY_COMMANDS: dict[str, Lazy] = {
    "evaluate": Lazy("interlog.cli.entry_outcomes", "evaluate", "Evaluate entries N… (all or"
                     " nothing): very_positive … very_negative."),
    "note": Lazy("interlog.cli.entry_outcomes", "note", "Add TEXT to the note of entry N: each"
                 " of its lines is a note line after the others."),
    "recreate": Lazy("interlog.cli.recreate", "recreate", "Re-create entry N's interaction: a new"
                     " manual entry, same contact and template."),
    "reclassify": Lazy("interlog.cli.reclassify", "reclassify", "Apply the current rules again"
                       " to captured entries (never manual ones)."),
}


@click.group("entries", cls=LazyGroup, lazy=ENTRY_COMMANDS)
def entries() -> None:
    """Interaction log entries: list, cancel, restore, delete canceled ones."""


@entries.command("list")
@filter_options(*FILTERS)
@click.option("--upcoming", is_flag=True,
              help="List the upcoming meetings with contacts instead (not in the log yet).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help=f"Show the newest N matching entries (default {DEFAULT_LIMIT}).")
@click.option("--all", "show_all", is_flag=True, help="Show every matching entry.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of entries.")
@click.option("--jsonl", is_flag=True, help="Print one JSON entry a line.")
@pass_app
def list_(app: AppContext, upcoming: bool, limit: int | None, show_all: bool, as_json: bool,
          jsonl: bool, **filters: str | datetime | None) -> None:
    """The entries that match, newest first: the newest 50 unless --limit or --all."""
    if as_json and jsonl:
        raise click.UsageError("--json and --jsonl: choose one")
    if show_all and limit is not None:
        raise click.UsageError("--limit and --all: choose one")
    from interlog.cli.entry_output import Shown, print_entries

    output = "json" if as_json else "jsonl" if jsonl else "text"
    if upcoming:
        _list_upcoming(app, filters, output)
        return
    shown = Shown(limit=None if show_all else (limit or DEFAULT_LIMIT), output=output)
    with app.connection() as connection:  # Core: the ORM is loaded only to check filters
        if print_entries(connection, entry_filter(connection, filters), shown):
            click.echo(f"Showing the newest {shown.limit} entries of more; use --limit N or"
                       " --all.", err=True)


def _list_upcoming(app: AppContext, filters: dict[str, str | datetime | None],
                   output: str) -> None:
    """Meetings with contacts that have not started: soonest first, never in the log."""
    from interlog.cli.entry_output import print_upcoming
    from storage.contacts import resolve_contact
    from storage.models import utcnow
    from storage.upcoming import upcoming_meetings

    others = [f"--{name.replace('_', '-')}" for name, value in filters.items()
              if value is not None and name != "contact" and (name, value) != ("status", "all")]
    if others:
        raise click.UsageError(f"--upcoming takes --contact only, not {', '.join(others)}")
    by_domain = app.settings.sync.match_company_by_domain
    ref = filters.get("contact")
    with app.transaction() as session:
        contact_id = resolve_contact(session, str(ref)).id if ref else None
        found = upcoming_meetings(session, now=utcnow(), contact_id=contact_id,
                                  by_domain=by_domain)
    print_upcoming(found, output)


@entries.command("cancel")
@click.argument("entry_nos", metavar="N...", nargs=-1, type=int, required=True)
@click.option("--reason", default=None, help="Why (kept with the entry and in the audit).")
@pass_app
def cancel(app: AppContext, entry_nos: tuple[int, ...], reason: str | None) -> None:
    """Cancel entries N… (all or nothing): they stay, but leave every total."""
    from storage.entries import cancel_entries

    with app.transaction() as session:
        done = cancel_entries(session, entry_nos, actor=cli_actor(), reason=reason)
        names = ", ".join(f"#{e.entry_no}" for e in done)
    click.echo(f"Canceled {names}.")


@entries.command("restore")
@click.argument("entry_nos", metavar="N...", nargs=-1, type=int, required=True)
@pass_app
def restore(app: AppContext, entry_nos: tuple[int, ...]) -> None:
    """Restore canceled entries N… (all or nothing; not under a canceled logged segment)."""
    from storage.entries import restore_entries

    with app.transaction() as session:
        done = restore_entries(session, entry_nos, actor=cli_actor())
        names = ", ".join(f"#{e.entry_no}" for e in done)
    click.echo(f"Restored {names}.")


@entries.command("delete-canceled")
@click.option("--before", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only entries dated before this date.")
@filter_options(*(name for name in FILTERS if name not in ("status", "since", "until")))
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; delete nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def delete_canceled_(app: AppContext, before: datetime | None, dry_run: bool, yes: bool,
                     **filters: str | None) -> None:
    """Delete canceled entries (never active ones) that match the filters."""
    from storage.entries import delete_canceled

    until = before.date() - timedelta(days=1) if before is not None else None
    with app.transaction() as session:
        chosen = _canceled(session, filters, until)
        candidates = delete_canceled(session, chosen, actor=cli_actor(), dry_run=True)
    if not candidates:
        click.echo("No canceled entries match; nothing to delete.")
        return
    listing = _numbers(candidates)
    if dry_run:
        click.echo(f"Would delete {len(candidates)} canceled entries: {listing}")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise InterlogError(f"{len(candidates)} canceled entries would be deleted; there is"
                                " no terminal to confirm on: add --yes")
        click.confirm(f"Delete {len(candidates)} canceled entries ({listing})?", abort=True)
    with app.transaction() as session:
        deleted = delete_canceled(session, chosen, actor=cli_actor(), only=candidates)
    click.echo(f"Deleted {len(deleted)} canceled entries: {_numbers(deleted)}")


def _canceled(session: Session, filters: dict[str, str | None], until: date | None
              ) -> EntryFilter:
    """The filters of `delete-canceled` (`delete_canceled` keeps to canceled entries)."""
    return replace(entry_filter(session, filters), until=until)


def _numbers(entry_nos: list[int], limit: int = 20) -> str:
    shown = ", ".join(f"#{n}" for n in entry_nos[:limit])
    return shown + (f" and {len(entry_nos) - limit} more" if len(entry_nos) > limit else "")

