"""Bad input through the command line: exit 1 with one line naming the problem, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.cli import Run

HEADER = "no,type,name,company_no,email,email2,domains\n"


def _fail(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 1, (args, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _json(run: Run, *args: str) -> object:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


BAD_CSV = [
    ("no,type,name,company_no,email,email2\n", "line 1: missing column 'domains'"),
    (HEADER.replace("domains", "domains,fax"), "line 1: unknown column 'fax'"),
    (HEADER + "P1,person,Ann,,,,\nP1,person,Ann,,,,\n", "line 3: duplicate no 'P1'"),
    (HEADER + "P1,person,Ann,C404,,,\n", "line 2: company_no 'C404' names no contact"),
    (HEADER + "P1,person,Ann,,ann@@x.com,,\n", "line 2: malformed email 'ann@@x.com'"),
    (HEADER + "P1,human,Ann,,,,\n", "line 2: bad type 'human'"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CSV, ids=[m[8:30] for _, m in BAD_CSV])
def test_bad_csv(run: Run, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text + "OK1,person,Fine,,,,\n",
                    encoding="utf-8")
    line = _fail(run, "contacts", "import", str(path))
    assert line.startswith(f"interlog: {message}")
    assert line.endswith("nothing was imported")
    assert _json(run, "contacts", "list") == []


def test_csv_encoding_problem(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "P1,person,José,,,,\n").encode("latin-1"))
    assert "line 2: not UTF-8 text" in _fail(run, "contacts", "import", str(path))
    assert _json(run, "contacts", "list") == []


BAD_TOML = [
    ('[[group]]\ncode = "A"\nname = "x"\n', "line 3: [[group]] #1: unknown key 'name'"),
    ('[[group]]\ncode = "A"\n[[template]]\ncode = "T"\ngroup = "A"\ninformation_flow = "up"\n',
     "line 6: [[template]] #1: information_flow = 'up': expected one of inbound, outbound"),
    ('[[rule]]\ntemplate = "QUOTEX"\n', "line 2: [[rule]] #1: unknown template 'QUOTEX'"),
    ('[[rule]]\ntemplate = "EMAIL"\nsubject = "[a-"\n',
     "line 3: [[rule]] #1: subject regex '[a-' does not compile"),
    ('[[group]]\ncode = "A\n', "line 2: TOML syntax error: Illegal character"),
]


@pytest.mark.parametrize(("text", "message"), BAD_TOML, ids=[m[8:40] for _, m in BAD_TOML])
def test_bad_templates_file(run: Run, tmp_path: Path, text: str, message: str) -> None:
    before = _json(run, "templates", "list")
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    line = _fail(run, "templates", "import", str(path))
    assert line.startswith(f"interlog: {message}")
    assert _json(run, "templates", "list") == before


def test_log_with_unknown_or_ambiguous_contact_or_template(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "P1,person,José Pérez,,,,\nP2,person,José Ortiz,,,,\n",
                    encoding="utf-8")
    assert run("contacts", "import", str(path)).exit_code == 0
    assert _fail(run, "log", "--contact", "nobody", "--template", "CALL") == (
        "interlog: no contact matches 'nobody'")
    assert _fail(run, "log", "--contact", "jose", "--template", "CALL") == (
        "interlog: 'jose' matches several contacts: José Pérez (P1), José Ortiz (P2)")
    assert _fail(run, "log", "--contact", "P1", "--template", "FAX") == (
        "interlog: no interaction template 'FAX'")
    assert _json(run, "entries", "list") == []


@pytest.mark.parametrize("args", [
    ["log", "--contact", "P1"],
    ["log", "--contact", "P1", "--template", "CALL", "--duration", "ten"],
    ["log", "--contact", "P1", "--template", "CALL", "--at", "yesterday"],
    ["log", "--contact", "P1", "--template", "CALL", "--flow", "sideways"],
    ["entries", "cancel", "abc"],
    ["entries", "list", "--since", "2025-13-01"],
    ["entries", "list", "--status", "open"],
])
def test_bad_usage_exits_2(run: Run, args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
