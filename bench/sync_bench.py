"""Benchmark of the sync engine end to end (emulator over HTTP → SDK → capture → SQLite).

Prints one JSON object. In one run, side by side:
- Graph requests per 1,000 messages for a first sync, next to a request-per-message design
  (Business Central's: list the ids, then GET each message) measured on the same data;
- end-to-end messages/s, and the time as a multiple of a floor measured in the same process
  on the same pages (json.loads of the page bodies + one bulk INSERT of a row per message:
  no Graph client, no matching), for the first sync of a fresh process (`interlog sync`) and
  for a second sync in the same process into a fresh database (a long-running worker: no
  one-time start-up costs) — in wall time, and in the CPU time of the syncing process
  (steadier on a shared machine: the emulator's own CPU is not in it);
- with `--before DIR` (a git worktree of older code), the same measures of that code, run
  from the same tenant and emulator, alternating with this code `--repeat` times: medians;
- decoding cost of the same pages through the SDK's models vs ours (msgspec structs);
- peak RSS of the syncing process at 10k and 100k messages (a subprocess per size; the
  emulator runs in a process of its own so its memory is not counted);
- call records beside mail (`--calls N`, default 2,000; bench/calls_bench.py's run): calls/s
  and Graph requests per 1,000 calls next to mail items/s and requests per 1,000 items.

`.venv/bin/python bench/sync_bench.py [--sizes 10000,100000] [--before /tmp/base --repeat 3]`
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ALICE = "alice@contoso.com"
TOKEN = "bench-token"
CONTACTS = 250  # senders person0..249; the last 25 have no contact (unmatched)
ROOT = Path(__file__).resolve().parent.parent


def build_tenant(n: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    messages = []
    for i in range(n):
        c = i % CONTACTS
        when = (now - timedelta(minutes=i // 2 + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        messages.append({
            "id": f"m{i:07d}", "internetMessageId": f"<m{i}@bench.example>",
            "subject": f"Order {i}", "receivedDateTime": when, "sentDateTime": when,
            "from": {"emailAddress": {"address": f"person{c}@customer{c % 50}.example",
                                      "name": f"Person {c}"}},
            "toRecipients": [{"emailAddress": {"address": ALICE, "name": "Alice"}}],
            "isDraft": False, "parentFolderId": "inbox",
        })  # fmt: skip
    user = {"id": "u-alice", "userPrincipalName": ALICE, "mail": ALICE, "displayName": "Alice"}
    return {"users": [user], "messages": {ALICE: messages}, "events": {}}


def write_contacts(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["no", "type", "name", "company_no", "email", "email2", "domains"])
        for c in range(CONTACTS - 25):
            writer.writerow([f"P{c:04d}", "person", f"Person {c}", "",
                             f"person{c}@customer{c % 50}.example", "", ""])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_emulator(tenant_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from interlog.cli import main; main()", "emulator", "serve",
         "--port", str(port), "--tenant", str(tenant_file), "--require-token", TOKEN,
         "--mailbox-budget", "1000000"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the emulator exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}/v1.0"
        except OSError:
            time.sleep(0.05)  # polling a port with a deadline, not synchronisation
    proc.kill()
    raise RuntimeError("the emulator did not start")


def settings_for(base_url: str, db: Path) -> Any:
    from interlog.config import settings_from_dict

    return settings_from_dict({
        "storage": {"url": f"sqlite:///{db}"},
        "graph": {"base_url": base_url, "static_token": TOKEN},
        "sync": {"mailboxes": [ALICE], "internal_domains": ["contoso.com"], "folders": ["inbox"]},
        "user": [{"upn": ALICE}],
    }, env={})  # fmt: skip


def seed(settings: Any, contacts: Path) -> Any:
    from sqlalchemy.orm import Session

    from storage.contacts_csv import import_contacts_csv
    from storage.db import make_engine, upgrade
    from storage.seed import seed_defaults
    from storage.users import seed_users

    engine = make_engine(settings.storage.url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        seed_users(session, settings.users)
        import_contacts_csv(session, contacts)
    return engine


def rss_mb() -> float:
    """Peak RSS of this process so far (VmHWM: unlike ru_maxrss, not inherited over exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def fetch_pages(settings: Any) -> list[bytes]:
    """The same delta pages the sync read, raw, through the same client (for the floor)."""
    from connector.graph import build_client
    from connector.paging import GraphLinkPaginator
    from connector.streams import MailFolderStream

    client, stream = build_client(settings.graph), MailFolderStream(ALICE, "inbox")
    pager, pages = GraphLinkPaginator(), []
    try:
        while not pager.finished:
            link = pager.current_value
            info = (stream.first_request(client, 1000, None) if link is None
                    else stream.link_request(client, link, 1000))
            raw = await client.send(info, "bench page")
            pages.append(raw)
            pager.advance(json.loads(raw))
    finally:
        await client.close()
    return pages


def floor(pages: list[bytes], settings: Any, contacts: Path) -> dict[str, Any]:
    """json.loads of every page + one bulk INSERT per page of an entry row per message into
    the real `interaction_log_entries` table (fresh database): no Graph client, no matching.
    """
    import sqlalchemy as sa

    from storage.models import Contact, InteractionLogEntry

    engine = seed(settings, contacts)
    with engine.connect() as conn:
        contact = conn.execute(sa.select(Contact.id, Contact.no, Contact.name).limit(1)).one()
    started, cpu = time.perf_counter(), time.process_time()
    n = 0
    for raw in pages:
        values = json.loads(raw)["value"]
        rows = [{
            "contact_id": contact.id, "contact_no": contact.no, "contact_name": contact.name,
            "occurred_at": datetime.fromisoformat(v["receivedDateTime"]).replace(tzinfo=None),
            "template_code": "EMAIL", "group_code": "EMAIL", "source": "email",
            "subject": v.get("subject") or "", "information_flow": "inbound",
            "internet_message_id": v.get("internetMessageId"), "user_upn": ALICE,
        } for v in values]  # fmt: skip
        with engine.begin() as conn:
            conn.execute(sa.insert(InteractionLogEntry), rows)
        n += len(values)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return {"messages": n, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
            "messages_per_s": round(n / seconds)}


def sdk_vs_ours(pages: list[bytes]) -> dict[str, Any]:
    """Decoding the same two pages through the SDK's models vs ours (`stream.decode`)."""
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.users.item.mail_folders.item.messages.delta.delta_get_response import (
        DeltaGetResponse,
    )

    from connector.streams import MailFolderStream

    sample, stream = pages[:2], MailFolderStream(ALICE, "inbox")
    n = sum(len(json.loads(p)["value"]) for p in sample)
    t0 = time.perf_counter()
    for raw in sample:
        node = JsonParseNodeFactory().get_root_parse_node("application/json", raw)
        node.get_object_value(DeltaGetResponse)
    t1 = time.perf_counter()
    for raw in sample:
        stream.decode(raw)
    t2 = time.perf_counter()
    return {"messages": n, "sdk_models_ms": round((t1 - t0) * 1000, 1),
            "ours_ms": round((t2 - t1) * 1000, 1),
            "ratio_sdk_to_ours": round((t1 - t0) / max(t2 - t1, 1e-9), 1)}


async def per_message_design(settings: Any, sample: int) -> dict[str, Any]:
    """Business Central's shape: list message ids, then one GET per message (sample)."""
    from connector.graph import build_client
    from connector.streams.base import configure

    client = build_client(settings.graph)
    user = client.sdk.users.by_user_id(ALICE)
    requests = 0
    started = time.perf_counter()
    try:
        from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import (  # noqa: E501
            MessagesRequestBuilder,
        )

        query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
            select=["id"], top=sample)
        info = user.mail_folders.by_mail_folder_id("inbox").messages.to_get_request_information(
            configure([], query))
        ids = [m["id"] for m in json.loads(await client.send(info, "list"))["value"]]
        requests += 1
        for mid in ids:
            await client.send(user.messages.by_message_id(mid).to_get_request_information(),
                              "get message")
            requests += 1
    finally:
        await client.close()
    seconds = time.perf_counter() - started
    return {"messages": len(ids), "graph_requests": requests, "seconds": round(seconds, 3),
            "messages_per_s": round(len(ids) / seconds)}


