"""`[[user]]` seeds the users table at the start of `interlog sync` and `interlog worker`, and
two processes starting together on one PostgreSQL database both end with the rows in place."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from emulator import EmulatorServer
from interlog.config import UserSettings
from interlog.users import seed_configured_users
from storage.db import make_engine
from storage.models import InteractionLogEntry, User
from storage.users import UserSeedResult
from tests.support.builders import inbound, tenant_of, upn

pytestmark = pytest.mark.timeout(90)
ROOT = Path(__file__).resolve().parents[2]
USER = f'[[user]]\nupn = "{upn(0).upper()}"\nsalesperson_code = "U0"\nadmin = true\n'


def _users(url: str) -> list[tuple[str, str, bool]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(sa.select(User.upn, User.salesperson_code, User.admin))
            return sorted((upn_, code, admin) for upn_, code, admin in rows)
    finally:
        engine.dispose()


def test_sync_seeds_the_configured_users_before_capture_reads_them(
    tmp_path: Path, run: Callable[..., Result], initialized_url: str, files: dict[str, Path]
) -> None:
    assert run("contacts", "import", str(files["contacts"])).exit_code == 0
    tenant = tenant_of(1)
    tenant["messages"] = {upn(0): [inbound(upn(0), 1)]}  # from jane.doe@ Fabrikam (CT1)
    with EmulatorServer.start(tenant) as emu:
        config = tmp_path / "interlog.toml"
        config.write_text(f'[graph]\nbase_url = "{emu.base_url}"\nstatic_token = "t"\n'
                          f'[sync]\nmailboxes = ["{upn(0)}"]\ninternal_domains = ["contoso.com"]\n'
                          + USER, encoding="utf-8")
        result = run("--config", str(config), "sync")
    assert result.exit_code == 0, result.output
    assert _users(initialized_url) == [(upn(0), "U0", True)]
    engine = make_engine(initialized_url)
    with Session(engine) as session:
        stamped = session.execute(sa.select(InteractionLogEntry.contact_no,
                                            InteractionLogEntry.salesperson_code)).all()
    engine.dispose()
    assert [tuple(row) for row in stamped] == [("CT1", "U0")]


def test_worker_seeds_the_configured_users_when_it_starts(
    tmp_path: Path, initialized_url: str
) -> None:
    config = tmp_path / "interlog.toml"
    config.write_text(f'[storage]\nurl = "{initialized_url}"\n' + USER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOG_")}
    env["PYTHONPATH"] = str(ROOT)
    interlog = Path(sys.executable).with_name("interlog")
    worker = subprocess.Popen([str(interlog), "--config", str(config), "worker"],
                              stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        assert worker.stderr is not None
        lines: list[str] = []
        while not any(" started" in line for line in lines):
            line = worker.stderr.readline()
            assert line, "".join(lines)  # the worker ended before it started
            lines.append(line)
        assert _users(initialized_url) == [(upn(0), "U0", True)]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert worker.returncode == 0


def _wait_for_a_lock_wait(engine: Engine, seconds: float = 30) -> None:
    """Until some session of this database waits on a lock (the seed, on the unique UPN)."""
    deadline = time.monotonic() + seconds
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'")
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.scalar(query):
                return
        time.sleep(0.02)
    raise AssertionError("the seed never waited on the other process's insert")


def test_a_seed_that_loses_the_insert_race_seeds_again(clean_pg_engine: Engine) -> None:
    engine = clean_pg_engine
    admin = UserSettings(upn(0), salesperson_code="U0", admin=True)
    done: list[UserSeedResult] = []
    with engine.connect() as other:  # another process inserting the same user, not committed
        other.execute(sa.insert(User).values(upn=upn(0), salesperson_code="", admin=False))
        seeding = threading.Thread(target=lambda: done.append(
            seed_configured_users(engine, [admin], actor="test")))
        seeding.start()
        _wait_for_a_lock_wait(engine)
        other.commit()  # the seed's INSERT now fails on the unique UPN
        seeding.join(timeout=30)
    assert [(r.added, r.updated) for r in done] == [([], [upn(0)])]
    with Session(engine) as session:
        assert session.execute(sa.select(User.upn, User.admin)).all() == [(upn(0), True)]


def test_no_configured_user_touches_no_database(tmp_path: Path) -> None:
    nowhere = make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    assert not seed_configured_users(nowhere, [], actor="test").changed
