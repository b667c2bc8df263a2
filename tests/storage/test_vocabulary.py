"""Every closed vocabulary is refused a stray word by the database itself, on both back-ends.

The CHECK constraints come from migration 0008 (and the ones before it); the models declare
the same ones. `compare_metadata` (tests/storage/test_migrations.py) does not compare CHECK
constraints, so this module does: the database's constraints, the models' and the enums of
`storage/vocabulary.py` must name the same columns and allow the same words.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import storage.all_models  # noqa: F401  (every table on Base.metadata)
from storage.capture_models import CapturedItem, DeletedEntryKey
from storage.conversations import OutcomeOffer
from storage.delivery_models import ActivityDelivery
from storage.models import Base, InteractionLogEntry, MatchRule
from storage.phones import ContactPhone
from storage.sync_models import SyncCursor, SyncRun, SyncRunStream
from storage.vocabulary import (
    ContactType,
    CorrespondenceType,
    DeliveryChannel,
    EntrySource,
    Evaluation,
    InformationFlow,
    InitiatedBy,
    ItemKind,
    OfferState,
    PhoneKind,
    RunStatus,
    SetupKind,
    StreamKind,
    StreamStatus,
    SubscriptionAction,
    SyncOutcome,
    SyncTrigger,
)
from storage.worker_models import GraphSubscription, SyncInterval

if TYPE_CHECKING:
    from tests.support.world import World

# (table, column) → the vocabulary its CHECK constraint `ck_<table>_<column>` allows.
VOCABULARIES: dict[tuple[str, str], type[StrEnum]] = {
    ("contacts", "type"): ContactType,
    ("interaction_templates", "information_flow"): InformationFlow,
    ("interaction_templates", "initiated_by"): InitiatedBy,
    ("interaction_templates", "correspondence_type"): CorrespondenceType,
    ("template_setup", "kind"): SetupKind,
    ("match_rules", "kind"): ItemKind,
    ("match_rules", "direction"): InformationFlow,
    ("interaction_log_entries", "information_flow"): InformationFlow,
    ("interaction_log_entries", "initiated_by"): InitiatedBy,
    ("interaction_log_entries", "correspondence_type"): CorrespondenceType,
    ("interaction_log_entries", "evaluation"): Evaluation,
    ("interaction_log_entries", "source"): EntrySource,
    ("captured_items", "kind"): ItemKind,
    ("deleted_entry_keys", "kind"): ItemKind,
    ("sync_cursors", "stream"): StreamKind,
    ("sync_runs", "status"): RunStatus,
    ("sync_run_streams", "status"): StreamStatus,
    ("sync_intervals", "trigger"): SyncTrigger,
    ("sync_intervals", "outcome"): SyncOutcome,
    ("graph_subscriptions", "pending_action"): SubscriptionAction,
    ("activity_deliveries", "channel"): DeliveryChannel,
    ("contact_phones", "kind"): PhoneKind,
    ("outcome_offers", "state"): OfferState,
}
COLUMNS = sorted(VOCABULARIES)
# SQLite keeps "x in ('a', 'b')"; PostgreSQL gives "x::text = ANY (ARRAY['a'::…, …])".
WORD = re.compile(r"'([^']*)'")


def _words(sqltext: str) -> set[str]:
    return set(WORD.findall(sqltext))


def _database_checks(db: Session) -> dict[str, str]:
    """Every CHECK constraint of the migrated database: name → its SQL text."""
    inspector = sa.inspect(db.connection())
    return {str(check["name"]): str(check["sqltext"])
            for table in Base.metadata.tables
            for check in inspector.get_check_constraints(table)}


def _model_checks() -> dict[str, str]:
    return {str(c.name): str(c.sqltext)
            for table in Base.metadata.tables.values()
            for c in table.constraints if isinstance(c, sa.CheckConstraint)}


def test_the_database_the_models_and_the_enums_agree(db: Session) -> None:
    expected = {f"ck_{table}_{column}": {str(m.value) for m in vocabulary}
                for (table, column), vocabulary in VOCABULARIES.items()}
    database = {name: _words(sql) for name, sql in _database_checks(db).items()}
    models = {name: _words(sql) for name, sql in _model_checks().items()}
    assert database == expected
    assert models == expected


def _one_row_in_every_table(db: Session, world: World) -> None:
    """seed_defaults and the contacts give templates, setup and contacts; add the rest."""
    now = datetime(2024, 5, 2, 9, 0, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as stored
    run = SyncRun(status=RunStatus.OK, trigger="cli", skipped={})
    db.add_all([
        MatchRule(position=1, template_code="EMAIL", kind=ItemKind.EMAIL,
                  direction=InformationFlow.OUTBOUND),
        InteractionLogEntry(
            contact_id=world.jose.id, contact_no=world.jose.no, contact_name=world.jose.name,
            occurred_at=now, template_code="EMAIL", group_code="EMAIL",
            information_flow=InformationFlow.INBOUND, initiated_by=InitiatedBy.THEM,
            source=EntrySource.EMAIL),
        CapturedItem(mailbox="alice@contoso.com", graph_id="AAMk1", kind=ItemKind.EMAIL,
                     key="<m1@fabrikam.com>"),
        DeletedEntryKey(kind=ItemKind.MEETING, key="uid-1", contact_id=world.jose.id, entry_no=1),
        SyncCursor(mailbox="alice@contoso.com", stream=StreamKind.MAIL, folder="inbox"),
        run,
        SyncRunStream(run=run, mailbox="alice@contoso.com", stream="mail:inbox",
                      status=StreamStatus.OK, skipped={}),
        SyncInterval(mailbox="alice@contoso.com", worker_id="w1", trigger=SyncTrigger.POLL,
                     outcome=SyncOutcome.OK),
        GraphSubscription(id="sub-1", mailbox="alice@contoso.com", resource="/users/a/events",
                          client_state="secret", expires_at=now,
                          pending_action=SubscriptionAction.RENEW),
        ActivityDelivery(key="k" * 64, channel=DeliveryChannel.TEAMS, received_at=now,
                         answer_text="Logged."),
        ContactPhone(contact_id=world.jose.id, number="+525512345678", kind=PhoneKind.MOBILE),
        OutcomeOffer(entry_no=1, aad_object_id="aad-1", state=OfferState.SENT),
    ])
    db.flush()


@pytest.mark.parametrize(("table", "column"), COLUMNS, ids=[f"{t}.{c}" for t, c in COLUMNS])
def test_a_stray_word_is_refused_by_the_database(
    db: Session, world: World, table: str, column: str
) -> None:
    _one_row_in_every_table(db, world)
    constraint = f"ck_{table}_{column}"
    with pytest.raises(sa.exc.IntegrityError) as refused, db.begin_nested():
        # Plain SQL, so that nothing but the database stands in the way.
        db.execute(sa.text(f'UPDATE {table} SET "{column}" = :word'), {"word": "x"})
    message = str(refused.value.orig)
    assert constraint in message, message
    assert "check constraint" in message.lower(), message


def test_the_words_are_accepted_as_enum_members_and_stored_as_plain_text(
    db: Session, world: World
) -> None:
    _one_row_in_every_table(db, world)
    stored = db.execute(sa.text(
        "SELECT source, information_flow, initiated_by, evaluation FROM interaction_log_entries"
    )).one()
    assert tuple(stored) == ("email", "inbound", "them", "")
    assert db.scalar(sa.select(SyncRun.status)) == "ok"
