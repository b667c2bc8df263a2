"""Graph change-notification subscriptions: create, renew, recreate, delete, list.

Every configured mailbox gets one subscription per configured mail folder
(`users/{upn}/mailFolders/{folder}/messages`) and one for its events
(`users/{upn}/events`), all pointing at `[server] public_url` + `/api/graph/notifications`
(also the lifecycle URL), each with its own random `clientState` kept in the database.
With `[sync] calls = true` the tenant (queue item `tenant`) also gets one subscription on
`communications/callRecords`, filtered to the configured users' Entra object ids
(`call_resource`); its notifications ask for a calls round (`connector/calls/tenant.py`).

Requests are built by the SDK's `subscriptions` request builders and sent through the
project's Graph client (`connector/graph`), so errors are classified and retried in the one
place that does that (`connector/retry.py`). A new subscription also asks for a sync of its
mailbox: changes made before Graph starts notifying are picked up by the delta sync.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from msgraph.generated.models.subscription import Subscription
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.calls.round import TENANT
from connector.errors import GraphError
from connector.graph import GraphClient
from connector.realtime.leases import request_sync
from connector.retry import SystemClock, with_retry
from connector.settings import ConnectorSettings
from storage.errors import InterlogError
from storage.models import User, utcnow
from storage.vocabulary import SubscriptionAction
from storage.worker_models import GraphSubscription

log = logging.getLogger(__name__)

NOTIFICATION_PATH = "/api/graph/notifications"
OUTLOOK_MAX_MINUTES = 4230  # the documented maximum for Outlook messages and events
# …and for call records (learn.microsoft.com/graph/api/resources/subscription: "callRecord",
# 4,230 minutes), so one ceiling serves both.
CHANGE_TYPES = "created,updated,deleted"
# Microsoft (changenotifications-for-callrecords): an `updated` subscription notifies a
# record's first sighting and every later change (its `version` grows); `created` only the
# first, so `updated` alone gives each change one notification.
CALL_CHANGE_TYPES = "updated"
CALL_RECORDS = "communications/callRecords"
PARALLEL_MAILBOXES = 8  # mailboxes set up at once (Graph answers a creation in ~1 s)


def notification_url(settings: ConnectorSettings) -> str:
    """Where Graph posts notifications: `[server] public_url` + the endpoint's path."""
    base = settings.server.public_url.strip().rstrip("/")
    if not base:
        raise InterlogError("[server] public_url is not set: Graph needs a public https URL "
                            "to post change notifications to")
    if not base.startswith(("https://", "http://")):
        raise InterlogError(f"[server] public_url = {base!r} is not an http(s) URL")
    return base + NOTIFICATION_PATH


def call_resource(object_ids: Iterable[str]) -> str:
    """`communications/callRecords`, filtered to records with one of `object_ids` among their
    participants (Microsoft: `$filter=participants/any(p:p/id eq '…')`, with `eq` joined by
    `or`); unfiltered when no configured user has an object id (every call of the tenant
    notifies; the round still logs only the configured users' calls)."""
    ids = sorted({i.strip().lower() for i in object_ids if i.strip()})
    if not ids:
        return CALL_RECORDS
    test = " or ".join("p/id eq '{}'".format(i.replace("'", "''")) for i in ids)
    return f"{CALL_RECORDS}?$filter=participants/any(p:{test})"


def resources_for(settings: ConnectorSettings, mailbox: str,
                  object_ids: Iterable[str] = ()) -> tuple[str, ...]:
    """The Graph resources one mailbox subscribes to: its mail folders and its events; the
    `tenant` item's: its call records (`object_ids`: the configured users')."""
    if mailbox == TENANT:
        return (call_resource(object_ids),)
    folders = tuple(f"users/{mailbox}/mailFolders/{folder}/messages"
                    for folder in settings.sync.folders)
    return (*folders, f"users/{mailbox}/events")


def _naive_utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)


@dataclass
class EnsureReport:
    """What `ensure` did."""

    created: list[str] = field(default_factory=list)
    renewed: list[str] = field(default_factory=list)
    recreated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": len(self.created), "renewed": len(self.renewed),
                "recreated": len(self.recreated), "deleted": len(self.deleted),
                "kept": self.kept, "errors": self.errors}


