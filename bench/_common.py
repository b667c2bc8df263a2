"""Shared by the benchmarks: throw-away databases, latency percentiles, side-by-side ratios."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def add_pg_option(parser: argparse.ArgumentParser) -> None:
    """`--pg URL`: the PostgreSQL admin URL the throw-away database is made with."""
    parser.add_argument("--pg", default=PG_ADMIN_URL, help="an admin URL; '' to skip PostgreSQL")


@contextmanager
def sqlite_database() -> Iterator[str]:
    """The URL of a SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def pg_database(admin_url: str, prefix: str = "interlog_bench") -> Iterator[str]:
    """The URL of an empty PostgreSQL database made for this run, dropped afterwards."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentiles_ms(seconds: list[float], *points: int) -> dict[str, float]:
    """`{"p50_ms": …, "p95_ms": …}` for the latencies given in seconds (inclusive method)."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {f"p{p}_ms": round(cuts[p - 1] * 1000, 2) for p in points}


def ratio(numerator: float, denominator: float) -> float | None:
    """PostgreSQL over SQLite, say; None when the denominator is 0."""
    return round(numerator / denominator, 2) if denominator else None
