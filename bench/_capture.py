"""Micro-benchmark of `capture_page` alone (no Graph, no HTTP): what the writer costs.

`run(url, messages=…)` seeds a throw-away database, captures synthetic pages of mail and
compares, in the same run, with a floor that bulk-inserts the same number of entry rows with
no matching, no dedupe and no bookkeeping. `bench/capture_bench.py` prints it as JSON; the
engine's benchmark may call `run` too.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture import PageOutcome, build_capture_context, capture_page
from connector.items import Address, GraphMessage
from interlog.config import Settings, SyncSettings
from storage.models import (
    CompanyDomain,
    Contact,
    ContactEmail,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    TemplateSetup,
)

START = datetime(2025, 1, 1, 8, 0, tzinfo=UTC).replace(tzinfo=None)  # naive UTC
US = "seller@contoso.example"


def seed(session: Session, contacts: int) -> None:
    """Templates, setup, `contacts` people (2 addresses each) and 50 company domains."""
    session.add(InteractionGroup(code="G", description="G"))
    session.flush()
    for code in ("EMAIL", "MEETING"):
        session.add(InteractionTemplate(code=code, group_code="G", unit_cost=Decimal("1"),
                                        unit_duration_min=Decimal("3")))
    session.flush()
    session.add_all([TemplateSetup(kind="email", template_code="EMAIL"),
                     TemplateSetup(kind="meeting", template_code="MEETING")])
    companies = [Contact(no=f"C{i:05d}", type="company", name=f"Company {i}",
                         search_name=f"company {i}") for i in range(50)]
    session.add_all(companies)
    session.flush()
    session.add_all(CompanyDomain(contact_id=c.id, domain=f"co{i}.example")
                    for i, c in enumerate(companies))
    people = [Contact(no=f"P{i:06d}", type="person", name=f"Person {i}",
                      search_name=f"person {i}", company_id=companies[i % 50].id)
              for i in range(contacts)]
    session.add_all(people)
    session.flush()
    session.add_all(ContactEmail(contact_id=p.id, address=f"p{i}@co{i % 50}.example", position=0)
                    for i, p in enumerate(people))
    session.add_all(ContactEmail(contact_id=p.id, address=f"p{i}@home.example", position=1)
                    for i, p in enumerate(people))
    session.flush()


def messages(n: int, contacts: int, offset: int = 0) -> list[GraphMessage]:
    """Half outbound to two contacts (one unknown cc), half inbound from one contact."""
    out = []
    for i in range(offset, offset + n):
        who = Address(f"p{i % contacts}@co{i % contacts % 50}.example")
        other = Address(f"p{(i * 7) % contacts}@home.example")
        stranger = Address(f"x{i % 997}@unknown{i % 13}.example")
        base = GraphMessage(
            id=f"AAMk-{i}", internet_message_id=f"<bench-{i}@mail.example>", subject=f"Msg {i}",
            sender=Address(US), to=(who, other), cc=(stranger,), bcc=(),
            received_at=START + timedelta(minutes=i), sent_at=START + timedelta(minutes=i),
        )
        out.append(base if i % 2 else replace(base, sender=who, to=(Address(US),), cc=()))
    return out


def _settings() -> Settings:
    return Settings(sync=SyncSettings(mailboxes=(US,), internal_domains=("contoso.example",)))


def _floor(engine: Engine, rows: int, page: int) -> float:
    """Bulk-insert `rows` entry rows in pages with no matching: the writer's lower bound."""
    contact_ids: list[int]
    with Session(engine) as session:
        contact_ids = list(session.scalars(sa.select(Contact.id).limit(1000)))
    started = time.perf_counter()
    for first in range(0, rows, page):
        with Session(engine) as session, session.begin():
            session.execute(sa.insert(InteractionLogEntry), [{
                "contact_id": contact_ids[i % len(contact_ids)], "contact_no": "P",
                "contact_name": "P", "occurred_at": START, "template_code": "EMAIL",
                "group_code": "G", "subject": f"floor {i}", "source": "email",
                "internet_message_id": f"<floor-{i}@mail.example>", "duration_min": 3, "cost": 1,
            } for i in range(first, min(first + page, rows))])
    return time.perf_counter() - started


def run(engine: Engine, *, messages_total: int = 20_000, page: int = 1000,
        contacts: int = 5000) -> dict[str, object]:
    """Capture `messages_total` synthetic messages in pages on a migrated, empty `engine`."""
    with Session(engine) as session, session.begin():
        seed(session, contacts)
    with Session(engine) as session:
        ctx = build_capture_context(session, _settings())
    total = PageOutcome()
    started = time.perf_counter()
    for first in range(0, messages_total, page):
        batch = messages(min(page, messages_total - first), contacts, offset=first)
        with Session(engine) as session, session.begin():
            total += capture_page(session, ctx, US, batch)
    capture_s = time.perf_counter() - started
    floor_s = _floor(engine, total.entries_created, page)
    return {
        "backend": engine.dialect.name, "messages": messages_total, "page": page,
        "entries_created": total.entries_created, "unmatched": total.unmatched_addresses,
        "capture_seconds": round(capture_s, 3),
        "capture_messages_per_s": round(messages_total / capture_s),
        "floor_seconds": round(floor_s, 3),
        "floor_to_capture_ratio": round(floor_s / capture_s, 3),
    }
