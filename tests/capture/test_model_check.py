"""The model-based check (issue 11, item 7): random mailbox histories played against the
emulator with real syncs in between — some throttled, killed, stopped, or with expired delta
tokens — and the entries table compared with the reference model's
(`tests/support/model/reference.py`, written from docs/capture.md).

Replay one seed: `.venv/bin/pytest -q tests/capture/test_model_check.py -k "sqlite-7"`, or
`.venv/bin/python bench/model_check_bench.py --seed 7`.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.models import InteractionLogEntry as Entry
from tests.support.model.generate import generate
from tests.support.model.harness import logged, run
from tests.support.model.reference import Flags, expected
from tests.support.model.world import History, Mail, Send

# Rules switch on as they land (docs/testing.md, "The model-based check"): item 2 (a meeting
# is an entry once it has started) and item 5 (a contact added later gets its past) are built.
FLAGS = Flags(upcoming=True, late_contacts=True)
STEPS = 24  # actions per history (bench/model_check_bench.py plays longer ones)
SQLITE_SEEDS = range(20)
PG_SEEDS = range(1000, 1004)


def _history(seed: int) -> History:
    return generate(seed, late_contacts=FLAGS.late_contacts, steps=STEPS)


@pytest.mark.parametrize("seed", SQLITE_SEEDS, ids=lambda s: f"sqlite-{s}")
def test_the_log_equals_the_model_on_sqlite(seed: int, own_sqlite_engine: Engine) -> None:
    outcome = run(_history(seed), own_sqlite_engine, FLAGS)
    assert outcome.ok, outcome.report()


@pytest.mark.parametrize("seed", PG_SEEDS, ids=lambda s: f"postgresql-{s}")
def test_the_log_equals_the_model_on_postgresql(seed: int, clean_pg_engine: Engine) -> None:
    outcome = run(_history(seed), clean_pg_engine, FLAGS)
    assert outcome.ok, outcome.report()


def test_histories_are_reproducible_and_exercise_every_action() -> None:
    histories = [_history(seed) for seed in SQLITE_SEEDS]
    assert _history(3) == _history(3)
    kinds = {type(step).__name__ for h in histories for step in h.steps}
    assert kinds >= {"Send", "MailChange", "MailMove", "MailDelete", "Meet", "MeetMove",
                     "MeetCancel", "MeetDrop", "MeetAttendee", "Advance", "Sync"}
    syncs = {step.how for h in histories for step in h.steps if hasattr(step, "how")}
    assert syncs == {"plain", "throttle", "kill", "stop", "expire"}
    assert sum(len(expected(h, FLAGS)) for h in histories) > 100


def test_the_model_keeps_old_mail_out_and_logs_recent_mail() -> None:
    history = generate(0)
    old = Mail("<old@x>", "jane@fabrikam.com", ("alice@contoso.com",),
               when=history.start.replace(year=2023))
    new = Mail("<new@x>", "jane@fabrikam.com", ("alice@contoso.com",), when=history.start)
    steps = (Send(old), Send(new), *history.steps)
    keys = {e.key for e in expected(History(0, history.start, history.mailboxes, steps), FLAGS)}
    assert "<new@x>" in keys
    assert "<old@x>" not in keys


def test_a_lost_entry_or_a_rule_off_is_a_divergence(own_sqlite_engine: Engine) -> None:
    off = Flags(upcoming=False)  # item 2 off: meetings still to come would be logged
    history = next(h for h in map(_history, range(100)) if expected(h, off) != expected(h, FLAGS))
    outcome = run(history, own_sqlite_engine, FLAGS)
    assert outcome.ok, outcome.report()
    assert expected(history, off) != outcome.log
    with Session(own_sqlite_engine) as session, session.begin():
        first = session.scalars(sa.select(Entry.entry_no).order_by(Entry.entry_no)).first()
        session.execute(sa.delete(Entry).where(Entry.entry_no == first))
    log, rows = logged(own_sqlite_engine)
    assert rows == len(outcome.log) - 1
    assert outcome.model - log
