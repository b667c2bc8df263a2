"""Benchmark of the web view and /api/v1 on a live waitress server: JSON on stdout.

A database of `--entries` interaction log entries (200 contacts, 3 templates, 2 years) on
SQLite and on PostgreSQL, served by `bot.create_app` in development mode. Sequential
requests per scenario: the log's first page (count + totals + 50 rows), a filtered page,
a contact page, the CSV export of the whole log, API list, API record (new
Idempotency-Key) and API replay. p50 (median) and p95 latency, side by side, with ratios:
`.venv/bin/python bench/web_bench.py [--entries 20000] [--repeat 20] [--pg URL]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa
from _common import add_pg_option, percentiles_ms, pg_database, ratio, sqlite_database
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.app import create_app
from interlog.config import settings_from_dict
from interlog.wsgi import running
from storage.api_models import create_api_key
from storage.contacts import fold
from storage.db import make_engine, upgrade
from storage.models import Contact, ContactEmail, InteractionLogEntry
from storage.seed import seed_defaults

CONTACTS = 200
TEMPLATES = (("EMAIL", "EMAIL", "email"), ("CALL", "CALLS", "manual"),
             ("MEETING", "MEETINGS", "meeting"))


def _seed(engine: Engine, entries: int) -> str:
    upgrade(engine)
    start = datetime.fromisoformat("2024-01-01T00:00")  # naive UTC, as stored
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        contacts = []
        for n in range(CONTACTS):
            contact = Contact(no=f"B{n:05d}", type="person", name=f"Bench Person {n}",
                              search_name=fold(f"Bench Person {n}"))
            contact.emails.append(ContactEmail(address=f"p{n}@bench.example"))
            contacts.append(contact)
        session.add_all(contacts)
        session.flush()
        rows = []
        for i in range(entries):
            contact = contacts[i % CONTACTS]
            code, group, source = TEMPLATES[i % 3]
            rows.append({
                "contact_id": contact.id, "contact_no": contact.no, "contact_name": contact.name,
                "occurred_at": start + timedelta(minutes=53 * i), "template_code": code,
                "group_code": group, "subject": f"Bench {i}", "duration_min": Decimal(i % 60),
                "cost": Decimal("0.50"), "canceled": i % 17 == 0, "source": source,
                "user_upn": f"user{i % 5}@contoso.com", "information_flow": "outbound",
                "initiated_by": "us", "correspondence_type": "", "evaluation": "",
                "salesperson_code": "", "attempt_failed": False,
            })
        for chunk in range(0, len(rows), 5000):
            session.execute(sa.insert(InteractionLogEntry), rows[chunk:chunk + 5000])
        return create_api_key(session, "bench").key


def _time(call: Callable[[], httpx.Response], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = call()
        samples.append(time.perf_counter() - began)
        if response.status_code >= 400:
            raise RuntimeError(f"{response.request.url}: {response.status_code}")
    return percentiles_ms(samples, 50, 95)


def _scenarios(base: str, key: str, repeat: int) -> dict[str, Any]:
    body = {"contact": "B00007", "template": "EMAIL", "document_type": "sales_invoice",
            "document_no": "SI-1"}
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, timeout=120) as web:
        results: dict[str, Any] = {
            "log_first_page": _time(lambda: web.get("/log"), repeat),
            "log_filtered": _time(lambda: web.get(
                "/log?template=CALL&since=2024-06-01&until=2024-12-31&status=active"), repeat),
            "contact_page": _time(lambda: web.get("/contacts/B00007"), repeat),
            "api_list_100": _time(lambda: web.get("/api/v1/interactions?limit=100&offset=5000",
                                                  headers=auth), repeat),
            "api_record_new_key": _time(lambda: web.post("/api/v1/interactions", json=body,
                headers={**auth, "Idempotency-Key": uuid.uuid4().hex}), repeat),
            "api_replay": _time(lambda: web.post("/api/v1/interactions", json=body,
                headers={**auth, "Idempotency-Key": "replayed"}), repeat),
        }
        began = time.perf_counter()
        csv = web.get("/log.csv")
        seconds = time.perf_counter() - began
        rows = csv.text.count("\n") - 1
        results["csv_export_all"] = {"seconds": round(seconds, 3), "rows": rows,
                                     "rows_per_s": round(rows / seconds)}
    return results


def _run(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(url)
    began = time.perf_counter()
    key = _seed(engine, args.entries)
    seeded = time.perf_counter() - began
    settings = settings_from_dict({"storage": {"url": url}, "web": {"allow_anonymous": True}},
                                  env={})
    try:
        with running(create_app(settings, engine=engine), threads=4) as base:
            return {"database": name, "entries": args.entries, "seed_seconds": round(seeded, 2),
                    **_scenarios(base, key, args.repeat)}
    finally:
        engine.dispose()


def _ratios(sqlite: dict[str, Any], pg: dict[str, Any]) -> dict[str, float | None]:
    ratios = {key: ratio(pg[key]["p50_ms"], value["p50_ms"])
              for key, value in sqlite.items() if isinstance(value, dict) and "p50_ms" in value}
    ratios["csv_export_all"] = ratio(pg["csv_export_all"]["seconds"],
                                     sqlite["csv_export_all"]["seconds"])
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=20)
    add_pg_option(parser)
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    with sqlite_database() as url:
        results = [_run("sqlite", url, args)]
    report: dict[str, Any] = {"web_and_api": results}
    if args.pg:
        with pg_database(args.pg, "interlog_webbench") as url:
            results.append(_run("postgresql", url, args))
        report["postgresql_over_sqlite"] = _ratios(results[0], results[1])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
