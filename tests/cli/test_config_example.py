"""`config.example.toml` loads, and documents every key `interlog/config.py` knows."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

from interlog.config import SECTIONS, Secret, UserSettings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_example_loads_and_keeps_secrets_hidden() -> None:
    settings = load_settings(EXAMPLE, env={"INTERLOG_GRAPH_CLIENT_SECRET": "s3cret-value"})
    assert settings.storage.url == "sqlite:///interlog.db"
    assert settings.users[0].upn == "alice@contoso.com"
    assert settings.graph.client_secret == Secret("s3cret-value")  # empty in the file: from env
    assert "s3cret-value" not in repr(settings)


def test_example_documents_every_key() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    expected = {name: {f.name for f in fields(cls)} for name, cls in SECTIONS.items()}
    expected["user"] = {f.name for f in fields(UserSettings)}
    found = {name: set(data.get(name, {})) for name in SECTIONS}
    found["user"] = set(data["user"][0])
    missing = {name: sorted(keys - found[name]) for name, keys in expected.items()
               if keys - found[name]}
    assert missing == {}
