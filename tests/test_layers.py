"""The layer contracts of `make lint` (import-linter, in pyproject.toml) catch an upward import.

The contracts are run on a skeleton of the six top-level packages in a temporary folder,
once as the layers allow and once with one deliberate violation each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("storage", "connector", "bot", "web", "interlog", "emulator")
ALLOWED = {  # module -> what it imports, as the layers allow
    "connector": "storage", "bot": "connector", "web": "connector", "interlog": "bot",
}


def _lint(tmp: Path, imports: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for name in PACKAGES:
        (tmp / name).mkdir()
        (tmp / name / "__init__.py").write_text("")
        target = imports.get(name)
        (tmp / name / "uses.py").write_text(f"import {target}\n" if target else "")
    lint_imports = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(tmp)}
    command = [str(lint_imports), "--no-cache", "--config", str(ROOT / "pyproject.toml")]
    return subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_allowed_arrows_keep_every_contract(tmp_path: Path) -> None:
    result = _lint(tmp_path, ALLOWED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("importer", "imported"), [
    ("storage", "connector"),  # a lower layer importing a higher one
    ("connector", "interlog"),  # nothing imports the wiring
    ("bot", "web"),  # peers
    ("emulator", "storage"),  # the emulator stands alone
    ("connector", "emulator"),  # nothing below the wiring uses the emulator
])
def test_an_upward_or_sideways_import_breaks_make_lint(tmp_path: Path, importer: str,
                                                        imported: str) -> None:
    result = _lint(tmp_path, {**ALLOWED, importer: imported})
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{importer}.uses -> {imported}" in result.stdout
