"""`interlog init` upgrades, seeds and syncs `[[user]]` rows, idempotently."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from interlog.cli import cli
from storage.db import make_engine


def test_init_syncs_users_from_the_config(sqlite_url: str, tmp_path: Path) -> None:
    config = tmp_path / "interlog.toml"
    config.write_text('[[user]]\nupn = "Alice@Contoso.com"\nsalesperson_code = "AL"\n',
                      encoding="utf-8")
    runner = CliRunner()
    args = ["--config", str(config), "--db", sqlite_url, "init"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "Added users: alice@contoso.com" in first.output
    assert "Nothing to seed" in runner.invoke(cli, args).output
    config.write_text('[[user]]\nupn = "alice@contoso.com"\nsalesperson_code = "AS"\n'
                      'admin = true\n', encoding="utf-8")
    third = runner.invoke(cli, args)
    assert third.output.splitlines()[1:] == ["Updated users: alice@contoso.com"]
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select upn, salesperson_code, admin from users")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("alice@contoso.com", "AS", 1)]
