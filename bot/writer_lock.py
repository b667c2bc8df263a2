"""One bot writer at a time on a SQLite database, across threads and processes.

SQLite has one writer at a time, and a writer that finds the database locked polls it,
sleeping up to 100 ms between tries (its busy handler): at 32 concurrent `log call`s that
polling made the tail (docs/bot-profile.md). The bot's writers therefore queue here first:
on a `threading.Lock` within a process, then on an exclusive `flock` of a file beside the
database (`<database>-writers.lock`) across the processes of `interlog serve --processes N`.
Both block in the kernel and wake a waiter the moment the holder lets go.

The file is opened by each process for itself (an open file inherited through `fork` would
be one lock holder shared by parent and child). An in-memory database has no file, and no
other process: the thread lock alone serves it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import Engine

SUFFIX = "-writers.lock"


def lock_path(engine: Engine) -> Path | None:
    """The lock file of `engine`'s SQLite database; None for an in-memory one."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database + SUFFIX)


class WriterLock:
    """`with lock:` one writer at a time in this process and, with a `path`, in every
    process that locks the same path."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None

    @classmethod
    def for_engine(cls, engine: Engine) -> WriterLock:
        return cls(lock_path(engine))

    def __enter__(self) -> WriterLock:
        self._threads.acquire()
        try:
            if self.path is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)  # waits in the kernel, GIL released
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._fd is not None and self.path is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _file(self) -> int:
        """This process's own open file of the lock (opened again after a fork)."""
        assert self.path is not None
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd
