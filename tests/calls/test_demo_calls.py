"""`interlog demo`: the demo tenant makes calls, and the demo prints the calls it logged."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

from interlog.cli import cli
from storage.capture_models import UnmatchedAddress
from storage.db import make_engine
from storage.models import InteractionLogEntry as E


def test_the_demo_logs_calls_and_prints_them(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path), "--mailboxes", "2",
                                      "--messages", "5", "--events", "2", "--contacts", "20"])
    assert result.exit_code == 0, result.output
    assert "Calls logged by themselves" in result.output
    engine = make_engine(f"sqlite:///{tmp_path / 'interlog.db'}")
    with Session(engine) as session:
        calls = session.execute(sa.select(E.ical_uid, E.contact_no, E.attempt_failed)
                                .where(E.source == "call")).all()
        unknown = session.scalar(sa.select(UnmatchedAddress.kind).where(
            UnmatchedAddress.address == "+4940123456"))
    engine.dispose()
    keys = [key for key, _, _ in calls]
    assert len(calls) == 12 == len(set(keys))  # one entry per call: PSTN rows reconciled
    assert sum(failed for _, _, failed in calls) == 1  # the unanswered phone call
    assert unknown == "phone"
