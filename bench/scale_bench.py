"""Cost that does not grow with the log's size (issue 14): JSON on stdout.

Two PostgreSQL logs of the same population (`--companies` companies of 10 persons, 300
users): a large one of `--entries` entries (10,000,000 by default: a year of a large
company) and a small one of `--small` (20,000), both built with COPY (psycopg's copy, no
ORM; the entries' indexes dropped during the load and built after), then `stats rebuild`
(storage.aggregates.rebuild) and VACUUM ANALYZE. One contact is busy (1% of the entries).

Served by `interlog.app.create_app` on waitress, the same requests on both, sequentially:
the log's first page, filtered by contact, company, template and a month, a page halfway
through the cursor, the busiest contact's page and a company's page, the statistics page
for the year, an API page (`after=`), and the CSV export's rows/s (its first 100,000 rows,
streamed). p50/p95 each (and this process's CPU per request: the app runs in it), and the
ratio large/small (goal ≤ 2, first page < 50 ms); the load average at each phase. Then
capture's insert rate (`insert_entries`, pages of 500 captured rows, each page its own
transaction) on the large log beside an empty one (goal ≥ 0.8).

`.venv/bin/python bench/scale_bench.py [--entries 10000000] [--small 20000] [--repeat 20]
[--keep] [--pg URL]`: the large database is `interlog_scale_<entries>`; `--keep` keeps it
and reuses it on the next run (it is dropped otherwise), upgraded to the newest migration
(`--build-only` builds it and stops).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from _common import add_pg_option, percentiles_ms, pg_database, ratio
from sqlalchemy.orm import Session

from interlog.app import create_app
from interlog.config import settings_from_dict
from interlog.wsgi import running
from storage.aggregates import rebuild
from storage.db import make_engine, upgrade
from storage.entry_writes import NewEntry, insert_entries
from storage.seed import DEFAULT_TEMPLATES, seed_defaults

USERS = 300
PERSONS = 10  # per company
START = datetime(2025, 1, 1, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as stored
YEAR = timedelta(days=365)
BUSY = "P0000001"  # the busiest contact: 1% of the entries
COLUMNS = ("contact_id", "contact_no", "contact_company_no", "contact_name", "occurred_at",
           "template_code", "group_code", "information_flow", "initiated_by", "subject",
           "duration_min", "cost", "correspondence_type", "canceled", "attempt_failed",
           "evaluation", "note", "source", "user_upn", "salesperson_code", "created_at")
CSV_ROWS = 100_000


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _population(url: str, companies: int) -> None:
    """Schema, default templates, users and contacts (companies, then their persons)."""
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        session.execute(sa.text(
            "INSERT INTO users (upn, salesperson_code, admin, time_zone)"
            " SELECT 'user' || g || '@contoso.com', 'S' || g, false, ''"
            " FROM generate_series(1, :n) g"), {"n": USERS})
        session.execute(sa.text(
            "INSERT INTO contacts (no, type, name, search_name, created_at)"
            " SELECT 'K' || lpad(g::text, 6, '0'), 'company', 'Company ' || g,"
            " 'company ' || g, now() FROM generate_series(1, :n) g"), {"n": companies})
        session.execute(sa.text(
            "INSERT INTO contacts (no, type, name, search_name, company_id, created_at)"
            " SELECT 'P' || lpad(g::text, 7, '0'), 'person', 'Person ' || g, 'person ' || g,"
            " k.id, now() FROM generate_series(1, :n) g"
            " JOIN contacts k ON k.no = 'K' || lpad(((g - 1) / :p + 1)::text, 6, '0')"),
            {"n": companies * PERSONS, "p": PERSONS})
    engine.dispose()


def _lines(contacts: list[tuple[int, str, str, str]], entries: int) -> Iterator[bytes]:
    """The entries as COPY text, 50,000 lines a chunk, oldest first (entry numbers follow
    time, as capture writes them)."""
    templates = [(code, group, flow or "\\N", by or "\\N", cost, minutes, corr)
                 for code, group, _d, flow, by, cost, minutes, corr in DEFAULT_TEMPLATES]
    busy = next(i for i, c in enumerate(contacts) if c[1] == BUSY)
    step = YEAR.total_seconds() / entries
    created = START.isoformat(sep=" ")
    out = io.StringIO()
    for i in range(entries):
        cid, no, company, name = contacts[busy if i % 100 == 7 else (i * 7919) % len(contacts)]
        code, group, flow, by, cost, minutes, corr = templates[(i * 31) % len(templates)]
        user = (i * 13) % USERS + 1
        at = (START + timedelta(seconds=i * step)).isoformat(sep=" ")
        out.write(f"{cid}\t{no}\t{company}\t{name}\t{at}\t{code}\t{group}\t{flow}\t{by}\t"
                  f"Generated {i}\t{minutes}\t{cost}\t{corr}\t{'t' if i % 50 == 3 else 'f'}\t"
                  f"{'t' if i % 20 == 5 else 'f'}\t\t\tmanual\tuser{user}@contoso.com\t"
                  f"S{user}\t{created}\n")
        if i % 50_000 == 49_999:
            yield out.getvalue().encode()
            out = io.StringIO()
    yield out.getvalue().encode()


def _load(url: str, entries: int) -> dict[str, float]:
    """COPY `entries` entries in, the entries' plain indexes dropped and built again after
    (foreign keys not checked: the rows are made from the tables), then the per-day totals
    and VACUUM ANALYZE. Returns the seconds of each step."""
    spent: dict[str, float] = {}
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        contacts = [(cid, no, company or "\\N", name) for cid, no, company, name in conn.execute(
            "SELECT c.id, c.no, k.no, c.name FROM contacts c"
            " LEFT JOIN contacts k ON k.id = c.company_id ORDER BY c.id")]
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename ="
            " 'interaction_log_entries' AND indexname LIKE 'ix_%'").fetchall()
        began = time.perf_counter()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("SET session_replication_role = replica")  # no FK triggers
        with conn.cursor() as cur, cur.copy(
                f"COPY interaction_log_entries ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for chunk in _lines(contacts, entries):
                copy.write(chunk)
        conn.execute("SET session_replication_role = origin")
        spent["copy_s"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            conn.execute(definition)
        spent["indexes_s"] = round(time.perf_counter() - began, 1)
    engine = make_engine(url)
    began = time.perf_counter()
    with Session(engine) as session, session.begin():
        spent["total_rows"] = rebuild(session)
    spent["stats_rebuild_s"] = round(time.perf_counter() - began, 1)
    engine.dispose()
    began = time.perf_counter()
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    spent["vacuum_analyze_s"] = round(time.perf_counter() - began, 1)
    return spent


def _build(url: str, entries: int, companies: int) -> dict[str, float]:
    began = time.perf_counter()
    _population(url, companies)
    spent = _load(url, entries)
    return {**spent, "build_s": round(time.perf_counter() - began, 1)}


def _upgrade(url: str) -> dict[str, float]:
    """A reused large log brought to the newest migration (a migration that changes what
    the writers keep rebuilds it from the entries), then VACUUM ANALYZE: the seconds."""
    began = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    spent = {"upgrade_s": round(time.perf_counter() - began, 1)}
    began = time.perf_counter()
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {**spent, "vacuum_analyze_s": round(time.perf_counter() - began, 1)}


def _time(call: Callable[[], httpx.Response], repeat: int) -> dict[str, float]:
    """p50/p95 of `repeat` calls, and this process's CPU per call (the client and the app,
    which waitress serves in this process; PostgreSQL's own is not in it)."""
    samples = []
    cpu = time.process_time()
    for _ in range(repeat):
        began = time.perf_counter()
        response = call()
        samples.append(time.perf_counter() - began)
        if response.status_code >= 400:
            raise RuntimeError(f"{response.request.url}: {response.status_code}")
    cpu_ms = round((time.process_time() - cpu) * 1000 / repeat, 1)
    return {**percentiles_ms(samples, 50, 95), "cpu_ms": cpu_ms}


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _csv_rate(web: httpx.Client) -> dict[str, float]:
    """Rows/s of the CSV export's first `CSV_ROWS` rows, read as they stream."""
    rows = 0
    began = time.perf_counter()
    with web.stream("GET", "/log.csv") as response:
        for chunk in response.iter_bytes():
            rows += chunk.count(b"\n")
            if rows > CSV_ROWS:
                break
    seconds = time.perf_counter() - began
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


