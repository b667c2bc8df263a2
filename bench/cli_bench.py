"""Benchmark of the `interlog` command line as a user meets it: JSON on stdout.

Wall-clock of whole processes (start-up, imports, the query, the output written to
/dev/null), new code beside the code in `--base DIR` (a checkout of an older commit, e.g.
`git worktree add /tmp/base-cli 0b5fb9e`) in the same run, with ratios (base / new):

- `help`: `interlog --help`;
- `list_small`: `interlog entries list` on a SQLite file of `--small` entries;
- `export_large`: on a file of `--large` entries, every entry as JSON (new:
  `entries list --all --jsonl`; a base without them, such as 0b5fb9e, `entries list
  --json`, which printed every entry), with the largest resident memory of the process;
- `list_large`: `interlog entries list` on the large file (new code only: the base prints
  every entry in one table, minutes at this size).

Each figure is wall-clock, with the CPU time (user + system: on a loaded machine closer to
what a quiet one would show) and the largest resident memory, both from GNU time.
`help_imports_ms` and `list_imports_ms` are the times `python -X importtime` gives the
top-level imports of `interlog --help` and of `entries list` on the small file. Each figure is
the median of `--runs` runs (and the fastest), the new and the base code run in turn so that
both meet the same load.

The processes run with compiled bytecode, as an installed `interlog` does: an environment
with PYTHONDONTWRITEBYTECODE set (this project's sandboxes) would otherwise compile every
project module from source at each run; the bytecode goes to a PYTHONPYCACHEPREFIX in /tmp,
written by one unmeasured run of each command, not into the checkouts.
`.venv/bin/python bench/cli_bench.py [--base /tmp/base-cli] [--small 1200] [--large 100000]`
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.contacts import fold
from storage.db import make_engine, upgrade
from storage.models import Contact, InteractionLogEntry
from storage.seed import seed_defaults

ROOT = Path(__file__).resolve().parent.parent
MAIN = "from interlog.cli import main; main()"
TIME = "/usr/bin/time"  # GNU time, for the memory
PYCACHE = Path(tempfile.gettempdir()) / "interlog-cli-bench-pycache"
CONTACTS = 200
TEMPLATES = (("EMAIL", "EMAIL", "email"), ("CALL", "CALLS", "manual"),
             ("MEETING", "MEETINGS", "meeting"))


def fill(engine: Engine, entries: int) -> None:
    """The schema, the default templates, `CONTACTS` persons and `entries` entries."""
    upgrade(engine)
    start = datetime.fromisoformat("2024-01-01T00:00")
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        contacts = [Contact(no=f"B{n:05d}", type="person", name=f"Bench Person {n}",
                            search_name=fold(f"Bench Person {n}")) for n in range(CONTACTS)]
        session.add_all(contacts)
        session.flush()
        for chunk in range(0, entries, 5000):
            session.execute(sa.insert(InteractionLogEntry), [
                _entry(contacts[i % CONTACTS], i, start)
                for i in range(chunk, min(entries, chunk + 5000))])


def _entry(contact: Contact, i: int, start: datetime) -> dict[str, Any]:
    code, group, source = TEMPLATES[i % 3]
    return {"contact_id": contact.id, "contact_no": contact.no, "contact_name": contact.name,
            "occurred_at": start + timedelta(minutes=7 * i), "template_code": code,
            "group_code": group, "subject": f"Bench interaction {i}",
            "duration_min": Decimal(i % 60), "cost": Decimal("0.50"), "canceled": i % 17 == 0,
            "source": source, "user_upn": f"user{i % 5}@contoso.com",
            "information_flow": "outbound", "initiated_by": "us"}


def _env(code_dir: Path) -> dict[str, str]:
    """The environment of one `interlog` process: the code of `code_dir`, a 120-column
    terminal, no config file from the caller, the bytecode cache an installation has."""
    env = {**os.environ, "PYTHONPATH": str(code_dir), "COLUMNS": "120",
           "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("INTERLOG_CONFIG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(code_dir: Path, args: list[str]) -> tuple[float, int, float]:
    """Seconds, the largest resident memory (KiB, from GNU time: a child's own rusage would
    count the benchmark's memory it was forked from) and the CPU seconds (user + system) of
    one `interlog ARGS`."""
    env = _env(code_dir)
    with tempfile.NamedTemporaryFile("r") as rss:
        began = time.perf_counter()
        done = subprocess.run([TIME, "-f", "%M %U %S", "-o", rss.name, sys.executable, "-c", MAIN,
                               *args], cwd=code_dir, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=False)
        elapsed = time.perf_counter() - began
        kib, user, system = rss.read().splitlines()[-1].split()
    if done.returncode != 0:
        raise RuntimeError(f"interlog {' '.join(args)} from {code_dir}: exit "
                           f"{done.returncode}: {done.stderr.strip()[-500:]}")
    return elapsed, int(kib), float(user) + float(system)


def summary(samples: list[tuple[float, int, float]]) -> dict[str, float]:
    seconds = [s for s, _, _ in samples]
    return {"median_s": round(statistics.median(seconds), 3), "min_s": round(min(seconds), 3),
            "median_cpu_s": round(statistics.median(c for _, _, c in samples), 3),
            "max_rss_mib": round(max(rss for _, rss, _ in samples) / 1024, 1)}


def measure(runs: int, new: tuple[Path, list[str]], base: tuple[Path, list[str]] | None
            ) -> dict[str, Any]:
    """`runs` runs of each, new and base in turn, so that both meet the same load."""
    new_samples, base_samples = [], []
    run_once(*new)  # writes the bytecode cache (and warms the file cache): not measured
    if base is not None:
        run_once(*base)
    for _ in range(runs):
        new_samples.append(run_once(*new))
        if base is not None:
            base_samples.append(run_once(*base))
    result: dict[str, Any] = {"new": summary(new_samples)}
    if base is not None:
        result["base"] = summary(base_samples)
        result["base_over_new"] = round(result["base"]["median_s"]
                                        / result["new"]["median_s"], 2)
    return result


def import_ms(code_dir: Path, args: list[str]) -> float:
    """The top-level imports of `interlog ARGS` as `-X importtime` counts them (after a run
    that writes the bytecode cache)."""
    run_once(code_dir, args)
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", MAIN, *args],
                          cwd=code_dir, env=_env(code_dir), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=True)
    top = re.findall(r"^import time:\s+\d+ \|\s+(\d+) \| \S", done.stderr, re.MULTILINE)
    return round(sum(int(us) for us in top) / 1000, 1)


def _has_jsonl(code_dir: Path) -> bool:
    """Whether the code in `code_dir` has `entries list --jsonl` (a base of this session's
    start does; 0b5fb9e does not)."""
    done = subprocess.run([sys.executable, "-c", MAIN, "entries", "list", "--help"],
                          cwd=code_dir, env=_env(code_dir), capture_output=True, text=True,
                          check=True)
    return "--jsonl" in done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=None,
                        help="a checkout of the code to compare with (e.g. commit 0b5fb9e)")
    parser.add_argument("--small", type=int, default=1200)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large-runs", type=int, default=3)
    options = parser.parse_args()
    base: Path | None = options.base
    with tempfile.TemporaryDirectory() as tmp:
        urls = {}
        for name, count in (("small", options.small), ("large", options.large)):
            urls[name] = f"sqlite:///{Path(tmp) / f'{name}.db'}"
            engine = make_engine(urls[name])
            fill(engine, count)
            engine.dispose()
        export = ["--db", urls["large"], "entries", "list", "--all", "--jsonl"]
        cases: list[tuple[str, list[str], list[str] | None, int]] = [
            ("help", ["--help"], ["--help"], options.runs),
            ("list_small", ["--db", urls["small"], "entries", "list"],
             ["--db", urls["small"], "entries", "list"], options.runs),
            ("export_large", export, export if base and _has_jsonl(base) else
             ["--db", urls["large"], "entries", "list", "--json"], options.large_runs),
            ("list_large", ["--db", urls["large"], "entries", "list"], None, options.runs),
        ]
        results: dict[str, Any] = {
            "entries": {"small": options.small, "large": options.large},
            "base": str(base) if base else None, "cpus": os.cpu_count(),
            "load_before": os.getloadavg()[0],
        }
        for name, args in (("help", ["--help"]),
                           ("list", ["--db", urls["small"], "entries", "list"])):
            results[f"{name}_imports_ms"] = {
                "new": import_ms(ROOT, args), **({"base": import_ms(base, args)} if base else {})}
        for name, new_args, base_args, runs in cases:
            results[name] = measure(runs, (ROOT, new_args),
                                    (base, base_args) if base and base_args else None)
        results["load_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
