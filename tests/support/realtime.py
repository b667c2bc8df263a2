"""Real-time capture in-process: settings for a worker or the app, and the notification app."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.engine import Engine

from interlog.config import Settings, settings_from_dict
from tests.support.builders import DOMAIN
from tests.support.databases import url_of

TOKEN = "emulator-token"  # the emulator requires it; settings send it as graph.static_token


def make_settings(*, db_url: str, graph_url: str = "", public_url: str = "",
                  mailboxes: list[str] | None = None, **worker: int) -> Settings:
    data: dict[str, Any] = {
        "storage": {"url": db_url},
        "graph": {"base_url": graph_url, "static_token": TOKEN} if graph_url else {},
        "sync": {"mailboxes": mailboxes or [], "internal_domains": [DOMAIN],
                 "poll_interval": 3600},
        "server": {"public_url": public_url},
        "worker": {"lease_seconds": 30, "heartbeat_seconds": 1, "idle_ms": 100, **worker},
    }
    return settings_from_dict(data, env={})


def notification_app(engine: Engine) -> Flask:
    """The real app (`interlog.app.create_app`), which serves the notification endpoint."""
    from interlog.app import create_app

    return create_app(make_settings(db_url=url_of(engine)), engine=engine)