def _requests(url: str, repeat: int) -> dict[str, Any]:
    with psycopg.connect(_psycopg_url(url)) as conn:
        low, high = conn.execute(
            "SELECT min(entry_no), max(entry_no) FROM interaction_log_entries").fetchone() \
            or (0, 0)
        company = conn.execute(  # the busy contact's company: a company with a busy person
            "SELECT contact_company_no FROM interaction_log_entries WHERE contact_no = %s"
            " LIMIT 1", (BUSY,)).fetchone()
    middle = (low + high) // 2
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        from storage.api_models import create_api_key
        key = create_api_key(session, f"bench-{time.time_ns()}").key
    settings = settings_from_dict({"storage": {"url": url}, "web": {"allow_anonymous": True}},
                                  env={})
    auth = {"Authorization": f"Bearer {key}"}
    requests: dict[str, Callable[[httpx.Client], httpx.Response]] = {
        "log_first_page": lambda w: w.get("/log"),
        "log_contact": lambda w: w.get(f"/log?contact={BUSY}"),
        "log_company": lambda w: w.get(f"/log?company={company[0] if company else ''}"),
        "log_template": lambda w: w.get("/log?template=MEETING"),
        "log_month": lambda w: w.get("/log?since=2025-11-01&until=2025-11-30"),
        "log_halfway": lambda w: w.get(f"/log?before={middle}"),
        "contact_busiest": lambda w: w.get(f"/contacts/{BUSY}"),
        "contact_company": lambda w: w.get(f"/contacts/{company[0] if company else ''}"),
        "stats_year": lambda w: w.get("/stats?since=2025-01-01&until=2025-12-31"),
        "api_page": lambda w: w.get(f"/api/v1/interactions?limit=100&after={middle}",
                                    headers=auth),
    }
    try:
        with running(create_app(settings, engine=engine), threads=4) as base, \
                httpx.Client(base_url=base, timeout=600) as web:
            found: dict[str, Any] = {name: _time(lambda r=r: r(web), repeat)  # type: ignore[misc]
                                     for name, r in requests.items()}
            found["csv_export"] = _csv_rate(web)
            return found
    finally:
        engine.dispose()


