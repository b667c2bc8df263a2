"""Benchmark of the Teams bot at `/api/messages`, with clients outside the server's process.

The server (`bench/_bot_server.py`: the app on waitress, 8 threads as `interlog serve`, real
RS256 tokens checked on every request) runs in a process of its own; each client is another
process with one keep-alive connection, posting `expectReplies` activities (a new activity
id each) for a fixed time: `log call with C…` (a write: delivery claim, entry, audit) and
`show C…` (a read). Per scenario: commands/s, client latency p50/p95/p99, the server's time
inside the WSGI call (p50, mean) and its CPU time per command; and where the machine's CPU
went per command (`cpu_ms_per_command`, from /proc): the server's processes, the clients,
PostgreSQL's backends serving the run's database, their sum, and the ceiling that sum
implies on this machine's cores (`ceiling_per_s` = cores × 1000 ÷ total ms). On SQLite, for
code with `bot/writer_lock.py`: how long the writers' lock was held per command
(`writer_lock_held_ms`) and the holding thread's CPU in it (`writer_lock_cpu_ms`): the part
of a write that runs one at a time whatever the number of processes.

`--base DIR` runs the same scenarios against another checkout first (e.g. a worktree of the
code before a change, `PYTHONPATH=DIR`) and reports after ÷ before. `--processes N` (N > 1)
adds a run of the new code served as `interlog serve --processes N` (`after_Np`):
`.venv/bin/python bench/bot_bench.py [--clients 1,32] [--seconds 5] [--base DIR]
[--processes 2] [--pg URL]`.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import add_pg_option, percentiles_ms, pg_database, ratio, sqlite_database

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {"log_call": "log call with {contact} about bench 5 min", "show": "show {contact}"}
WARM_UP = 200  # requests before measuring: imports, statement caches, the signing keys
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as found:
            return [int(p) for p in found.read().split()]
    except FileNotFoundError:
        return []


@dataclass
class Server:
    """A running `bench/_bot_server.py`: what it announced, its processes, its stats."""

    process: subprocess.Popen[str]
    info: dict[str, Any]
    db_url: str
    pg: sa.Engine | None = field(default=None)

    def stats(self) -> dict[str, Any]:
        """The server's times and CPU since the previous call (and starts them again)."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        found: dict[str, Any] = json.loads(self.process.stdout.readline())
        return found

    def server_cpu_s(self) -> float:
        """Every process of the server (the parent and its workers) so far."""
        pid = self.process.pid
        return sum(cpu_s(p) for p in [pid, *children(pid)])

    def backends(self) -> dict[int, float]:
        """PostgreSQL's backends on the run's database (pid → CPU seconds so far)."""
        if self.pg is None:
            return {}
        with self.pg.connect() as conn:
            pids = conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars().all()
        return {pid: cpu_s(pid) for pid in pids}


@contextmanager
def server(source: Path, db_url: str, threads: int, processes: int) -> Iterator[Server]:
    """`bench/_bot_server.py` on the code in `source`, until the block ends."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_bot_server.py"), "--db", db_url,
         "--threads", str(threads), "--processes", str(processes)],
        cwd=source, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pg = sa.create_engine(db_url, poolclass=sa.NullPool) if db_url.startswith("postgres") else None
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the bot server on {source} did not start")
        yield Server(process, json.loads(line), db_url, pg)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)
        if pg is not None:
            pg.dispose()


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
    cpu = time.process_time()
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
    out.put((latencies, failures, time.process_time() - cpu))


def _machine_busy_s() -> float:
    """Every core's non-idle seconds so far (every process on the machine, others' too)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK  # less idle and iowait


