"""The log's filters as options of the `entries` commands: the web's filters, same checks.

`FILTERS` names each option and its help; `filter_options(*names)` adds those options to a
command, and `entry_filter(session, values)` checks what was given with the parser the log
page and `/api/v1` use (`web/filters.py`): an unknown company, template, group, salesperson,
user or source is an `InterlogError` naming the option (exit 1), nothing guessed.

To add a filter: a line here, and the field in `web.filters.FILTER_FIELDS` (the option
`--document-no` is the field `document_no`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from storage.errors import InterlogError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from storage.entry_queries import EntryFilter

F = TypeVar("F", bound=Callable[..., Any])
DATE = click.DateTime(formats=["%Y-%m-%d"])

FILTERS: dict[str, dict[str, Any]] = {
    "contact": {"metavar": "REF", "help": "Contact number, email address or name."},
    "company": {"metavar": "REF", "help": "A company contact (number, email or name): its own"
                " entries and its persons'."},
    "template": {"metavar": "CODE", "help": "Interaction template code."},
    "group": {"metavar": "CODE", "help": "Interaction group code."},
    "salesperson": {"metavar": "CODE", "help": "Salesperson code."},
    "user": {"metavar": "UPN", "help": "The user who logged or owns the entries."},
    "source": {"metavar": "S", "help": "email, meeting, call, manual, bot, segment or api."},
    "document_no": {"metavar": "NO", "help": "Document number (a quote, an order, …)."},
    "evaluation": {"metavar": "E", "help": "very_positive, positive, neutral, negative or"
                   " very_negative."},
    "status": {"type": click.Choice(["active", "canceled", "all"]), "default": "all",
               "show_default": True, "help": "Canceled entries are left out of totals."},
    "since": {"type": DATE, "help": "From this date (YYYY-MM-DD, UTC)."},
    "until": {"type": DATE, "help": "Up to this date, inclusive."},
}


def filter_options(*names: str) -> Callable[[F], F]:
    """Add the options `names` (keys of `FILTERS`), in that order, to a command."""
    def add(command: F) -> F:
        for name in reversed(names):
            settings = {"default": None, **FILTERS[name]}
            command = click.option(f"--{name.replace('_', '-')}", name, **settings)(command)
        return command
    return add


def entry_filter(bind: Session | Connection, values: Mapping[str, str | datetime | None]
                 ) -> EntryFilter:
    """The options given, checked into an `EntryFilter` (`None` means not given). On a
    `Connection` (`entries list`), a session on it checks them, if any was given."""
    given = {name: value.date().isoformat() if isinstance(value, datetime) else value
             for name, value in values.items() if value is not None}
    if given.keys() <= {"status"}:  # nothing to check (click checked the status): the parser,
        from storage.entry_queries import EntryFilter  # the ORM, the models are not loaded

        return EntryFilter(status=given.get("status", "all"))
    from sqlalchemy.orm import Session

    if isinstance(bind, Session):
        return _checked(bind, given)
    with Session(bind) as session:
        return _checked(session, given)


def _checked(session: Session, given: dict[str, str]) -> EntryFilter:
    from web.filters import BadInput, parse_filters

    if "company" in given:
        given["company"] = _company_no(session, given["company"])
    try:
        return parse_filters(session, given).filter
    except BadInput as exc:
        raise InterlogError(f"--{exc.field.replace('_', '-')}: {exc.message}") from None


def _company_no(session: Session, ref: str) -> str:
    """`--company REF`: a contact reference that must name a company contact."""
    from storage.contacts import resolve_contact
    from storage.vocabulary import ContactType

    try:
        contact = resolve_contact(session, ref)
    except InterlogError as exc:
        raise InterlogError(f"--company: {exc}") from None
    if contact.type != ContactType.COMPANY:
        raise InterlogError(f"--company: {contact.no} {contact.name} is a person, not a company")
    return contact.no
