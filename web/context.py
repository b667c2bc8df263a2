"""Per-app state (settings, engine), one database session per request, and the signed-in
user's clock: the one place the pages learn whose time zone they show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.local_time import UserClock, choose_zone
from storage.users import find_user
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


def clock() -> UserClock:
    """This request's clock in the signed-in user's zone (`[[user]] time_zone`); the server's
    zone for the anonymous user of development mode, a user without one, or no user yet."""
    found: UserClock | None = g.get("web_clock")
    if found is None:
        configured: str | None = None
        user = g.get("web_user")
        if user is not None and not user.anonymous:
            stored = find_user(db(), upn=user.upn)
            configured = stored.time_zone if stored is not None else None
        found = UserClock(choose_zone(configured), datetime.now(UTC).replace(tzinfo=None))
        g.web_clock = found
    return found


def filter_day_zone() -> tzinfo | None:
    """The zone of a filter's dates (`since`, `until`): the user's days on the pages, UTC
    days on `/api/v1` and outside a request (the API's contract, as the CLI's)."""
    if has_request_context() and request.blueprint == "web":
        return clock().zone
    return UTC
