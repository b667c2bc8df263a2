"""A captured history to set up on (templates, rules, reclassify): on a database where
`interlog init` ran, a QUOTE template, Fabrikam with Jane, John, an email to Jane about quote
SQ-7 and an online meeting with John captured a few days ago (so within the last 30 days),
and a manual call with Jane about quote SQ-8."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture import build_capture_context, capture_page
from storage.contacts import resolve_contact
from storage.entries import Interaction, log_interaction
from storage.models import AuditEvent, InteractionLogEntry, utcnow
from storage.users import seed_users
from tests.support.builders import a_message, an_event
from tests.support.capture import ALICE, CAPTURE, JANE, JOHN, make_settings
from tests.support.seed import Dataset, TemplateRow, seed

HISTORY = Dataset(
    templates=(TemplateRow("QUOTE", "DOCS", "Quote", flow="outbound", initiated_by="us",
                           cost="0.50", minutes="5", correspondence="email"),),
    users=CAPTURE.users,
    contacts=CAPTURE.contacts,
)

QUOTE_RULES = """\
[[rule]]
template = "QUOTE"
priority = 10
kind = "email"
subject = "(?i)quote\\\\s+(?P<document_no>SQ-\\\\d+)"
document_type = "sales_quote"
"""
"""A templates file whose one rule makes the captured email a QUOTE (SQ-7)."""


def captured_history(engine: Engine, *, days_ago: int = 2) -> None:
    """Add the history to `engine`'s database (after `interlog init`), committed."""
    when = (utcnow() - timedelta(days=days_ago)).replace(microsecond=0)
    with Session(engine) as session, session.begin():
        seed(session, HISTORY)
        settings = make_settings()
        seed_users(session, settings.users)
        ctx = build_capture_context(session, settings)
        capture_page(session, ctx, ALICE, [
            a_message().from_(ALICE).to(JANE).subject("Your quote SQ-7").sent(when)
            .received(when).build(),
            an_event().organizer(ALICE).attendees(JOHN).online().subject("Demo")
            .at(when, 45).build(),
        ])
        log_interaction(session, resolve_contact(session, "P-JANE"),
                        Interaction("CALL", subject="Quote SQ-8 by phone", occurred_at=when),
                        actor="test")


def entries_by_subject(engine: Engine) -> dict[str, InteractionLogEntry]:
    with Session(engine) as session:
        return {e.subject: e for e in session.scalars(sa.select(InteractionLogEntry))}


def audit_actions(engine: Engine) -> list[tuple[str, str, int | None]]:
    """(action, actor, entry number) of every audit row, oldest first."""
    with Session(engine) as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            sa.select(AuditEvent.action, AuditEvent.actor, AuditEvent.entry_no)
            .order_by(AuditEvent.id))]
