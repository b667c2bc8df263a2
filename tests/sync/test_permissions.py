"""A sync under Mail.ReadBasic.All: the extended property is not asked for (the emulator
would refuse it with 403), and mail whose privacy is unknown follows `[sync] unknown_privacy`.

Through the real msgraph-sdk over HTTP; the token is the emulator's JWT carrying `roles`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy.engine import Engine

from connector.graph.permissions import UNKNOWN, Permissions, roles_from_token
from connector.settings import Secret
from connector.sync.runs import RunSummary
from emulator import EmulatorServer
from emulator.generate import GeneratedData
from interlog.config import Settings
from storage.models import InteractionLogEntry
from tests.support.clock import FakeClock
from tests.support.emulator import app_token, with_roles
from tests.support.sync import REFERENCE, Syncer, count, make_settings

BASIC = ("Mail.ReadBasic.All", "Calendars.Read")
PERSONAL = InteractionLogEntry.subject.like("Personal:%")


@pytest.fixture
def basic_emulator(data: GeneratedData) -> Iterator[EmulatorServer]:
    with EmulatorServer.start(with_roles(data.tenant, *BASIC)) as emu:
        yield emu


def _settings(data: GeneratedData, emu: EmulatorServer, **sync: str) -> Settings:
    base = make_settings(data, emu.base_url, backfill_days=3650, **sync)
    return replace(base, graph=replace(base.graph, static_token=Secret(app_token(emu))))


def _private_ids(data: GeneratedData) -> set[str]:
    return {
        m["internetMessageId"] for box in data.tenant["messages"].values() for m in box
        if m.get("singleValueExtendedProperties")
    }  # fmt: skip


def _mail_private_skips(summary: RunSummary) -> int:
    mail = [s for s in summary.streams if s.stream.startswith("mail")]
    assert mail
    return sum(s.outcome.skipped.get("private", 0) for s in mail)


def _forbidden(emu: EmulatorServer) -> int:
    return int(emu.state.counters_snapshot()["requestsByStatus"].get("403", 0))


def test_readbasic_sync_does_not_ask_for_the_property_and_logs_unknown_mail(
    data: GeneratedData, basic_emulator: EmulatorServer, sync_db: Engine
) -> None:
    settings = _settings(data, basic_emulator)
    assert settings.sync.unknown_privacy == "log"  # the default
    summary = Syncer(settings, sync_db, FakeClock(REFERENCE))()
    assert summary.errors == []
    assert _forbidden(basic_emulator) == 0
    assert _private_ids(data), "the generated tenant has private mail"
    # Private mail cannot be told apart: logged with its own subject, as normal mail.
    assert count(sync_db, InteractionLogEntry, PERSONAL) > 0
    assert _mail_private_skips(summary) == 0


def test_readbasic_sync_with_redact_logs_every_message_with_the_redacted_subject(
    data: GeneratedData, basic_emulator: EmulatorServer, sync_db: Engine
) -> None:
    settings = _settings(data, basic_emulator, unknown_privacy="redact")
    summary = Syncer(settings, sync_db, FakeClock(REFERENCE))()
    assert summary.errors == []
    email = InteractionLogEntry.source == "email"
    redacted = InteractionLogEntry.subject == "Private"
    assert count(sync_db, InteractionLogEntry, email) > 0
    assert count(sync_db, InteractionLogEntry, email, ~redacted) == 0
    assert count(sync_db, InteractionLogEntry, PERSONAL) == 0
    # Meetings carry their own sensitivity: they keep their subjects.
    assert count(sync_db, InteractionLogEntry, InteractionLogEntry.source == "meeting",
                 ~redacted) > 0  # fmt: skip


def test_with_mail_read_private_mail_is_detected_and_skipped(
    data: GeneratedData, sync_db: Engine
) -> None:
    """The same tenant with Mail.Read: the property is read, private mail is not logged."""
    with EmulatorServer.start(with_roles(data.tenant, "Mail.Read", "Calendars.Read")) as emu:
        summary = Syncer(_settings(data, emu), sync_db, FakeClock(REFERENCE))()
        assert _forbidden(emu) == 0
    assert summary.errors == []
    assert _mail_private_skips(summary) > 0
    assert count(sync_db, InteractionLogEntry, PERSONAL) == 0


def test_without_a_mail_role_the_mail_streams_fail_with_403(
    data: GeneratedData, sync_db: Engine
) -> None:
    with EmulatorServer.start(with_roles(data.tenant, "Calendars.Read")) as emu:
        summary = Syncer(_settings(data, emu), sync_db, FakeClock(REFERENCE))()
    assert any("mail" in e for e in summary.errors)
    assert count(sync_db, InteractionLogEntry, InteractionLogEntry.source == "email") == 0


def _jwt(payload: str) -> str:
    return "h." + base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode() + ".s"


def test_roles_are_read_from_a_jwt_and_unknown_for_any_other_token() -> None:
    assert roles_from_token("not-a-jwt") is None
    assert roles_from_token("a.!!not base64!!.c") is None
    assert roles_from_token(_jwt("[1, 2]")) is None
    assert roles_from_token(_jwt('{"roles": ["Mail.Read", 3]}')) == {"Mail.Read"}
    assert roles_from_token(_jwt('{"aud": "x"}')) == frozenset()
    basic = Permissions(frozenset({"Mail.ReadBasic.All", "Calendars.Read"}))
    assert (basic.reads_mail, basic.detects_private_mail, basic.reads_calendar) == (
        True, False, True)  # fmt: skip
    assert basic.missing() == []
    assert Permissions(frozenset()).missing() == ["Mail.Read (or Mail.ReadBasic.All)",
                                                  "Calendars.Read"]  # fmt: skip
    assert UNKNOWN.detects_private_mail
    assert UNKNOWN.missing() == []
