"""`interlog entries list | cancel | restore | delete-canceled`: the Interaction Log Entries."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import click
from rich.console import Console
from sqlalchemy.orm import Session

from interlog.cli.common import AppContext, add_row, cli_actor, new_table, pass_app, print_json
from storage.contacts import resolve_contact
from storage.entries import (
    EntryFilter,
    Totals,
    cancel_entries,
    delete_canceled,
    entry_to_json,
    get_template,
    query_entries,
    restore_entries,
    totals,
)
from storage.errors import InterlogError
from storage.models import InteractionLogEntry, utcnow
from storage.upcoming import upcoming_meetings, upcoming_to_json

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group("entries")
def entries() -> None:
    """Interaction log entries: list, cancel, restore, delete canceled ones."""


def _filters(session: Session, ref: str | None, template_code: str | None, **rest: Any
             ) -> EntryFilter:
    contact_id = resolve_contact(session, ref).id if ref else None
    code = get_template(session, template_code).code if template_code else None
    return replace(EntryFilter(contact_id=contact_id, template_code=code), **rest)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@entries.command("list")
@click.option("--contact", "ref", default=None, help="Contact number, email address or name.")
@click.option("--template", "template_code", default=None, help="Interaction template code.")
@click.option("--status", type=click.Choice(["active", "canceled", "all"]), default="all",
              show_default=True)
@click.option("--since", type=DATE, default=None, help="From this date (YYYY-MM-DD, UTC).")
@click.option("--until", type=DATE, default=None, help="Up to this date, inclusive.")
@click.option("--upcoming", is_flag=True,
              help="List the upcoming meetings with contacts instead (not in the log yet).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of entries.")
@pass_app
def list_(app: AppContext, ref: str | None, template_code: str | None, status: str,
          since: datetime | None, until: datetime | None, upcoming: bool, as_json: bool) -> None:
    """The entries that match, oldest first, with totals (canceled entries left out)."""
    if upcoming:
        _list_upcoming(app, ref, as_json)
        return
    with app.transaction() as session:
        filters = _filters(session, ref, template_code, status=status, since=_day(since),
                           until=_day(until))
        found = query_entries(session, filters)
        if as_json:
            print_json([entry_to_json(e) for e in found])
            return
        _print_entries(found, totals(session, filters))


def _list_upcoming(app: AppContext, ref: str | None, as_json: bool) -> None:
    """Meetings with contacts that have not started: soonest first, never in the log."""
    by_domain = app.settings.sync.match_company_by_domain
    with app.transaction() as session:
        contact_id = resolve_contact(session, ref).id if ref else None
        found = upcoming_meetings(session, now=utcnow(), contact_id=contact_id,
                                  by_domain=by_domain)
    if as_json:
        print_json([upcoming_to_json(m) for m in found])
        return
    table = new_table(f"Upcoming meetings ({len(found)})", ("date", "time", "subject",
                                                            "contacts"))
    for m in found:
        add_row(table, (m.start.date().isoformat(), m.start.time().isoformat("seconds"),
                        m.subject, ", ".join(f"{c.no} {c.name}" for c in m.contacts)))
    Console().print(table)


def _print_entries(found: list[InteractionLogEntry], total: Totals) -> None:
    table = new_table(f"Interaction log entries ({len(found)})",
                      ("no", "date", "time", "contact", "name", "template", "flow", "by",
                       "subject", "min", "cost", "user", "status"), right=("no", "min", "cost"))
    for e in found:
        status = "canceled" if e.canceled else ("failed" if e.attempt_failed else "")
        add_row(table, (e.entry_no, e.occurred_at.date().isoformat(),
                        e.occurred_at.time().isoformat("seconds"), e.contact_no, e.contact_name,
                        e.template_code, e.information_flow, e.initiated_by, e.subject,
                        e.duration_min, e.cost, e.user_upn, status))
    console = Console()
    console.print(table)
    console.print(f"Totals (canceled left out): {total.count} entries, {total.duration_min} min,"
                  f" cost {total.cost}")


@entries.command("cancel")
@click.argument("entry_nos", metavar="N...", nargs=-1, type=int, required=True)
@click.option("--reason", default=None, help="Why (kept with the entry and in the audit).")
@pass_app
def cancel(app: AppContext, entry_nos: tuple[int, ...], reason: str | None) -> None:
    """Cancel entries N… (all or nothing): they stay, but leave every total."""
    with app.transaction() as session:
        done = cancel_entries(session, entry_nos, actor=cli_actor(), reason=reason)
        names = ", ".join(f"#{e.entry_no}" for e in done)
    click.echo(f"Canceled {names}.")


@entries.command("restore")
@click.argument("entry_nos", metavar="N...", nargs=-1, type=int, required=True)
@pass_app
def restore(app: AppContext, entry_nos: tuple[int, ...]) -> None:
    """Restore canceled entries N… (all or nothing; not under a canceled logged segment)."""
    with app.transaction() as session:
        done = restore_entries(session, entry_nos, actor=cli_actor())
        names = ", ".join(f"#{e.entry_no}" for e in done)
    click.echo(f"Restored {names}.")


@entries.command("delete-canceled")
@click.option("--before", type=DATE, default=None, help="Only entries dated before this date.")
@click.option("--contact", "ref", default=None, help="Only this contact's entries.")
@click.option("--template", "template_code", default=None, help="Only this template's entries.")
@click.option("--group", "group_code", default=None, help="Only this interaction group.")
@click.option("--salesperson", "salesperson_code", default=None, help="Only this salesperson.")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; delete nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def delete_canceled_(app: AppContext, before: datetime | None, ref: str | None,
                     template_code: str | None, group_code: str | None,
                     salesperson_code: str | None, dry_run: bool, yes: bool) -> None:
    """Delete canceled entries (never active ones) that match the filters."""
    until = before.date() - timedelta(days=1) if before is not None else None
    with app.transaction() as session:
        filters = _filters(session, ref, template_code, until=until, group_code=group_code,
                           salesperson_code=salesperson_code)
        candidates = delete_canceled(session, filters, actor=cli_actor(), dry_run=True)
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
        deleted = delete_canceled(session, filters, actor=cli_actor(), only=candidates)
    click.echo(f"Deleted {len(deleted)} canceled entries: {_numbers(deleted)}")


def _numbers(entry_nos: list[int], limit: int = 20) -> str:
    shown = ", ".join(f"#{n}" for n in entry_nos[:limit])
    return shown + (f" and {len(entry_nos) - limit} more" if len(entry_nos) > limit else "")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `interlog` group."""
    cli.add_command(entries)
