"""Benchmark of segments built by criteria and logged: JSON on stdout.

A database of `--companies` companies of 10 persons each (every person with an address at
its company's domain; the first company's domain shared by `--big` more persons) and
`--entries` entries over a year, on SQLite and on PostgreSQL. Timed, each in its own
transaction, rolled back: adding the `--big` persons of one domain, the persons of one
company, the contacts interacted with in one month, and adding them again (nothing added);
then logging a segment of the `--big` contacts as `log_segment` does now (the contacts and
their companies in two queries) against the way it read them before (each line's contact,
then its company, one query each), side by side with their ratio:
`.venv/bin/python bench/segments_bench.py [--companies 500] [--big 2000] [--entries 50000]
[--pg URL]`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from _common import add_pg_option, pg_database, ratio, sqlite_database
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.contacts import fold
from storage.db import make_engine, upgrade
from storage.entries import EntryFilter, Interaction, entry_row, get_template
from storage.entry_writes import insert_entries
from storage.models import Contact, ContactEmail, InteractionLogEntry, Segment, SegmentLine
from storage.seed import seed_defaults
from storage.segment_criteria import ContactCriteria
from storage.segments import add_contacts, create_segment, log_segment

PERSONS = 10  # per company


def _person(no: str, name: str, address: str, company: Contact | None) -> Contact:
    person = Contact(no=no, type="person", name=name, search_name=fold(name), company=company)
    person.emails = [ContactEmail(address=address)]
    return person


def _seed(engine: Engine, companies: int, big: int, entries: int) -> None:
    upgrade(engine)
    start = datetime.fromisoformat("2025-01-01T08:00")
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        made: list[Contact] = []
        for c in range(companies):
            company = Contact(no=f"K{c:05d}", type="company", name=f"Company {c}",
                              search_name=fold(f"Company {c}"))
            made.append(company)
            made += [_person(f"P{c:05d}{p:02d}", f"Person {c}-{p}", f"p{p}@k{c}.example",
                             company) for p in range(PERSONS)]
        made += [_person(f"B{n:06d}", f"Big {n}", f"b{n}@k0.example", None) for n in range(big)]
        session.add_all(made)
        session.flush()
        rows = [{"contact_id": made[i % len(made)].id, "contact_no": made[i % len(made)].no,
                 "contact_name": "x", "occurred_at": start + timedelta(minutes=11 * i),
                 "template_code": "CALL", "group_code": "CALLS", "subject": f"call {i}",
                 "duration_min": Decimal(5), "cost": Decimal(1), "source": "manual",
                 "canceled": False} for i in range(entries)]
        for chunk in range(0, len(rows), 5000):
            session.execute(sa.insert(InteractionLogEntry), rows[chunk:chunk + 5000])


def _timed(engine: Engine, work: Callable[[Session], object]) -> tuple[float, object]:
    """Seconds `work` takes in a transaction that is rolled back afterwards."""
    with Session(engine) as session:
        session.begin()
        began = time.perf_counter()
        result = work(session)
        seconds = time.perf_counter() - began
        session.rollback()
    return seconds, result


def _add(no: str, *criteria: ContactCriteria) -> Callable[[Session], object]:
    def work(session: Session) -> object:
        create_segment(session, no, [])
        return [add_contacts(session, no, c, actor="bench").changed for c in criteria]
    return work


def _big_segment(session: Session) -> None:
    create_segment(session, "BIG", [])
    add_contacts(session, "BIG", ContactCriteria(domain="k0.example"), actor="bench")


def _log_before(session: Session) -> int:
    """`log_segment`'s reads as they were: each line's contact, then its company, lazily."""
    segment = session.get(Segment, "BIG")
    assert segment is not None
    interaction = Interaction(template_code="EMAIL", source="segment")
    template = get_template(session, "EMAIL")
    rows = [entry_row(line.contact, interaction, template, "") for line in segment.lines]
    return len(insert_entries(session, rows, actor="bench"))


def _measure(url: str, companies: int, big: int, entries: int) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        _seed(engine, companies, big, entries)
        with Session(engine) as session:
            company_id = session.scalars(sa.select(Contact.id).where(Contact.no == "K00001")).one()
        month = EntryFilter(status="active", since=date(2025, 2, 1), until=date(2025, 2, 28))
        result: dict[str, Any] = {}
        for name, work in (
            ("add_domain", _add("D", ContactCriteria(domain="k0.example"))),
            ("add_company", _add("C", ContactCriteria(company_id=company_id))),
            ("add_interacted_month", _add("M", ContactCriteria(entries=month))),
            ("add_domain_twice", _add("T", ContactCriteria(domain="k0.example"),
                                      ContactCriteria(domain="k0.example"))),
        ):
            seconds, added = _timed(engine, work)
            result[name] = {"added": added, "ms": round(seconds * 1000, 1)}
        with Session(engine) as session, session.begin():
            _big_segment(session)
        now_s, _ = _timed(engine, lambda s: log_segment(
            s, "BIG", Interaction(template_code="EMAIL"), actor="bench").entry_count)
        before_s, logged = _timed(engine, _log_before)
        result["log_segment"] = {"contacts": logged, "now_ms": round(now_s * 1000, 1),
                                 "before_ms": round(before_s * 1000, 1),
                                 "ratio_now_over_before": ratio(now_s, before_s)}
        with Session(engine) as session:
            lines = session.scalar(sa.select(sa.func.count()).select_from(SegmentLine))
            assert lines == big + PERSONS  # BIG's: the domain's persons, rolled-back ones gone
    finally:
        engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--big", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=50_000)
    add_pg_option(parser)
    args = parser.parse_args()
    result: dict[str, Any] = {"companies": args.companies, "persons_per_company": PERSONS,
                              "big_domain_persons": args.big, "entries": args.entries}
    with sqlite_database() as url:
        result["sqlite"] = _measure(url, args.companies, args.big, args.entries)
    if args.pg:
        with pg_database(args.pg) as url:
            result["postgresql"] = _measure(url, args.companies, args.big, args.entries)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
