"""The command line imports a command when it runs: the lazy registries' help lines are the
commands' own, `interlog --help` lists every command as if all were imported, and a process
that only lists them, or lists entries on SQLite, loads no module it does not use."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from interlog.cli import COMMANDS, cli
from interlog.cli.lazy import Lazy, LazyGroup, help_line


def _registered(group: LazyGroup, path: str = "interlog") -> Iterator[tuple[str, Lazy]]:
    """Every lazy registry entry, the subgroups' too, by command path."""
    for name, lazy in sorted(group.lazy.items()):
        yield f"{path} {name}", lazy
        command = lazy.load()
        if isinstance(command, LazyGroup):
            yield from _registered(command, f"{path} {name}")


def test_each_registry_help_line_is_the_commands_docstring() -> None:
    entries = list(_registered(cli))
    assert {"interlog entries", "interlog entries evaluate", "interlog log"} <= dict(entries).keys()
    for path, lazy in entries:
        assert lazy.help == help_line(lazy.load()), path
    assert set(COMMANDS) == set(cli.lazy)


def _as_listed(group: click.Group, *, lazy: bool) -> str:
    """`--help` of a copy of `group`: nothing imported (`lazy`), or every command imported."""
    context = click.Context(group)
    if lazy:
        assert isinstance(group, LazyGroup)
        copy: click.Group = LazyGroup(group.name, lazy=group.lazy, commands={
            name: command for name, command in group.commands.items() if name not in group.lazy})
    else:
        loaded = [group.get_command(context, name) for name in group.list_commands(context)]
        copy = click.Group(group.name, commands=[c for c in loaded if c is not None])
    copy.help, copy.params, copy.context_settings = group.help, group.params, group.context_settings
    result = CliRunner().invoke(copy, ["--help"], terminal_width=100, prog_name="interlog")
    assert result.exit_code == 0, result.output
    return result.output


def test_help_lists_every_command_as_if_all_were_imported() -> None:
    listed = _as_listed(cli, lazy=True)
    assert listed == _as_listed(cli, lazy=False)
    for name in COMMANDS:
        assert f"\n  {name} " in listed
    entries = cli.get_command(click.Context(cli), "entries")
    assert isinstance(entries, LazyGroup)
    listed = _as_listed(entries, lazy=True)
    assert listed == _as_listed(entries, lazy=False)
    for name in ("list", "evaluate", "note", "delete-canceled"):
        assert f"\n  {name} " in listed


# SQLAlchemy's PostgreSQL dialect module too (~15 ms): on SQLite nothing
# names a PostgreSQL keyword (`storage.models.canceled_entries_index`).
HEAVY = ("psycopg", "alembic", "flask", "msgraph", "azure", "microsoft_agents", "msal", "rich",
         "sqlalchemy.dialects.postgresql")
PROBE = """
import json, sys
from interlog.cli import cli
sys.argv = ["interlog", *json.loads(sys.argv[1])]
try:
    cli.main(standalone_mode=False)
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(m for m in sys.modules)), file=sys.stderr)
"""


def _loaded(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)],
                          capture_output=True, text=True, check=True)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _heavy(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_help_imports_no_command_nor_the_database_libraries() -> None:
    loaded = _loaded("--help")
    assert _heavy(loaded) == []
    assert not {m for m in loaded if m.startswith("sqlalchemy")}
    assert not {m for m in loaded if m.startswith("interlog.cli.")} - {
        "interlog.cli.common", "interlog.cli.lazy"}


@pytest.mark.parametrize("args", [("entries", "--help"), ("entries", "list", "--help")])
def test_the_entries_help_imports_no_database_library(args: tuple[str, ...]) -> None:
    loaded = _loaded(*args)
    assert _heavy(loaded) == []
    assert not {m for m in loaded if m.startswith("sqlalchemy")}
    assert "interlog.cli.entries" in loaded


@pytest.mark.parametrize("output", [(), ("--json",), ("--jsonl",)])
def test_entries_list_on_sqlite_imports_what_it_uses(initialized_url: str,
                                                     output: tuple[str, ...]) -> None:
    loaded = _loaded("--db", initialized_url, "entries", "list", *output)
    assert "sqlalchemy.dialects.sqlite" in loaded  # it did read the database
    rich = sorted(m for m in loaded if m == "rich" or m.startswith("rich."))
    assert _heavy(loaded) == ([] if output else rich)  # a table only without --json(l)
    assert "web.filters" not in loaded  # no filter to check
    assert not {"sqlalchemy.orm", "storage.models"} & loaded  # Core reads the log's table
    assert "storage.entry_writes" not in loaded
    assert "interlog.cli.log" not in loaded
    assert "interlog.cli.sync" not in loaded


def test_entries_list_checks_configured_users_without_the_orm(initialized_url: str,
                                                             tmp_path: Path) -> None:
    config = tmp_path / "interlog.toml"
    config.write_text('[[user]]\nupn = "alice@contoso.com"\nsalesperson_code = "AL"\n')
    loaded = _loaded("--config", str(config), "--db", initialized_url, "entries", "list")
    assert "storage.user_values" in loaded  # the [[user]] was checked
    assert not {"sqlalchemy.orm", "storage.models", "storage.users"} & loaded


def test_a_reader_that_leaves_early_ends_the_listing_quietly(initialized_url: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "from interlog.cli import main; main()", "--db", initialized_url,
         "entries", "list", "--upcoming", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()  # before the command writes: its first write finds no reader
    errors = process.stderr.read().decode()
    assert process.wait() == 1
    assert "Traceback" not in errors, errors
