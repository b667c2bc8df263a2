"""What `tenant_bench.py` watches along a run: each worker's database connections, memory
and CPU time, and the machine's load, sampled every few seconds and labelled with the
phase under way; and, at the end, what every table weighs in PostgreSQL."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

TICKS = os.sysconf("SC_CLK_TCK")
CONNECTIONS = """select application_name, count(*) from pg_stat_activity
where datname = current_database() and application_name like 'interlog-worker%'
group by application_name"""


def rss_mb(pid: int) -> float | None:
    """A process's resident memory, MB (None once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU time so far, seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class Sampler:
    """Every `every` seconds, per worker (`interlog-worker<i>`): connections to the bench's
    database (`pg_stat_activity`, by application name), RSS and CPU time; the 1-minute load
    average. `phase` labels the samples; `summary()` gives per-phase ranges and a series."""

    def __init__(self, engine: sa.Engine, pids: list[int], every: float = 2.0,
                 log: Path | None = None) -> None:
        self.engine = engine
        self.log = log  # every sample also appended here (a run cut short keeps them)
        self.pids = pids
        self.every = every
        self.phase = "start"
        self.started = time.monotonic()
        self.samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                sample = self._sample()
            except sa.exc.OperationalError:  # a busy database: skip one sample
                continue
            self.samples.append(sample)
            if self.log is not None:
                with self.log.open("a") as out:
                    out.write(json.dumps(sample) + "\n")

    def _sample(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            rows = dict(conn.execute(sa.text(CONNECTIONS)).all())
        workers = {}
        for i, pid in enumerate(self.pids):
            name = f"interlog-worker{i}"
            workers[name] = {"connections": int(rows.get(name, 0)), "rss_mb": rss_mb(pid),
                             "cpu_s": cpu_seconds(pid)}
        return {"t": round(time.monotonic() - self.started, 1), "phase": self.phase,
                "load1": os.getloadavg()[0], "workers": workers}

    def cpu(self) -> dict[str, float]:
        """Each worker's CPU seconds so far, and this process's (the emulator and the
        notification endpoint run in it)."""
        found = {f"interlog-worker{i}": round(cpu_seconds(pid) or 0.0, 1)
                 for i, pid in enumerate(self.pids)}
        return {**found, "bench_process": round(time.process_time(), 1)}

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def summary(self, points: int = 40) -> dict[str, Any]:
        """Per phase and worker: min/max connections and RSS; the load's range; and a
        thinned series (about `points` samples) to show the figures stay flat."""
        phases: dict[str, Any] = {}
        for s in self.samples:
            phase = phases.setdefault(s["phase"], {"seconds": [s["t"], s["t"]], "load1": [],
                                                   "workers": {}})
            phase["seconds"][1] = s["t"]
            phase["load1"].append(s["load1"])
            for name, w in s["workers"].items():
                seen = phase["workers"].setdefault(name, {"connections": [], "rss_mb": []})
                seen["connections"].append(w["connections"])
                if w["rss_mb"] is not None:
                    seen["rss_mb"].append(w["rss_mb"])
        for phase in phases.values():
            phase["load1"] = _range(phase["load1"])
            for seen in phase["workers"].values():
                seen["connections"] = _range(seen["connections"])
                seen["rss_mb"] = _range(seen["rss_mb"])
        step = max(1, len(self.samples) // points)
        series = [{"t": s["t"], "phase": s["phase"], "load1": round(s["load1"], 1),
                   **{name: [w["connections"], round(w["rss_mb"] or 0, 1)]
                      for name, w in s["workers"].items()}}
                  for s in self.samples[::step]]
        return {"every_s": self.every, "samples": len(self.samples), "by_phase": phases,
                "series_note": "per worker: [database connections, RSS MB]",
                "series": series}


def _range(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"min": round(min(values), 1), "mean": round(sum(values) / len(values), 1),
            "max": round(max(values), 1)}


SIZES = """select c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid),
pg_relation_size(c.oid) from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind = 'r' order by 3 desc"""


def table_sizes(engine: sa.Engine) -> dict[str, Any]:
    """Every table's rows and bytes (with its indexes and TOAST, and the heap alone), after
    ANALYZE, and the whole database's size."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("analyze"))
        rows = conn.execute(sa.text(SIZES)).all()
        total = int(conn.execute(sa.text("select pg_database_size(current_database())"))
                    .scalar() or 0)
    tables = {}
    for name, tuples, with_indexes, heap in rows:
        if with_indexes <= 16384:  # empty tables
            continue
        rows_n = max(int(tuples), 0)
        tables[str(name)] = {"rows": rows_n, "bytes": int(with_indexes), "heap_bytes": int(heap),
                             "bytes_per_row": round(with_indexes / rows_n) if rows_n else None}
    return {"database_bytes": total, "tables": tables}
