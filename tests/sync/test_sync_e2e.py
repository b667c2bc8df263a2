"""End to end: the emulator over HTTP through the real msgraph-sdk, into SQLite and PostgreSQL."""

from __future__ import annotations

import math
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.sync.runs import StreamStats, list_runs
from emulator import EmulatorServer
from emulator.generate import GeneratedData
from storage.models import InteractionLogEntry
from storage.sync_models import SyncCursor, SyncRunStream
from tests.support.sync import Syncer, a_contact_address, count, entries, new_mail, users


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def test_first_sync_then_rerun_costs_one_request_per_stream(
    run_sync: Syncer, sync_db: Engine
) -> None:
    first = run_sync()
    assert first.ok, first.errors
    assert first.total.entries_created > 100
    created = entries(sync_db)
    assert len(created) == first.total.entries_created == len(set(created))
    for s in first.streams:  # ⌈N / page⌉ (+1 when the last page is exactly full), no more
        assert s.graph_requests == s.pages <= math.ceil(max(s.outcome.items_seen, 1) / 40) + 1

    second = run_sync()
    assert second.ok
    assert (second.total.items_seen, second.total.entries_created) == (0, 0)
    assert [s.graph_requests for s in second.streams] == [1] * len(second.streams)
    assert entries(sync_db) == created
    with Session(sync_db) as session:
        runs = list_runs(session)
        assert [r.status for r in runs] == ["ok", "ok"]
        assert runs[1].entries_created == first.total.entries_created
        assert runs[0].graph_requests == len(second.streams)
        assert session.scalar(sa.select(sa.func.count()).select_from(SyncRunStream)) == 18


