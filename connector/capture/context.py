"""What a capture run looks up, loaded once per run into dictionaries (never per address)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from connector.capture import skip
from connector.capture.rules import CompiledRule, compile_rules
from connector.items import Address
from connector.settings import ConnectorSettings, SyncSettings
from storage.errors import NotFound
from storage.models import (
    CompanyDomain,
    Contact,
    ContactEmail,
    InteractionTemplate,
    MatchRule,
    TemplateSetup,
    utcnow,
)
from storage.users import salesperson_codes
from storage.vocabulary import SetupKind

CAPTURED_KINDS = (SetupKind.EMAIL, SetupKind.MEETING)  # the setup defaults capture needs
PEOPLE_CACHE = 200_000  # addresses classified per run before the cache starts over


@dataclass(frozen=True)
class ContactInfo:
    """The contact columns an entry copies."""

    id: int
    no: str
    name: str
    company_no: str | None


@dataclass(frozen=True)
class TemplateInfo:
    code: str
    group_code: str
    unit_cost: Decimal
    unit_duration_min: Decimal
    correspondence_type: str


@dataclass(frozen=True, slots=True)
class Who:
    """How capture sees one address; computed once per run per address (`CaptureContext.who`)."""

    internal: bool
    excluded: bool
    automated: bool
    contact: ContactInfo | None  # its contact, else its domain's company (when enabled)


@dataclass
class CaptureContext:
    """Everything `capture_page` needs that does not change during a run."""

    sync: SyncSettings
    internal_addresses: frozenset[str]
    internal_domains: frozenset[str]
    exclude_addresses: frozenset[str]
    exclude_domains: frozenset[str]
    salesperson: dict[str, str]  # upn → salesperson code
    contacts_by_email: dict[str, ContactInfo]
    companies_by_domain: dict[str, ContactInfo]
    templates: dict[str, TemplateInfo]
    setup: dict[str, TemplateInfo]  # kind (email | meeting) → default template
    rules: list[CompiledRule] = field(default_factory=list)
    people: dict[str, Who] = field(default_factory=dict)  # address → Who, filled as met
    # Naive-UTC now: a meeting is logged once its start has passed (tests pass a fake clock).
    now: Callable[[], datetime] = utcnow

    def windows(self) -> tuple[datetime, datetime]:
        """(mail from, meetings from) as of `now`: mail received within `backfill_days`,
        meetings starting from `calendar_past_days` whole UTC days ago."""
        now = self.now()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return (now - timedelta(days=self.sync.backfill_days),
                today - timedelta(days=self.sync.calendar_past_days))

    def who(self, person: Address) -> Who:
        """Classification of `person`'s address (cached: addresses recur across pages)."""
        found = self.people.get(person.address)
        if found is None:
            address = person.address
            internal = self.is_internal(address)
            found = Who(internal, self.is_excluded(address), skip.is_automated(person),
                        None if internal else self.match(address))
            if len(self.people) >= PEOPLE_CACHE:
                self.people.clear()  # bounded memory on tenants with very many addresses
            self.people[address] = found
        return found

    def is_internal(self, address: str) -> bool:
        return address in self.internal_addresses or _in_domains(address, self.internal_domains)

    def is_excluded(self, address: str) -> bool:
        return address in self.exclude_addresses or _in_domains(address, self.exclude_domains)

    def match(self, address: str) -> ContactInfo | None:
        """The contact owning `address`, else (when enabled) the company of its domain."""
        contact = self.contacts_by_email.get(address)
        if contact is not None or not self.sync.match_company_by_domain:
            return contact
        for domain in parent_domains(address.rpartition("@")[2]):
            company = self.companies_by_domain.get(domain)
            if company is not None:
                return company
        return None


def parent_domains(domain: str) -> list[str]:
    """`mail.eu.fabrikam.com` → itself, `eu.fabrikam.com`, `fabrikam.com` (never a bare TLD)."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(max(len(labels) - 1, 1))]


def _in_domains(address: str, domains: frozenset[str]) -> bool:
    if not domains:
        return False
    return any(d in domains for d in parent_domains(address.rpartition("@")[2]))


def _lower(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v.strip().lower().lstrip("@") for v in values if v.strip())


def build_capture_context(
    session: Session, settings: ConnectorSettings, *, now: Callable[[], datetime] = utcnow
) -> CaptureContext:
    """Load users, contacts, company domains, templates, setup and rules once for a run.

    Users and their salesperson codes come from the users table (`storage/users.py`), which
    the configuration's `[[user]]` entries seed before a sync starts.
    Raises `NotFound` when the template setup names no template for email or meeting.
    """
    sync = settings.sync
    salesperson = salesperson_codes(session)
    templates = _templates(session)
    return CaptureContext(
        sync=sync,
        internal_addresses=_lower(tuple(salesperson)) | _lower(sync.mailboxes),
        internal_domains=_lower(sync.internal_domains),
        exclude_addresses=_lower(sync.exclude_addresses),
        exclude_domains=_lower(sync.exclude_domains),
        salesperson=salesperson,
        contacts_by_email=_contacts_by_email(session),
        companies_by_domain=_companies_by_domain(session),
        templates=templates,
        setup=_setup(session, templates),
        rules=compile_rules(session.scalars(
            sa.select(MatchRule).order_by(MatchRule.priority, MatchRule.position, MatchRule.id)
        )),
        now=now,
    )


def _contacts_by_email(session: Session) -> dict[str, ContactInfo]:
    company = aliased(Contact)
    rows = session.execute(
        sa.select(ContactEmail.address, Contact.id, Contact.no, Contact.name, company.no)
        .join(Contact, ContactEmail.contact_id == Contact.id)
        .outerjoin(company, Contact.company_id == company.id)
    )
    return {addr.lower(): ContactInfo(cid, no, name, cno) for addr, cid, no, name, cno in rows}


def _companies_by_domain(session: Session) -> dict[str, ContactInfo]:
    rows = session.execute(
        sa.select(CompanyDomain.domain, Contact.id, Contact.no, Contact.name)
        .join(Contact, CompanyDomain.contact_id == Contact.id)
    )
    # Like `storage.entries.new_entry`: a company contact's entries have no company number.
    return {dom.lower(): ContactInfo(cid, no, name, None) for dom, cid, no, name in rows}


def _templates(session: Session) -> dict[str, TemplateInfo]:
    return {
        t.code: TemplateInfo(t.code, t.group_code, t.unit_cost, t.unit_duration_min,
                             t.correspondence_type)
        for t in session.scalars(sa.select(InteractionTemplate))
    }


def _setup(session: Session, templates: dict[str, TemplateInfo]) -> dict[str, TemplateInfo]:
    codes = dict(session.execute(sa.select(TemplateSetup.kind, TemplateSetup.template_code)).all())
    setup: dict[str, TemplateInfo] = {}
    for kind in CAPTURED_KINDS:
        template = templates.get(codes.get(kind, ""))
        if template is None:
            raise NotFound(
                f"the template setup names no template for {kind!r}; run `interlog init`"
            )
        setup[kind] = template
    return setup
