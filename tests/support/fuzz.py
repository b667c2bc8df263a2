"""Hypothesis strategies and checks shared by the fuzz pass over every input surface (issue 12):
the API, the pages' filters, the bot's text, the notifications endpoint, the contacts CSV, the
templates TOML and the configuration.

Every fuzz test asserts the same three things: never a 5xx (or an exception other than the
surface's own refusal), never a traceback in what is answered or printed, and nothing written
when the input is refused. `FUZZ` keeps the pass reproducible (derandomized, no example
database) and bounded (the whole pass stays under a minute on two cores).
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck), print_blob=False)
"""The fuzz pass's settings; a module may lower `max_examples` for a slow surface."""

# Characters that broke something before, or that no database, terminal or URL takes as is.
NASTY_CHARS = ("\x00", "\ud800", "\udfff", "\x1b", "\x9b", "\u202e", "\u2066", "\r", "\n",
               "\t", "\x7f", "\ufeff", "\u2028", "/", "\\", "%", "?", "#", "'", '"', "<", ">",
               "&", ";", ",", "=", "+", "-", "@", "²", "١", "ß", "İ", "💥")
NASTY_WORDS = ("", " ", "NaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "-1", "0",
               "2147483648", "9" * 40, "9999-12-31", "0000-00-00", "2025-02-30", "1899-12-31",
               "../../etc/passwd", "%00", "%2F", "null", "true", "[]", "{}", "<script>",
               "' OR 1=1 --", "x" * 300, "a" * 3000)

nasty_char = st.sampled_from(NASTY_CHARS)
# Any code point, lone surrogates included (Hypothesis leaves them out by default).
any_char = st.characters(codec=None, exclude_categories=())
text = st.one_of(
    st.sampled_from(NASTY_WORDS),
    st.text(st.one_of(nasty_char, any_char), max_size=40),
    st.text(max_size=20),
)
"""A value for any text field: printable words, hostile characters, sizes past any column."""

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(NASTY_WORDS),
)
"""A value for any number field: finite or not, in range or far out, or a string."""

json_scalars = st.one_of(st.none(), st.booleans(), numbers, text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)), max_leaves=12)
"""Any JSON value (NaN and Infinity included, as Python's json writes them)."""


@st.composite
def _near_valid(draw: st.DrawFn, fields: dict[str, Any]) -> dict[str, Any]:
    names = sorted(fields)
    dropped = draw(st.sets(st.sampled_from(names), max_size=3))
    spoiled = draw(st.sets(st.sampled_from(names), max_size=2))
    body = {name: value for name, value in fields.items() if name not in dropped}
    for name in sorted(spoiled):
        body[name] = draw(st.one_of(json_scalars, json_values))
    return body


def field_values(fields: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`fields` (name → a valid value) with up to three dropped and up to two replaced by a
    hostile value: near-valid bodies reach deeper than random JSON does."""
    return _near_valid(fields)


def json_bytes(value: Any) -> bytes:
    """`value` as a JSON body as written, NaN and lone surrogates included (escaped)."""
    return json.dumps(value, allow_nan=True).encode("ascii")


def is_finite_json(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(is_finite_json(v) for v in value)
    if isinstance(value, dict):
        return all(is_finite_json(v) for v in value.values())
    return True


def assert_handled(response: httpx.Response, *allowed: int) -> None:
    """Not a 5xx, no traceback; with `allowed`, one of those statuses."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert "Traceback" not in response.text, response.text[:500]
    if allowed:
        assert response.status_code in allowed, (response.status_code, response.text[:500])


def toml_value(value: Any) -> str:
    """One TOML value: strings as basic strings (JSON's escapes are TOML's), numbers, arrays,
    inline tables. A lone surrogate becomes an escape TOML refuses, as a file would hold it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(
            value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def toml_key(key: str) -> str:
    return json.dumps(key)


def toml_document(tables: dict[str, Any]) -> str:
    """`{"section": {key: value}}` and `{"array": [{key: value}, …]}` as a TOML file."""
    lines: list[str] = []
    for name, body in tables.items():
        items = body if isinstance(body, list) else [body]
        for item in items:
            lines.append(f"[[{toml_key(name)}]]" if isinstance(body, list)
                         else f"[{toml_key(name)}]")
            lines.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in
                         (item.items() if isinstance(item, dict) else []))
    return "\n".join(lines) + "\n"


toml_scalars = st.one_of(st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
                         st.floats(), text)
toml_values = st.one_of(toml_scalars, st.lists(toml_scalars, max_size=3))
"""A value a TOML file may hold for any key (or, with a lone surrogate, one it may not)."""


def toml_tables(known: dict[str, dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """TOML tables whose keys are mostly the known ones (name → key → a valid value), with
    values kept or replaced by hostile ones, and now and then an unknown key or table."""
    def table(keys: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        known_keys = {k: st.one_of(st.just(v), toml_values) for k, v in keys.items()}
        return st.fixed_dictionaries({}, optional=known_keys).flatmap(
            lambda got: st.dictionaries(text, toml_values, max_size=1).map(
                lambda extra: {**got, **extra}))
    return st.fixed_dictionaries({}, optional={name: table(keys) for name, keys in known.items()})


def quoted(value: str) -> str:
    """`value` percent-encoded for a URL as its bytes would be (a lone surrogate too)."""
    from urllib.parse import quote

    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def query_string(params: dict[str, str]) -> str:
    return "&".join(f"{quoted(k)}={quoted(v)}" for k, v in params.items())