def timed_sync(settings: Any, engine: Any) -> tuple[Any, float, float]:
    """A sync run of `settings` into `engine`: (summary, wall seconds, process CPU seconds)."""
    from connector.sync.engine import sync_mailboxes

    started, cpu = time.perf_counter(), time.process_time()
    summary = sync_mailboxes(settings, engine, trigger="bench")
    return summary, time.perf_counter() - started, time.process_time() - cpu


def warm_sync(base_url: str, workdir: Path, size: int) -> dict[str, Any]:
    """The same sync again in this (now warm) process, into a fresh database: what a
    long-running worker sees, without the first sync's one-time costs (lazy imports in the
    SDK and httpx, SQLAlchemy statement compilation, the TLS context)."""
    settings = settings_for(base_url, workdir / "warm.db")
    engine = seed(settings, workdir / "contacts.csv")
    summary, seconds, cpu = timed_sync(settings, engine)
    engine.dispose()
    return {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
            "messages_per_s": round(size / seconds),
            "entries_created": summary.total.entries_created}


def _times_floor(run: dict[str, Any], floor_run: dict[str, Any]) -> dict[str, float]:
    """A run's wall and CPU time as multiples of the floor's (lower is better)."""
    return {"wall": round(run["seconds"] / floor_run["seconds"], 2),
            "cpu": round(run["cpu_seconds"] / floor_run["cpu_seconds"], 2)}


