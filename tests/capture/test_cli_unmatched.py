"""`interlog unmatched list`: the addresses capture could not match, for review."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.capture import build_capture_context, capture_page
from interlog.cli import cli
from tests.support.builders import NOW, a_message
from tests.support.capture import ALICE, CAPTURE, make_settings
from tests.support.databases import url_of
from tests.support.seed import seed


def _captured_db(engine: Engine) -> str:
    """Capture three messages into the engine's database; its URL, for the CLI."""
    with Session(engine) as session, session.begin():
        seed(session, CAPTURE)
        ctx = build_capture_context(session, make_settings())
        capture_page(session, ctx, ALICE, [
            a_message().from_("Zed <zed@startup.example>").to(ALICE).subject("Intro")
            .received(NOW).build(),
            a_message().from_("zed@startup.example").to(ALICE).build(),
            a_message().from_("amy@other.example").to(ALICE).build(),
        ])
    return url_of(engine)


def test_unmatched_list_json_is_most_frequent_first(clean_sqlite_engine: Engine) -> None:
    sqlite_url = _captured_db(clean_sqlite_engine)

    result = CliRunner().invoke(cli, ["--db", sqlite_url, "unmatched", "list", "--json"])

    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["address"], r["count"]) for r in rows] == [
        ("zed@startup.example", 2), ("amy@other.example", 1)]
    assert rows[0]["name"] == "Zed"
    assert rows[0]["mailbox"] == ALICE
    assert rows[0]["first_seen"] == NOW.isoformat(timespec="seconds")


def test_unmatched_list_table_filters_by_domain(clean_sqlite_engine: Engine) -> None:
    sqlite_url = _captured_db(clean_sqlite_engine)

    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--db", sqlite_url, "unmatched", "list",
                                      "--domain", "@Other.example"])

    assert result.exit_code == 0, result.output
    assert "amy@other.example" in result.output
    assert "zed@startup.example" not in result.output
