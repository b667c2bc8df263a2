"""`interlog stats rebuild` through the real CLI, on SQLite and PostgreSQL: the totals
spoiled by a change outside interlog (a bulk load) are recomputed from the entries, and
`interlog stats` without a subcommand still prints the statistics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.cli import Run


def _ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def test_rebuild_recomputes_what_a_bulk_load_left_out(
    empty_url: str, files: dict[str, Path], run_on: Callable[[str], Run]
) -> None:
    run = run_on(empty_url)
    _ok(run, "init")
    _ok(run, "contacts", "import", str(files["contacts"]))
    _ok(run, "templates", "import", str(files["templates"]))
    for contact, at in (("CT2", "2025-03-14T10:00:00Z"), ("CT4", "2025-04-05T10:00:00Z")):
        _ok(run, "log", "--contact", contact, "--template", "CALL", "--at", at)
    before = json.loads(_ok(run, "stats", "--json", "--by", "contact"))
    engine = sa.create_engine(empty_url)
    with engine.begin() as conn:  # a bulk load outside interlog: entries, no totals
        conn.execute(sa.text(
            "INSERT INTO interaction_log_entries (contact_id, contact_no, contact_company_no,"
            " contact_name, occurred_at, template_code, group_code, information_flow,"
            " initiated_by, subject, duration_min, cost, correspondence_type, canceled,"
            " attempt_failed, evaluation, note, source, salesperson_code, created_at)"
            " SELECT contact_id, contact_no, contact_company_no, contact_name, occurred_at,"
            " template_code, group_code, information_flow, initiated_by, subject,"
            " duration_min, cost, correspondence_type, canceled, attempt_failed, evaluation,"
            " note, source, salesperson_code, created_at FROM interaction_log_entries"))
    engine.dispose()
    assert json.loads(_ok(run, "stats", "--json", "--by", "contact")) == before

    # 2 a grain (two contacts, days, months), but 1 for the salesperson's year
    assert json.loads(_ok(run, "stats", "rebuild", "--json")) == {"rows": 13}

    after = json.loads(_ok(run, "stats", "--json", "--by", "contact"))
    assert [row["count"] for row in after] == [2 * row["count"] for row in before] == [2, 2]
    assert "Interactions by template" in _ok(run, "stats")
