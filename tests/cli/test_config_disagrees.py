"""Issue 12, item 10: configuration that disagrees with itself is one line on stderr, exit 1,
nothing written (the `interlog` console script, in-process, on SQLite and PostgreSQL):

- two `[[user]]`s whose UPNs differ only in case (the pages and the bot would see different
  rights), or that share an Entra object id, are named both;
- a salesperson code longer than its column (20) is refused at config load, and by
  `seed_users`, which every writer of a salesperson code goes through.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.config import ConfigError, UserSettings, settings_from_dict
from storage.models import AuditEvent, InteractionTemplate, User
from storage.users import seed_users
from storage.values import BadValue
from tests.support.cli import make_run
from tests.support.databases import url_of


def _rows(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
                     for model in (User, InteractionTemplate, AuditEvent))  # type: ignore[return-value]


def _init(engine: Engine, tmp_path: Path, users: str) -> Result:
    config = tmp_path / "interlog.toml"
    config.write_text(users, encoding="utf-8")
    return make_run(url_of(engine))("--config", str(config), "init")


def _one_line(result: Result, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    for text in expected:
        assert text in lines[0], lines[0]


def test_users_that_differ_only_in_case_are_refused_naming_both(
        clean_engine: Engine, tmp_path: Path) -> None:
    result = _init(clean_engine, tmp_path, """
[[user]]
upn = "alice@contoso.com"
admin = true
[[user]]
upn = "bob@contoso.com"
[[user]]
upn = "Alice@Contoso.com"
admin = false
""")
    _one_line(result, "#1 'alice@contoso.com'", "#3 'Alice@Contoso.com'")
    assert _rows(clean_engine) == (0, 0, 0)


def test_users_sharing_an_entra_object_id_are_refused(clean_engine: Engine,
                                                      tmp_path: Path) -> None:
    result = _init(clean_engine, tmp_path, """
[[user]]
upn = "alice@contoso.com"
aad_object_id = "aad-1"
[[user]]
upn = "bob@contoso.com"
aad_object_id = "aad-1"
""")
    _one_line(result, "'alice@contoso.com'", "'bob@contoso.com'", "aad-1")
    assert _rows(clean_engine) == (0, 0, 0)


def test_a_salesperson_code_longer_than_its_column_is_refused(clean_engine: Engine,
                                                             tmp_path: Path) -> None:
    result = _init(clean_engine, tmp_path,
                   '[[user]]\nupn = "alice@contoso.com"\nsalesperson_code = "' + "S" * 21 + '"\n')
    _one_line(result, "salesperson_code", "longer than 20")
    assert _rows(clean_engine) == (0, 0, 0)
    fits = _init(clean_engine, tmp_path,
                 '[[user]]\nupn = "alice@contoso.com"\nsalesperson_code = "' + "S" * 20 + '"\n')
    assert fits.exit_code == 0, fits.output
    assert _rows(clean_engine)[0] == 1


def test_seed_users_refuses_a_code_the_column_cannot_hold(db: Session) -> None:
    """On PostgreSQL this was a DataError at flush; SQLite stored it whole."""
    with pytest.raises(BadValue, match="longer than 20"):
        seed_users(db, [UserSettings("alice@contoso.com", salesperson_code="X" * 21)])
    assert db.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_settings_from_dict_refuses_them_too() -> None:
    with pytest.raises(ConfigError, match="same user"):
        settings_from_dict({"user": [{"upn": "a@x.com"}, {"upn": "A@X.COM "}]}, env={})
