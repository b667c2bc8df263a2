"""Calls beside mail: call records per second and Graph requests per 1,000 calls (issue 15).

A generated tenant (mail) plus N calls with contacts in the emulator (half of them PSTN calls
with their log rows), synced through the real msgraph-sdk over HTTP into SQLite (and
PostgreSQL with --pg): first the mailboxes alone (mail and meetings), then a run with
`[sync] calls = true` (the mailboxes idle: one request per stream), then that run again
(nothing new). Prints JSON: per back-end, mail items/s and requests per 1,000 items, calls/s
and requests per 1,000 calls, the idle round's requests, and the calls/mail ratio.

    .venv/bin/python bench/calls_bench.py --calls 2000 [--pg '']
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from _common import add_pg_option, pg_database, ratio, sqlite_database
from sqlalchemy.orm import Session

from connector.sync.engine import sync_mailboxes
from connector.sync.runs import RunSummary
from emulator import EmulatorServer
from emulator.gen_calls import call_record, phone, pstn_row, user
from emulator.generate import GeneratedData, generate
from interlog.config import Settings, settings_from_dict
from storage.contacts_csv import import_contacts_csv
from storage.db import make_engine, upgrade
from storage.models import Contact
from storage.phones import replace_phones
from storage.seed import seed_defaults
from storage.templates_io import import_templates
from storage.users import seed_users

NOW = datetime.now(UTC).replace(microsecond=0)


def make_calls(emu: EmulatorServer, data: GeneratedData, count: int) -> dict[str, str]:
    """`count` calls between the users and the persons; returns contact no → number."""
    users = data.tenant["users"]
    persons = [c for c in data.contacts if c["type"] == "person"]
    numbers = {c["no"]: f"+4930{5550000 + n:07d}" for n, c in enumerate(persons)}
    for n in range(count):
        who, person = users[n % len(users)], persons[n % len(persons)]
        me = user(who["id"], who["userPrincipalName"], "", "tenant")
        start = NOW - timedelta(minutes=20 * 24 * 60 * (n + 1) / (count + 1))
        number = numbers[person["no"]]
        emu.calls.add_record(call_record(f"c{n}", start, 5, me, [phone(number)]))
        if n % 2 == 0:
            emu.calls.add_pstn(pstn_row(f"r{n}", who["id"], who["userPrincipalName"],
                                        start + timedelta(seconds=10), 300, outbound=True,
                                        user_number="+4930999000", other_number=number))
    return numbers


def prepare(url: str, data: GeneratedData, config: Settings, numbers: dict[str, str]) -> None:
    engine = make_engine(url)
    upgrade(engine)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(data.contacts[0]))
    writer.writeheader()
    writer.writerows(data.contacts)
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        seed_users(session, config.users)
        import_contacts_csv(session, text.getvalue())
        import_templates(session, data.templates_toml)
        session.flush()
        ids = {c.no: c.id for c in session.query(Contact)}
        for no, number in numbers.items():
            replace_phones(session, ids[no], {number: "phone"})
    engine.dispose()


def figures(summary: RunSummary, calls: bool) -> dict[str, float | int | None]:
    streams = [s for s in summary.streams if (s.stream == "calls") is calls]
    items = sum(s.outcome.items_seen for s in streams)
    requests = sum(s.graph_requests for s in streams)
    seconds = max((s.seconds for s in streams), default=0.0)
    return {"items": items, "graph_requests": requests, "seconds": round(seconds, 3),
            "per_second": ratio(items, seconds), "requests_per_1000": ratio(1000 * requests,
                                                                             items)}


def run(url: str, data: GeneratedData, count: int) -> dict[str, object]:
    with EmulatorServer.start(data.tenant) as emu:
        numbers = make_calls(emu, data, count)
        users = [u["userPrincipalName"] for u in data.tenant["users"]]
        config = settings_from_dict({
            "storage": {"url": url}, "graph": {"base_url": emu.base_url, "static_token": "b"},
            "sync": {"mailboxes": users, "internal_domains": ["contoso.com"]},
            "user": [{"upn": u, "aad_object_id": i["id"]}
                     for u, i in zip(users, data.tenant["users"], strict=True)],
        }, env={})  # fmt: skip
        prepare(url, data, config, numbers)
        engine = make_engine(url)
        mail = sync_mailboxes(config, engine)
        with_calls = replace(config, sync=replace(config.sync, calls=True))
        first = sync_mailboxes(with_calls, engine)
        idle = sync_mailboxes(with_calls, engine)
        engine.dispose()
    mail_f, calls_f = figures(mail, calls=False), figures(first, calls=True)
    return {
        "mail": mail_f, "calls": calls_f,
        "calls_entries_created": first.total.entries_created,
        "idle_calls_round_requests": figures(idle, calls=True)["graph_requests"],
        "calls_per_second_vs_mail_items": ratio(calls_f["per_second"] or 0,
                                                mail_f["per_second"] or 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=400, help="messages per mailbox")
    add_pg_option(parser)
    args = parser.parse_args()
    data = generate(mailboxes=5, messages=args.messages, events=20, contacts=200, seed=1)
    out: dict[str, object] = {"calls": args.calls, "messages_per_mailbox": args.messages}
    with sqlite_database() as url:
        out["sqlite"] = run(url, data, args.calls)
    if args.pg:
        with pg_database(args.pg) as url:
            out["postgresql"] = run(url, data, args.calls)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
