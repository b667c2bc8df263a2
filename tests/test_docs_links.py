"""The documentation's links lead somewhere, and code that points at the docs points at a file.

- Every relative markdown link (`[text](path)`, `[text](path#anchor)`, `![alt](path)`) in
  README.md, BENCHMARKS.md and docs/**/*.md names a file or folder that exists; when it names a
  markdown file with an `#anchor` (or is only `#anchor`), that file has a heading with that
  anchor (GitHub's slugs).
- Every `docs/<name>.md` that a .py file under the project's packages, bench/ or tests/ names
  exists.

The checkers are plain functions of a root folder, so they are also run on a tiny tree with a
broken link of each kind, where they must fail.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = ("README.md", "BENCHMARKS.md")
PY_FOLDERS = ("storage", "connector", "bot", "web", "interlog", "emulator", "bench", "tests")

_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_LINK = re.compile(r"\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_DOCS_PATH = re.compile(r"(?<![\w./-])docs/((?:[\w.-]+/)*[\w.-]+\.md)\b")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def markdown_files(root: Path) -> list[Path]:
    """README.md, BENCHMARKS.md and every markdown file under docs/ (those that exist)."""
    found = [root / name for name in MARKDOWN if (root / name).is_file()]
    return found + sorted((root / "docs").rglob("*.md"))


def _prose(text: str) -> str:
    """The text without fenced code blocks and inline code, where `](` is not a link."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces → -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file, with GitHub's -1, -2 … for repeats."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for match in _HEADING.finditer(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def broken_links(root: Path) -> list[str]:
    """`file: target (why)` for every relative link of the markdown files that leads nowhere."""
    problems: list[str] = []
    for md in markdown_files(root):
        where = md.relative_to(root).as_posix()
        for target in _LINK.findall(_prose(md.read_text(encoding="utf-8"))):
            if not target or _EXTERNAL.match(target):
                continue
            path_part, _, anchor = target.partition("#")
            dest = (md.parent / unquote(path_part)).resolve() if path_part else md
            if path_part.startswith("/") or not dest.exists():
                problems.append(f"{where}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                problems.append(f"{where}: {target} (no heading #{anchor})")
    return problems


def missing_docs_named_in_code(root: Path) -> list[str]:
    """`file:line: docs/…md` for every docs path that a .py file names and that is missing."""
    problems: list[str] = []
    for folder in PY_FOLDERS:
        for py in sorted((root / folder).rglob("*.py")):
            lines = py.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, start=1):
                for name in _DOCS_PATH.findall(line):
                    if not (root / "docs" / name).is_file():
                        where = py.relative_to(root).as_posix()
                        problems.append(f"{where}:{number}: docs/{name}")
    return problems


def test_markdown_links_lead_to_files_and_headings() -> None:
    files = markdown_files(ROOT)
    assert ROOT / "README.md" in files
    assert len(files) > len(MARKDOWN), "docs/ holds the manual"
    assert broken_links(ROOT) == []


def test_docs_named_in_code_exist() -> None:
    assert missing_docs_named_in_code(ROOT) == []


def test_readme_starts_with_the_two_commands_and_stays_short() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text[:3000]
    assert "make test" in text[:3000]
    assert len(text.splitlines()) <= 200


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checkers_find_what_is_broken(tmp_path: Path) -> None:
    gone = "docs/" + "gone.md"  # built, so that this module names no missing docs file itself
    root = _tree(tmp_path, {
        "README.md": (
            "# Title\n\n[ok](docs/sync.md) [ok too](docs/sync.md#the-part) [file](pyproject.toml)\n"
            f"[broken]({gone}) [bad anchor](docs/sync.md#nowhere) [self](#title) [web](https://x.y)\n"
            "```\n[in code](not/checked.md)\n```\n`[inline](not/checked.md)`\n"
        ),
        "pyproject.toml": "",
        "docs/sync.md": (
            "# A\n\n## The part\n\n![pic](screenshots/missing.png) [up](../README.md#title)\n"
        ),
        "connector/x.py": f'"""See docs/sync.md and {gone}."""\n',
        "tests/y.py": "# not a docs path: mydocs/gone.md; a present one: docs/sync.md\n",
    })

    assert sorted(broken_links(root)) == [
        f"README.md: {gone} (no such file)",
        "README.md: docs/sync.md#nowhere (no heading #nowhere)",
        "docs/sync.md: screenshots/missing.png (no such file)",
    ]
    assert missing_docs_named_in_code(root) == [f"connector/x.py:1: {gone}"]


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Sync: Microsoft Graph → interaction log", "sync-microsoft-graph--interaction-log"),
    ("The API (`/api/v1`)", "the-api-apiv1"),
    ("3. The Teams app package", "3-the-teams-app-package"),
    ("Capture writer alone: `bench/capture_bench.py`", "capture-writer-alone-benchcapture_benchpy"),
    ("Never logged (counted by reason in `PageOutcome.skipped`)",
     "never-logged-counted-by-reason-in-pageoutcomeskipped"),
])
def test_slug_follows_github(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor
