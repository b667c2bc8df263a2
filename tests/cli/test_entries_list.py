"""`interlog entries list` through the real CLI on SQLite and PostgreSQL: the newest 50 by
default, `--limit` and `--all`, streamed `--json` and `--jsonl`, the table and the plain lines,
the totals line, and the log page's filters (`--company`, `--group`, `--salesperson`,
`--user`, `--source`, `--document-no`), also on `delete-canceled`; bad values exit 1."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.models import InteractionLogEntry
from tests.support.cli import CONTACTS_CSV, TEMPLATES_TOML, Run, make_run
from tests.support.databases import url_of
from tests.support.seed import Dataset, EntryRow, seed

COUNT = 60  # more than the default 50


def _marks(session: Session) -> None:
    """Salesperson SP1 on alice's entries; document SQ-7 on entry 7."""
    e = InteractionLogEntry
    session.execute(sa.update(e).where(e.user_upn == "alice@contoso.com")
                    .values(salesperson_code="SP1"))
    session.execute(sa.update(e).where(e.entry_no == 7).values(document_no="SQ-7"))


DATA = Dataset(
    defaults=True, contacts_csv=CONTACTS_CSV, templates_toml=TEMPLATES_TOML,
    entries=tuple(EntryRow(("CT2", "CT4", "CT3")[i % 3], ("CALL", "QUOTE")[i % 2],
                           ("alice@contoso.com", "bob@contoso.com")[i % 2],
                           ("manual", "email")[i % 2], f"2025-01-01T{i // 6:02d}:{i % 6:02d}",
                           f"Entry {i + 1}", minutes="2")
                  for i in range(COUNT)),
    more=_marks)


@pytest.fixture
def run(clean_engine: Engine) -> Run:
    seed(clean_engine, DATA)
    return make_run(url_of(clean_engine))


def _ok(run: Run, *args: str) -> Result:
    result = run("entries", "list", *args)
    assert result.exit_code == 0, (args, result.output)
    return result


def _listed(run: Run, *args: str) -> list[dict[str, Any]]:
    return json.loads(_ok(run, "--json", *args).stdout)  # type: ignore[no-any-return]


