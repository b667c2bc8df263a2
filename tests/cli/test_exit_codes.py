"""The exit codes cron and systemd see: the real `interlog` console script, as a process.

0 on success, 1 with a one-line message for a user error or a failed sync, 2 for bad usage
(design.md, "Command-line contract"). Issue 12, item 5: `ctx.exit(1)` used to be lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import EmulatorServer, EmulatorSettings
from tests.support.builders import ALICE, DOMAIN, small_tenant

pytestmark = pytest.mark.timeout(180)

INTERLOG = str(Path(sys.executable).with_name("interlog"))
TOKEN = "exit-codes-token"


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    """A config file pointing at a running Graph emulator with Alice's mailbox."""
    settings = EmulatorSettings(require_token=TOKEN)
    with EmulatorServer.start(small_tenant(messages=3), settings=settings) as emulator:
        path = tmp_path / "interlog.toml"
        path.write_text(
            f'[graph]\nbase_url = "{emulator.base_url}"\nstatic_token = "{TOKEN}"\n'
            f'[sync]\nmailboxes = ["{ALICE}"]\ninternal_domains = ["{DOMAIN}"]\n',
            encoding="utf-8")
        yield path


def interlog(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOG_")}
    return subprocess.run([INTERLOG, *args], capture_output=True, text=True, timeout=120,
                          env=env, check=False)


def test_sync_exits_1_when_a_mailbox_fails(config: Path, empty_url: str) -> None:
    base = ("--config", str(config), "--db", empty_url)
    initialized = interlog(*base, "init")
    assert initialized.returncode == 0, initialized.stderr
    failed = interlog(*base, "sync", "--mailbox", ALICE, "--mailbox", f"ghost@{DOMAIN}",
                      "--json")
    assert failed.returncode == 1, failed.stderr
    assert f"sync failed for ghost@{DOMAIN}" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert '"entries_created"' in failed.stdout  # Alice's half of the run was still done


def test_usage_errors_exit_2_and_user_errors_exit_1(tmp_path: Path) -> None:
    assert interlog("no-such-command").returncode == 2
    missing = interlog("--config", str(tmp_path / "missing.toml"), "contacts", "list")
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr
