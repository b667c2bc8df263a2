"""A worker's Graph side: one event loop and one Graph client for the worker's lifetime.

The client holds one HTTP pool (httpx, kept-alive connections) and one azure-identity
credential, whose in-memory token is reused until it nears expiry — so a worker asks Entra
ID for about one token an hour whatever the number of mailboxes it syncs, instead of one
per mailbox sync. The loop is an `asyncio.Runner` kept open: the pool's connections belong
to it. Everything is built at first use (a worker with a test's `sync_one` builds nothing)
and closed by `close()` when the worker stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from connector.errors import GraphError
from connector.settings import GraphSettings
from storage.errors import InterlogError

if TYPE_CHECKING:  # the Graph SDK is imported when the first client is built
    from connector.graph.client import GraphClient


class CredentialRefused(InterlogError):
    """Entra ID refused the app's credential for good: no sync can run until it is fixed."""


class GraphSession:
    """One event loop + one `GraphClient`, reused by every sync and subscription check."""

    def __init__(self, graph: GraphSettings) -> None:
        self._graph = graph
        self._runner: asyncio.Runner | None = None
        self._client: GraphClient | None = None
        self.clients_built = 0  # stays 1 for a worker's lifetime (tests read it)

    def __repr__(self) -> str:
        state = "open" if self._client is not None else "idle"
        return f"GraphSession({state}, clients_built={self.clients_built})"

    @property
    def is_open(self) -> bool:
        """Whether a client or loop is held (False before first use and after `close`)."""
        return self._runner is not None or self._client is not None

    @property
    def client(self) -> GraphClient:
        """The client, built on first use."""
        if self._client is None:
            from connector.graph.client import build_client

            self._client = build_client(self._graph)
            self.clients_built += 1
        return self._client

    def run[T](self, work: Callable[[GraphClient], Coroutine[Any, Any, T]]) -> T:
        """Run `work(client)` to its end on the session's loop."""
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(work(self.client))

    def refused(self) -> GraphError | None:
        """Why Entra ID refused the credential for good; None while it has not."""
        return None if self._client is None else self._client.refused

    def raise_if_refused(self) -> None:
        """`CredentialRefused` naming the problem (never the secret) once Entra ID refused
        the credential: a worker stops instead of failing every mailbox in turn."""
        refused = self.refused()
        if refused is not None:
            raise CredentialRefused(refused.message)

    def close(self) -> None:
        """Close the client (HTTP pool, credential) and the loop; safe to call twice."""
        runner, client = self._runner, self._client
        self._runner = self._client = None
        if runner is None:
            return
        try:
            if client is not None:
                runner.run(client.close())
        finally:
            runner.close()
