"""Changed items (docs/capture.md, "Changed items"): what people do to old mail logs nothing.

A delta round after the first reports every message that *changed* in the folder — read,
flagged, categorised, moved in — not only new mail. Mail received before `backfill_days` is
never logged, in any round, and a message already captured changes nothing when it changes.
On SQLite and PostgreSQL, through the real msgraph-sdk against the emulator.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from emulator import EmulatorServer
from emulator.generate import GeneratedData
from storage.models import InteractionLogEntry as Entry
from tests.support.sync import REFERENCE, Syncer, entries, new_mail, users

# Microsoft Learn, "Get incremental changes to messages in a folder", example 1
# (https://learn.microsoft.com/en-us/graph/delta-query-messages): a folder of five messages is
# synced; then one is deleted and "Holiday hours update" is marked read, and the next round
# reports exactly those two changes. The documented pages carry only subject, sender and
# isRead; the header fields capture selects are added here, with "Holiday hours update"
# received in 2016.
DOCUMENTED = (
    ("AAMkADNkNAAASq35xAAA=", "Holiday hours update", "2016-12-05T09:00:00Z", False),
    ("AQMkADNkNAAAVRMKAAAAA==", "Holiday promotion sale", None, True),
    ("AQMkADNkNAAAgWkAAAA", "Microsoft Virtual Academy at Contoso", None, True),
    ("AQMkADNkNAAAgWJAAAA", "New or modified user account information", None, True),
    ("AAMkADk0MGFkODE3LWEAAA=", "Fabric CDN now available", None, True),
)


def _contact_addresses(data: GeneratedData, n: int) -> list[str]:
    found = [c["email"] for c in data.contacts if c["type"] == "person" and c["email"]]
    assert len(found) >= n
    return found[:n]


def _documented_folder(data: GeneratedData) -> list[dict[str, Any]]:
    mailbox = users(data)[0]
    messages = []
    for i, ((graph_id, subject, received, read), sender) in enumerate(
        zip(DOCUMENTED, _contact_addresses(data, len(DOCUMENTED)), strict=True)
    ):
        when = received or (REFERENCE - timedelta(days=2 + i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        messages.append(new_mail(900 + i, sender, mailbox, id=graph_id, subject=subject,
                                 isRead=read, receivedDateTime=when, sentDateTime=when))
    return messages


def _subjects(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.scalars(sa.select(Entry.subject)))


def test_the_documented_next_round_logs_nothing_for_the_changed_old_message(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    mailbox = users(data)[0]
    for message in _documented_folder(data):
        emulator.state.add_message(mailbox, message)
    first = run_sync()
    assert first.ok, first.errors
    logged = _subjects(sync_db)
    assert {s for _, s, received, _ in DOCUMENTED if received is None} <= logged
    assert "Holiday hours update" not in logged
    before = entries(sync_db)

    emulator.state.delete_message(mailbox, "AQMkADNkNAAAgWJAAAA")
    emulator.state.update_message(mailbox, "AAMkADNkNAAASq35xAAA=", {"isRead": True})
    second = run_sync()

    assert second.ok, second.errors
    # The round did report the deletion and the change (and nothing else changed).
    assert second.total.items_seen == 2
    assert second.total.skipped["before_backfill"] == 1
    assert second.total.entries_created == 0
    assert entries(sync_db) == before
    with Session(sync_db) as session:
        oldest = session.scalar(sa.select(sa.func.min(Entry.occurred_at)))
    assert oldest is not None
    assert oldest.year > 2016


def test_an_old_message_moved_into_a_synced_folder_is_never_logged(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    mailbox, sender = users(data)[0], _contact_addresses(data, 1)[0]
    old = (REFERENCE - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    emulator.state.add_message(mailbox, new_mail(1, sender, mailbox, parentFolderId="archive",
                                                 receivedDateTime=old, sentDateTime=old))
    assert run_sync().ok
    before = entries(sync_db)
    emulator.state.update_message(mailbox, "new-msg-1", {"parentFolderId": "inbox"})
    summary = run_sync()
    assert summary.ok, summary.errors
    assert summary.total.skipped["before_backfill"] == 1
    assert summary.total.entries_created == 0
    assert entries(sync_db) == before


def test_a_captured_message_read_flagged_categorised_and_moved_changes_nothing(
    run_sync: Syncer, sync_db: Engine, emulator: EmulatorServer, data: GeneratedData
) -> None:
    mailbox, sender = users(data)[0], _contact_addresses(data, 1)[0]
    emulator.state.add_message(mailbox, new_mail(2, sender, mailbox))
    assert run_sync().total.entries_created >= 1
    before = entries(sync_db)
    assert any(e[2] == "<new-2@example.test>" for e in before)
    changes: list[dict[str, Any]] = [
        {"isRead": True}, {"flag": {"flagStatus": "flagged"}},
        {"categories": ["Red category"]}, {"parentFolderId": "sentitems"},
    ]
    for change in changes:
        emulator.state.update_message(mailbox, "new-msg-2", change)
        summary = run_sync()
        assert summary.ok, summary.errors
        assert summary.total.items_seen >= 1  # the change was reported
        assert summary.total.entries_created == 0
        assert entries(sync_db) == before
