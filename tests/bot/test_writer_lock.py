"""SQLite's bot writers queue on one lock across processes (`bot/writer_lock.py`), as the
workers of `interlog serve --processes N` do: two processes logging at once, no "database is
locked", each delivery acted on exactly once."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.runner import CommandRunner, Turn
from bot.writer_lock import WriterLock, lock_path
from storage.db import make_engine
from storage.deliveries import activity_key
from tests.support.bot import ALICE, BOT, entries
from tests.support.databases import url_of
from tests.support.seed import seed

FORK = multiprocessing.get_context("fork")  # a lock inherited through fork: the point
SPAWN = multiprocessing.get_context("spawn")  # a process of its own, nothing inherited


def _can_lock(path: Path) -> bool:
    """Whether a process of its own could take the lock now (without waiting)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _probe(path: Path, out: Connection) -> None:
    out.send(_can_lock(path))


def _other_process_can_lock(path: Path) -> bool:
    here, there = FORK.Pipe()
    child = FORK.Process(target=_probe, args=(path, there))
    child.start()
    answer = bool(here.recv())
    child.join()
    return answer


def test_the_lock_file_sits_beside_the_database(clean_sqlite_engine: Engine) -> None:
    path = lock_path(clean_sqlite_engine)
    assert path is not None
    assert path.name == Path(str(clean_sqlite_engine.url.database)).name + "-writers.lock"
    assert lock_path(make_engine("sqlite://")) is None  # in memory: the thread lock alone


def test_a_writer_holding_the_lock_excludes_other_processes(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path / "db.sqlite-writers.lock")
    assert lock.path is not None
    with lock:
        assert not _other_process_can_lock(lock.path)
    assert _other_process_can_lock(lock.path)


def _held_in_child(lock: WriterLock, holding: Connection, release: Connection) -> None:
    """Take the lock inherited through fork (it opens its own file), say so, wait, let go."""
    with lock:
        holding.send(True)
        release.recv()


def test_a_lock_inherited_through_fork_is_the_childs_own(tmp_path: Path) -> None:
    """The parent used the lock before forking; the child's hold still excludes the parent
    (a shared open file would make them one holder)."""
    lock = WriterLock(tmp_path / "db.sqlite-writers.lock")
    assert lock.path is not None
    with lock:
        pass
    holding_here, holding_there = FORK.Pipe()
    release_here, release_there = FORK.Pipe()
    child = FORK.Process(target=_held_in_child, args=(lock, holding_there, release_there))
    child.start()
    assert holding_here.recv()
    assert not _can_lock(lock.path)
    release_here.send(True)
    child.join()
    assert child.exitcode == 0
    assert _can_lock(lock.path)


def _log_calls(url: str, keys: list[str], start: Any, out: Connection) -> None:
    """One process: its own engine and runner, every turn as soon as both are ready."""
    engine = make_engine(url)
    runner = CommandRunner(engine)
    start.wait()
    replies = []
    for n, key in enumerate(keys):
        turn = Turn(channel="teams", aad_object_id=ALICE, user_name="Alice", locale="en-US",
                    text=f"log call with Jane Doe about parallel {n} 5 min",
                    delivery_key=activity_key("a:conv1", key))
        replies.append((key, runner.run(turn).text))
    engine.dispose()
    out.send(replies)


def test_two_processes_log_at_once_each_delivery_once(clean_sqlite_engine: Engine) -> None:
    """Both processes get 30 activities, 10 of them the same (a redelivery racing the
    first): 50 entries, each shared activity answered with the same entry in both."""
    engine = clean_sqlite_engine
    seed(engine, BOT)
    shared = [f"shared-{n}" for n in range(10)]
    keys = [shared + [f"{side}-{n}" for n in range(20)] for side in ("a", "b")]
    start = SPAWN.Barrier(2)
    pipes = [SPAWN.Pipe() for _ in keys]
    children = [SPAWN.Process(target=_log_calls, args=(url_of(engine), mine, start, there))
                for mine, (_, there) in zip(keys, pipes, strict=True)]
    for child in children:
        child.start()
    answers = [dict(here.recv()) for here, _ in pipes]
    for child in children:
        child.join()
    texts = [text for replies in answers for text in replies.values()]
    assert all(text.startswith("Logged #") for text in texts), texts
    assert len(entries(engine)) == 50
    for key in shared:
        assert answers[0][key] == answers[1][key]
