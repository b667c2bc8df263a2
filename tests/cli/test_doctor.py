"""`interlog doctor [--json]` against the emulator: token, roles, mailboxes, what capture can do.

Graph is reached through the real msgraph-sdk over HTTP; the token is the emulator's JWT
(whose `roles` come from the tenant file), given to interlog as `[graph] static_token`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import EmulatorServer
from tests.support.builders import ALICE, BOB, small_tenant
from tests.support.cli import Run, make_run
from tests.support.emulator import app_token, with_roles

FULL = ("Mail.Read", "Calendars.Read", "CallRecords.Read.All")


@pytest.fixture
def start() -> Iterator[Any]:
    started: list[EmulatorServer] = []

    def go(*roles: str) -> EmulatorServer:
        emu = EmulatorServer.start(with_roles(small_tenant(), *roles))
        started.append(emu)
        return emu

    yield go
    for emu in started:
        emu.stop()


def _doctor(tmp_path: Path, emu: EmulatorServer, *, token: str | None = None,
            mailboxes: tuple[str, ...] = (ALICE, BOB), extra: str = "") -> Run:
    boxes = ", ".join(f'"{m}"' for m in mailboxes)
    config = tmp_path / "interlog.toml"
    config.write_text(
        f'[graph]\nbase_url = "{emu.base_url}"\n'
        f'static_token = "{token if token is not None else app_token(emu)}"\n'
        f"[sync]\nmailboxes = [{boxes}]\n{extra}", encoding="utf-8")  # fmt: skip
    run = make_run(f"sqlite:///{tmp_path / 'unused.db'}")
    return lambda *args: run("--config", str(config), "doctor", *args)


def test_full_roles_exit_0_and_list_the_roles(tmp_path: Path, start: Any) -> None:
    result = _doctor(tmp_path, start(*FULL))()
    assert result.exit_code == 0, result.output
    assert "roles: Calendars.Read, CallRecords.Read.All, Mail.Read" in result.stdout
    assert "private mail detected" in result.stdout
    assert "not with Mail.ReadBasic.All" not in result.stdout


def test_json_shape(tmp_path: Path, start: Any) -> None:
    result = _doctor(tmp_path, start(*FULL))("--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"ok", "token", "roles", "capture", "missing", "mailboxes"}
    assert out["ok"] is True
    assert out["token"] == {"obtained": True, "error": None}
    assert out["roles"] == sorted(FULL)
    assert out["capture"] == {"mail": True, "private_mail": True, "calendar": True,
                              "call_records": True, "unknown_privacy": "log"}
    assert out["missing"] == []
    assert out["mailboxes"] == [
        {"mailbox": m, "mail": "ok", "calendar": "ok", "detail": None} for m in (ALICE, BOB)
    ]


def test_readbasic_says_private_mail_cannot_be_detected(tmp_path: Path, start: Any) -> None:
    run = _doctor(tmp_path, start("Mail.ReadBasic.All", "Calendars.Read"),
                  extra='unknown_privacy = "redact"\n')
    text = run()
    assert text.exit_code == 0, text.output  # capture runs, without privacy
    assert "not with Mail.ReadBasic.All" in text.stdout
    assert 'unknown_privacy = "redact"' in text.stdout
    out = json.loads(run("--json").stdout)
    assert out["capture"]["mail"] is True
    assert out["capture"]["private_mail"] is False
    assert out["capture"]["call_records"] is False
    assert out["capture"]["unknown_privacy"] == "redact"


def test_no_mail_role_exits_1_naming_the_permission(tmp_path: Path, start: Any) -> None:
    run = _doctor(tmp_path, start("Calendars.Read"))
    result = run()
    assert result.exit_code == 1
    assert "capture cannot run: the app lacks Mail.Read (or Mail.ReadBasic.All)" in result.stderr
    out = json.loads(run("--json").stdout)
    assert out["ok"] is False
    assert out["missing"] == ["Mail.Read (or Mail.ReadBasic.All)"]
    assert {m["mail"] for m in out["mailboxes"]} == {"forbidden"}
    assert {m["calendar"] for m in out["mailboxes"]} == {"ok"}


def test_an_unknown_mailbox_is_not_found_and_fails(tmp_path: Path, start: Any) -> None:
    run = _doctor(tmp_path, start(*FULL), mailboxes=(ALICE, "ghost@contoso.com"))
    result = run("--json")
    assert result.exit_code == 1
    boxes = {m["mailbox"]: m["mail"] for m in json.loads(result.stdout)["mailboxes"]}
    assert boxes == {ALICE: "ok", "ghost@contoso.com": "not_found"}
    assert "ghost@contoso.com: mail not_found" in result.stderr


def test_an_opaque_token_has_unknown_roles_and_relies_on_the_probes(
    tmp_path: Path, start: Any
) -> None:
    result = _doctor(tmp_path, start(*FULL), token="not-a-jwt")("--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["roles"] is None
    assert out["capture"]["private_mail"] is None


def test_no_token_is_one_line_and_never_shows_the_secret(tmp_path: Path) -> None:
    """Entra ID refuses (or cannot be reached from the test machine): no token."""
    config = tmp_path / "interlog.toml"
    config.write_text(
        '[graph]\ntenant_id = "t"\nclient_id = "c"\nclient_secret = "s3cret-value"\n'
        f'[sync]\nmailboxes = ["{ALICE}"]\n', encoding="utf-8")  # fmt: skip
    result = make_run(f"sqlite:///{tmp_path / 'x.db'}")("--config", str(config), "doctor")
    assert result.exit_code == 1
    assert "capture cannot run: no Graph token" in result.stderr
    assert "s3cret-value" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
