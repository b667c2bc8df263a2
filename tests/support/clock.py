"""A fake `connector.retry.Clock`: sleeps return at once and move its time forward."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


class FakeClock:
    """A clock whose sleeps return at once and move its time forward.

    Between sleeps its time runs with the real monotonic clock, so durations measured
    by the code under test stay positive.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._offset = 0.0
        self._started = time.monotonic()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        real = time.monotonic() - self._started
        return self._now + timedelta(seconds=self._offset + real)

    def advance(self, seconds: float) -> None:
        """Move time forward without sleeping."""
        self._offset += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._offset += seconds
        await asyncio.sleep(0)