def _capture_rows(session: Session, pages: int) -> Iterator[list[NewEntry]]:
    people = session.execute(sa.text(
        "SELECT c.id, c.no, k.no, c.name FROM contacts c JOIN contacts k ON k.id = c.company_id"
        " ORDER BY c.id LIMIT 5000")).all()
    stamp = time.time_ns()
    for page in range(pages):
        yield [NewEntry(
            contact_id=cid, contact_no=no, contact_company_no=company, contact_name=name,
            occurred_at=START + YEAR + timedelta(minutes=page * 500 + n), template_code="EMAIL",
            group_code="EMAIL", information_flow="inbound", initiated_by="them",
            subject=f"Captured {page}/{n}", duration_min=Decimal(0), cost=Decimal(0),
            correspondence_type="email", attempt_failed=False, source="email",
            user_upn=f"user{n % USERS + 1}@contoso.com", salesperson_code=f"S{n % USERS + 1}",
            segment_no=None, logged_segment_id=None, document_type=None, document_no=None,
            internet_message_id=f"<{stamp}.{page}.{n}@bench>", ical_uid=None, web_link=None)
            for n, (cid, no, company, name) in enumerate(people[(page * 500) % 4500:][:500])]


def _insert_rates(urls: dict[str, str], pages: int = 40) -> dict[str, dict[str, float]]:
    """Entries/s of capture's writes on each database: `pages` pages of 500 each, each page
    committed, the databases taking turns page by page (so that the machine's other load
    falls on both alike)."""
    engines = {name: make_engine(url) for name, url in urls.items()}
    sessions = {name: Session(engine) for name, engine in engines.items()}
    pending = {name: list(_capture_rows(s, pages)) for name, s in sessions.items()}
    spent, written = dict.fromkeys(urls, 0.0), dict.fromkeys(urls, 0)
    for s in sessions.values():
        s.rollback()
    for page in range(pages):
        for name, session in sessions.items():
            began = time.perf_counter()
            written[name] += len(insert_entries(session, pending[name][page],
                                                actor="sync:bench@contoso.com"))
            session.commit()
            spent[name] += time.perf_counter() - began
    for name in urls:
        sessions[name].close()
        engines[name].dispose()
    return {name: {"entries": written[name], "seconds": round(spent[name], 2),
                   "entries_per_s": round(written[name] / spent[name])} for name in urls}


