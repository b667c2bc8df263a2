"""Tests share code through `tests.support` only: no test module imports another test module
or a conftest (pytest loads conftests itself; importing one runs it a second time under
another name, and its fixtures with it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# Folders of tests/ that are no package of the project: reached only through a sys.path
# hack (`from api.support import ...`), which is an import of test code all the same.
TEST_ONLY_TOP_LEVEL = {
    p.name for p in TESTS.iterdir()
    if (p / "__init__.py").exists() and not (ROOT / p.name / "__init__.py").exists()
}


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of everything imported in the tree, nested imports included:
    `from a.b import c` gives `a.b.c` (c may be a module); relative ones keep their dots."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def violations(source: str) -> list[str]:
    """What in `source` (a file under tests/) imports test code other than tests.support."""
    bad = []
    for line, module in _imported(ast.parse(source)):
        parts = module.lstrip(".").split(".")
        if module.startswith("."):
            why = "a relative import (of a sibling test module or conftest)"
        elif "conftest" in parts:
            why = "a conftest"
        elif parts[0] == "tests" and parts[1:2] != ["support"]:
            why = "test code outside tests.support"
        elif parts[0] in TEST_ONLY_TOP_LEVEL:
            why = "a tests/ folder through sys.path"
        else:
            continue
        bad.append(f"line {line}: {module}: {why}")
    return bad


@pytest.mark.parametrize(("source", "caught"), [
    ("from tests.support.bot import activity", False),
    ("import tests.support.seed", False),
    ("from storage.models import User", False),
    ("from tests.bot.conftest import BotClient", True),
    ("from tests.sync.test_sync_e2e import users", True),
    ("from tests import conftest", True),
    ("from tests import support", False),
    ("from .conftest import World", True),
    ("from . import helpers", True),
    ("if TYPE_CHECKING:\n    from conftest import World", True),
    ("def f():\n    from tests.api.support import seed", True),
    ("from api.support import live_server", True),
])
def test_the_check_catches_imports_of_test_code(source: str, caught: bool) -> None:
    assert bool(violations(source)) is caught


def test_test_code_is_shared_through_tests_support_only() -> None:
    found = {
        str(path.relative_to(ROOT)): bad
        for path in sorted(TESTS.rglob("*.py"))
        if (bad := violations(path.read_text(encoding="utf-8")))
    }
    assert found == {}, "move what they import into tests/support/:\n" + "\n".join(
        f"  {path}: {item}" for path, items in found.items() for item in items)
