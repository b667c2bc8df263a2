"""What the streams of one sync run share, and one stream's requests (`connector/sync/engine.py`).

`SyncEnv` is built once per run: settings, database, Graph client, capture context, clock,
hooks, and the concurrency gates (at most `PER_MAILBOX` requests in flight per mailbox and
`[sync] max_concurrency` in all). `StreamRun.send` is the one way a stream reaches Graph:
retried (`connector/retry.py`), counted, behind both gates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kiota_abstractions.request_information import RequestInformation
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture import CaptureContext, PageOutcome, capture_page
from connector.errors import Action, GraphError
from connector.graph.client import GraphClient
from connector.items import DeltaItem
from connector.retry import Clock, RetryPolicy, with_retry
from connector.settings import ConnectorSettings
from connector.streams import Stream
from connector.sync import cursors
from connector.sync.runs import StreamStats

log = logging.getLogger("connector.sync.engine")

CaptureFn = Callable[[Session, CaptureContext, str, Sequence[DeltaItem]], PageOutcome]
PageHook = Callable[[StreamStats], None]  # after each committed page (tests crash here)
PER_MAILBOX = 4
MIN_PAGE = 10


class Progress(Protocol):
    def stream_started(self, mailbox: str, stream: str) -> None: ...

    def page_done(self, stats: StreamStats, items: int) -> None: ...

    def stream_done(self, stats: StreamStats) -> None: ...


class StopSync(Exception):
    """`after_page` asked the run to stop (a worker shutting down): the stream ends as
    `stopped`, with its last page and cursor committed."""


@dataclass
class SyncEnv:
    """What every stream of a run shares."""

    settings: ConnectorSettings
    db: Engine
    client: GraphClient
    ctx: CaptureContext
    clock: Clock
    capture: CaptureFn = capture_page
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    progress: Progress | None = None
    after_page: PageHook | None = None
    run_id: int = 0
    gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(16))
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    boxes: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def box(self, mailbox: str) -> asyncio.Semaphore:
        return self.boxes.setdefault(mailbox, asyncio.Semaphore(PER_MAILBOX))


@dataclass
class StreamRun:
    """One stream's mutable state during a run."""

    env: SyncEnv
    stream: Stream
    stats: StreamStats
    page_size: int

    async def send(self, build: Callable[[int], RequestInformation], what: str) -> bytes:
        """One Graph request, retried; counted; behind the mailbox and global gates."""

        async def attempt() -> bytes:
            async with self.env.box(self.stream.mailbox), self.env.gate:
                self.stats.graph_requests += 1
                return await self.env.client.send(build(self.page_size), what)

        return await with_retry(attempt, clock=self.env.clock, policy=self.env.policy,
                                on_retry=self._on_retry)

    def _on_retry(self, error: GraphError, attempt: int, delay: float) -> None:
        if error.status == 429:
            self.stats.throttled += 1
        if error.action is Action.RETRY_SMALLER:
            self.page_size = max(MIN_PAGE, self.page_size // 2)
        log.warning("%s %s: %s; retry %d in %.1fs (page size %d)", self.stream.mailbox,
                    self.stream.name, error, attempt, delay, self.page_size)

    def fetch(self, link: str | None, rnd: cursors.Round) -> asyncio.Task[bytes]:
        client, stream = self.env.client, self.stream

        def build(size: int) -> RequestInformation:
            if link is None:
                return stream.first_request(client, size, rnd.window)
            return stream.link_request(client, link, size)

        return asyncio.ensure_future(self.send(build, "delta page"))
