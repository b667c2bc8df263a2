"""`POST /$batch`: up to 20 requests in one, with failures inside the batch retried.

Why msgraph-core's `BatchRequestContent` / `client.batch.post` is not used: in msgraph-core
1.5.x it drops sub-response bodies that are JSON objects (microsoft/kiota-python#737),
serialises `dependsOn` as `depends_on` so Graph ignores it
(microsoftgraph/msgraph-sdk-python-core#996), gives items random ids whatever id is passed,
refuses exactly 20 items (an off-by-one), and imports the undeclared `Deprecated` package.
So the envelope is built here from the SDK's own `RequestInformation`s and sent like any
other request, through the SDK's request adapter (`GraphClient.send`: auth, middleware,
the envelope's own failures classified).

Graph answers a batch with 200 and puts each item's status in its sub-response — per-item
429s carry their own `Retry-After` — so the SDK's RetryHandler never sees them. `get_many`
classifies every failed item with the same tables (`connector/errors.py`): the actions the
caller takes as answers (a 404 `NOT_FOUND` for an existence check) are results, a
non-retriable failure is raised, and retriable items go into the next batch through
`connector/retry.with_retry` — the one retry loop, with the caller's policy and clock.
Outlook runs at most 4 items of a batch in parallel; the caller's `send` decides how much
of the mailbox's concurrency budget a batch holds.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation

from connector.errors import Action, GraphError, error_from_response
from connector.retry import RETRIABLE, Clock, RetryPolicy, with_retry

MAX_BATCH = 20  # Graph's limit of requests per $batch

SendFn = Callable[[RequestInformation], Awaitable[bytes]]  # one attempt, no retry
RetryHook = Callable[[GraphError, int, float], None]


@dataclass(frozen=True)
class SubResponse:
    """One item's answer: status, lower-cased headers, and its decoded JSON body."""

    id: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self, what: str) -> GraphError:
        """This item's failure, classified by the tables in `connector/errors.py`."""
        content = b"" if self.body is None else json.dumps(self.body).encode()
        return error_from_response(self.status, self.headers, content, what)


def _headers(info: RequestInformation) -> dict[str, str]:
    return {k: v if isinstance(v, str) else ", ".join(v)
            for k, v in (info.request_headers or {}).items()}  # fmt: skip


def envelope(items: Sequence[tuple[str, RequestInformation]]) -> RequestInformation:
    """The `POST /$batch` request for up to 20 (id, request) pairs, run in parallel."""
    if not 1 <= len(items) <= MAX_BATCH:
        raise ValueError(f"a $batch holds 1 to {MAX_BATCH} requests, not {len(items)}")
    requests = []
    for item_id, info in items:
        info.path_parameters["baseurl"] = ""  # the item's URL relative to the version
        method = info.http_method.value if info.http_method is not None else "GET"
        entry: dict[str, Any] = {"id": item_id, "method": method, "url": info.url,
                                 "headers": _headers(info)}  # fmt: skip
        if info.content:
            entry["body"] = json.loads(info.content)
        requests.append(entry)
    batch = RequestInformation(Method.POST, "{+baseurl}/$batch")
    batch.headers.try_add("Accept", "application/json")
    batch.set_stream_content(json.dumps({"requests": requests}).encode(), "application/json")
    return batch


def parse_responses(raw: bytes, ids: Collection[str], what: str) -> dict[str, SubResponse]:
    """The sub-responses of a batch answer, by item id; every id must be answered."""
    try:
        answers = json.loads(raw)["responses"]
        found = {
            str(a["id"]): SubResponse(
                str(a["id"]), int(a["status"]),
                {str(k).lower(): str(v) for k, v in (a.get("headers") or {}).items()},
                a.get("body"),
            )
            for a in answers
        }  # fmt: skip
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise GraphError(Action.FATAL, f"{what}: not a $batch answer ({exc!r:.80})") from None
    missing = [i for i in ids if i not in found]
    if missing:
        raise GraphError(Action.FATAL, f"{what}: $batch answer has no item {missing[0]!r}")
    return {i: found[i] for i in ids}


def retry_error(failures: Sequence[GraphError], sent: int, what: str) -> GraphError:
    """One retriable error standing for the retriable items of a batch: it waits for the
    longest `Retry-After` any of them asked for (a 429 first names the error)."""
    first = next((e for e in failures if e.status == 429), failures[0])
    waits = [e.retry_after for e in failures if e.retry_after is not None]
    return GraphError(
        Action.RETRY,
        f"{what}: {len(failures)} of {sent} items to retry ({first.message})",
        status=first.status,
        code=first.code,
        retry_after=max(waits) if waits else None,
    )


@dataclass
class _Batcher:
    """The items still to ask for and the answers so far; `round` sends one batch."""

    requests: Mapping[str, RequestInformation]
    send: SendFn
    accept: Collection[Action]
    what: str
    pending: list[str]
    results: dict[str, SubResponse] = field(default_factory=dict)

    async def round(self) -> None:
        """Send the next ≤ 20 pending items; raise when some failed (retriable or not)."""
        ids = self.pending[:MAX_BATCH]
        raw = await self.send(envelope([(i, self.requests[i]) for i in ids]))
        answers = parse_responses(raw, ids, self.what)
        retry: list[GraphError] = []
        again: list[str] = []
        for item_id in ids:
            answer = answers[item_id]
            error = None if answer.ok else answer.error(self.what)
            if error is None or error.action in self.accept:
                self.results[item_id] = answer
            elif error.action in RETRIABLE:
                retry.append(error)
                again.append(item_id)
            else:
                raise error
        self.pending = again + self.pending[len(ids):]  # retried items go first
        if retry:
            raise retry_error(retry, len(ids), self.what)


async def get_many(
    requests: Mapping[str, RequestInformation],
    send: SendFn,
    *,
    clock: Clock,
    policy: RetryPolicy,
    what: str,
    accept: Collection[Action] = (),
    on_retry: RetryHook | None = None,
) -> dict[str, SubResponse]:
    """Every request's answer, in ⌈n / 20⌉ batches when nothing fails.

    `send` sends one envelope once (gated and counted by the caller) and raises a
    classified `GraphError` when the envelope itself fails. An item that failed with an
    action in `accept` is an answer; other non-retriable failures are raised; retriable
    ones are sent again, first in the next batch, after the wait `with_retry` decides.
    """
    batcher = _Batcher(requests, send, frozenset(accept), what, list(requests))
    while batcher.pending:
        await with_retry(batcher.round, clock=clock, policy=policy, on_retry=on_retry)
    return batcher.results