@contextmanager
def _large(admin: str, entries: int, keep: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """The large database: reused when `--keep` left one, else built (and dropped unless
    `keep`)."""
    name = f"interlog_scale_{entries}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": name})
        if exists and not keep:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or not keep:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url, ({"reused": True} if exists and keep else {"reused": False})
    finally:
        if not keep:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _ratios(large: dict[str, Any], small: dict[str, Any]) -> dict[str, float | None]:
    found = {name: ratio(large[name]["p50_ms"], small[name]["p50_ms"])
             for name in small if "p50_ms" in small[name]}
    found["csv_export_rows_per_s"] = ratio(large["csv_export"]["rows_per_s"],
                                           small["csv_export"]["rows_per_s"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--companies", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true",
                        help="keep the large database, and reuse one a --keep run left")
    parser.add_argument("--build-only", action="store_true",
                        help="build the large database, keep it and stop")
    add_pg_option(parser)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    load = {"start": _load_average()}
    if args.build_only:
        with _large(args.pg, args.entries, True) as (big_url, big_build):
            if not big_build["reused"]:
                big_build.update(_build(big_url, args.entries, args.companies))
        print(json.dumps({"build": big_build, "load_average": load | {
            "built": _load_average()}}, indent=2))
        return
    with _large(args.pg, args.entries, args.keep) as (big_url, big_build), \
            pg_database(args.pg, "interlog_scale_small") as small_url, \
            pg_database(args.pg, "interlog_scale_empty") as empty_url:
        if not big_build["reused"]:
            big_build.update(_build(big_url, args.entries, args.companies))
        else:
            big_build.update(_upgrade(big_url))
        small_build = _build(small_url, args.small, args.companies)
        _population(empty_url, args.companies)
        load["built"] = _load_average()
        large, small = _requests(big_url, args.repeat), _requests(small_url, args.repeat)
        load["requests_done"] = _load_average()
        rates = _insert_rates({"empty": empty_url, "large": big_url})
        empty_rate, large_rate = rates["empty"], rates["large"]
        load["capture_done"] = _load_average()
    print(json.dumps({
        "entries": {"large": args.entries, "small": args.small}, "load_average": load,
        "build": {"large": big_build, "small": small_build},
        "large": large, "small": small, "ratio_large_over_small": _ratios(large, small),
        "capture_insert": {"empty": empty_rate, "large": large_rate,
                           "ratio_large_over_empty": ratio(large_rate["entries_per_s"],
                                                           empty_rate["entries_per_s"])},
    }, indent=2))


if __name__ == "__main__":
    main()