class SubscriptionManager:
    """Keeps the database's subscriptions and Graph's in step."""

    def __init__(self, settings: ConnectorSettings, engine: Engine, client: GraphClient,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client
        self.clock = clock

    # -- Graph -------------------------------------------------------------------------
    async def _send(self, build: Callable[[], Any], what: str) -> bytes:
        async def once() -> bytes:
            info = build()
            info.headers.add("Prefer", 'IdType="ImmutableId"')
            return await self.client.send(info, what)

        return await with_retry(once, clock=SystemClock())

    async def _post(self, mailbox: str, resource: str, client_state: str,
                    minutes: int) -> dict[str, Any]:
        url = notification_url(self.settings)
        kinds = CALL_CHANGE_TYPES if mailbox == TENANT else CHANGE_TYPES
        body = Subscription(
            change_type=kinds, notification_url=url, lifecycle_notification_url=url,
            resource=resource, client_state=client_state,
            expiration_date_time=datetime.now(UTC) + timedelta(minutes=minutes),
        )
        raw = await self._send(lambda: self.client.sdk.subscriptions.to_post_request_information(
            body), f"create subscription for {resource}")
        data: dict[str, Any] = json.loads(raw)
        return data

    async def create(self, mailbox: str, resource: str) -> GraphSubscription:
        """Create one subscription in Graph, then record it and ask for a catch-up sync."""
        client_state = secrets.token_urlsafe(32)
        minutes = self.settings.worker.subscription_minutes
        try:
            data = await self._post(mailbox, resource, client_state, minutes)
        except GraphError as exc:
            if exc.status != 400 or minutes <= OUTLOOK_MAX_MINUTES:
                raise
            log.info("subscription lifetime %d min refused; using %d", minutes,
                     OUTLOOK_MAX_MINUTES)
            data = await self._post(mailbox, resource, client_state, OUTLOOK_MAX_MINUTES)
        row = GraphSubscription(
            id=str(data["id"]), mailbox=mailbox, resource=resource, client_state=client_state,
            expires_at=_naive_utc(str(data["expirationDateTime"])), created_at=self.clock(),
        )
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            session.add(row)
            request_sync(session, mailbox, self.clock())
        return row

    async def renew(self, row: GraphSubscription) -> bool:
        """Extend a subscription; False when Graph no longer has it."""
        minutes = min(self.settings.worker.subscription_minutes, OUTLOOK_MAX_MINUTES)
        body = Subscription(expiration_date_time=datetime.now(UTC) + timedelta(minutes=minutes))
        item = self.client.sdk.subscriptions.by_subscription_id(row.id)
        try:
            raw = await self._send(lambda: item.to_patch_request_information(body),
                                   f"renew subscription {row.id}")
        except GraphError as exc:
            if exc.status == 404:
                return False
            raise
        expires = _naive_utc(str(json.loads(raw)["expirationDateTime"]))
        with Session(self.engine) as session, session.begin():
            session.execute(sa.update(GraphSubscription).where(GraphSubscription.id == row.id)
                            .values(expires_at=expires, renewed_at=self.clock(),
                                    pending_action=None))
        return True

    async def remove(self, row: GraphSubscription) -> None:
        """Delete a subscription in Graph (already gone is fine) and in the database."""
        item = self.client.sdk.subscriptions.by_subscription_id(row.id)
        try:
            await self._send(item.to_delete_request_information, f"delete subscription {row.id}")
        except GraphError as exc:
            if exc.status != 404:
                raise
        with Session(self.engine) as session, session.begin():
            session.execute(sa.delete(GraphSubscription).where(GraphSubscription.id == row.id))

    # -- the whole set -----------------------------------------------------------------
    def _rows(self, mailboxes: Iterable[str] | None) -> list[GraphSubscription]:
        query = sa.select(GraphSubscription).order_by(GraphSubscription.created_at.desc())
        if mailboxes is not None:
            query = query.where(GraphSubscription.mailbox.in_([m.lower() for m in mailboxes]))
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(query))

    def _object_ids(self) -> list[str]:
        """The configured users' Entra object ids (`users.aad_object_id`)."""
        with Session(self.engine) as session:
            return [i for i in session.scalars(sa.select(User.aad_object_id)) if i]

    def _wanted(self, mailboxes: Iterable[str] | None) -> list[str]:
        """The queue items to subscribe for: the mailboxes, and the tenant's call records
        when `[sync] calls` is on and no mailboxes were named."""
        wanted = [m.lower() for m in (mailboxes or self.settings.sync.mailboxes)]
        if mailboxes is None and self.settings.sync.calls:
            wanted.append(TENANT)
        return wanted

    async def ensure(self, mailboxes: Iterable[str] | None = None) -> EnsureReport:
        """Create what is missing, renew what expires soon or was asked for, recreate what
        Graph removed, and delete subscriptions no longer configured (a call subscription
        whose filter no longer names the configured users is replaced)."""
        wanted = self._wanted(mailboxes)
        ids = await asyncio.to_thread(self._object_ids) if TENANT in wanted else []
        report = EnsureReport()
        rows = self._rows(wanted if mailboxes is not None else [*wanted, TENANT])
        have: dict[tuple[str, str], GraphSubscription] = {}
        for row in rows:
            key = (row.mailbox, row.resource)
            keep = (key not in have and row.mailbox in wanted
                    and row.resource in resources_for(self.settings, row.mailbox, ids))
            if keep:
                have[key] = row
            else:
                await self._guard(report, row.resource, self._drop(row, report))
        gate = asyncio.Semaphore(PARALLEL_MAILBOXES)

        async def mailbox_steps(mailbox: str) -> None:
            async with gate:
                for resource in resources_for(self.settings, mailbox, ids):
                    step = self._one(mailbox, resource, have.get((mailbox, resource)), report)
                    await self._guard(report, resource, step)

        await asyncio.gather(*(mailbox_steps(m) for m in wanted))
        return report

    async def _guard(self, report: EnsureReport, resource: str, step: Any) -> None:
        try:
            await step
        except GraphError as exc:
            log.warning("subscription for %s: %s", resource, exc)
            report.errors.append(f"{resource}: {exc}")

    async def _drop(self, row: GraphSubscription, report: EnsureReport) -> None:
        await self.remove(row)
        report.deleted.append(row.id)

    async def _one(self, mailbox: str, resource: str, row: GraphSubscription | None,
                   report: EnsureReport) -> None:
        if row is None:
            report.created.append((await self.create(mailbox, resource)).id)
            return
        soon = self.clock() + timedelta(minutes=self.settings.worker.renew_before_minutes)
        if row.pending_action == SubscriptionAction.RECREATE:
            await self.remove(row)
            report.recreated.append((await self.create(mailbox, resource)).id)
        elif row.pending_action == SubscriptionAction.RENEW or row.expires_at <= soon:
            if await self.renew(row):
                report.renewed.append(row.id)
            else:
                await self.remove(row)
                report.recreated.append((await self.create(mailbox, resource)).id)
        else:
            report.kept += 1

    async def delete(self, mailboxes: Iterable[str] | None = None) -> list[str]:
        """Delete the subscriptions of `mailboxes` (all when None); returns their ids."""
        done = []
        for row in self._rows(mailboxes):
            await self.remove(row)
            done.append(row.id)
        return done