def drive(srv: Server, command: str, clients: int, seconds: float) -> dict[str, Any]:
    """`clients` processes posting `command` for `seconds`; the client and server figures."""
    info = srv.info
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start_at = time.time() + 0.5 + 0.02 * clients  # every process started and connected
    workers = [context.Process(target=_client, args=(info, command, i, clients, start_at,
                                                     start_at + seconds, out))
               for i in range(clients)]
    srv.stats()
    server_cpu, backends, busy = srv.server_cpu_s(), srv.backends(), _machine_busy_s()
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    server_side = srv.stats()
    server_cpu = srv.server_cpu_s() - server_cpu
    backends_cpu = sum(max(0.0, now - backends.get(pid, 0.0))  # one opened meanwhile: all
                       for pid, now in srv.backends().items())
    busy = _machine_busy_s() - busy
    latencies = [x for mine, _, _ in results for x in mine]
    n = len(latencies)
    times = server_side["times_s"]
    figures = {
        "commands": n, "failures": sum(f for _, f, _ in results),
        "commands_per_s": round(n / seconds, 1),
        **percentiles_ms(latencies, 50, 95, 99),
        "server_p50_ms": percentiles_ms(times, 50)["p50_ms"],
        "server_mean_ms": round(sum(times) / len(times) * 1000, 2),
        "server_cpu_ms_per_command": round(server_side["cpu_s"] / len(times) * 1000, 2),
        "cpu_ms_per_command": _machine(server_cpu, sum(c for _, _, c in results),
                                       backends_cpu, n),
        "machine_busy_ms_per_command": round(busy / n * 1000, 2),
    }
    held = server_side.get("writer_lock") or []
    if held:  # SQLite's writers' lock: held per command (wall, the holder's CPU)
        figures["writer_lock_held_ms"] = round(sum(w for w, _ in held) / len(times) * 1000, 2)
        figures["writer_lock_cpu_ms"] = round(sum(c for _, c in held) / len(times) * 1000, 2)
    if "per_process" in server_side:
        figures["commands_per_process"] = server_side["per_process"]
    return figures


def _machine(server: float, clients: float, backends: float, n: int) -> dict[str, float]:
    """Where this run's CPU went, per command, and the throughput its sum allows."""
    total = server + clients + backends
    per = {"server": server, "clients": clients, "postgresql_backends": backends,
           "total": total}
    figures = {key: round(value / n * 1000, 2) for key, value in per.items()}
    figures["ceiling_per_s"] = round((os.cpu_count() or 1) * n / total, 1) if total else 0.0
    return figures


def measure(source: Path, db_url: str, args: argparse.Namespace,
            processes: int = 1) -> dict[str, Any]:
    """Every scenario against one server on `source`'s code and a fresh database."""
    with server(source, db_url, args.threads, processes) as srv:
        warm = _connection(srv.info)
        for n in range(WARM_UP):
            text = COMMANDS["log_call" if n % 2 else "show"].format(contact=f"B{n:05d}")
            warm.request("POST", "/api/messages", _activity(srv.info, text),
                         {"Authorization": f"Bearer {srv.info['token']}"})
            warm.getresponse().read()
        warm.close()
        return {f"{command}@{clients}": drive(srv, command, clients, args.seconds)
                for clients in args.clients for command in args.commands}


def compare(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    keys = ("commands_per_s", "p50_ms", "p95_ms", "server_p50_ms", "server_cpu_ms_per_command")
    return {scenario: {key: ratio(after[scenario][key], before[scenario][key]) for key in keys}
            for scenario in after}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=lambda v: [int(n) for n in v.split(",")],
                        default=[1, 32], help="client processes per scenario, e.g. 1,32")
    parser.add_argument("--commands", type=lambda v: v.split(","), default=list(COMMANDS),
                        help="of " + ", ".join(COMMANDS))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--processes", type=int, default=1,
                        help="N > 1: also the new code as `interlog serve --processes N`")
    parser.add_argument("--base", type=Path, help="a checkout to measure first (before)")
    add_pg_option(parser)
    args = parser.parse_args()
    runs: dict[str, tuple[Path, int]] = {"after": (ROOT, 1)}
    if args.base is not None:
        runs = {"before": (args.base, 1), **runs}
    if args.processes > 1:
        runs[f"after_{args.processes}p"] = (ROOT, args.processes)
    report: dict[str, Any] = {"clients": args.clients, "seconds_per_scenario": args.seconds,
                              "waitress_threads": args.threads, "cores": os.cpu_count(),
                              "load_average_at_start": _load(), "results": {}}
    for backend in ("sqlite", "postgresql") if args.pg else ("sqlite",):
        for label, (source, processes) in runs.items():
            with ExitStack() as stack:
                url = stack.enter_context(sqlite_database() if backend == "sqlite"
                                          else pg_database(args.pg, "interlog_botbench"))
                figures = measure(source.resolve(), url, args, processes)
            report["results"].setdefault(backend, {})[label] = figures
        both = report["results"][backend]
        if args.base is not None:
            for label in [label for label in runs if label != "before"]:
                both[f"{label}_over_before"] = compare(both[label], both["before"])
    report["load_average_at_end"] = _load()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
