"""`interlog serve --processes 2`: two workers on one port, each answering the bot; a worker
that dies is replaced; SIGTERM stops them all."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from tests.support.bot import BOT, activity, entries, reply_text
from tests.support.databases import url_of
from tests.support.seed import seed
from tests.support.serve import INTERLOG, clean_env, free_port

DEADLINE_S = 60


class Serve:
    """The running `interlog serve` process and what it has said on stderr."""

    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url
        self.lines: list[str] = []

    def line(self) -> str:
        """Its next line on stderr (within the deadline)."""
        assert self.process.stderr is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stderr, selectors.EVENT_READ)
            if not selector.select(DEADLINE_S):
                raise AssertionError(f"interlog serve said nothing more after {self.lines}")
        line = self.process.stderr.readline().decode()
        assert line, f"interlog serve ended: {self.lines}"
        self.lines.append(line)
        return line

    def started_worker(self) -> int:
        """The pid of the next worker it says it started."""
        while not (line := self.line()).endswith(" started\n"):
            pass
        return int(line.split()[2])

    def log(self, text: str) -> str:
        """`text` to the bot on a connection of its own; the reply's text."""
        response = httpx.post(f"{self.url}/api/messages", json=activity(text), timeout=30)
        assert response.status_code == 200
        return reply_text(response.json())


@contextmanager
def serving(engine: Engine, workdir: Path, processes: int) -> Iterator[Serve]:
    config = workdir / "interlog.toml"
    config.write_text(f'[storage]\nurl = "{url_of(engine)}"\n[bot]\nallow_anonymous = true\n')
    port = free_port()
    process = subprocess.Popen(
        [str(INTERLOG), "--config", str(config), "serve", "--port", str(port), "--threads", "2",
         "--processes", str(processes)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env(), cwd=workdir)
    try:
        yield Serve(process, f"http://127.0.0.1:{port}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        engine.dispose()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_processes_serve_the_bot_each_and_stop_together(
        tmp_path: Path, clean_sqlite_engine: Engine) -> None:
    engine = clean_sqlite_engine
    seed(engine, BOT)
    with serving(engine, tmp_path, 2) as serve:
        assert "with 2 processes" in serve.line()
        workers = [serve.started_worker(), serve.started_worker()]
        # Each worker alone (the other stopped) answers new connections.
        for stopped, _ in (workers, workers[::-1]):
            os.kill(stopped, signal.SIGSTOP)
            try:
                assert serve.log("log call with Jane Doe about alone 5 min").startswith("Logged #")
            finally:
                os.kill(stopped, signal.SIGCONT)
        # Both at once, from eight connections: each activity logged once.
        with ThreadPoolExecutor(8) as pool:
            texts = list(pool.map(serve.log, [f"log call with Jane Doe about n{n} 5 min"
                                              for n in range(40)]))
        assert all(text.startswith("Logged #") for text in texts), texts
        assert len(entries(engine)) == 42

        serve.process.send_signal(signal.SIGTERM)
        assert serve.process.wait(timeout=DEADLINE_S) == 0
        assert not any(_alive(pid) for pid in workers)


def test_a_worker_that_dies_is_replaced(tmp_path: Path, clean_sqlite_engine: Engine) -> None:
    seed(clean_sqlite_engine, BOT)
    with serving(clean_sqlite_engine, tmp_path, 2) as serve:
        first = serve.started_worker()
        other = serve.started_worker()
        os.kill(first, signal.SIGKILL)
        replacement = serve.started_worker()
        assert f"worker {first} exited (signal SIGKILL)" in "".join(serve.lines)
        assert replacement != first
        os.kill(other, signal.SIGSTOP)  # the replacement alone answers
        try:
            assert "Jane Doe (C0001)" in serve.log("show Jane Doe")
        finally:
            os.kill(other, signal.SIGCONT)
        serve.process.send_signal(signal.SIGTERM)
        assert serve.process.wait(timeout=DEADLINE_S) == 0
