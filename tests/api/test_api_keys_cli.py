"""`interlog api-keys create|list|revoke`: shown once, stored hashed, revoked keys refused."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from interlog.cli import cli
from storage.api_models import ApiKey, authenticate
from storage.db import make_engine
from storage.errors import Refused
from tests.support.databases import url_of


@pytest.fixture
def db_url(clean_sqlite_engine: Engine) -> str:
    """The session's SQLite file, empty: the CLI commits to it."""
    return url_of(clean_sqlite_engine)


def test_a_key_is_shown_once_stored_hashed_and_refused_once_revoked(db_url: str) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["--db", db_url, "api-keys", "create", "erp"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("il_")
    assert len(key) > 40
    listed = runner.invoke(cli, ["--db", db_url, "api-keys", "list"])
    assert "erp" in listed.output
    assert key not in listed.output
    engine = make_engine(db_url)
    with Session(engine) as session:
        row = session.scalar(sa.select(ApiKey).where(ApiKey.name == "erp"))
        assert row is not None
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert authenticate(session, key) is not None
    twice = runner.invoke(cli, ["--db", db_url, "api-keys", "create", "erp"])
    assert isinstance(twice.exception, Refused)
    revoked = runner.invoke(cli, ["--db", db_url, "api-keys", "revoke", "erp"])
    assert revoked.exit_code == 0, revoked.output
    with Session(engine) as session:
        assert authenticate(session, key) is None
    again = runner.invoke(cli, ["--db", db_url, "api-keys", "create", "erp"])
    assert again.exit_code == 0  # the name is free again; the old key stays dead
    with Session(engine) as session:
        assert authenticate(session, key) is None
        assert authenticate(session, again.stdout.strip()) is not None
    engine.dispose()


@pytest.mark.parametrize("name", ["", "has space", "x" * 61, "!bang", "é"])
def test_a_bad_key_name_is_refused(db_url: str, name: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db_url, "api-keys", "create", name])
    assert result.exit_code != 0
    assert "API key name" in str(result.exception)
