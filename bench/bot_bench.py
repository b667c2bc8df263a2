"""Benchmark of the Teams bot at `/api/messages`, with clients outside the server's process.

The server (`bench/_bot_server.py`: the app on waitress, 8 threads as `interlog serve`, real
RS256 tokens checked on every request) runs in a process of its own; each client is another
process with one keep-alive connection, posting `expectReplies` activities (a new activity
id each) for a fixed time: `log call with C…` (a write: delivery claim, entry, audit) and
`show C…` (a read). Per scenario: commands/s, client latency p50/p95/p99, the server's time
inside the WSGI call (p50, mean) and its CPU time per command.

`--base DIR` runs the same scenarios against another checkout first (e.g. a worktree of the
code before a change, `PYTHONPATH=DIR`) and reports after ÷ before:
`.venv/bin/python bench/bot_bench.py [--clients 1,32] [--seconds 5] [--base DIR] [--pg URL]`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from _common import add_pg_option, percentiles_ms, pg_database, ratio, sqlite_database

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {"log_call": "log call with {contact} about bench 5 min", "show": "show {contact}"}
WARM_UP = 200  # requests before measuring: imports, statement caches, the signing keys


@contextmanager
def server(source: Path, db_url: str, threads: int) -> Iterator[dict[str, Any]]:
    """`bench/_bot_server.py` on the code in `source`, until the block ends."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_bot_server.py"), "--db", db_url,
         "--threads", str(threads)],
        cwd=source, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the bot server on {source} did not start")
        yield json.loads(line)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def _activity(info: dict[str, Any], text: str) -> bytes:
    return json.dumps({
        "type": "message", "id": uuid.uuid4().hex, "channelId": "msteams",
        "serviceUrl": info["service_url"],
        "from": {"id": "29:bench", "name": "Bench", "aadObjectId": info["aad"]},
        "recipient": {"id": "28:bot", "name": "interlog"},
        "conversation": {"id": "a:bench", "conversationType": "personal"},
        "locale": "en-US", "text": text, "deliveryMode": "expectReplies",
    }).encode()


def _connection(info: dict[str, Any]) -> http.client.HTTPConnection:
    host, port = info["url"].removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=60)


def _client(info: dict[str, Any], command: str, worker: int, clients: int,
            start_at: float, end_at: float, out: Any) -> None:
    """One client process: post commands on one connection from `start_at` to `end_at`."""
    connection = _connection(info)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {info['token']}"}
    latencies: list[float] = []
    failures, n = 0, worker
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < end_at:
        text = COMMANDS[command].format(contact=f"B{n % info['contacts']:05d}")
        started = time.perf_counter()
        connection.request("POST", "/api/messages", _activity(info, text), headers)
        response = connection.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - started)
        failures += response.status != 200 or b"Sorry" in body
        n += clients
    connection.close()
    out.put((latencies, failures))


def _stats(info: dict[str, Any]) -> dict[str, Any]:
    """The server's times since the previous call (and starts them again)."""
    connection = _connection(info)
    connection.request("POST", "/__bench__/stats", b"{}")
    stats: dict[str, Any] = json.loads(connection.getresponse().read())
    connection.close()
    return stats


def drive(info: dict[str, Any], command: str, clients: int, seconds: float) -> dict[str, Any]:
    """`clients` processes posting `command` for `seconds`; the client and server figures."""
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start_at = time.time() + 0.5 + 0.02 * clients  # every process started and connected
    workers = [context.Process(target=_client, args=(info, command, i, clients, start_at,
                                                     start_at + seconds, out))
               for i in range(clients)]
    _stats(info)
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    server_side = _stats(info)
    latencies = [x for mine, _ in results for x in mine]
    times = server_side["times_s"]
    return {
        "commands": len(latencies), "failures": sum(f for _, f in results),
        "commands_per_s": round(len(latencies) / seconds, 1),
        **percentiles_ms(latencies, 50, 95, 99),
        "server_p50_ms": percentiles_ms(times, 50)["p50_ms"],
        "server_mean_ms": round(sum(times) / len(times) * 1000, 2),
        "server_cpu_ms_per_command": round(server_side["cpu_s"] / len(times) * 1000, 2),
    }


def measure(source: Path, db_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every scenario against one server on `source`'s code and a fresh database."""
    with server(source, db_url, args.threads) as info:
        warm = _connection(info)
        for n in range(WARM_UP):
            text = COMMANDS["log_call" if n % 2 else "show"].format(contact=f"B{n:05d}")
            warm.request("POST", "/api/messages", _activity(info, text),
                         {"Authorization": f"Bearer {info['token']}"})
            warm.getresponse().read()
        warm.close()
        return {f"{command}@{clients}": drive(info, command, clients, args.seconds)
                for clients in args.clients for command in args.commands}


def compare(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    keys = ("commands_per_s", "p50_ms", "p95_ms", "server_p50_ms", "server_cpu_ms_per_command")
    return {scenario: {key: ratio(after[scenario][key], before[scenario][key]) for key in keys}
            for scenario in after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=lambda v: [int(n) for n in v.split(",")],
                        default=[1, 32], help="client processes per scenario, e.g. 1,32")
    parser.add_argument("--commands", type=lambda v: v.split(","), default=list(COMMANDS),
                        help="of " + ", ".join(COMMANDS))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--base", type=Path, help="a checkout to measure first (before)")
    add_pg_option(parser)
    args = parser.parse_args()
    sources = {"after": ROOT} if args.base is None else {"before": args.base, "after": ROOT}
    report: dict[str, Any] = {"clients": args.clients, "seconds_per_scenario": args.seconds,
                              "waitress_threads": args.threads, "results": {}}
    for backend in ("sqlite", "postgresql") if args.pg else ("sqlite",):
        for label, source in sources.items():
            with ExitStack() as stack:
                url = stack.enter_context(sqlite_database() if backend == "sqlite"
                                          else pg_database(args.pg, "interlog_botbench"))
                figures = measure(source.resolve(), url, args)
            report["results"].setdefault(backend, {})[label] = figures
        if args.base is not None:
            both = report["results"][backend]
            both["after_over_before"] = compare(both["after"], both["before"])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
