"""The real `interlog` process: exit codes, no terminal, and the confirmation on a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.cli import Run

INTERLOG = str(Path(sys.executable).parent / "interlog")
DEADLINE_S = 20.0


def _prepare(run: Run) -> list[str]:
    """Two entries, both canceled; returns their numbers."""
    numbers = []
    for _ in range(2):
        result = run("log", "--contact", "P1", "--template", "CALL")
        assert result.exit_code == 0, result.output
        numbers.append(result.stdout.split("#")[1].split(":")[0])
    assert run("entries", "cancel", *numbers).exit_code == 0
    return numbers


@pytest.fixture
def canceled(run: Run, tmp_path: Path) -> list[str]:
    path = tmp_path / "c.csv"
    path.write_text("no,type,name,company_no,email,email2,domains\nP1,person,Ann,,,,\n",
                    encoding="utf-8")
    assert run("contacts", "import", str(path)).exit_code == 0
    return _prepare(run)


def test_no_terminal_and_no_yes_refuses(initialized_url: str, canceled: list[str],
                                        run: Run) -> None:
    proc = subprocess.run([INTERLOG, "--db", initialized_url, "entries", "delete-canceled"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "interlog: 2 canceled entries would be deleted; there is no terminal to confirm on:"
        " add --yes"]
    assert len(run("entries", "list", "--json").stdout.split('"entry_no"')) == 3


def test_user_error_and_usage_exit_codes(initialized_url: str) -> None:
    user = subprocess.run([INTERLOG, "--db", initialized_url, "entries", "cancel", "424242"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (user.returncode, user.stdout) == (1, "")
    assert user.stderr == "interlog: no interaction log entry #424242; nothing was changed\n"
    usage = subprocess.run([INTERLOG, "--db", initialized_url, "entries", "cancel"],
                           capture_output=True, text=True, timeout=60, check=False)
    assert usage.returncode == 2
    assert "Missing argument" in usage.stderr
    assert "Traceback" not in usage.stderr


def _on_terminal(args: list[str], answer: str) -> tuple[int, str]:
    """Run interlog on a pseudo-terminal; answer its question; return exit code and output."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([INTERLOG, *args], stdin=slave, stdout=slave, stderr=slave,
                            close_fds=True)
    os.close(slave)
    output, answered = b"", False
    deadline = time.monotonic() + DEADLINE_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the process closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            if not answered and b"[y/N]" in output:
                os.write(master, answer.encode() + b"\r")
                answered = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert answered, output
    return code, output.decode(errors="replace")


def test_confirmation_on_a_terminal(initialized_url: str, canceled: list[str],
                                    run: Run) -> None:
    args = ["--db", initialized_url, "entries", "delete-canceled"]
    code, output = _on_terminal(args, "n")
    assert code == 1
    assert "Aborted." in output
    assert run("entries", "list", "--json", "--status", "canceled").stdout.count("entry_no") == 2
    code, output = _on_terminal(args, "y")
    assert code == 0, output
    assert f"Deleted 2 canceled entries: #{canceled[0]}, #{canceled[1]}" in output
    assert run("entries", "list", "--json").stdout.strip() == "[]"
