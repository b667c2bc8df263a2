"""Setting up without files through the real `interlog` entry point, on SQLite and PostgreSQL:
`groups add|remove`, `templates add|edit|remove`, `templates import --dry-run`, and
`entries reclassify [filters] [--dry-run]`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.db import make_engine
from storage.models import AuditEvent, InteractionTemplate, MatchRule
from tests.support.cli import Run
from tests.support.setup import QUOTE_RULES, audit_actions, captured_history, entries_by_subject


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: no cell wrapped


@pytest.fixture
def history(empty_url: str, run_on: Callable[[str], Run]) -> Run:
    run = run_on(empty_url)
    assert run("init").exit_code == 0
    engine = make_engine(empty_url)
    try:
        captured_history(engine)
    finally:
        engine.dispose()
    return run


def _engine_of(empty_url: str) -> sa.Engine:
    return make_engine(empty_url)


def test_groups_and_templates_are_added_changed_and_removed_only_when_unused(
    history: Run, empty_url: str,
) -> None:
    run = history
    assert run("groups", "add", "sales", "--description", "Sales documents").exit_code == 0
    added = run("templates", "add", "offer", "--group", "SALES", "--unit-cost", "2.5",
                "--unit-duration", "10", "--flow", "outbound", "--initiated-by", "us")
    assert added.exit_code == 0, added.output
    assert "Added template OFFER (group SALES, unit cost 2.50, 10.00 min)." in added.output
    assert run("templates", "edit", "OFFER", "--description", "Offer").exit_code == 0

    bad = run("templates", "add", "X", "--group", "SALES", "--unit-cost", "abc")
    assert (bad.exit_code, bad.stderr.strip()) == (
        1, "interlog: template: unit_cost must be a number, not 'abc'; nothing was changed")
    unknown = run("templates", "add", "X", "--group", "NOPE")
    assert (unknown.exit_code, unknown.stderr.strip()) == (
        1, "interlog: no interaction group 'NOPE'")
    assert run("templates", "add", "X").exit_code == 2  # --group is required

    in_use = run("templates", "remove", "email")
    assert (in_use.exit_code, in_use.stderr.strip()) == (
        1, "interlog: template EMAIL is used by 1 entry and the setup default for email;"
           " nothing was removed")
    group = run("groups", "remove", "SALES")
    assert (group.exit_code, group.stderr.strip()) == (
        1, "interlog: group SALES is used by 1 template; nothing was removed")

    assert run("templates", "remove", "OFFER").exit_code == 0
    assert run("groups", "remove", "SALES").exit_code == 0
    engine = _engine_of(empty_url)
    try:
        with Session(engine) as session:
            assert session.get(InteractionTemplate, "OFFER") is None
            assert session.get(InteractionTemplate, "EMAIL") is not None
        setup = [(a, who.startswith("cli"), no) for a, who, no in audit_actions(engine)
                 if not a.startswith(("log", "init"))]
        assert setup == [("group_add", True, None), ("template_add", True, None),
                         ("template_edit", True, None), ("template_remove", True, None),
                         ("group_remove", True, None)]
    finally:
        engine.dispose()


def test_import_dry_run_shows_changes_and_classifications_and_writes_nothing(
    history: Run, empty_url: str, tmp_path: Path,
) -> None:
    run = history
    rules = tmp_path / "rules.toml"
    rules.write_text(QUOTE_RULES, encoding="utf-8")
    engine = _engine_of(empty_url)
    try:
        before = len(audit_actions(engine))
        result = run("templates", "import", str(rules), "--dry-run")
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert ("+ rule 1: template QUOTE, priority 10, document_type = 'sales_quote',"
                " kind = 'email'") in out
        assert "1 of 2 items captured in the last 30 days would be classified" in out
        [row] = [line for line in out.splitlines() if "Your quote SQ-7" in line]
        assert "EMAIL" in row
        assert "QUOTE SQ-7" in row
        with Session(engine) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(MatchRule)) == 0
        assert len(audit_actions(engine)) == before
        assert entries_by_subject(engine)["Your quote SQ-7"].template_code == "EMAIL"
    finally:
        engine.dispose()


def test_reclassify_changes_captured_entries_only_and_is_audited(
    history: Run, empty_url: str, tmp_path: Path,
) -> None:
    run = history
    rules = tmp_path / "rules.toml"
    rules.write_text(QUOTE_RULES, encoding="utf-8")
    assert run("templates", "import", str(rules)).exit_code == 0
    engine = _engine_of(empty_url)
    try:
        dry = run("entries", "reclassify", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "Would re-classify 1 of 2 captured entries" in dry.stdout
        assert "EMAIL → QUOTE" in dry.stdout
        assert "Left alone: 1 not captured" in dry.stdout
        assert entries_by_subject(engine)["Your quote SQ-7"].template_code == "EMAIL"

        none = run("entries", "reclassify", "--source", "meeting")
        assert "classify all 1 captured entries as they are" in none.stdout

        done = run("entries", "reclassify")
        assert done.exit_code == 0, done.output
        assert "Re-classified 1 of 2 captured entries" in done.stdout
        got = entries_by_subject(engine)
        email, manual = got["Your quote SQ-7"], got["Quote SQ-8 by phone"]
        assert (email.template_code, email.group_code, str(email.cost), email.document_no) == (
            "QUOTE", "DOCS", "0.50", "SQ-7")
        assert (manual.template_code, manual.document_no) == ("CALL", None)
        with Session(engine) as session:
            rows = session.execute(sa.select(AuditEvent.entry_no, AuditEvent.actor).where(
                AuditEvent.action == "reclassify")).all()
        assert [(no, actor.startswith("cli")) for no, actor in rows] == [(email.entry_no,
                                                                          True)]
        bad = run("entries", "reclassify", "--template", "NOPE")
        assert bad.exit_code == 1
        assert "--template" in bad.stderr
    finally:
        engine.dispose()
