"""The one way tests fill a database: `seed(engine_or_session, dataset)`.

A `Dataset` is plain data (frozen dataclasses); each family of tests declares its own next
to its other helpers (`tests/support/bot.py`, `capture.py`, `web.py`, `sync.py`, ...).
The schema must exist already (`tests/support/databases.py`), and `seed` adds rows only:
emptying a database that tests commit to is the fixtures' job (`databases.wipe`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.config import UserSettings
from storage.contacts import fold, resolve_contact
from storage.contacts_csv import import_contacts_csv
from storage.entries import Interaction, log_interaction
from storage.models import (
    CompanyDomain,
    Contact,
    ContactEmail,
    InteractionGroup,
    InteractionTemplate,
    TemplateSetup,
    User,
)
from storage.seed import seed_defaults
from storage.templates_io import import_templates


@dataclass(frozen=True)
class TemplateRow:
    """An interaction template; unset fields keep the model's defaults."""

    code: str
    group: str
    description: str = ""
    flow: str | None = None
    initiated_by: str | None = None
    cost: str = "0"
    minutes: str = "0"
    correspondence: str = ""


@dataclass(frozen=True)
class ContactRow:
    """A contact; `company` is the `no` of a company listed before it in the same dataset."""

    no: str
    name: str
    emails: tuple[str, ...] = ()
    type: str = "person"
    domains: tuple[str, ...] = ()
    company: str | None = None


@dataclass(frozen=True)
class EntryRow:
    """An interaction logged through `storage.entries.log_interaction` (actor "test")."""

    contact: str  # anything `resolve_contact` accepts
    template: str
    user: str
    source: str
    when: str  # ISO date and time, naive UTC
    subject: str
    minutes: str = "0"


@dataclass(frozen=True)
class Dataset:
    """What a test database holds, added in this field order."""

    defaults: bool = False  # `interlog init`'s groups, templates and setup keys
    groups: tuple[tuple[str, str], ...] = ()  # (code, description)
    templates: tuple[TemplateRow, ...] = ()
    setup: tuple[tuple[str, str], ...] = ()  # (kind, template code)
    templates_toml: str = ""  # applied with `storage.templates_io.import_templates`
    users: tuple[UserSettings, ...] = ()
    contacts: tuple[ContactRow, ...] = ()
    contacts_csv: str = ""  # imported with `storage.contacts_csv.import_contacts_csv`
    entries: tuple[EntryRow, ...] = ()
    more: Callable[[Session], None] | None = None  # anything else, last


def seed(target: Engine | Session, dataset: Dataset) -> None:
    """Add `dataset` to a database: committed through an engine, or flushed into a session
    (which the caller commits or rolls back)."""
    if isinstance(target, Engine):
        with Session(target) as session, session.begin():
            _add(session, dataset)
    else:
        _add(target, dataset)
        target.flush()


def _add(session: Session, data: Dataset) -> None:
    if data.defaults:
        seed_defaults(session)
    session.add_all([InteractionGroup(code=code, description=text) for code, text in data.groups])
    session.flush()
    session.add_all([_template(row) for row in data.templates])
    session.flush()
    session.add_all([TemplateSetup(kind=kind, template_code=code) for kind, code in data.setup])
    if data.templates_toml:
        import_templates(session, data.templates_toml)
    session.add_all([_user(user) for user in data.users])
    companies: dict[str, Contact] = {}
    for row in data.contacts:
        contact = _contact(row, companies.get(row.company) if row.company else None)
        session.add(contact)
        session.flush()
        companies[row.no] = contact
    if data.contacts_csv:
        import_contacts_csv(session, data.contacts_csv)
    session.flush()
    for e in data.entries:
        log_interaction(session, resolve_contact(session, e.contact), Interaction(
            template_code=e.template, subject=e.subject, user_upn=e.user, source=e.source,
            occurred_at=datetime.fromisoformat(e.when), duration_min=Decimal(e.minutes),
        ), actor="test")
    if data.more is not None:
        data.more(session)
    session.flush()


def _template(row: TemplateRow) -> InteractionTemplate:
    return InteractionTemplate(
        code=row.code, group_code=row.group, description=row.description,
        information_flow=row.flow, initiated_by=row.initiated_by, unit_cost=Decimal(row.cost),
        unit_duration_min=Decimal(row.minutes), correspondence_type=row.correspondence,
    )


def _user(user: UserSettings) -> User:
    """A `[[user]]` as `interlog init` stores it: UPN lower-case, no empty object id."""
    return User(upn=user.upn.strip().lower(), salesperson_code=user.salesperson_code,
                aad_object_id=user.aad_object_id.strip() or None, admin=user.admin)


def _contact(row: ContactRow, company: Contact | None) -> Contact:
    contact = Contact(no=row.no, type=row.type, name=row.name, search_name=fold(row.name),
                      company=company)
    contact.emails = [ContactEmail(address=e, position=i) for i, e in enumerate(row.emails)]
    contact.domains = [CompanyDomain(domain=d) for d in row.domains]
    return contact
