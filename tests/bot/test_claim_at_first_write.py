"""On SQLite a writing turn takes the writers' lock with its delivery's claim, at its first
write (`bot/runner.py`): what it reads before (the user, the contact, the template) is read
while another writer holds the lock, and nothing is written until that one lets go."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.commands import Reply
from bot.runner import CommandRunner, Turn
from bot.writer_lock import WriterLock
from storage.deliveries import activity_key
from tests.support.bot import ALICE, BOT, entries
from tests.support.seed import seed

WRITES = ("INSERT", "UPDATE", "DELETE")


def _turn(text: str, key: str) -> Turn:
    return Turn(channel="teams", aad_object_id=ALICE, user_name="Alice", locale="en-US",
                text=text, delivery_key=activity_key("a:conv1", key))


def test_a_turn_reads_before_it_waits_for_the_writers_lock(
        clean_sqlite_engine: Engine) -> None:
    engine = clean_sqlite_engine
    seed(engine, BOT)
    runner = CommandRunner(engine)
    statements: list[str] = []
    contact_read = threading.Event()

    def watch(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)
        if "FROM contacts" in statement:
            contact_read.set()

    event.listen(engine, "before_cursor_execute", watch)
    answers: list[Reply] = []
    turn = _turn("log call with Jane Doe about waiting 5 min", "lazy-1")
    with WriterLock.for_engine(engine):  # another writer, as another process would be
        thread = threading.Thread(target=lambda: answers.append(runner.run(turn)))
        thread.start()
        assert contact_read.wait(timeout=60)  # read while the lock was held elsewhere
        assert not [s for s in list(statements) if s.lstrip().startswith(WRITES)]
    thread.join()
    [entry] = entries(engine)
    assert answers[0].text == f"Logged #{entry.entry_no}: Jane Doe, CALL"
    writes = [s for s in statements if s.lstrip().startswith(WRITES)]
    assert "activity_deliveries" in writes[0]  # the claim: the turn's first write