def worker(size: int, base_url: str, workdir: Path, extras: bool) -> dict[str, Any]:
    """Inside the measured subprocess: seed, sync (cold, then warm), the floor on the same
    pages, and (with `extras`) the comparisons that need no repeating."""
    import connector.sync.engine  # noqa: F401  (imported before the clock starts)

    settings = settings_for(base_url, workdir / "interlog.db")
    engine = seed(settings, workdir / "contacts.csv")
    base_rss = rss_mb()
    summary, seconds, cpu = timed_sync(settings, engine)
    inbox = next(s for s in summary.streams if s.stream == "mail:inbox")
    out: dict[str, Any] = {
        "messages": size, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
        "messages_per_s": round(size / seconds), "entries_created": inbox.outcome.entries_created,
        "unmatched_addresses": inbox.outcome.unmatched_addresses,
        "inbox_graph_requests": inbox.graph_requests, "pages": inbox.pages,
        "graph_requests_per_1000_messages": round(inbox.graph_requests * 1000 / size, 2),
        "peak_rss_mb": round(rss_mb(), 1), "rss_before_sync_mb": round(base_rss, 1),
    }  # fmt: skip
    if size > 20_000 and not extras:
        return out
    out["warm"] = warm_sync(base_url, workdir, size)
    pages = asyncio.run(fetch_pages(settings))
    out["floor"] = floor(pages, settings_for(base_url, workdir / "floor.db"),
                         workdir / "contacts.csv")
    out["times_floor"] = _times_floor(out, out["floor"])
    out["warm"]["times_floor"] = _times_floor(out["warm"], out["floor"])
    if extras:
        out["decode"] = sdk_vs_ours(pages)
        out["per_message_design"] = asyncio.run(per_message_design(settings, 1000))
    return out


def run_worker(size: int, base_url: str, work: Path, code: Path, extras: bool) -> dict[str, Any]:
    """This file's `worker` in a fresh process, running the code of the tree `code`."""
    for name in ("interlog.db", "warm.db", "floor.db"):
        (work / name).unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--worker", str(size), "--base-url", base_url,
           "--workdir", str(work)] + (["--extras"] if extras else [])
    done = subprocess.run(cmd, cwd=code, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(code)})
    return dict(json.loads(done.stdout))


