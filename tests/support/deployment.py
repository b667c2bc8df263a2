"""A whole deployment for end-to-end tests and the benchmark: PostgreSQL, the Graph
emulator, the app's notification endpoint served live, and `interlog worker` processes."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from emulator import EmulatorServer, EmulatorSettings
from interlog.cli import cli
from interlog.config import Settings, load_settings
from storage.db import make_engine
from storage.models import InteractionLogEntry
from storage.worker_models import SyncInterval
from tests.support.builders import DOMAIN
from tests.support.entra import graph_section, with_app
from tests.support.realtime import TOKEN

CONTACT = "jane.doe@fabrikam.com"
INTERLOG = str(Path(sys.executable).parent / "interlog")


def wait_for(check: Callable[[], Any], seconds: float, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)  # polling with a deadline
    raise AssertionError(f"{what}: not reached within {seconds}s")


def wait_while_progressing(check: Callable[[], Any], progress: Callable[[], Any],
                           stall_seconds: float, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail only when `progress()` has not
    changed for `stall_seconds` (a loaded machine is slow, not stuck)."""
    last, changed_at = progress(), time.monotonic()
    while not (found := check()):
        now, seen = time.monotonic(), progress()
        if seen != last:
            last, changed_at = seen, now
        elif now - changed_at > stall_seconds:
            raise AssertionError(f"{what}: no progress for {stall_seconds}s (at {last!r})")
        time.sleep(0.05)  # polling, bounded by the stall timeout
    return found


class Deployment:
    """Everything `interlog serve` + `interlog worker` need, on one machine."""

    def __init__(self, workdir: Path, db_url: str, tenant: dict[str, Any], *,
                 notifications: bool = True, emulator: EmulatorSettings | None = None,
                 worker: dict[str, int] | None = None, sync: dict[str, Any] | None = None,
                 sign_in: bool = False) -> None:
        """`sign_in`: the workers sign in with a client secret at the emulator's token
        endpoint (https; `tests/support/entra.py`) instead of sending a static token."""
        self.workdir = workdir
        self.db_url = db_url
        self.sign_in = sign_in
        self.emu = EmulatorServer.start(
            with_app(tenant) if sign_in else tenant,
            settings=emulator or EmulatorSettings(require_token=TOKEN), tls=sign_in)
        self.engine: Engine = make_engine(db_url)
        self.mailboxes = [u["userPrincipalName"] for u in tenant["users"]]
        self.config = workdir / "interlog.toml"
        self._write_config(notifications, worker or {}, sync or {})
        self._cli("init")
        contacts = workdir / "contacts.csv"
        contacts.write_text("no,type,name,company_no,email,email2,domains\n"
                            f"CT1,person,Jane Doe,,{CONTACT},,\n")
        self._cli("contacts", "import", str(contacts))
        self.web: BaseWSGIServer | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        if notifications:
            self._serve()

    @property
    def settings(self) -> Settings:
        return load_settings(self.config, env={})

    def _write_config(self, notifications: bool, worker: dict[str, int],
                      sync: dict[str, Any]) -> None:
        self.port = _free_port()
        public = f"http://127.0.0.1:{self.port}" if notifications else ""
        boxes = ", ".join(f'"{m}"' for m in self.mailboxes)
        workers = {"lease_seconds": 5, "heartbeat_seconds": 1, "idle_ms": 200,
                   "min_resync_ms": 300, **worker}
        sync_keys = {"folders": '["inbox"]', "poll_interval": "3600", "backfill_days": "30",
                     **{k: str(v) for k, v in sync.items()}}
        lines = [
            "[storage]", f'url = "{self.db_url}"',
            "[graph]", *self._graph_lines(),
            "[sync]", f"mailboxes = [{boxes}]", f'internal_domains = ["{DOMAIN}"]',
            *(f"{k} = {v}" for k, v in sync_keys.items()),
            "[server]", f'public_url = "{public}"',
            "[worker]", *(f"{k} = {v}" for k, v in workers.items()),
        ]
        self.config.write_text("\n".join(lines) + "\n")

    def _graph_lines(self) -> list[str]:
        if not self.sign_in:
            return [f'base_url = "{self.emu.base_url}"', f'static_token = "{TOKEN}"']
        return [f'{k} = "{v}"' for k, v in graph_section(self.emu).items()]

    def _cli(self, *args: str) -> None:
        result = CliRunner().invoke(cli, ["--config", str(self.config), *args])
        if result.exit_code != 0:
            raise RuntimeError(f"interlog {' '.join(args)}: {result.output}{result.exception}")

    def _serve(self) -> None:
        import logging

        from interlog.app import create_app

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

        app = create_app(self.settings, engine=self.engine)
        self.web = make_server("127.0.0.1", self.port, app, threaded=True)
        threading.Thread(target=self.web.serve_forever, daemon=True).start()

    # -- workers -----------------------------------------------------------------------
    def start_worker(self) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"worker{len(self.workers)}.log", "wb")  # noqa: SIM115
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOG_")}
        env["PGAPPNAME"] = f"interlog-worker{len(self.workers)}"  # its connections, by name
        proc = subprocess.Popen([INTERLOG, "--config", str(self.config), "worker"],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
        self.workers.append(proc)
        return proc

    def stop_workers(self, timeout: float = 30) -> list[int | None]:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for proc in self.workers:
            try:
                codes.append(proc.wait(timeout))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(None)
        return codes

    def close(self) -> None:
        self.stop_workers()
        if self.web is not None:
            self.web.shutdown()
        self.emu.stop()
        self.engine.dispose()

    # -- what the database says --------------------------------------------------------
    def entry_counts(self) -> dict[str, int]:
        """Entries per internetMessageId."""
        e = InteractionLogEntry
        with Session(self.engine) as session:
            rows = session.execute(sa.select(e.internet_message_id, sa.func.count())
                                   .where(e.internet_message_id.is_not(None))
                                   .group_by(e.internet_message_id)).all()
        return {str(mid): int(n) for mid, n in rows}

    def intervals(self) -> list[SyncInterval]:
        with Session(self.engine) as session:
            return list(session.scalars(sa.select(SyncInterval).order_by(
                SyncInterval.mailbox, SyncInterval.started_at)))

    def worker_log(self, n: int) -> str:
        return (self.workdir / f"worker{n}.log").read_text(errors="replace")


def overlaps(intervals: list[SyncInterval]) -> list[tuple[SyncInterval, SyncInterval]]:
    """Pairs of intervals of one mailbox that overlap in time (should be none)."""
    found = []
    by_box: dict[str, list[SyncInterval]] = {}
    for row in intervals:
        by_box.setdefault(row.mailbox, []).append(row)
    for rows in by_box.values():
        rows.sort(key=lambda r: r.started_at)
        for before, after in itertools.pairwise(rows):
            if before.finished_at is None or before.finished_at > after.started_at:
                found.append((before, after))
    return found


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def deployment(workdir: Path, db_url: str, tenant: dict[str, Any],
               **kwargs: Any) -> Iterator[Deployment]:
    dep = Deployment(workdir, db_url, tenant, **kwargs)
    try:
        yield dep
    finally:
        dep.close()
