"""`interlog segments create | log | cancel | restore | list`: NAV's Log Segment."""

from __future__ import annotations

from datetime import datetime

import click

from interlog.cli.common import AppContext, cli_actor, pass_app, print_json, print_table
from interlog.cli.log import MOMENT
from storage.audit import audit
from storage.contacts import resolve_contact
from storage.entries import Interaction
from storage.errors import InterlogError
from storage.segments import create_segment, list_segments, log_segment, set_segment_canceled


@click.group("segments")
def segments() -> None:
    """Segments: log one interaction for every contact of a list."""


@segments.command("create")
@click.argument("no")
@click.option("--contacts", "refs", required=True,
              help="Comma-separated contact references (numbers, emails or names).")
@click.option("--description", default="", help="What the segment is for.")
@pass_app
def create(app: AppContext, no: str, refs: str, description: str) -> None:
    """Create segment NO with the contacts named."""
    parts = [r.strip() for r in refs.split(",") if r.strip()]
    if not parts:
        raise InterlogError("--contacts names no contact")
    with app.transaction() as session:
        contacts = [resolve_contact(session, ref) for ref in parts]
        segment = create_segment(session, no, contacts, description=description)
        audit(session, cli_actor(), "segment_create", None, segment=segment.no,
              contacts=[c.no for c in contacts])
        count = len(segment.lines)
    click.echo(f"Created segment {segment.no} with {count} contacts.")


@segments.command("log")
@click.argument("no")
@click.option("--template", "template_code", required=True, help="Interaction template code.")
@click.option("--subject", default=None, help="Default: the template's description.")
@click.option("--at", "at", type=MOMENT, default=None, help="When (ISO 8601). Default: now.")
@click.option("--user", "user_upn", default=None, help="UPN of the salesperson.")
@pass_app
def log(app: AppContext, no: str, template_code: str, subject: str | None,
        at: datetime | None, user_upn: str | None) -> None:
    """Log segment NO: one entry per contact, once (a logged segment cannot be logged again)."""
    interaction = Interaction(template_code=template_code, subject=subject, occurred_at=at,
                              user_upn=user_upn, source="segment")
    with app.transaction() as session:
        logged = log_segment(session, no, interaction, actor=cli_actor())
        text = f"Logged segment {logged.segment_no}: {logged.entry_count} entries."
    click.echo(text)


def _set_canceled(app: AppContext, no: str, canceled: bool) -> None:
    with app.transaction() as session:
        logged = set_segment_canceled(session, no, canceled, actor=cli_actor())
        done = "Canceled" if canceled else "Restored"
        text = f"{done} segment {logged.segment_no} and its {logged.entry_count} entries."
    click.echo(text)


@segments.command("cancel")
@click.argument("no")
@pass_app
def cancel(app: AppContext, no: str) -> None:
    """Cancel logged segment NO and every one of its entries."""
    _set_canceled(app, no, True)


@segments.command("restore")
@click.argument("no")
@pass_app
def restore(app: AppContext, no: str) -> None:
    """Restore canceled logged segment NO and every one of its entries."""
    _set_canceled(app, no, False)


@segments.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """Every segment, its contacts count and whether it is logged or canceled."""
    with app.transaction() as session:
        rows = [{"no": s.no, "description": s.description, "contacts": len(s.lines),
                 "logged": logged is not None,
                 "template": logged.template_code if logged else None,
                 "canceled": bool(logged and logged.canceled)}
                for s, logged in list_segments(session)]
    if as_json:
        print_json(rows)
        return
    print_table("Segments", ["no", "description", "contacts", "logged", "template", "canceled"],
                [list(r.values()) for r in rows])


def register(cli: click.Group) -> None:
    """Add this module's commands to the `interlog` group."""
    cli.add_command(segments)
