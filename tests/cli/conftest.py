"""CLI fixtures: the real `interlog` entry point (`run_main`) driven by click's CliRunner."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from interlog.cli import cli
from interlog.cli.common import run_main

CONTACTS_CSV = """no,type,name,company_no,email,email2,domains
CT2,person,José Pérez,CT1,jose@fabrikam.com,,
CT1,company,Fabrikam Inc.,,info@fabrikam.com,,fabrikam.com
CT3,person,Josefina Ruiz,CT1,josefina@fabrikam.com,,
CT4,person,Anna Berg,,anna@example.org,,
"""

TEMPLATES_TOML = """\
[[group]]
code = "SALES"
description = "Sales documents"

[[template]]
code = "QUOTE"
group = "SALES"
description = "Sales quote"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 2.5
unit_duration_min = 10

[[template]]
code = "CALL"
group = "CALLS"
description = "Phone call"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 1.25
unit_duration_min = 5

[[rule]]
template = "QUOTE"
priority = 10
kind = "email"
subject = "(?i)quote\\\\s+(?P<document_no>SQ-\\\\d+)"
"""


class _Main:
    """The console script as CliRunner drives a command: `run_main(cli)` with these args."""

    name = "interlog"

    def main(self, args: list[str], prog_name: str, **_: Any) -> None:
        saved = sys.argv
        sys.argv = [prog_name, *args]
        try:
            run_main(cli)
        finally:
            sys.argv = saved


Run = Callable[..., Result]


def make_run(url: str) -> Run:
    def run(*args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(_Main(), ["--db", url, *args], input=input)  # type: ignore[arg-type]
    return run


@pytest.fixture
def run_on() -> Callable[[str], Run]:
    """`run_on(url)`: run interlog commands against the database at `url`."""
    return make_run


@pytest.fixture(scope="session")
def initialized_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file on which `interlog init` ran once (copied by each test that wants it)."""
    path = tmp_path_factory.mktemp("cli") / "template.db"
    result = make_run(f"sqlite:///{path}")("init")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(path) as conn:  # fold the WAL into the file before copying it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def initialized_url(initialized_sqlite: Path, tmp_path: Path) -> str:
    """The URL of a fresh SQLite file of this test's own, on which `init` has run."""
    path = tmp_path / "interlog.db"
    shutil.copy(initialized_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture
def run(initialized_url: str) -> Run:
    """`interlog --db <a fresh, initialized SQLite file> …`."""
    return make_run(initialized_url)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS_CSV, encoding="utf-8")
    templates = tmp_path / "templates.toml"
    templates.write_text(TEMPLATES_TOML, encoding="utf-8")
    return {"contacts": contacts, "templates": templates}
