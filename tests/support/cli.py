"""The `interlog` console script in-process: `run_main(cli)` driven by click's CliRunner,
and the files the CLI tests import."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from click.testing import CliRunner, Result

from interlog.cli import cli
from interlog.cli.common import run_main

CONTACTS_CSV = """no,type,name,company_no,email,email2,domains
CT2,person,José Pérez,CT1,jose@fabrikam.com,,
CT1,company,Fabrikam Inc.,,info@fabrikam.com,,fabrikam.com
CT3,person,Josefina Ruiz,CT1,josefina@fabrikam.com,,
CT4,person,Anna Berg,,anna@example.org,,
"""

TEMPLATES_TOML = """\
[[group]]
code = "SALES"
description = "Sales documents"

[[template]]
code = "QUOTE"
group = "SALES"
description = "Sales quote"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 2.5
unit_duration_min = 10

[[template]]
code = "CALL"
group = "CALLS"
description = "Phone call"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 1.25
unit_duration_min = 5

[[rule]]
template = "QUOTE"
priority = 10
kind = "email"
subject = "(?i)quote\\\\s+(?P<document_no>SQ-\\\\d+)"
"""


class _Main:
    """The console script as CliRunner drives a command: `run_main(cli)` with these args."""

    name = "interlog"

    def main(self, args: list[str], prog_name: str, **_: Any) -> None:
        saved = sys.argv
        sys.argv = [prog_name, *args]
        try:
            run_main(cli)
        finally:
            sys.argv = saved


Run = Callable[..., Result]


def make_run(url: str) -> Run:
    def run(*args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(_Main(), ["--db", url, *args], input=input)  # type: ignore[arg-type]
    return run
