"""Benchmark of a company's entries (NAV's roll-up): JSON on stdout.

A database of `--entries` entries spread over `--companies` companies of 10 persons each
(one entry in 11 is the company's own) plus persons with no company, on SQLite and on
PostgreSQL. For one company, the contact page's reads: the totals and the newest 100
entries, with `EntryFilter(company_no=…)` (its own entries and its persons', the roll-up)
against the plain equality on `contact_company_no` that the filter used before (its
persons only). p50 and p95 latency, side by side, with the roll-up's ratio:
`.venv/bin/python bench/company_bench.py [--entries 200000] [--repeat 50] [--pg URL]`.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from _common import add_pg_option, percentiles_ms, pg_database, ratio, sqlite_database
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.contacts import fold
from storage.db import make_engine, upgrade
from storage.entries import EntryFilter, query_entries, totals
from storage.models import Contact, InteractionLogEntry
from storage.seed import seed_defaults

PERSONS = 10  # per company


def _contacts(session: Session, companies: int) -> list[tuple[Contact, str | None]]:
    """Each company then its persons, and as many persons with no company: (contact, its
    company's number)."""
    made: list[tuple[Contact, str | None]] = []
    for c in range(companies):
        company = Contact(no=f"K{c:05d}", type="company", name=f"Company {c}",
                          search_name=fold(f"Company {c}"))
        made.append((company, None))
        for p in range(PERSONS):
            name = f"Person {c}-{p}"
            made.append((Contact(no=f"P{c:05d}{p:02d}", type="person", name=name,
                                 search_name=fold(name), company=company), company.no))
    for n in range(companies):
        made.append((Contact(no=f"S{n:05d}", type="person", name=f"Solo {n}",
                             search_name=fold(f"Solo {n}")), None))
    session.add_all(c for c, _ in made)
    session.flush()
    return made


def _seed(engine: Engine, entries: int, companies: int) -> None:
    upgrade(engine)
    start = datetime.fromisoformat("2024-01-01T00:00")
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        contacts = _contacts(session, companies)
        rows = [{
            "contact_id": contact.id, "contact_no": contact.no, "contact_company_no": company,
            "contact_name": contact.name, "occurred_at": start + timedelta(minutes=37 * i),
            "template_code": "CALL", "group_code": "CALLS", "subject": f"call {i}",
            "duration_min": Decimal(5), "cost": Decimal("1.50"), "source": "manual",
            "canceled": i % 17 == 0,
        } for i, (contact, company) in ((i, contacts[i % len(contacts)]) for i in range(entries))]
        for chunk in range(0, len(rows), 5000):
            session.execute(sa.insert(InteractionLogEntry), rows[chunk:chunk + 5000])


def _plain(company_no: str) -> EntryFilter:
    """What `EntryFilter(company_no=…)` selected before the roll-up: the persons' only."""
    class Persons(EntryFilter):
        def where(self) -> list[sa.ColumnElement[bool]]:
            return [InteractionLogEntry.contact_company_no == company_no]
    return Persons()


def _time(engine: Engine, filters: EntryFilter, repeat: int) -> dict[str, Any]:
    seconds, found = [], 0
    with Session(engine) as session:
        for _ in range(repeat):
            began = time.perf_counter()
            total = totals(session, filters)
            newest = query_entries(session, filters, limit=100, newest_first=True)
            seconds.append(time.perf_counter() - began)
            found = total.count
            session.expunge_all()
            assert newest
    return {"entries_counted": found, **percentiles_ms(seconds, 50, 95)}


def _measure(url: str, entries: int, companies: int, repeat: int) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        _seed(engine, entries, companies)
        company = f"K{companies // 2:05d}"
        rollup = _time(engine, EntryFilter(company_no=company), repeat)
        plain = _time(engine, _plain(company), repeat)
    finally:
        engine.dispose()
    return {"company_with_persons": rollup, "persons_only_before": plain,
            "ratio_p50": ratio(rollup["p50_ms"], plain["p50_ms"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    add_pg_option(parser)
    args = parser.parse_args()
    result: dict[str, Any] = {"entries": args.entries, "companies": args.companies,
                              "persons_per_company": PERSONS, "repeat": args.repeat}
    with sqlite_database() as url:
        result["sqlite"] = _measure(url, args.entries, args.companies, args.repeat)
    if args.pg:
        with pg_database(args.pg) as url:
            result["postgresql"] = _measure(url, args.entries, args.companies, args.repeat)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
