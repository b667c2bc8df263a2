"""Per-app state (settings, engine) and one database session per request."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from web.settings import WebConfig

EXTENSION = "interlog.web"


@dataclass(frozen=True)
class WebState:
    settings: WebConfig
    engine: Engine


def init_app(app: Flask, settings: WebConfig, engine: Engine) -> None:
    app.extensions[EXTENSION] = WebState(settings=settings, engine=engine)
    app.teardown_appcontext(_close_session)


def state() -> WebState:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def db() -> Session:
    """This request's session (opened on first use, closed, never committed, at teardown)."""
    session: Session | None = g.get("web_db")
    if session is None:
        session = Session(state().engine, expire_on_commit=False)
        g.web_db = session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("web_db", None)
    if session is not None:
        session.rollback()
        session.close()
