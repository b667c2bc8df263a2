"""Capture on the test's session: a small tenant's dataset, settings, and a page runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connector.capture import CaptureContext, PageOutcome, build_capture_context, capture_page
from connector.items import DeltaItem
from interlog.config import Settings, UserSettings, settings_from_dict
from storage.capture_models import UnmatchedAddress
from storage.models import InteractionLogEntry, MatchRule
from tests.support.builders import ALICE, BOB
from tests.support.seed import ContactRow, Dataset, TemplateRow

CAROL = "carol@contoso.com"  # a configured user whose mailbox is not synced
JANE = "jane@fabrikam.com"  # Jane Doe (P-JANE), of Fabrikam (C-FAB), also jane.doe@gmail.com
JOHN = "john@adatum.com"  # John Roe (P-JOHN), no company

__all__ = ["ALICE", "BOB", "CAPTURE", "CAROL", "JANE", "JOHN", "Capture", "make_settings"]


def _template(code: str, group: str, *, cost: str, minutes: str, corr: str = "",
              flow: str = "outbound") -> TemplateRow:
    return TemplateRow(code, group, code.title(), flow=flow,
                       initiated_by="us" if flow == "outbound" else "them", cost=cost,
                       minutes=minutes, correspondence=corr)


CAPTURE = Dataset(
    groups=(("EMAIL", "EMAIL"), ("MEET", "MEET"), ("DOCS", "DOCS")),
    templates=(
        _template("EMAIL", "EMAIL", cost="1.50", minutes="3", corr="email", flow="inbound"),
        _template("MEETING", "MEET", cost="20", minutes="30", flow="inbound"),
        _template("QUOTE", "DOCS", cost="0.50", minutes="5", corr="email"),
        _template("ONLINE", "MEET", cost="5", minutes="15"),
    ),
    setup=(("email", "EMAIL"), ("meeting", "MEETING")),
    users=(UserSettings(BOB, salesperson_code="BO"),),
    contacts=(
        ContactRow("C-FAB", "Fabrikam", type="company", domains=("fabrikam.com",)),
        ContactRow("P-JANE", "Jane Doe", (JANE, "jane.doe@gmail.com"), company="C-FAB"),
        ContactRow("P-JOHN", "John Roe", (JOHN,)),
    ),
)
"""Templates, Fabrikam with Jane, John, and Bob as a user (the `[[user]]`s of
`make_settings` seed Alice and Carol and keep Bob, as a sync does)."""


def make_settings(**sync: Any) -> Settings:
    base: dict[str, Any] = {"mailboxes": [ALICE, BOB], "internal_domains": ["contoso.com"]}
    return settings_from_dict({
        "sync": {**base, **sync},
        "user": [{"upn": ALICE, "salesperson_code": "AL"}, {"upn": CAROL},
                 {"upn": BOB, "salesperson_code": "BO"}],
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
