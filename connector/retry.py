"""The one retry loop: exponential backoff with full jitter, `Retry-After` honoured as given.

The SDK's own RetryHandler is removed from the client (`connector/graph/client.py`), so a
request is never retried twice over, and the cases it gives up on (`Retry-After` ≥ 180 s)
are retried here. Sleeping goes through a `Clock`, so tests can shorten long waits
(`tests/support/clock.py`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from connector.errors import Action, GraphError

log = logging.getLogger(__name__)

RETRIABLE = frozenset({Action.RETRY, Action.RETRY_SMALLER})


class Clock(Protocol):
    """Time as the sync sees it: wall-clock now, and a sleep that may be faked."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. A Retry-After longer than `max_retry_after` is clamped to it."""

    max_attempts: int = 10
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 900.0
    retry_after_jitter: float = 0.1  # up to +10 % so that parallel streams do not stampede


def delay_for(error: GraphError, attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
    if error.retry_after is not None and error.retry_after > 0:
        wait = min(error.retry_after, policy.max_retry_after)
        return wait * (1 + rng.uniform(0, policy.retry_after_jitter))
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    return rng.uniform(ceiling / 2, ceiling)


async def with_retry[T](
    call: Callable[[], Awaitable[T]],
    *,
    clock: Clock,
    policy: RetryPolicy = RetryPolicy(),
    on_retry: Callable[[GraphError, int, float], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run `call` until it succeeds, retrying `GraphError`s whose action is retriable.

    `on_retry(error, attempt, delay)` runs before each wait (count throttling, halve the
    page size, log). Non-retriable errors and the last failure are raised as they are.
    """
    rng = rng or random.Random()
    attempt = 1
    while True:
        try:
            return await call()
        except GraphError as error:
            if error.action not in RETRIABLE or attempt >= policy.max_attempts:
                raise
            delay = delay_for(error, attempt, policy, rng)
            if on_retry is not None:
                on_retry(error, attempt, delay)
            log.info("retry %d/%d in %.1fs: %s", attempt, policy.max_attempts, delay, error)
            await clock.sleep(delay)
            attempt += 1
