"""The generator: deterministic, believable, and loadable by the emulator."""

from __future__ import annotations

import csv
import json
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from emulator import EmulatorSettings, Store, load_tenant
from emulator.generate import generate, write
from interlog.cli.emulator import emulator

REFERENCE = datetime(2026, 1, 15, tzinfo=UTC)


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    write(generate(seed=7, reference=REFERENCE), tmp_path / "a")
    write(generate(seed=7, reference=REFERENCE), tmp_path / "b")
    write(generate(seed=8, reference=REFERENCE), tmp_path / "c")
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert a == b
    assert a["tenant.json"] != c["tenant.json"]
    assert set(a) == {"tenant.json", "contacts.csv", "templates.toml"}


def test_generated_company_looks_real(tmp_path: Path) -> None:
    data = generate(mailboxes=3, messages=150, events=30, contacts=40, reference=REFERENCE)
    tenant = load_tenant(data.tenant)
    upns = [u["userPrincipalName"] for u in tenant.users]
    assert upns == ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com"]
    mail = [m for box in tenant.messages.values() for m in box]
    assert all(len(box) == 150 for box in tenant.messages.values())
    ids_per_imid: dict[str, int] = {}
    for m in mail:
        ids_per_imid[m["internetMessageId"]] = ids_per_imid.get(m["internetMessageId"], 0) + 1
    assert max(ids_per_imid.values()) >= 2  # threads seen in several mailboxes
    subjects = [m["subject"] for m in mail]
    assert any(re.search(r"(?i)quote\s+SQ-\d+", s) for s in subjects)
    senders = {m["from"]["emailAddress"]["address"] for m in mail}
    assert any(s.startswith(("no-reply@", "do-not-reply@", "mailer-daemon@")) for s in senders)
    assert any(m["isDraft"] for m in mail)
    assert any("singleValueExtendedProperties" in m for m in mail)
    assert any("é" in m["from"]["emailAddress"]["name"] for m in mail)
    events = [e for box in tenant.events.values() for e in box]
    assert {"seriesMaster", "exception", "singleInstance"} <= {e["type"] for e in events}
    assert any(e["isCancelled"] for e in events)
    assert any(e["sensitivity"] == "private" for e in events)
    assert any(e["isOnlineMeeting"] for e in events)
    paths = write(data, tmp_path)
    rows = list(csv.DictReader(paths[1].open(encoding="utf-8")))
    assert list(rows[0]) == ["no", "type", "name", "company_no", "email", "email2", "domains"]
    assert rows[0]["no"] == "CT000001"
    assert rows[0]["type"] == "company"
    assert rows[0]["domains"] == "fabrikam.com;fabrikam.net"
    companies = {r["no"] for r in rows if r["type"] == "company"}
    assert all(r["company_no"] in companies for r in rows if r["type"] == "person")
    templates = tomllib.loads(paths[2].read_text(encoding="utf-8"))
    assert templates["setup"] == {"email": "EMAIL", "meeting": "MEETING", "phone_call": "CALL"}
    rule = re.compile(templates["rule"][0]["subject"])
    assert rule.search("Quote SQ-1042 for renewal").group("document_no") == "SQ-1042"  # type: ignore[union-attr]
    store = Store(json.loads(paths[0].read_text(encoding="utf-8")), EmulatorSettings())
    assert store.sizes()["entries"] > 450


def test_cli_generate_writes_files_and_serve_rejects_a_bad_tenant(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["generate", "--mailboxes", "2", "--messages", "10", "--events", "5",
            "--contacts", "12", "--seed", "3", "--reference", "2026-01-15", "--out"]  # fmt: skip
    first = runner.invoke(emulator, [*args, str(tmp_path / "x")])
    second = runner.invoke(emulator, [*args, str(tmp_path / "y")])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert _files(tmp_path / "x") == _files(tmp_path / "y")
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": []}', encoding="utf-8")
    result = runner.invoke(emulator, ["serve", "--tenant", str(bad)])
    assert result.exit_code == 1
    assert "users" in result.output
    assert "Traceback" not in result.output


def test_smallest_company_is_generated_and_too_small_is_refused(tmp_path: Path) -> None:
    smallest = generate(mailboxes=1, messages=5, events=3, contacts=2, seed=1, reference=REFERENCE)
    assert smallest.tenant["events"]
    result = CliRunner().invoke(
        emulator, ["generate", "--contacts", "1", "--out", str(tmp_path / "z")]
    )
    assert result.exit_code == 1
    assert "contacts at least 2" in result.output
    assert not (tmp_path / "z").exists()
