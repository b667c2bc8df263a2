"""Placing and converting a templates file's values: each problem becomes a `TemplateError`
on the line it is on (the web page shows each error against its line).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from storage.templates_spec import MAX_AMOUNT, TemplateError
from storage.values import BadValue, bounded_int, number_problem, text_problem


class TableLines:
    """Finds the line of the n-th `[[name]]` / `[name]` table, and of a key inside it."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[str, int]] = []  # (table name, 0-based line)
        pattern = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_-]+)\s*\]\]?\s*(#.*)?$")
        for number, line in enumerate(self.lines):
            match = pattern.match(line)
            if match:
                self.headers.append((match.group(1), number))

    def table(self, name: str, index: int = 0) -> int | None:
        found = [n for table, n in self.headers if table == name]
        return found[index] + 1 if index < len(found) else None

    def key(self, name: str, index: int, key: str) -> int | None:
        start = self.table(name, index)
        if start is None:
            return None
        ends = [n for _, n in self.headers if n >= start]
        end = ends[0] if ends else len(self.lines)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number]):
                return number + 1
        return start


@dataclass
class TableChecker:
    """Collects errors while converting one table's values."""

    lines: TableLines
    errors: list[TemplateError]
    table: str
    index: int
    raw: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"[{self.table}]" if self.table == "setup" else f"[[{self.table}]] #{self.index + 1}"

    def error(self, key: str | None, message: str) -> None:
        line = (self.lines.key(self.table, self.index, key) if key
                else self.lines.table(self.table, self.index))
        self.errors.append(TemplateError(f"{self.where}: {message}", line))

    def unknown_keys(self, allowed: Collection[str]) -> None:
        for key in self.raw:
            if key not in allowed:
                self.error(key, f"unknown key {key!r}")

    def text(self, key: str, limit: int, *, required: bool = False) -> str | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.error(None, f"{key} is missing")
            return None
        if not isinstance(value, str):
            self.error(key, f"{key} must be a string, not {value!r}")
            return None
        if required and not value.strip():
            self.error(key, f"{key} is empty")
            return None
        if len(value) > limit:
            self.error(key, f"{key} is longer than {limit} characters")
            return None
        problem = text_problem(value)
        if problem is not None:
            self.error(key, f"{key} {problem}")
            return None
        return value

    def code(self, key: str, *, required: bool = True) -> str | None:
        value = self.text(key, 10, required=required)
        return value.strip().upper() if value is not None else None

    def choice(self, key: str, allowed: Collection[str]) -> str | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        if value not in allowed:
            self.error(key, f"{key} = {value!r}: expected one of {', '.join(allowed)}")
            return None
        return str(value)

    def amount(self, key: str) -> Decimal:
        value = self.raw.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(key, f"{key} must be a number, not {value!r}")
            return Decimal("0")
        problem = number_problem(value, Decimal("0"), MAX_AMOUNT)
        if problem is not None:
            self.error(key, f"{key} {problem}, not {value!r}")
            return Decimal("0")
        return Decimal(str(value)).quantize(Decimal("0.01"))

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw.get(key, default)
        try:
            return bounded_int(value, key, low=low, high=high)
        except BadValue as exc:
            self.error(key, exc.message)
            return default

    def flag(self, key: str) -> bool | None:
        value = self.raw.get(key)
        if value is not None and not isinstance(value, bool):
            self.error(key, f"{key} must be true or false, not {value!r}")
            return None
        return value
