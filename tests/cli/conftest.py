"""CLI fixtures: the real `interlog` entry point against fresh, initialized SQLite files."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import CONTACTS_CSV, TEMPLATES_TOML, Run, make_run


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
