"""Benchmark of the capture writer alone (`bench/_capture.py`): JSON on stdout.

Runs SQLite and, when reachable, PostgreSQL side by side in one run:
`.venv/bin/python bench/capture_bench.py [--messages N] [--page N] [--pg URL]`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa
from _capture import run

from storage.db import make_engine, upgrade


def _sqlite(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        try:
            return run(engine, messages_total=args.messages, page=args.page)
        finally:
            engine.dispose()


def _postgres(args: argparse.Namespace) -> dict[str, object]:
    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
    name = f"interlog_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        return run(engine, messages_total=args.messages, page=args.page)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="an admin URL; '' to skip PostgreSQL")
    args = parser.parse_args()
    results = [_sqlite(args)]
    if args.pg:
        results.append(_postgres(args))
    print(json.dumps({"capture_writer": results}, indent=2))


if __name__ == "__main__":
    main()
