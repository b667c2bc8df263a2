"""Fuzz the configuration loader with Hypothesis: any TOML file (sections and keys mostly the
known ones, values kept or hostile, now and then unknown ones or a file that is not TOML) is
either loaded or refused with one `ConfigError` line; never another exception. The CLI prints
that line and exits 1 (tests/cli/test_one_line_errors.py)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from interlog.config import SECTIONS, ConfigError, load_settings
from tests.support.fuzz import FUZZ, text, toml_document, toml_tables


def _toml_default(value: Any) -> Any:
    """A section's default as TOML holds it (a secret's default is an empty string)."""
    if isinstance(value, tuple):
        return list(value)
    return value if isinstance(value, bool | int | str) else ""


KNOWN = {name: {f.name: _toml_default(getattr(cls(), f.name)) for f in fields(cls)}
         for name, cls in SECTIONS.items()}
USER = {"upn": "alice@contoso.com", "salesperson_code": "AL", "aad_object_id": "a", "admin": True}
documents = st.builds(
    lambda tables, users: {**tables, **({"user": users} if users else {})},
    toml_tables(KNOWN),
    st.lists(toml_tables({"u": USER}).map(lambda t: t.get("u", {})), max_size=3),
)


def _load(path: Path) -> None:
    problem: ConfigError | None = None
    try:
        load_settings(path, env={})
    except ConfigError as exc:
        problem = exc
    event("refused" if problem else "loaded")
    if problem is not None:
        assert "\n" not in str(problem).strip(), str(problem)
        assert "Traceback" not in str(problem)


@FUZZ
@given(tables=documents)
def test_config_files(tmp_path_factory: Any, tables: dict[str, Any]) -> None:
    path = tmp_path_factory.mktemp("config") / "interlog.toml"
    path.write_text(toml_document(tables), encoding="utf-8", errors="surrogatepass")
    _load(path)


@FUZZ
@given(raw=text | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_files_that_are_not_toml(tmp_path_factory: Any, raw: str) -> None:
    path = tmp_path_factory.mktemp("config") / "interlog.toml"
    path.write_bytes(raw.encode("utf-8", "surrogatepass"))
    _load(path)
