"""`interlog serve --processes N`: N server processes on one listening socket (pre-fork).

One waitress process runs Python on one core at a time (its GIL), so it answers at most
1 ÷ (CPU per request) requests a second; a second process on a second core can double that
(docs/bot-profile.md). The parent binds the socket and forks the workers. Each inherits the
socket and the app the caller built before forking (so every worker signs the pages'
cookies with the same key, and the configured users were seeded once), empties its copy of
the engine's pool (no database connection crosses a fork: each worker opens its own) and
serves with its own waitress threads. The kernel hands each new connection to one of the
processes waiting on the socket.

The parent only watches: a worker that dies is logged and replaced (after a second if it
died within one of starting); SIGTERM or SIGINT (Ctrl-C) stops every worker (SIGTERM: each
finishes the requests it is running) and returns once all have exited.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import suppress
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

RESTART_PAUSE_S = 1.0  # a worker that dies within this of starting is replaced after it
BACKLOG = 1024


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` and listening (`port` 0: a free one). Raises
    `OSError` when it cannot (a port in use, a host that does not resolve)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def workers(app: Any, engine: Engine, sock: socket.socket, *, threads: int, processes: int,
            say: Callable[[str], None],
            in_worker: Callable[[], None] | None = None) -> Workers:
    """The workers that serve `app` (a WSGI app built before forking) on `sock`, with
    `threads` waitress threads each; `in_worker` runs in each worker before it serves."""
    from interlog.wsgi import create_server

    engine.dispose()  # no connection opened before the fork crosses it

    def work() -> None:
        engine.dispose(close=False)  # the pool copied from the parent: this worker's own
        if in_worker is not None:
            in_worker()
        create_server(app, sock=sock, threads=threads).run()

    return Workers(work, processes, say)


class Workers:
    """Forks `processes` workers, each running `work()` (which serves until stopped), and
    keeps that many running until `run` is told to stop."""

    def __init__(self, work: Callable[[], None], processes: int,
                 say: Callable[[str], None]) -> None:
        self.work = work
        self.processes = processes
        self.say = say
        self.started: dict[int, float] = {}  # pid → when it was started (monotonic)
        self.stopping = False

    def run(self) -> None:
        """Start the workers and watch them until SIGTERM or SIGINT; then stop them."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM,
                                                                    signal.SIGINT)}
        try:
            for _ in range(self.processes):
                self._spawn()
            self._watch()
        except BaseException:  # e.g. a fork refused: the workers already started stop too
            self._stop(signal.SIGTERM, None)
            self._watch()
            raise
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _watch(self) -> None:
        """Reap workers until none is left (replacing each that dies, unless stopping)."""
        while self.started:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            self._reap(pid, status)

    def _reap(self, pid: int, status: int) -> None:
        started = self.started.pop(pid, None)
        if started is None or self.stopping:
            return
        self.say(f"worker {pid} exited ({_described(status)}); starting another")
        if time.monotonic() - started < RESTART_PAUSE_S:
            time.sleep(RESTART_PAUSE_S)
        if not self.stopping:
            self._spawn()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        for pid in list(self.started):
            with suppress(ProcessLookupError):  # it has just exited
                os.kill(pid, signal.SIGTERM)

    def _spawn(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os._exit(_worker(self.work))
        self.started[pid] = time.monotonic()
        self.say(f"worker {pid} started")


def _worker(work: Callable[[], None]) -> int:
    """In the child: serve until SIGTERM (finishing the requests in hand); the exit code."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    signal.signal(signal.SIGTERM, _exit_on_signal)
    code = 0
    try:
        work()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 — whatever ends a worker is printed, then it exits
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(0)  # waitress's loop catches it and closes its sockets and threads


def _described(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"status {os.waitstatus_to_exitcode(status)}"
