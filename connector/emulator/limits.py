"""Counters, injected faults and per-mailbox throttling state."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FAULT_CODES: dict[int, tuple[str, str]] = {
    429: ("ApplicationThrottled", "Application is over its MailboxConcurrency limit."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "The gateway did not receive a timely response."),
    410: ("syncStateNotFound", "The sync state generation is not found."),
    500: ("generalException", "An internal server error occurred."),
}


@dataclass
class Fault:
    """Answer the next ``remaining`` matching requests with ``status``."""

    status: int
    remaining: int = 1
    path: str | None = None
    mailbox: str | None = None
    retry_after: int | None = None
    pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def matches(self, path: str, mailbox_keys: tuple[str, ...]) -> bool:
        """Whether a request with this path and mailbox is hit by the fault."""
        if self.pattern is not None and not self.pattern.search(path):
            return False
        return self.mailbox is None or self.mailbox.lower() in mailbox_keys

    def describe(self) -> dict[str, Any]:
        """The fault as JSON."""
        return {
            "status": self.status,
            "remaining": self.remaining,
            "path": self.path,
            "mailbox": self.mailbox,
            "retryAfter": self.retry_after,
        }


class Faults:
    """The list of armed faults (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        status: int,
        *,
        count: int = 1,
        path: str | None = None,
        mailbox: str | None = None,
        retry_after: int | None = None,
    ) -> Fault:
        """Arm a fault; ``path`` is a regex searched in the request path."""
        if status not in FAULT_CODES:
            raise ValueError(f"fault status must be one of {sorted(FAULT_CODES)}, not {status}")
        if count < 1:
            raise ValueError("fault count must be at least 1")
        try:
            pattern = re.compile(path) if path else None
        except re.error as exc:
            raise ValueError(f"fault path is not a valid regex: {exc}") from None
        fault = Fault(status, count, path, mailbox, retry_after, pattern)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str, mailbox_keys: tuple[str, ...]) -> Fault | None:
        """The first armed fault matching the request, consuming one use of it."""
        if not self._faults:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, mailbox_keys):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        """Armed faults as JSON."""
        with self._lock:
            return [f.describe() for f in self._faults]


class Counters:
    """Requests by route, throttled answers, faults and bytes sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to zero."""
        with self._lock:
            self.by_route: Counter[str] = Counter()
            self.by_status: Counter[int] = Counter()
            self.throttled = 0
            self.faults = 0
            self.bytes_out = 0
            self.notifications = 0

    def record(self, route: str, status: int, size: int) -> None:
        """Count one answered request."""
        with self._lock:
            self.by_route[route] += 1
            self.by_status[status] += 1
            self.bytes_out += size

    def bump(self, name: str, amount: int = 1) -> None:
        """Increase one of the scalar counters."""
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def snapshot(self) -> dict[str, Any]:
        """The counters as JSON."""
        with self._lock:
            return {
                "requests": sum(self.by_route.values()),
                "requestsByRoute": dict(self.by_route),
                "requestsByStatus": {str(k): v for k, v in self.by_status.items()},
                "throttled": self.throttled,
                "faults": self.faults,
                "bytesOut": self.bytes_out,
                "notifications": self.notifications,
            }


@dataclass
class MailboxGate:
    """Concurrency and request-budget state of one mailbox (touched on the event loop)."""

    in_flight: int = 0
    window_start: float = 0.0
    window_count: int = 0
