"""One Graph client per worker, tokens reused (issue 14 item 3).

The connector signs in as in production — a real azure-identity `ClientSecretCredential`
— at the emulator's token endpoint (https), which counts every token request; Graph is the
real msgraph-sdk over HTTP against the emulator, which accepts only the tokens it issued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.errors import Action, token_error
from connector.graph.client import endpoint_for
from connector.realtime import leases
from connector.realtime.graph_session import CredentialRefused
from connector.realtime.worker import Worker
from connector.settings import ConfigError, GraphSettings, Secret
from connector.sync.engine import sync_mailboxes
from emulator import EmulatorServer
from storage.models import utcnow
from storage.sync_models import SyncRun
from storage.worker_models import MailboxLease, WorkerRecord
from tests.support.builders import inbound, tenant_of, upn
from tests.support.databases import url_of
from tests.support.deployment import Deployment, wait_for
from tests.support.entra import SECRET, credential_settings, start_emulator, token_requests
from tests.support.seed import Dataset, seed

MAILBOXES = 20
WRONG = "not-the-secret-at-all"
CONTACTS = ("no,type,name,company_no,email,email2,domains\n"
            "CT1,person,Jane Doe,,jane.doe@fabrikam.com,,\n")


@pytest.fixture
def db(clean_engine: Engine) -> Engine:
    """`interlog init`'s defaults and the contact every test message comes from."""
    seed(clean_engine, Dataset(defaults=True, contacts_csv=CONTACTS))
    return clean_engine


@pytest.fixture
def emulator() -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(mailboxes: int, **settings: Any) -> EmulatorServer:
        data = tenant_of(mailboxes)
        data["messages"] = {upn(i): [inbound(upn(i), n) for n in range(2)]
                            for i in range(mailboxes)}
        started.append(start_emulator(data, **settings))
        return started[-1]

    yield start
    for emu in started:
        emu.stop()


