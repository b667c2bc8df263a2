"""Settings of the Graph emulator (one frozen dataclass, passed in by the caller)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class EmulatorSettings:
    """Knobs of the emulator; the defaults mimic Exchange Online.

    Attributes:
        max_page_size: the largest page granted for `Prefer: odata.maxpagesize` / `$top`.
        default_page_size: the page size when the client asks for none.
        mailbox_budget: requests per mailbox per `budget_window_s` before 429.
        budget_window_s: length of the request-budget window, in seconds.
        max_concurrency: requests in flight per mailbox before 429 MailboxConcurrency.
        concurrency_retry_after: the Retry-After (s) answered with MailboxConcurrency.
        filter_cap: most messages a delta round with `$filter` returns (Graph: 5,000).
        latency_s: artificial delay per mailbox request (makes concurrency observable).
        require_token: when set, the only bearer token accepted.
        token_lifetime_s: `expires_in` of the tokens the token endpoint issues (Entra ID:
            about an hour); short in tests of refresh.
        token_leeway_s: how long after its `exp` an issued token is still accepted (the clock
            skew Microsoft's token validation allows by default, 5 minutes).
        max_subscription_minutes: the longest subscription lifetime accepted.
        validation_timeout_s: how long the subscription handshake may take.
        tenant_id: the tenant id reported in notifications.
        clock: the emulator's notion of now (timezone-aware).
    """

    max_page_size: int = 1000
    default_page_size: int = 10
    mailbox_budget: int = 10_000
    budget_window_s: float = 600.0
    max_concurrency: int = 4
    concurrency_retry_after: int = 1
    filter_cap: int = 5000
    latency_s: float = 0.0
    require_token: str | None = None
    token_lifetime_s: int = 3599
    token_leeway_s: float = 300.0
    max_subscription_minutes: int = 4230
    validation_timeout_s: float = 10.0
    tenant_id: str = "00000000-0000-4000-8000-00000000c0de"
    clock: Callable[[], datetime] = field(default=_utc_now)
