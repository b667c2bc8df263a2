"""The audit trail: one row per change of an entry, whoever made it, written set-based.

Shape (`audit_events`): `at`, `actor` (`cli:…`, `teams:…`, `web:…`, `api:…`, `sync:<mailbox>`),
`action`, `entry_no`, `details` (the change's facts as sorted JSON, `""` when none). Every
entry write in `storage/` records one row per entry it changed with `audit_changes`: one
multi-row INSERT for a whole set, never a round-trip per entry. Events that concern no
entry (`init`, `contacts_import`, `api_list`, …) are rows of the same shape without an
`entry_no`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage import dialect
from storage.models import AuditEvent, utcnow

COLUMNS = ("at", "actor", "action", "entry_no", "details")
Details = Mapping[str, object]
NO_DETAILS: Details = MappingProxyType({})


class EntryAction(StrEnum):
    """What happened to an entry."""

    LOG = "log"  # created: by hand, the bot, the API, a segment, or capture
    MOVE = "move"  # its meeting moved (start, length or subject)
    CANCEL = "cancel"
    RESTORE = "restore"
    EVALUATE = "evaluate"  # its evaluation set (details: the new and the previous one)
    NOTE = "note"  # a note line added (details: the line)
    DELETE = "delete"


def audit_changes(
    session: Session, actor: str, action: str, changes: Mapping[int | None, Details], *,
    at: datetime | None = None,
) -> None:  # fmt: skip
    """One audit row per `entry_no → details` of `changes`, in its order, in one INSERT.

    Details are encoded once per mapping object: pass the same mapping for entries whose
    details are equal (a cancel's reason, none for `log`) and it costs one encoding.
    """
    if not changes:
        return
    at, action = at or utcnow(), str(action)  # a plain str: drivers adapt enum members slowly
    encoded: dict[int, str] = {}
    rows = []
    for entry_no, details in changes.items():
        text = encoded.get(id(details))
        if text is None:
            text = encoded[id(details)] = _encode(details)
        rows.append((at, actor, action, entry_no, text))
    dialect.bulk_insert(session, cast(sa.Table, AuditEvent.__table__), COLUMNS, rows)


def audit(
    session: Session, actor: str, action: str, entry_no: int | None, **details: object
) -> None:
    """One audit row: a change of entry `entry_no`, or an event that concerns no entry."""
    audit_changes(session, actor, action, {entry_no: details})


def _encode(details: Details) -> str:
    return json.dumps(details, default=str, sort_keys=True) if details else ""
