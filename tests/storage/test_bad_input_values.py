"""Issue 12, item 7, below the HTTP surfaces, on SQLite and PostgreSQL: the templates TOML,
the contacts CSV and the bot refuse values no column may hold (NaN and infinite amounts,
NUL characters, lone surrogates, unbounded rule priorities, non-ASCII digits) with an error
naming the field, and write nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.runner import CommandRunner, Turn
from storage.contacts_csv import CsvImportError, import_contacts_csv
from storage.entries import Interaction, log_interaction
from storage.models import Contact, InteractionLogEntry, InteractionTemplate, MatchRule
from storage.templates_io import TemplatesImportError, import_templates
from storage.values import BadValue, clean_text, finite_decimal
from tests.support.bot import ALICE, BOT
from tests.support.seed import seed

if TYPE_CHECKING:
    from tests.support.world import World

TEMPLATES = """[[group]]
code = "CALLS"
description = "Calls"

[[template]]
code = "CALL"
group = "CALLS"
{line}
"""


def count(session: Session, model: type[object]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.mark.parametrize(("line", "key", "number"), [
    ("unit_cost = nan", "unit_cost", 8),
    ("unit_duration_min = -nan", "unit_duration_min", 8),
    ('description = "a\\u0000b"', "description", 8),
    ('description = "a\\u0000b"\n[[rule]]\ntemplate = "CALL"\npriority = 10000000000000000000',
     "priority", 11),
    ('[[rule]]\ntemplate = "CALL"\npriority = -9223372036854775809', "priority", 10),
])
def test_templates_refuse_nan_nul_and_unbounded_priorities(
    db: Session, line: str, key: str, number: int,
) -> None:
    with pytest.raises(TemplatesImportError) as caught:
        import_templates(db, TEMPLATES.format(line=line))
    problems = [str(e) for e in caught.value.errors]
    assert any(p.startswith(f"line {number}: ") and key in p for p in problems), problems
    assert count(db, InteractionTemplate) == count(db, MatchRule) == 0


@pytest.mark.parametrize("value", ["Jane\x00Doe", "Jane\udc80Doe"])
def test_contacts_csv_refuses_nul_and_lone_surrogates(db: Session, value: str) -> None:
    text = f"no,type,name,company_no,email,email2,domains\nC1,person,{value},,,,\n"
    with pytest.raises(CsvImportError, match="line 2: name contains a"):
        import_contacts_csv(db, text)
    assert count(db, Contact) == 0


@pytest.mark.parametrize("text", ["cancel ²", "restore #¹²"])
def test_bot_numbers_are_ascii_digits_only(clean_engine: Engine, text: str) -> None:
    seed(clean_engine, BOT)
    reply = CommandRunner(clean_engine).run(Turn(channel="teams", aad_object_id=ALICE,
                                                 text=text))
    assert "something went wrong" not in reply.text, reply.text
    with Session(clean_engine) as session:
        assert count(session, InteractionLogEntry) == 0


@pytest.mark.parametrize("text", ["log call Jane Doe about a\x00b", "log call Jane Doe a\ud800"])
def test_bot_refuses_nul_and_lone_surrogates(clean_engine: Engine, text: str) -> None:
    seed(clean_engine, BOT)
    reply = CommandRunner(clean_engine).run(Turn(channel="teams", aad_object_id=ALICE,
                                                 text=text))
    assert reply.text.startswith("message: message contains a"), reply.text
    with Session(clean_engine) as session:
        assert count(session, InteractionLogEntry) == 0


def test_the_shared_checks_name_the_field() -> None:
    with pytest.raises(BadValue, match=r"^subject: subject contains a NUL character$"):
        clean_text("a\x00", "subject")
    with pytest.raises(BadValue, match=r"contains a lone surrogate \(U\+D800\)"):
        clean_text("\ud800", "name")
    for bad in (float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"), "nan", "x"):
        with pytest.raises(BadValue, match=r"^cost: cost must be"):
            finite_decimal(bad, "cost", low=Decimal(0), high=Decimal(10))
    assert finite_decimal("2.5", "cost", low=Decimal(0), high=Decimal(10)) == Decimal("2.50")


@pytest.mark.parametrize("data", [{"action": "command", "text": "log call Jane\x00"},
                                  {"action": "cancel", "entry_no": "1\ud800"}])
def test_bot_buttons_refuse_nul_and_lone_surrogates(clean_engine: Engine,
                                                    data: dict[str, str]) -> None:
    seed(clean_engine, BOT)
    reply = CommandRunner(clean_engine).run(Turn(channel="teams", aad_object_id=ALICE,
                                                 action=data))
    assert reply.text.startswith("message: message contains a"), reply.text


@pytest.mark.parametrize(("field", "change"), [
    ("duration", {"duration_min": Decimal("NaN")}),
    ("cost", {"cost": Decimal("Infinity")}),
    ("duration", {"duration_min": Decimal("100000000")}),
    ("subject", {"subject": "Call\x00"}),
    ("document no.", {"document_no": "\udc80"}),
])
def test_every_entry_write_refuses_what_no_column_holds(
    db: Session, world: World, field: str, change: dict[str, object]
) -> None:
    """`check_interaction`, below every surface (manual, bot, API, segments), names the field."""
    before = count(db, InteractionLogEntry)
    interaction = Interaction(template_code="CALL", **change)  # type: ignore[arg-type]
    with pytest.raises(BadValue) as refused:
        log_interaction(db, world.jose, interaction, actor="t")
    assert refused.value.field == field
    assert count(db, InteractionLogEntry) == before
