"""Subscriptions against the emulator, with the app's endpoint served live."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.graph import build_client
from connector.realtime.subscriptions import EnsureReport, SubscriptionManager
from interlog.cli import cli
from interlog.config import Settings
from storage.models import utcnow
from storage.worker_models import GraphSubscription, MailboxLease
from tests.support.builders import inbound, tenant_of, upn
from tests.support.realtime import make_settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
A, B = upn(0), upn(1)


def run(settings: Settings, engine: Engine, what: str, *args: Any) -> Any:
    async def go() -> Any:
        client = build_client(settings.graph)
        try:
            return await getattr(SubscriptionManager(settings, engine, client), what)(*args)
        finally:
            await client.close()

    return asyncio.run(go())


def rows(engine: Engine) -> list[GraphSubscription]:
    with Session(engine) as session:
        return list(session.scalars(sa.select(GraphSubscription)
                                    .order_by(GraphSubscription.resource)))


def wait_for(check: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.02)  # polling with a deadline
    raise AssertionError(f"not reached within {seconds}s")


@pytest.fixture
def world(clean_engine: Engine, emulator: Any, live_app: Any) -> Any:
    emu = emulator(tenant_of(2))
    live = live_app(clean_engine)
    settings = make_settings(db_url=str(clean_engine.url), graph_url=emu.base_url,
                             public_url=live.url, mailboxes=[A, B])
    return emu, settings, clean_engine


def test_ensure_creates_one_subscription_per_folder_and_calendar(world: Any) -> None:
    emu, settings, engine = world
    report: EnsureReport = run(settings, engine, "ensure")
    assert len(report.created) == 6
    assert report.errors == []
    stored = rows(engine)
    assert sorted(r.resource for r in stored if r.mailbox == A) == [
        f"users/{A}/events", f"users/{A}/mailFolders/inbox/messages",
        f"users/{A}/mailFolders/sentitems/messages"]
    graph = emu.emulator.subscriptions.items
    assert set(graph) == {r.id for r in stored}
    for row in stored:
        sub = graph[row.id]
        assert sub["clientState"] == row.client_state
        assert sub["notificationUrl"] == settings.server.public_url + "/api/graph/notifications"
        assert sub["lifecycleNotificationUrl"] == sub["notificationUrl"]
        assert row.expires_at > utcnow() + timedelta(minutes=4200)
    assert len({r.client_state for r in stored}) == 6  # one secret each
    again: EnsureReport = run(settings, engine, "ensure")
    assert (again.created, again.kept) == ([], 6)


def test_a_change_in_graph_reaches_the_queue_through_the_live_endpoint(world: Any) -> None:
    emu, settings, engine = world
    run(settings, engine, "ensure")
    with Session(engine) as session, session.begin():
        session.execute(sa.update(MailboxLease).values(sync_requested_at=None,
                                                       requested_count=0))
    emu.state.add_message(B, inbound(B, 1))

    def counted() -> int:
        with Session(engine) as session:
            lease = session.get(MailboxLease, B)
            return lease.requested_count if lease and lease.sync_requested_at else 0

    assert wait_for(counted) == 1
    with Session(engine) as session:
        assert session.get(MailboxLease, A).requested_count == 0  # type: ignore[union-attr]


def test_subscriptions_near_expiry_are_renewed(world: Any) -> None:
    _emu, settings, engine = world
    run(settings, engine, "ensure")
    soon = utcnow() + timedelta(hours=1)
    with Session(engine) as session, session.begin():
        session.execute(sa.update(GraphSubscription).where(GraphSubscription.mailbox == A)
                        .values(expires_at=soon))
    report: EnsureReport = run(settings, engine, "ensure")
    assert (len(report.renewed), report.kept, report.created) == (3, 3, [])
    assert all(r.expires_at > utcnow() + timedelta(days=2) for r in rows(engine))


def test_lifecycle_events_lead_to_renewal_and_recreation(world: Any) -> None:
    emu, settings, engine = world
    run(settings, engine, "ensure")
    first, second = rows(engine)[:2]
    emu.fire_lifecycle(first.id, "subscriptionRemoved")
    emu.fire_lifecycle(second.id, "reauthorizationRequired")

    def marked() -> bool:
        actions = {r.id: r.pending_action for r in rows(engine)}
        return actions[first.id] == "recreate" and actions[second.id] == "renew"

    wait_for(marked)
    report: EnsureReport = run(settings, engine, "ensure")
    assert (len(report.recreated), report.renewed) == (1, [second.id])
    now_ids = {r.id for r in rows(engine)}
    assert first.id not in now_ids
    assert len(now_ids) == 6
    assert set(emu.emulator.subscriptions.items) == now_ids
    assert all(r.pending_action is None for r in rows(engine))


def test_a_subscription_graph_lost_is_recreated_on_renewal(world: Any) -> None:
    emu, settings, engine = world
    run(settings, engine, "ensure")
    gone = rows(engine)[0]
    emu.emulator.subscriptions.items.pop(gone.id)
    with Session(engine) as session, session.begin():
        session.execute(sa.update(GraphSubscription).where(GraphSubscription.id == gone.id)
                        .values(pending_action="renew"))
    report: EnsureReport = run(settings, engine, "ensure")
    assert len(report.recreated) == 1
    assert set(emu.emulator.subscriptions.items) == {r.id for r in rows(engine)}


def test_delete_removes_them_in_graph_and_in_the_database(world: Any) -> None:
    emu, settings, engine = world
    run(settings, engine, "ensure")
    deleted = run(settings, engine, "delete", [A])
    assert len(deleted) == 3
    assert {r.mailbox for r in rows(engine)} == {B}
    assert set(emu.emulator.subscriptions.items) == {r.id for r in rows(engine)}


def test_the_cli_ensures_lists_without_secrets_and_deletes(world: Any, tmp_path: Path) -> None:
    emu, settings, engine = world
    config = tmp_path / "interlog.toml"
    config.write_text(
        f'[graph]\nbase_url = "{emu.base_url}"\nstatic_token = "emulator-token"\n'
        f'[sync]\nmailboxes = ["{A}"]\n[server]\npublic_url = "{settings.server.public_url}"\n')
    base = ["--config", str(config), "--db", str(engine.url.render_as_string(False))]
    runner = CliRunner()
    made = runner.invoke(cli, [*base, "subscriptions", "ensure", "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["created"] == 3
    listed = runner.invoke(cli, [*base, "subscriptions", "list", "--json"])
    assert len(json.loads(listed.output)) == 3
    assert all(r.client_state not in listed.output for r in rows(engine))
    gone = runner.invoke(cli, [*base, "subscriptions", "delete", "--all"])
    assert gone.exit_code == 0
    assert "deleted 3" in gone.output
    assert rows(engine) == []


def test_ensure_without_a_public_url_names_the_key(clean_engine: Engine, tmp_path: Path) -> None:
    config = tmp_path / "interlog.toml"
    config.write_text(f'[sync]\nmailboxes = ["{A}"]\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "--db",
                                      clean_engine.url.render_as_string(False),
                                      "subscriptions", "ensure"])
    assert result.exit_code != 0
    assert "public_url" in str(result.exception)
