"""Benchmark: how fast the Graph emulator serves delta pages over loopback.

Generates 5 mailboxes x 10,000 messages, starts the emulator in-process, then several
concurrent httpx clients page through every mailbox's inbox and sent-items delta (narrow
`$select`, `Prefer: odata.maxpagesize=1000`). Prints one JSON line.
Usage: python bench/emulator_bench.py [--mailboxes N] [--messages M] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from datetime import UTC, datetime

import httpx

from emulator import EmulatorServer, EmulatorSettings
from emulator.generate import generate

NEXT_LINK = re.compile(rb'"@odata\.nextLink":"([^"]+)"')
SELECT = "id,subject,from,toRecipients,ccRecipients,receivedDateTime,internetMessageId,isDraft"


async def _page_through(client: httpx.AsyncClient, url: str, bodies: list[bytes]) -> int:
    pages = 0
    params: dict[str, str] | None = {"$select": SELECT}
    while True:
        resp = await client.get(url, params=params, headers={"Prefer": "odata.maxpagesize=1000"})
        resp.raise_for_status()
        bodies.append(resp.content)
        pages += 1
        found = NEXT_LINK.search(resp.content, max(0, len(resp.content) - 4096))
        if found is None:
            return pages
        url, params = found.group(1).decode(), None


async def _run(base: str, upns: list[str], rounds: int) -> tuple[int, list[bytes], float]:
    bodies: list[bytes] = []
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client:
        jobs = [
            _page_through(client, f"{base}/users/{upn}/mailFolders/{folder}/messages/delta", bodies)
            for _ in range(rounds)
            for upn in upns
            for folder in ("inbox", "sentitems")
        ]
        pages = sum(await asyncio.gather(*jobs))
    return pages, bodies, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mailboxes", type=int, default=5)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data = generate(
        mailboxes=args.mailboxes, messages=args.messages, events=10, contacts=120, seed=1,
        reference=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    upns = [u["userPrincipalName"] for u in data.tenant["users"]]
    settings = EmulatorSettings(max_page_size=1000, mailbox_budget=1_000_000)
    with EmulatorServer.start(data.tenant, settings=settings) as emu:
        asyncio.run(_run(emu.base_url, upns[:1], 1))  # warm the per-item JSON cache once
        pages, bodies, elapsed = asyncio.run(_run(emu.base_url, upns, args.rounds))
    decode_started = time.perf_counter()
    messages = sum(len(json.loads(b)["value"]) for b in bodies)
    decode = time.perf_counter() - decode_started
    print(
        json.dumps(
            {
                "mailboxes": len(upns),
                "messages_served": messages,
                "pages": pages,
                "seconds": round(elapsed, 3),
                "pages_per_s": round(pages / elapsed, 1),
                "messages_per_s": round(messages / elapsed),
                "mb_per_s": round(sum(map(len, bodies)) / elapsed / 1e6, 1),
                "json_decode_floor_messages_per_s": round(messages / decode),
            }
        )
    )


if __name__ == "__main__":
    main()
