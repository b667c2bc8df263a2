"""Benchmark of the Teams bot endpoint on a live waitress server: JSON on stdout.

Concurrent clients (threads, one httpx client each) post Bot Framework activities with
`deliveryMode: expectReplies` to /api/messages (allow_anonymous, loopback) for a fixed
time per scenario: `log call with C…` (a write: entry + audit row) and `show C…` (a
read of the last 10 entries). SQLite and PostgreSQL side by side, with ratios:
`.venv/bin/python bench/bot_bench.py [--clients 8] [--seconds 5] [--pg URL]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from _common import add_pg_option, percentiles_ms, pg_database, ratio, sqlite_database
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.app import create_app
from interlog.config import settings_from_dict
from interlog.wsgi import running
from storage.contacts import fold
from storage.db import make_engine, upgrade
from storage.models import Contact, ContactEmail, User
from storage.seed import seed_defaults

CONTACTS = 200
AAD = "aad-bench"


def _seed(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        session.add(User(upn="bench@contoso.com", salesperson_code="BE", aad_object_id=AAD))
        for n in range(CONTACTS):
            contact = Contact(no=f"B{n:05d}", type="person", name=f"Bench Person {n}",
                              search_name=fold(f"Bench Person {n}"))
            contact.emails.append(ContactEmail(address=f"p{n}@bench.example"))
            session.add(contact)


def _activity(text: str) -> dict[str, Any]:
    return {
        "type": "message", "id": uuid.uuid4().hex, "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": "29:bench", "name": "Bench", "aadObjectId": AAD},
        "recipient": {"id": "28:bot", "name": "interlog"},
        "conversation": {"id": "a:bench", "conversationType": "personal"},
        "locale": "en-US", "text": text, "deliveryMode": "expectReplies",
    }


def _app(engine: Engine) -> Any:
    settings = settings_from_dict({"bot": {"allow_anonymous": True}}, env={})
    return create_app(settings, engine=engine)


def _drive(url: str, make_text: Callable[[int], str], clients: int,
           seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(worker: int) -> None:
        mine: list[float] = []
        errors = 0
        with httpx.Client(base_url=url, timeout=30) as http:
            n = worker
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = http.post("/api/messages", json=_activity(make_text(n)))
                mine.append(time.perf_counter() - started)
                errors += response.status_code != 200 or "Sorry" in response.text
                n += clients
        with lock:
            latencies.extend(mine)
            failures[0] += errors

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "failures": failures[0],
            "requests_per_s": round(len(latencies) / elapsed, 1),
            **percentiles_ms(latencies, 50, 95, 99)}


def _run(backend: str, engine: Engine, args: argparse.Namespace) -> dict[str, Any]:
    upgrade(engine)
    _seed(engine)
    with running(_app(engine), threads=args.clients) as url:
        log = _drive(url, lambda n: f"log call with B{n % CONTACTS:05d} about bench 5 min",
                     args.clients, args.seconds)
        show = _drive(url, lambda n: f"show B{n % CONTACTS:05d}", args.clients, args.seconds)
    return {"backend": backend, "log_call": log, "show": show}


def _sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with sqlite_database() as url:
        engine = make_engine(url)
        try:
            return _run("sqlite", engine, args)
        finally:
            engine.dispose()


def _postgres(args: argparse.Namespace) -> dict[str, Any]:
    with pg_database(args.pg) as url:
        engine = make_engine(url, pool_size=args.clients, max_overflow=4)
        try:
            return _run("postgresql", engine, args)
        finally:
            engine.dispose()


def _ratios(sqlite: dict[str, Any], pg: dict[str, Any]) -> dict[str, Any]:
    return {op: {key: ratio(pg[op][key], sqlite[op][key])
                 for key in ("requests_per_s", "p50_ms", "p95_ms", "p99_ms")}
            for op in ("log_call", "show")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    add_pg_option(parser)
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" notes
    results = [_sqlite(args)]
    report: dict[str, Any] = {"bot_endpoint": results, "clients": args.clients,
                              "seconds_per_scenario": args.seconds}
    if args.pg:
        results.append(_postgres(args))
        report["postgresql_over_sqlite"] = _ratios(results[0], results[1])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
