"""Counters, injected faults and per-mailbox throttling state."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Graph's error code and message for an injected fault, by status (any other 4xx/5xx gets
# `UnknownError` unless the fault names its own code).
FAULT_CODES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed or incorrect."),
    401: ("InvalidAuthenticationToken", "Access token is empty or invalid."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    404: ("ResourceNotFound", "The resource could not be found."),
    410: ("syncStateNotFound", "The sync state generation is not found."),
    429: ("ApplicationThrottled", "Application is over its MailboxConcurrency limit."),
    500: ("generalException", "An internal server error occurred."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "The gateway did not receive a timely response."),
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
    code: str = ""  # Graph's error code (default: by status, FAULT_CODES)
    message: str = ""

    def error(self) -> tuple[str, str]:
        """The error code and message this fault answers with."""
        code, message = FAULT_CODES.get(self.status, ("UnknownError", ""))
        return (self.code or code, self.message or message or f"Injected fault {self.status}.")

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
            "code": self.error()[0],
            "message": self.error()[1],
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
        code: str | None = None,
        message: str | None = None,
    ) -> Fault:
        """Arm a fault; ``path`` is a regex searched in the request path.

        ``status`` is any 4xx or 5xx; ``code`` / ``message`` are Graph's error code and
        message (default: the usual ones for the status, e.g. 403 `ErrorAccessDenied`).
        """
        if not 400 <= status <= 599:
            raise ValueError(f"fault status must be a 4xx or 5xx HTTP status, not {status}")
        if count < 1:
            raise ValueError("fault count must be at least 1")
        try:
            pattern = re.compile(path) if path else None
        except re.error as exc:
            raise ValueError(f"fault path is not a valid regex: {exc}") from None
        fault = Fault(status, count, path, mailbox, retry_after, pattern, code or "", message or "")
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
            self.token_requests = 0  # POSTs to the token endpoint (emulator/login.py)
            self.tokens_issued = 0
            self.metadata_requests = 0  # OpenID configuration

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
                "tokenRequests": self.token_requests,
                "tokensIssued": self.tokens_issued,
                "metadataRequests": self.metadata_requests,
            }


@dataclass
class MailboxGate:
    """Concurrency and request-budget state of one mailbox (touched on the event loop)."""

    in_flight: int = 0
    window_start: float = 0.0
    window_count: int = 0