def test_incremental_sync_picks_up_new_mail(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    run_sync()
    alice, contact = users(data)[0], a_contact_address(data)
    emulator.state.add_message(alice, new_mail(1, contact, alice))
    summary = run_sync()
    assert summary.total.entries_created == 1
    inbox = next(s for s in summary.streams if s.mailbox == alice and s.stream == "mail:inbox")
    assert (inbox.graph_requests, inbox.outcome.items_seen) == (1, 1)
    with Session(sync_db) as session:
        entry = session.scalars(sa.select(InteractionLogEntry).where(
            InteractionLogEntry.internet_message_id == "<new-1@example.test>")).one()
    assert (entry.source, entry.information_flow, entry.user_upn) == ("email", "inbound", alice)


def test_crash_between_pages_resumes_without_loss_or_duplicates(
    run_sync: Syncer, sync_db: Engine, run_sync_sqlite: Syncer, sqlite_db: Engine
) -> None:
    run_sync_sqlite()  # the same tenant, uninterrupted, into a database of its own
    expected = entries(sqlite_db, user=False)

    def crash_at(stream: str, page: int) -> Any:
        def hook(stats: StreamStats) -> None:
            if stats.stream == stream and stats.pages == page:
                raise Crash
        return hook

    with pytest.raises(Crash):
        run_sync(after_page=crash_at("mail:inbox", 2))
    partial = entries(sync_db, user=False)
    assert 0 < len(partial) < len(expected)
    with Session(sync_db) as session:  # a round in progress was saved with its next_link
        assert session.scalar(sa.select(sa.func.count()).select_from(SyncCursor)
                              .where(SyncCursor.next_link.is_not(None))) >= 1
    with pytest.raises(Crash):
        run_sync(after_page=crash_at("mail:sentitems", 1))
    final = run_sync()
    assert final.ok, final.errors
    assert entries(sync_db, user=False) == expected
    e = InteractionLogEntry
    with Session(sync_db) as session:
        upns = set(session.scalars(sa.select(e.user_upn).distinct()))
    assert upns <= set(run_sync.settings.sync.mailboxes)


def test_throttling_storm_with_long_retry_after_finishes(
    run_sync_sqlite: Syncer, sqlite_db: Engine, emulator: EmulatorServer
) -> None:
    emulator.state.inject_fault(429, count=3, path="(?i)messages/delta", retry_after=300)
    emulator.state.inject_fault(429, count=4, path="(?i)calendarview/delta", retry_after=2)
    summary = run_sync_sqlite()
    assert summary.ok, summary.errors
    assert summary.throttled == 7
    sleeps = run_sync_sqlite.clock.sleeps
    assert len([s for s in sleeps if s >= 300]) == 3  # ≥ 180 s: the SDK would have given up
    assert len([s for s in sleeps if 2 <= s < 3]) == 4
    assert summary.graph_requests == sum(s.pages for s in summary.streams) + 7
    assert emulator.state.counters_snapshot()["faults"] == 7
    assert count(sqlite_db, InteractionLogEntry) == summary.total.entries_created > 0


def test_503_and_504_are_retried_and_504_halves_the_page(
    run_sync_sqlite: Syncer, emulator: EmulatorServer, data: GeneratedData
) -> None:
    alice = users(data)[0]
    emulator.state.inject_fault(504, count=1, path="(?i)mailfolders/inbox/messages/delta",
                                mailbox=alice)
    emulator.state.inject_fault(503, count=2, path="(?i)mailfolders/sentitems", mailbox=alice)
    summary = run_sync_sqlite()
    assert summary.ok, summary.errors
    streams = {(s.mailbox, s.stream): s for s in summary.streams}
    inbox, sent = streams[(alice, "mail:inbox")], streams[(alice, "mail:sentitems")]
    assert inbox.outcome.items_seen > 40
    assert inbox.pages == math.ceil(inbox.outcome.items_seen / 20)  # 40 halved to 20
    assert inbox.graph_requests == inbox.pages + 1
    assert sent.graph_requests == sent.pages + 2


def test_expired_delta_token_resyncs_without_duplicates(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    run_sync()
    before = entries(sync_db)
    alice = users(data)[0]
    emulator.state.expire_tokens()
    emulator.state.add_message(alice, new_mail(2, a_contact_address(data), alice))
    summary = run_sync()
    assert summary.ok, summary.errors
    assert all(s.resynced for s in summary.streams)
    assert summary.total.entries_created == 1
    after = entries(sync_db)
    assert len(after) == len(before) + 1 == len(set(after))
    assert set(before) <= set(after)
    with Session(sync_db) as session:
        assert set(session.scalars(sa.select(SyncCursor.resyncs))) == {1}
    assert run_sync().total.items_seen == 0  # the new deltaLinks work


def test_unknown_mailbox_fails_alone(
    run_sync: Syncer, sync_db: Engine, data: GeneratedData
) -> None:
    alice = users(data)[0]
    summary = run_sync(mailboxes=[alice, "ghost@contoso.com"])
    assert summary.failed_mailboxes == ["ghost@contoso.com"]
    assert len(summary.errors) == 3
    assert all("no such mailbox" in e for e in summary.errors)
    assert summary.total.entries_created == count(sync_db, InteractionLogEntry) > 0
    with Session(sync_db) as session:
        assert list_runs(session)[0].status == "failed"
        assert list_runs(session)[0].errors == 3


def test_same_thread_in_several_mailboxes_gives_one_entry_per_contact(
    run_sync: Syncer, sync_db: Engine
) -> None:
    run_sync()
    e = InteractionLogEntry
    with Session(sync_db) as session:
        copies = session.execute(
            sa.select(e.contact_no, e.internet_message_id, sa.func.count())
            .where(e.internet_message_id.is_not(None))
            .group_by(e.contact_no, e.internet_message_id)
        ).all()
        meetings = session.execute(
            sa.select(e.contact_no, e.ical_uid, sa.func.count()).where(e.ical_uid.is_not(None))
            .group_by(e.contact_no, e.ical_uid)
        ).all()
    assert copies
    assert meetings
    assert {n for *_, n in copies} == {1}
    assert {n for *_, n in meetings} == {1}
