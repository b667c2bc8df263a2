"""Following Graph's `@odata.nextLink` / `@odata.deltaLink` through one delta round.

A tiny object with no I/O: the sync loop feeds it each decoded page; it says which link to
fetch next, whether the round is over, and refuses to loop when Graph repeats a link.
"""

from __future__ import annotations

from typing import Any

from connector.errors import Action, GraphError, RepeatedLinkError

NEXT = "@odata.nextLink"
DELTA = "@odata.deltaLink"


class GraphLinkPaginator:
    """The state of one round: the link to fetch next, or the deltaLink that ends it."""

    def __init__(self, start_link: str | None = None) -> None:
        self.next_link: str | None = start_link
        self.delta_link: str | None = None
        self.pages = 0
        self._seen: set[str] = set() if start_link is None else {start_link}

    @property
    def finished(self) -> bool:
        """True once a page carried a deltaLink (the round is complete)."""
        return self.delta_link is not None

    @property
    def current_value(self) -> str | None:
        """The link to fetch next (None before the first page: build the initial request)."""
        return self.next_link

    def advance(self, page: dict[str, Any]) -> None:
        """Take the links of a decoded page; raises when a link repeats or none is given."""
        if self.finished:
            raise GraphError(Action.FATAL, "advance() called after the round finished")
        self.pages += 1
        next_link, delta_link = page.get(NEXT), page.get(DELTA)
        if isinstance(next_link, str) and next_link:
            if next_link in self._seen:
                raise RepeatedLinkError(next_link)
            self._seen.add(next_link)
            self.next_link = next_link
            return
        if isinstance(delta_link, str) and delta_link:
            self.next_link = None
            self.delta_link = delta_link
            return
        raise GraphError(Action.FATAL, "a delta page carried neither a nextLink nor a deltaLink")
