"""One place that says what a failed Graph request means: retry, resync, or stop.

Every failure (an HTTP status with Graph's error code, or a transport error) is classified
by two module-level tables — error codes first, then statuses — into a small vocabulary of
`Action`s. New cases are new rows, never new `if`s. The retry loop (`connector/retry.py`)
and the sync loop (`connector/sync/engine.py`) only ever look at the `Action`.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class Action(enum.Enum):
    RETRY = "retry"  # transient: wait (Retry-After or backoff) and send again
    RETRY_SMALLER = "retry_smaller"  # timeout / 504: halve the page size, then retry
    RESYNC = "resync"  # the delta token is gone: drop the cursor, start a full round
    MAILBOX = "mailbox"  # this mailbox cannot be read (unknown, forbidden): fail it alone
    CONFIG = "config"  # credentials or tenant set-up are wrong: fail every mailbox
    NOT_FOUND = "not_found"  # the item is gone (a checked calendar @removed)
    FATAL = "fatal"  # a bug or an answer we do not understand: stop this stream


# Graph error codes (lower-cased) → action. Looked up before the status.
CODE_ACTIONS: dict[str, Action] = {
    "syncstatenotfound": Action.RESYNC,
    "syncstateinvalid": Action.RESYNC,
    "resyncrequired": Action.RESYNC,
    "errorinvaliduser": Action.MAILBOX,
    "request_resourcenotfound": Action.MAILBOX,
    "mailboxnotenabledforrestapi": Action.MAILBOX,
    "mailboxnotsupportedforrestapi": Action.MAILBOX,
    "erroraccessdenied": Action.MAILBOX,
    "accessdenied": Action.MAILBOX,
    "errormailboxmoveinprogress": Action.RETRY,
    "errorserverbusy": Action.RETRY,
    "applicationthrottled": Action.RETRY,
    "activitylimitreached": Action.RETRY,
    "invalidauthenticationtoken": Action.CONFIG,
    "authorization_requestdenied": Action.CONFIG,
    "erroritemnotfound": Action.NOT_FOUND,
}

# HTTP status → action, when the error code is not in CODE_ACTIONS.
STATUS_ACTIONS: dict[int, Action] = {
    400: Action.FATAL,
    401: Action.CONFIG,
    403: Action.MAILBOX,
    404: Action.NOT_FOUND,
    408: Action.RETRY_SMALLER,
    409: Action.RETRY,
    410: Action.RESYNC,
    429: Action.RETRY,
    500: Action.RETRY,
    502: Action.RETRY,
    503: Action.RETRY,
    504: Action.RETRY_SMALLER,
    507: Action.RETRY,
    509: Action.RETRY,
}

# Transport failures (by exception class name, so this table needs no httpx import).
TRANSPORT_ACTIONS: dict[str, Action] = {
    "ReadTimeout": Action.RETRY_SMALLER,
    "WriteTimeout": Action.RETRY_SMALLER,
    "PoolTimeout": Action.RETRY,
    "ConnectTimeout": Action.RETRY,
    "ConnectError": Action.RETRY,
    "ReadError": Action.RETRY,
    "WriteError": Action.RETRY,
    "RemoteProtocolError": Action.RETRY,
    "LocalProtocolError": Action.FATAL,
}

# Entra ID's answer to a refused token request (OAuth 2.0 `error`) → action. A refused
# credential is the same for every mailbox and no retry mends it: FATAL, and the client does
# not ask again (connector/graph/client.py). Unlisted codes: by status (5xx, 429: RETRY).
TOKEN_ACTIONS: dict[str, Action] = {
    "invalid_client": Action.FATAL,  # AADSTS7000215 wrong secret, AADSTS700016 unknown app
    "unauthorized_client": Action.FATAL,  # the app is disabled or not in the tenant
    "invalid_request": Action.FATAL,  # e.g. AADSTS90002 unknown tenant
    "invalid_grant": Action.FATAL,
    "invalid_scope": Action.FATAL,
    "unsupported_grant_type": Action.FATAL,
    "temporarily_unavailable": Action.RETRY,
}
TOKEN_HINT = ("check [graph] tenant_id, client_id and client_secret "
              "(or $INTERLOG_GRAPH_CLIENT_SECRET) or certificate_path")

# What a mailbox-level failure tells the admin, by status.
MAILBOX_HINTS: dict[int, str] = {
    401: "Graph refused the credentials: check [graph] tenant_id, client_id and the secret",
    403: "access denied: grant Mail.Read and Calendars.Read (admin consent), "
    "and check any application access policy covering this mailbox",
    404: "no such mailbox in the tenant (check the UPN in [sync] mailboxes)",
}


class GraphError(Exception):
    """A Graph request failed; `action` says what to do about it."""

    def __init__(
        self,
        action: Action,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.action = action
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return str(self.args[0])


class RepeatedLinkError(GraphError):
    """Graph handed back a link already followed in this round: stop instead of looping."""

    def __init__(self, link: str) -> None:
        super().__init__(Action.FATAL, f"Graph returned the same page link twice: {link[:120]}")


def classify(status: int, code: str = "") -> Action:
    """The action for an HTTP status and Graph error code (codes win over statuses)."""
    by_code = CODE_ACTIONS.get(code.lower())
    if by_code is not None:
        return by_code
    if status in STATUS_ACTIONS:
        return STATUS_ACTIONS[status]
    return Action.RETRY if status >= 500 else Action.FATAL


def classify_transport(exc: BaseException) -> Action:
    """The action for a transport failure (timeouts shrink the page; others retry)."""
    for cls in type(exc).__mro__:
        action = TRANSPORT_ACTIONS.get(cls.__name__)
        if action is not None:
            return action
    return Action.RETRY


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class ErrorBody:
    code: str = ""
    message: str = ""


def parse_error_body(content: bytes) -> ErrorBody:
    """Graph's `{"error": {"code", "message"}}`, tolerating anything else (HTML gateways)."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return ErrorBody()
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return ErrorBody()
    return ErrorBody(str(error.get("code") or ""), str(error.get("message") or ""))


def error_from_response(
    status: int, headers: dict[str, str], content: bytes, what: str
) -> GraphError:
    """A classified `GraphError` for a failed response to the request `what`."""
    body = parse_error_body(content)
    action = classify(status, body.code)
    text = body.message or f"HTTP {status}"
    message = f"{what}: {status} {body.code or ''} {text}".replace("  ", " ").strip()
    if action in (Action.MAILBOX, Action.CONFIG) and status in MAILBOX_HINTS:
        message = f"{message} — {MAILBOX_HINTS[status]}"
    return GraphError(
        action,
        message,
        status=status,
        code=body.code,
        retry_after=parse_retry_after(headers.get("retry-after")),
    )


def token_error(status: int | None, code: str, description: str, what: str) -> GraphError:
    """A classified `GraphError` for a refused token request: Entra ID's code and description
    (without its trace ids) and what to check — never the secret, which Entra ID never echoes."""
    action = TOKEN_ACTIONS.get(code)
    if action is None:
        action = Action.RETRY if status is None or status >= 500 or status == 429 else Action.FATAL
    text = description.split(" Trace ID:")[0].strip() or "no description"
    message = f"{what}: Entra ID refused the token request: {status or ''} {code} {text}"
    return GraphError(action, f"{' '.join(message.split())} — {TOKEN_HINT}", status=status,
                      code=code)