def _fail(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 1, (args, result.output)
    [line] = result.stderr.strip().splitlines()
    return line


def test_the_newest_50_then_limit_and_all(run: Run) -> None:
    default = _ok(run, "--json")
    numbers = [e["entry_no"] for e in json.loads(default.stdout)]
    assert numbers == list(range(COUNT, COUNT - 50, -1))  # newest first
    assert "Showing the newest 50 entries of more; use --limit N or --all." in default.stderr
    assert [e["entry_no"] for e in _listed(run, "--limit", "3")] == [COUNT, COUNT - 1, COUNT - 2]
    everything = _ok(run, "--json", "--all")
    assert len(json.loads(everything.stdout)) == COUNT
    assert everything.stderr == ""
    assert _ok(run, "--json", "--limit", str(COUNT)).stderr == ""  # all shown: nothing more


def test_json_is_one_array_as_print_json_writes_it_and_jsonl_one_entry_a_line(run: Run) -> None:
    text = _ok(run, "--json", "--all").stdout
    listed = json.loads(text)
    assert text == json.dumps(listed, indent=2, ensure_ascii=False) + "\n"
    lines = _ok(run, "--jsonl", "--all").stdout.splitlines()
    assert [json.loads(line) for line in lines] == listed
    assert _ok(run, "--json", "--contact", "CT1").stdout == "[]\n"
    assert _ok(run, "--jsonl", "--contact", "CT1").stdout == ""


def _cost(entries: list[dict[str, Any]]) -> str:
    return f"{sum(Decimal(str(e['cost'])) for e in entries):.2f}"


def test_a_table_for_a_screen_plain_lines_beyond_and_the_totals(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table cuts no subject
    newest = _listed(run, "--limit", "5")
    table = _ok(run, "--limit", "5").stdout
    assert "Interaction log entries (5, newest first)" in table
    assert "Entry 60" in table
    assert "Entry 56" in table
    assert "Entry 55" not in table
    assert (f"Totals of the 5 shown (canceled left out): 5 entries, 10.00 min, cost "
            f"{_cost(newest)}; --all for the totals of all that match") in table
    everything = _listed(run, "--all")

    lines = _ok(run, "--all").stdout.splitlines()
    assert lines[0].split() == ["no", "date", "time", "contact", "name", "template", "flow",
                                "by", "min", "cost", "user", "status", "evaluation",
                                "subject"]
    assert len(lines) == 1 + COUNT + 1
    assert lines[1].split()[0] == str(COUNT)
    assert lines[1].endswith("Entry 60")
    assert len({line.index("2025-01-01") for line in lines[1:-1]}) == 1  # aligned
    assert lines[-1] == (
        f"Totals (canceled left out): 60 entries, 120.00 min, cost {_cost(everything)}")


@pytest.mark.parametrize(("args", "expected"), [
    (("--company", "CT1"), lambda e: e["contact_no"] in ("CT2", "CT3")),
    (("--company", "fabrikam inc."), lambda e: e["contact_no"] in ("CT2", "CT3")),
    (("--group", "sales"), lambda e: e["group_code"] == "SALES"),
    (("--salesperson", "SP1"), lambda e: e["salesperson_code"] == "SP1"),
    (("--user", "Bob@Contoso.com"), lambda e: e["user"] == "bob@contoso.com"),
    (("--source", "email"), lambda e: e["source"] == "email"),
    (("--document-no", "SQ-7"), lambda e: e["document_no"] == "SQ-7"),
    (("--group", "CALLS", "--user", "alice@contoso.com", "--contact", "CT4"),
     lambda e: (e["group_code"], e["user"], e["contact_no"]) == (
         "CALLS", "alice@contoso.com", "CT4")),
])
def test_the_web_filters(run: Run, args: tuple[str, ...], expected: Any) -> None:
    chosen = [e["entry_no"] for e in _listed(run, "--all") if expected(e)]
    assert chosen  # each filter selects some entries, not all
    assert len(chosen) < COUNT
    assert [e["entry_no"] for e in _listed(run, "--all", *args)] == chosen


@pytest.mark.parametrize(("args", "message"), [
    (("--company", "nobody"), "interlog: --company: no contact matches 'nobody'"),
    (("--company", "CT2"), "interlog: --company: CT2 José Pérez is a person, not a company"),
    (("--group", "NOPE"), "interlog: --group: no interaction group 'NOPE'"),
    (("--template", "FAX"), "interlog: --template: no interaction template 'FAX'"),
    (("--salesperson", "SP9"), "interlog: --salesperson: no salesperson code 'SP9'"),
    (("--user", "eve@contoso.com"), "interlog: --user: no user 'eve@contoso.com'"),
    (("--source", "fax"), "interlog: --source: 'fax' is not one of"),
])
def test_a_bad_filter_value_is_named(run: Run, args: tuple[str, ...], message: str) -> None:
    assert _fail(run, "entries", "list", *args).startswith(message)
    assert _fail(run, "entries", "delete-canceled", "--dry-run", *args).startswith(message)


@pytest.mark.parametrize("args", [("--json", "--jsonl"), ("--limit", "3", "--all"),
                                  ("--limit", "0"),
                                  ("--upcoming", "--group", "CALLS")])
def test_options_that_do_not_go_together_are_bad_usage(run: Run, args: tuple[str, ...]) -> None:
    result = run("entries", "list", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_delete_canceled_takes_the_filters(run: Run) -> None:
    assert run("entries", "cancel", "1", "2", "3", "4").exit_code == 0
    dry = run("entries", "delete-canceled", "--group", "SALES", "--dry-run")
    assert dry.stdout.strip() == "Would delete 2 canceled entries: #2, #4"
    done = run("entries", "delete-canceled", "--salesperson", "SP1", "--source", "manual",
               "--yes")
    assert done.stdout.strip() == "Deleted 2 canceled entries: #1, #3"
    assert [e["entry_no"] for e in _listed(run, "--status", "canceled")] == [4, 2]
