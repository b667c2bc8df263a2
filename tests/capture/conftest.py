"""A small tenant in the database (templates, contacts, users) and a capture helper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture import CaptureContext, PageOutcome, build_capture_context, capture_page
from connector.items import DeltaItem
from interlog.config import Settings, settings_from_dict
from storage.capture_models import UnmatchedAddress
from storage.contacts import fold
from storage.models import (
    CompanyDomain,
    Contact,
    ContactEmail,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    MatchRule,
    TemplateSetup,
    User,
)
from storage.users import seed_users

ALICE = "alice@contoso.com"
BOB = "bob@contoso.com"
CAROL = "carol@contoso.com"  # a configured user whose mailbox is not synced
JANE = "jane@fabrikam.com"  # Jane Doe (P-JANE), of Fabrikam (C-FAB), also jane.doe@gmail.com
JOHN = "john@adatum.com"  # John Roe (P-JOHN), no company


def seed(session: Session) -> None:
    session.add_all([InteractionGroup(code=c, description=c) for c in ("EMAIL", "MEET", "DOCS")])
    session.flush()
    session.add_all([
        _template("EMAIL", "EMAIL", cost="1.50", minutes="3", corr="email", flow="inbound"),
        _template("MEETING", "MEET", cost="20", minutes="30", flow="inbound"),
        _template("QUOTE", "DOCS", cost="0.50", minutes="5", corr="email"),
        _template("ONLINE", "MEET", cost="5", minutes="15"),
    ])
    session.flush()
    session.add_all([TemplateSetup(kind="email", template_code="EMAIL"),
                     TemplateSetup(kind="meeting", template_code="MEETING")])
    fabrikam = _contact("C-FAB", "company", "Fabrikam", domains=["fabrikam.com"])
    session.add(fabrikam)
    session.flush()
    session.add_all([
        _contact("P-JANE", "person", "Jane Doe", emails=[JANE, "jane.doe@gmail.com"],
                 company=fabrikam),
        _contact("P-JOHN", "person", "John Roe", emails=[JOHN]),
        User(upn=BOB, salesperson_code="BO"),
    ])
    session.flush()


def _template(code: str, group: str, *, cost: str, minutes: str, corr: str = "",
              flow: str = "outbound") -> InteractionTemplate:
    return InteractionTemplate(
        code=code, group_code=group, description=code.title(), information_flow=flow,
        initiated_by="us" if flow == "outbound" else "them", unit_cost=Decimal(cost),
        unit_duration_min=Decimal(minutes), correspondence_type=corr,
    )


def _contact(no: str, type_: str, name: str, *, emails: tuple[str, ...] | list[str] = (),
             domains: list[str] | None = None, company: Contact | None = None) -> Contact:
    contact = Contact(no=no, type=type_, name=name, search_name=fold(name), company=company)
    contact.emails = [ContactEmail(address=e, position=i) for i, e in enumerate(emails)]
    contact.domains = [CompanyDomain(domain=d) for d in domains or []]
    return contact


def make_settings(**sync: Any) -> Settings:
    base: dict[str, Any] = {"mailboxes": [ALICE, BOB], "internal_domains": ["contoso.com"]}
    return settings_from_dict({
        "sync": {**base, **sync},
        "user": [{"upn": ALICE, "salesperson_code": "AL"}, {"upn": CAROL}],
    }, env={})


@dataclass
class Capture:
    """Runs pages through `capture_page` on the test's session and reads back the results."""

    session: Session
    ctx: CaptureContext
    settings: Settings

    def page(self, mailbox: str, *items: DeltaItem) -> PageOutcome:
        return capture_page(self.session, self.ctx, mailbox, list(items))

    def entries(self) -> list[InteractionLogEntry]:
        self.session.expire_all()  # capture writes with Core statements
        return list(self.session.scalars(
            sa.select(InteractionLogEntry).order_by(InteractionLogEntry.entry_no)
        ))

    def unmatched(self) -> dict[str, UnmatchedAddress]:
        self.session.expire_all()
        return {u.address: u for u in self.session.scalars(sa.select(UnmatchedAddress))}

    def add_rule(self, template: str, **conditions: Any) -> None:
        position = self.session.scalar(sa.select(sa.func.count()).select_from(MatchRule)) or 0
        self.session.add(MatchRule(position=position + 1, template_code=template, **conditions))
        self.session.flush()
        self.ctx = build_capture_context(self.session, self.settings)


@pytest.fixture
def make_capture(db: Session) -> Callable[..., Capture]:
    """`make_capture(private_items="redact")`: seed once, then a context for these settings."""
    seed(db)

    def make(**sync: Any) -> Capture:
        settings = make_settings(**sync)
        seed_users(db, settings.users)  # as a sync command does before it runs
        return Capture(db, build_capture_context(db, settings), settings)

    return make


@pytest.fixture
def cap(make_capture: Callable[..., Capture]) -> Capture:
    return make_capture()