class Running:
    """`Worker.run()` in a thread, as `interlog worker` runs it; what it raised, if anything."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="test-worker", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def stop(self) -> None:
        self.worker.request_stop()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


def _syncs_done(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(sa.select(sa.func.sum(WorkerRecord.syncs_done))) or 0)


def _request_all(engine: Engine, mailboxes: list[str]) -> None:
    with Session(engine) as session, session.begin():
        for mailbox in mailboxes:
            leases.request_sync(session, mailbox, utcnow())


def _run_statuses(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [str(s) for s in session.scalars(sa.select(SyncRun.status))]


def test_a_worker_syncs_many_mailboxes_over_cycles_with_one_client_and_one_token(
    db: Engine, emulator: Callable[..., EmulatorServer],
) -> None:  # fmt: skip
    emu = emulator(MAILBOXES)
    boxes = [upn(i) for i in range(MAILBOXES)]
    worker = Worker(credential_settings(emu, url_of(db), boxes), db)
    running = Running(worker)
    try:
        for rounds in range(1, 4):  # the first sync of each mailbox, then two notified rounds
            wait_for(lambda n=rounds: _syncs_done(db) >= n * MAILBOXES, 60,
                     f"sync round {rounds}")
            if rounds < 3:
                for i in range(MAILBOXES):
                    emu.state.add_message(upn(i), inbound(upn(i), 10 + rounds))
                _request_all(db, boxes)
    finally:
        running.stop()
    assert running.error is None
    statuses = _run_statuses(db)
    assert len(statuses) >= 3 * MAILBOXES
    assert set(statuses) == {"ok"}
    # One client (one HTTP pool, one credential) for the worker's lifetime, and one token:
    # azure-identity keeps it until it nears expiry (an hour here).
    assert worker.graph.clients_built == 1
    assert token_requests(emu) == 1
    assert not worker.graph.is_open  # closed when the worker stopped


def test_a_token_that_expires_is_replaced_without_a_failed_request(
    db: Engine, emulator: Callable[..., EmulatorServer],
) -> None:  # fmt: skip
    emu = emulator(3, token_lifetime_s=2)  # every token is near expiry as soon as issued
    boxes = [upn(i) for i in range(3)]
    worker = Worker(credential_settings(emu, url_of(db), boxes), db)
    running = Running(worker)

    def refreshed() -> bool:
        if token_requests(emu) >= 2:
            return True
        _request_all(db, boxes)  # keep the worker syncing while time passes
        return False

    try:
        wait_for(refreshed, 60, "a second token")
        done = _syncs_done(db)
        _request_all(db, boxes)
        wait_for(lambda: _syncs_done(db) >= done + len(boxes), 60, "syncs after it")
    finally:
        running.stop()
    assert running.error is None
    counters = emu.state.counters_snapshot()
    assert counters["tokensIssued"] == counters["tokenRequests"] >= 2
    assert counters["requestsByStatus"].get("401", 0) == 0  # no request went out expired
    statuses = set(_run_statuses(db))
    assert "ok" in statuses
    assert statuses <= {"ok", "stopped"}  # stopped: the one in hand at the end
    assert worker.graph.clients_built == 1


def test_a_wrong_secret_stops_the_worker_with_entra_ids_reason_and_no_secret(
    db: Engine, emulator: Callable[..., EmulatorServer],
) -> None:  # fmt: skip
    emu = emulator(MAILBOXES)
    boxes = [upn(i) for i in range(MAILBOXES)]
    worker = Worker(credential_settings(emu, url_of(db), boxes, secret=WRONG),
                    db)
    running = Running(worker)
    running.thread.join(timeout=60)
    assert not running.thread.is_alive()  # it stopped by itself
    assert isinstance(running.error, CredentialRefused)
    message = str(running.error)
    assert "invalid_client" in message
    assert "AADSTS7000215" in message
    assert "client_secret" in message  # what to check
    assert WRONG not in message
    assert SECRET not in message
    assert "Trace ID" not in message
    assert token_requests(emu) == 1  # refused once, never asked again
    assert emu.state.counters_snapshot()["requests"] == 0  # no Graph request without a token
    with Session(db) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(MailboxLease)
                              .where(MailboxLease.leased_by.is_not(None))) == 0
        errors = [e for e in session.scalars(sa.select(MailboxLease.last_error)) if e]
        assert len(errors) == 1
        assert "AADSTS7000215" in errors[0]
        assert WRONG not in errors[0]
        stopped = session.scalar(sa.select(WorkerRecord.stopped_at))
    assert stopped is not None
    assert not worker.graph.is_open


def test_a_one_shot_sync_of_many_mailboxes_asks_for_one_token(
    db: Engine, emulator: Callable[..., EmulatorServer],
) -> None:  # fmt: skip
    """`interlog sync`: one client per run; its first requests (up to max_concurrency at
    once) wait for one token instead of each asking Entra ID."""
    emu = emulator(MAILBOXES)
    boxes = [upn(i) for i in range(MAILBOXES)]
    summary = sync_mailboxes(credential_settings(emu, url_of(db), boxes),
                             db)
    assert summary.ok, summary.errors
    assert summary.to_json()["entries_created"] >= 2 * MAILBOXES
    assert token_requests(emu) == 1


def test_a_one_shot_sync_with_a_wrong_secret_fails_every_mailbox_once_asked(
    db: Engine, emulator: Callable[..., EmulatorServer],
) -> None:  # fmt: skip
    emu = emulator(MAILBOXES)
    boxes = [upn(i) for i in range(MAILBOXES)]
    settings = credential_settings(emu, url_of(db), boxes, secret=WRONG)
    summary = sync_mailboxes(settings, db)
    assert not summary.ok
    assert set(summary.failed_mailboxes) == set(boxes)
    assert len(summary.errors) == 2 * MAILBOXES  # inbox and calendar of each
    assert all("AADSTS7000215" in e and WRONG not in e for e in summary.errors)
    assert token_requests(emu) == 1


@pytest.mark.parametrize(("status", "code", "action"), [
    (401, "invalid_client", Action.FATAL), (400, "invalid_request", Action.FATAL),
    (400, "unauthorized_client", Action.FATAL), (503, "temporarily_unavailable", Action.RETRY),
    (500, "", Action.RETRY), (429, "", Action.RETRY), (400, "something_new", Action.FATAL),
])  # fmt: skip
def test_token_refusals_are_classified_by_the_failure_table(
    status: int, code: str, action: Action,
) -> None:  # fmt: skip
    error = token_error(status, code, "AADSTS1: x. Trace ID: 1 Correlation ID: 2", "delta page")
    assert error.action is action
    assert error.message.startswith(f"delta page: Entra ID refused the token request: {status}")
    assert "Trace ID" not in error.message


@pytest.mark.parametrize(("graph", "problem"), [
    ({"authority": "http://127.0.0.1:1"}, "https:// URL on 127.0.0.1"),
    ({"authority": "https://login.example.com"}, "https:// URL on 127.0.0.1"),
    ({"authority": "https://127.0.0.1:1", "base_url": "https://graph.example.com/v1.0"},
     "authority is for emulators: base_url must be on 127.0.0.1"),
    ({"authority": "https://127.0.0.1:1", "static_token": "t"}, "exclude each other"),
    ({"ca_file": "ca.pem"}, "ca_file is for an emulator's https: set authority too"),
    ({"authority": "https://127.0.0.1:1", "ca_file": "/no/such/ca.pem"}, "no such file"),
])  # fmt: skip
def test_the_emulator_sign_in_keys_are_refused_outside_their_use(
    graph: dict[str, str], problem: str,
) -> None:  # fmt: skip
    values: dict[str, Any] = {"base_url": "http://127.0.0.1:1/v1.0", "tenant_id": "t",
                              "client_id": "c", **graph}
    if "static_token" in values:
        values["static_token"] = Secret(values["static_token"])
    with pytest.raises(ConfigError, match=problem):
        endpoint_for(GraphSettings(**values))


@pytest.mark.slow
def test_two_worker_processes_ask_for_one_token_each(clean_pg_engine: Engine,
                                                     tmp_path: Path) -> None:
    """`interlog worker` processes signing in at the emulator: one token per worker."""
    data = tenant_of(MAILBOXES)
    data["messages"] = {upn(i): [inbound(upn(i), 1)] for i in range(MAILBOXES)}
    dep = Deployment(tmp_path, url_of(clean_pg_engine), data, notifications=False, sign_in=True)
    try:
        for _ in range(2):
            dep.start_worker()
        boxes = [upn(i) for i in range(MAILBOXES)]
        wait_for(lambda: {r.mailbox for r in dep.intervals()} >= set(boxes), 120, "first syncs")
        _request_all(dep.engine, boxes)  # a second round for every mailbox
        wait_for(lambda: len([r for r in dep.intervals() if r.outcome == "ok"])
                 >= 2 * MAILBOXES, 120, "second syncs")
        codes = dep.stop_workers()
    finally:
        dep.close()
    assert codes == [0, 0], [dep.worker_log(n)[-1500:] for n in range(2)]
    assert len({r.worker_id for r in dep.intervals()}) == 2  # both worked
    assert token_requests(dep.emu) == 2  # one per worker, for any number of syncs
