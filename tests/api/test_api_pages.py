"""`GET /api/v1/interactions` pages by entry number through the live server, on SQLite and
PostgreSQL: `next` links walk the log with no gap and no repeat while entries are recorded
between pages; `offset` still works; totals say whether they are estimated."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.web import Api


def test_next_links_walk_every_entry_once_while_others_are_recorded(api: Api) -> None:
    seen: list[int] = []
    link: str | None = "/api/v1/interactions?limit=2&status=all"
    recorded: list[int] = []
    while link is not None:
        body = api.client.get(link).json()
        seen += [e["entry_no"] for e in body["entries"]]
        assert len(body["entries"]) <= 2
        link = body["next"]
        if link is not None:
            assert {"limit=2", "status=all"} <= set(link.split("?")[1].split("&"))
        if len(recorded) < 3:  # a writer between pages: its entry comes on a later page
            made = api.client.post("/api/v1/interactions",
                                   json={"contact": "C005", "template": "CALL"})
            assert made.status_code == 201, made.text
            recorded.append(made.json()["entry_no"])
    every = [e.entry_no for e in api.entries()]
    assert seen == every  # in order, no gap, no repeat
    assert set(recorded) <= set(seen)


def test_after_offset_and_exact_totals(api: Api) -> None:
    every = [e.entry_no for e in api.entries()]
    body = api.client.get("/api/v1/interactions",
                          params={"after": every[1], "limit": 3, "status": "all"}).json()
    assert [e["entry_no"] for e in body["entries"]] == every[2:5]
    assert body["after"] == every[1]
    assert body["next"].endswith(f"after={every[4]}")
    last = api.client.get("/api/v1/interactions",
                          params={"after": every[-2], "status": "all"}).json()
    assert ([e["entry_no"] for e in last["entries"]], last["next"]) == ([every[-1]], None)
    paged = api.client.get("/api/v1/interactions", params={"limit": 2, "offset": 1}).json()
    assert [e["entry_no"] for e in paged["entries"]] == every[1:3]
    totals = api.client.get("/api/v1/interactions", params={"source": "email"}).json()["totals"]
    assert totals["estimated"] is False
    assert totals["count"] == len(api.entries(source="email", canceled=False))
    assert isinstance(totals["count"], int)
    bad = api.client.get("/api/v1/interactions", params={"after": "x"})
    assert (bad.status_code, bad.json()["field"]) == (400, "after")
