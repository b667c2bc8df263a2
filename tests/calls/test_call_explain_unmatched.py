"""`interlog explain` of a call (its kept copy decoded: version, minutes, answered, the other
number) and unmatched numbers counted per call, on SQLite and PostgreSQL, through the real
msgraph-sdk against the emulator (docs/calls.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.cli import cli
from storage.capture_models import UnmatchedAddress
from tests.support.calls import (
    ALICE,
    BOB,
    HANS,
    Calls,
    call_entries,
    phone,
    teams,
)

STRANGER = "+4940999999"


def explain(engine: Engine, query: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["--db", engine.url.render_as_string(
        hide_password=False), "explain", query, "--json"])
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.output)
    return found


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return dict(session.execute(sa.select(UnmatchedAddress.address,
                                              UnmatchedAddress.count)).all())


def test_explain_shows_a_calls_kept_data(calls: Calls, caplog: pytest.LogCaptureFixture
                                         ) -> None:
    record_id = calls.record(teams(ALICE), [phone(HANS)], minutes=6)
    calls.sync()
    [entry] = call_entries(calls.engine)
    [decision] = explain(calls.engine, f"call:{record_id}")
    assert decision["kind"] == "call"
    assert decision["decision"] == "logged"
    assert decision["reason"] == "logged (version 1, 6.00 min, answered)"
    assert decision["participant"] == HANS
    assert decision["entries"] == [entry.entry_no]
    assert decision["template"] == entry.template_code
    assert "cannot be read" not in caplog.text


def test_explain_of_a_missed_call_an_unmatched_one_and_one_of_nobody_configured(
        calls: Calls) -> None:
    missed = calls.record(teams(ALICE), [phone(HANS)], answered=False, hours_ago=5)
    stranger = calls.record(teams(BOB), [phone(STRANGER)], hours_ago=4)
    others = calls.record(phone(STRANGER), [phone(HANS)])  # no configured user on it
    calls.sync()
    [decision] = explain(calls.engine, f"call:{missed}")
    assert decision["decision"] == "logged"
    assert decision["reason"] == "logged (version 1, 0.00 min, nobody answered)"
    [unknown] = explain(calls.engine, f"call:{stranger}")
    assert unknown["decision"] == "skipped"
    assert unknown["reason"].startswith("no_contact: no contact has this number")
    assert unknown["participant"] == STRANGER
    [tenant] = explain(calls.engine, f"call:{others}")
    assert tenant["reason"] == "version 1: no configured user took part"


def test_an_unmatched_number_counts_each_call(calls: Calls) -> None:
    calls.record(teams(ALICE), [phone(STRANGER)], hours_ago=5)
    calls.record(teams(BOB), [phone(STRANGER)], hours_ago=4)
    calls.sync()
    assert counts(calls.engine) == {STRANGER: 2}
    calls.sync()  # the same calls read again: no new sighting
    assert counts(calls.engine) == {STRANGER: 2}
    calls.record(teams(ALICE), [phone(STRANGER)], hours_ago=2)
    calls.sync()
    assert counts(calls.engine) == {STRANGER: 3}
