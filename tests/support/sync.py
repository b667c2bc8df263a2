"""The sync engine end to end: settings for a generated tenant behind the emulator, its
dataset, a runner on a fake clock, and readers of what the sync wrote."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.retry import RetryPolicy
from connector.sync.engine import PageHook, sync_mailboxes
from connector.sync.runs import RunSummary
from emulator import EmulatorServer
from emulator.generate import GeneratedData
from interlog.config import Settings, settings_from_dict
from storage.models import InteractionLogEntry
from tests.support.clock import FakeClock
from tests.support.seed import Dataset

REFERENCE = datetime(2025, 3, 14, tzinfo=UTC)
TOKEN = "test-token-123"
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)


def make_settings(data: GeneratedData, base_url: str, **sync: Any) -> Settings:
    users = [u["userPrincipalName"] for u in data.tenant["users"]]
    return settings_from_dict({
        "graph": {"base_url": base_url, "static_token": TOKEN},
        "sync": {"mailboxes": users, "internal_domains": ["contoso.com"], "page_size": 40,
                 **sync},
        "user": [{"upn": u} for u in users],
    }, env={})  # fmt: skip


def sync_dataset(data: GeneratedData, settings: Settings) -> Dataset:
    """What `interlog init` and the admin would load: defaults, users, the generated contacts
    and templates."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(data.contacts[0]))
    writer.writeheader()
    writer.writerows(data.contacts)
    return Dataset(defaults=True, templates_toml=data.templates_toml,
                   users=tuple(settings.users), contacts_csv=text.getvalue())


@dataclass
class Syncer:
    settings: Settings
    engine: Engine
    clock: FakeClock

    def __call__(self, *, full: bool = False, mailboxes: list[str] | None = None,
                 after_page: PageHook | None = None, **sync: Any) -> RunSummary:
        settings = self.settings
        if sync:
            settings = replace(settings, sync=replace(settings.sync, **sync))
        return sync_mailboxes(settings, self.engine, mailboxes, full=full, clock=self.clock,
                              after_page=after_page, policy=FAST)


EntryKey = tuple[Any, ...]


def entries(engine: Engine, *, user: bool = True) -> list[EntryKey]:
    """Every entry as a comparable tuple (no entry numbers: they depend on write order).

    `user=False` leaves out the entry's user: for inbound items it is the first mailbox the
    item was found in, which depends on how mailboxes interleave (design, capture rules).
    """
    e = InteractionLogEntry
    columns = [e.contact_no, e.source, e.internet_message_id, e.ical_uid, e.template_code,
               e.occurred_at, e.canceled, e.subject] + ([e.user_upn] if user else [])
    query = sa.select(*columns)
    with Session(engine) as session:
        return sorted(tuple(row) for row in session.execute(query))


def count(engine: Engine, model: type[Any], *where: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
                   or 0)


def users(data: GeneratedData) -> list[str]:
    return [u["userPrincipalName"] for u in data.tenant["users"]]


def a_contact_address(data: GeneratedData) -> str:
    return next(c["email"] for c in data.contacts if c["type"] == "person" and c["email"])


def new_mail(i: int, sender: str, to: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"new-msg-{i}", "internetMessageId": f"<new-{i}@example.test>",
        "subject": f"Renewal {i}", "from": {"emailAddress": {"address": sender, "name": "X"}},
        "toRecipients": [{"emailAddress": {"address": to, "name": "Y"}}],
        "receivedDateTime": (REFERENCE - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sentDateTime": (REFERENCE - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "isDraft": False, "parentFolderId": "inbox", **extra,
    }  # fmt: skip


def sync_config(tmp_path: Path, data: GeneratedData, emulator: EmulatorServer) -> Path:
    mailboxes = ", ".join(f'"{u}"' for u in users(data))
    path = tmp_path / "interlog.toml"
    path.write_text(
        f'[graph]\nbase_url = "{emulator.base_url}"\nstatic_token = "{TOKEN}"\n'
        f'[sync]\nmailboxes = [{mailboxes}]\ninternal_domains = ["contoso.com"]\n'
        "backfill_days = 3650\ncalendar_past_days = 3650\n", encoding="utf-8")
    return path