def measure(size: int, extras: bool, before: Path | None, repeat: int) -> dict[str, Any]:
    """Runs of this code (and of `before`, alternating) on one tenant and one emulator."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "tenant.json").write_text(json.dumps(build_tenant(size)), encoding="utf-8")
        write_contacts(work / "contacts.csv")
        emulator, base_url = start_emulator(work / "tenant.json")
        try:
            result = run_worker(size, base_url, work, ROOT, extras)
            if before is None:
                return result
            runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": [result]}
            for n in range(repeat):
                runs["before"].append(run_worker(size, base_url, work, before, False))
                if n < repeat - 1:
                    runs["after"].append(run_worker(size, base_url, work, ROOT, False))
            result["before_after"] = compare(runs)
            return result
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)


def compare(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians of each side's multiples of the floor, and every run's figures."""

    def side(results: list[dict[str, Any]]) -> dict[str, Any]:
        def median(pick: Any) -> float:
            return round(statistics.median(pick(r) for r in results), 2)

        return {
            "cold_wall": median(lambda r: r["times_floor"]["wall"]),
            "cold_cpu": median(lambda r: r["times_floor"]["cpu"]),
            "warm_wall": median(lambda r: r["warm"]["times_floor"]["wall"]),
            "warm_cpu": median(lambda r: r["warm"]["times_floor"]["cpu"]),
            "cold_messages_per_s": median(lambda r: r["messages_per_s"]),
            "floor_messages_per_s": median(lambda r: r["floor"]["messages_per_s"]),
            "runs": [{"cold": r["times_floor"], "warm": r["warm"]["times_floor"],
                      "cold_s": r["seconds"], "floor_s": r["floor"]["seconds"]}
                     for r in results],
        }

    return {"times_the_floor": "time ÷ the floor's time in the same process: lower is better",
            "before": side(runs["before"]), "after": side(runs["after"])}


def summarise(results: dict[int, dict[str, Any]]) -> dict[str, Any]:
    small = results[min(results)]
    bc = small["per_message_design"]
    bc_per_1000 = round(bc["graph_requests"] * 1000 / bc["messages"], 1)
    out = {
        "graph_requests_per_1000_messages": {
            "interlog_delta_pages": small["graph_requests_per_1000_messages"],
            "request_per_message_design": bc_per_1000,
            "ratio": round(bc_per_1000 / small["graph_requests_per_1000_messages"], 1),
        },
        "throughput_messages_per_s": {
            "end_to_end": small["messages_per_s"], "floor": small["floor"]["messages_per_s"],
            "times_the_floor": small["times_floor"],
            "end_to_end_warm_process": small["warm"]["messages_per_s"],
            "warm_times_the_floor": small["warm"]["times_floor"],
            "request_per_message_design": bc["messages_per_s"],
        },
        "decode_sdk_models_vs_ours": small["decode"],
        "peak_rss_mb": {str(k): v["peak_rss_mb"] for k, v in results.items()},
    }  # fmt: skip
    if "before_after" in small:
        out["before_after"] = small["before_after"]
    return out


def calls_beside_mail(calls: int) -> dict[str, Any]:
    """bench/calls_bench.py's SQLite run: mail items/s and calls/s, requests per 1,000 of each."""
    from _common import sqlite_database
    from calls_bench import run  # the same folder (bench/ is on sys.path as the script's own)

    from emulator.generate import generate

    data = generate(mailboxes=5, messages=400, events=20, contacts=200, seed=1)
    with sqlite_database() as url:
        return {"calls": calls, "sqlite": run(url, data, calls)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--before", type=Path, help="a worktree of older code to compare with")
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs with --before")
    parser.add_argument("--worker", type=int)
    parser.add_argument("--base-url")
    parser.add_argument("--workdir")
    parser.add_argument("--extras", action="store_true")
    parser.add_argument("--calls", type=int, default=2000,
                        help="call records synced beside mail (bench/calls_bench.py); 0: none")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.base_url, Path(args.workdir), args.extras)))
        return
    started = time.perf_counter()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = {size: measure(size, size == sizes[0], args.before if size == sizes[0] else None,
                             max(1, args.repeat)) for size in sizes}
    report = {"summary": summarise(results), "runs": {str(k): v for k, v in results.items()}}
    if args.calls:  # call records beside mail: calls/s and Graph requests per 1,000 calls
        report["calls_beside_mail"] = calls_beside_mail(args.calls)
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
