"""`interlog segments create | add | reduce | add-from-log | show | log | cancel | restore |
delete | list`: NAV's segments — Add Contacts and Reduce Contacts by criteria, then Log
Segment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
from sqlalchemy.orm import Session

from interlog.cli.common import AppContext, cli_actor, pass_app, print_json, print_table
from interlog.cli.entry_filters import DATE, FILTERS, entry_filter, filter_options
from interlog.cli.log import MOMENT
from storage.contacts import resolve_contact
from storage.entries import Interaction
from storage.errors import InterlogError
from storage.segment_criteria import ContactCriteria, check_domain
from storage.segments import (
    ContactsChange,
    SegmentChange,
    add_contacts,
    create_segment,
    delete_segment,
    log_segment,
    reduce_contacts,
    segment_contacts,
    segment_rows,
    set_segment_canceled,
)


@click.group("segments")
def segments() -> None:
    """Segments: log one interaction for every contact of a list."""


def _refs(text: str) -> list[str]:
    parts = [r.strip() for r in text.split(",") if r.strip()]
    if not parts:
        raise InterlogError("--contacts names no contact")
    return parts


@segments.command("create")
@click.argument("no")
@click.option("--contacts", "refs", default=None,
              help="Comma-separated contact references (numbers, emails or names).")
@click.option("--description", default="", help="What the segment is for.")
@pass_app
def create(app: AppContext, no: str, refs: str | None, description: str) -> None:
    """Create segment NO, empty or with the contacts named (add more with `segments add`)."""
    with app.transaction() as session:
        contacts = [resolve_contact(session, ref) for ref in _refs(refs)] if refs else []
        segment = create_segment(session, no, contacts, description=description,
                                 actor=cli_actor())
        count = len(segment.lines)
    click.echo(f"Created segment {segment.no} with {count} contacts.")


def criteria_options[F: Callable[..., Any]](command: F) -> F:
    """The options of `add` and `reduce`: each criterion given must hold."""
    for option in reversed((
        click.option("--contacts", "refs", default=None, metavar="REF,…",
                     help="Comma-separated contact references."),
        click.option("--company", default=None, metavar="REF",
                     help="The persons of this company contact."),
        click.option("--domain", default=None, metavar="D",
                     help="Contacts with an email address at this domain."),
        click.option("--interacted-since", "since", type=DATE, default=None,
                     help="Contacts with an active entry from this date (YYYY-MM-DD)."),
        click.option("--interacted-until", "until", type=DATE, default=None,
                     help="… up to this date, inclusive."),
        click.option("--template", default=None, metavar="CODE",
                     help="… an entry of this template."),
        click.option("--group", default=None, metavar="CODE",
                     help="… an entry of this interaction group."),
    )):
        command = option(command)
    return command


def _criteria(session: Session, given: dict[str, Any]) -> tuple[ContactCriteria, dict[str, object]]:
    """The criteria options checked (an unknown contact, company, template or group, a bad
    domain or period: exit 1), with the details the audit keeps."""
    nos: tuple[str, ...] = ()
    ids: tuple[int, ...] | None = None
    if given["refs"] is not None:
        contacts = [resolve_contact(session, ref) for ref in _refs(given["refs"])]
        ids, nos = tuple(c.id for c in contacts), tuple(c.no for c in contacts)
    company_id = company_no = None
    if given["company"] is not None:
        company_no = entry_filter(session, {"company": given["company"]}).company_no
        company_id = resolve_contact(session, company_no or "").id
    domain = None if given["domain"] is None else check_domain(given["domain"])
    interacted = {k: given[k] for k in ("since", "until", "template", "group")}
    entries = None
    if any(v is not None for v in interacted.values()):
        since, until = interacted["since"], interacted["until"]
        if since is not None and until is not None and since > until:
            raise InterlogError("--interacted-until: the period ends before it starts")
        entries = entry_filter(session, {**interacted, "status": "active"})
    criteria = ContactCriteria(contact_ids=ids, company_id=company_id, domain=domain,
                               entries=entries)
    if criteria.is_empty():
        raise InterlogError("give at least one criterion: --contacts, --company, --domain,"
                            " --interacted-since/--interacted-until, --template or --group")
    return criteria, criteria.describe(nos, company_no)


def _report(change: ContactsChange, added: bool) -> str:
    if added:
        text = f"Added {change.changed} contacts to segment {change.segment_no}"
        rest = f" ({change.unchanged} in it already)" if change.unchanged else ""
    else:
        text = f"Removed {change.changed} contacts from segment {change.segment_no}"
        rest = f" ({change.unchanged} not in it)" if change.unchanged else ""
    return f"{text}{rest}; it has {change.contacts}."


@segments.command("add")
@click.argument("no")
@criteria_options
@pass_app
def add(app: AppContext, no: str, **given: Any) -> None:
    """Add to segment NO the contacts every criterion given selects (NAV's Add Contacts);
    a contact already in it is not added twice."""
    with app.transaction() as session:
        criteria, details = _criteria(session, given)
        change = add_contacts(session, no, criteria, actor=cli_actor(), details=details)
    click.echo(_report(change, added=True))


@segments.command("reduce")
@click.argument("no")
@criteria_options
@pass_app
def reduce(app: AppContext, no: str, **given: Any) -> None:
    """Remove from segment NO the contacts every criterion given selects (NAV's Reduce
    Contacts)."""
    with app.transaction() as session:
        criteria, details = _criteria(session, given)
        change = reduce_contacts(session, no, criteria, actor=cli_actor(), details=details)
    click.echo(_report(change, added=False))


@segments.command("add-from-log")
@click.argument("no")
@filter_options(*FILTERS)
@pass_app
def add_from_log(app: AppContext, no: str, **filters: str | datetime | None) -> None:
    """Add to segment NO the contacts of the entries a filter of the log selects (the
    options of `entries list`: what it would list)."""
    with app.transaction() as session:
        entries = entry_filter(session, filters)
        criteria = ContactCriteria(entries=entries)
        change = add_contacts(session, no, criteria, actor=cli_actor(),
                              details=criteria.describe())
    click.echo(_report(change, added=True))


@segments.command("show")
@click.argument("no")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_app
def show(app: AppContext, no: str, as_json: bool) -> None:
    """The contacts of segment NO, in the order they were added."""
    with app.transaction() as session:
        rows = [{"no": c.no, "name": c.name, "type": c.type, "company_no": c.company_no}
                for c in segment_contacts(session, no)]
    if as_json:
        print_json(rows)
        return
    print_table(f"Segment {no.strip().upper()}", ["no", "name", "type", "company_no"],
                [list(r.values()) for r in rows])


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


def change_text(change: SegmentChange, canceled: bool) -> str:
    """What cancel or restore did, counted from the entries, not from what was logged."""
    done, state = ("Canceled", "canceled") if canceled else ("Restored", "active")
    text = f"{done} segment {change.logged.segment_no}: {len(change.changed)} entries"
    notes = []
    if change.unchanged:
        notes.append(f"{change.unchanged} {state} already")
    if change.deleted:
        notes.append(f"{change.deleted} of the {change.logged.entry_count} logged no longer"
                     " in the log")
    return text + (f" ({'; '.join(notes)})" if notes else "") + "."


def _set_canceled(app: AppContext, no: str, canceled: bool) -> None:
    with app.transaction() as session:
        change = set_segment_canceled(session, no, canceled, actor=cli_actor())
        text = change_text(change, canceled)
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
    """Restore canceled logged segment NO and every one of its entries still in the log."""
    _set_canceled(app, no, False)


@segments.command("delete")
@click.argument("no")
@pass_app
def delete(app: AppContext, no: str) -> None:
    """Delete segment NO: one not logged, or a canceled logged one (its entries stay in the
    log, canceled, each free to be restored or deleted on its own)."""
    with app.transaction() as session:
        kept = delete_segment(session, no, actor=cli_actor())
    rest = f"; its {kept} entries stay in the log, canceled" if kept else ""
    click.echo(f"Deleted segment {no.strip().upper()}{rest}.")


@segments.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """Every segment, its contacts, whether it is logged or canceled, and its entries now."""
    with app.transaction() as session:
        rows = [{"no": r.segment.no, "description": r.segment.description,
                 "contacts": r.contacts, "logged": r.logged is not None,
                 "template": r.logged.template_code if r.logged else None,
                 "canceled": bool(r.logged and r.logged.canceled), "entries": r.entries}
                for r in segment_rows(session)]
    if as_json:
        print_json(rows)
        return
    print_table("Segments", ["no", "description", "contacts", "logged", "template", "canceled",
                             "entries"], [list(r.values()) for r in rows])
