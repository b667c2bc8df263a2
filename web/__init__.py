"""The web view (pages of the interaction log) and `/api/v1`, as blueprints of the Flask app.

`register(app, services, settings)` adds both to the app that `interlog/app.py` builds;
nothing happens at import time.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Flask only when an app is built: `web.settings` is read by every command
    from flask import Blueprint, Flask
    from werkzeug.exceptions import HTTPException

    from connector.surfaces import Services
    from web.settings import WebConfig

MAX_PAGE_UPLOAD = 256 * 1024
SESSION_LIFETIME = timedelta(hours=8)  # after the cookie was last issued (sign-in, a flash)
logger = logging.getLogger(__name__)


def register(app: Flask, services: Services, settings: WebConfig) -> None:
    """Add the pages (`/log`, `/contacts/…`, `/templates`, `/sync`) and `/api/v1` to `app`."""
    from web import api, context, security

    context.init_app(app, settings, services.engine)
    if not app.secret_key:
        # Without a configured key, sessions last as long as the process: fine for development.
        app.secret_key = settings.web.secret_key.value or secrets.token_bytes(32)
        if settings.web.client_id and not settings.web.secret_key:
            logger.warning("[web] secret_key is not set: sign-ins end when the process restarts"
                           " and do not carry across processes")
    # Assigned, not `setdefault`: Flask's defaults are already there (no SameSite, not Secure,
    # 31 days). The lifetime also bounds a non-permanent session: Flask refuses a cookie whose
    # signature is older than it.
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.server.public_url.strip().lower().startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    app.register_blueprint(pages_blueprint())
    app.register_blueprint(api.blueprint())
    app.after_request(security.add_headers)  # every answer, the bot's and unrouted ones too
    for code in (404, 405):
        app.register_error_handler(code, api.unrouted)


def pages_blueprint() -> Blueprint:
    from flask import Blueprint
    from werkzeug.exceptions import HTTPException

    from web import (
        admin_pages,
        audit_page,
        auth,
        contact_page,
        explain_page,
        i18n,
        log_columns,
        pages,
        recreate_page,
        security,
        stats_page,
    )

    bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static/web")
    bp.before_request(i18n.enter_locale)
    bp.teardown_request(i18n.leave_locale)
    bp.before_request(_limit_upload)
    bp.before_request(auth.require_user)
    bp.before_request(security.check_csrf)
    bp.register_error_handler(HTTPException, _error_page)
    bp.app_context_processor(lambda: {
        "_": i18n.gettext, "num": i18n.number, "csrf_token": security.csrf_token,
        "lang": i18n.language, "fdate": i18n.date, "ftime": i18n.time,
        "time_zone": i18n.zone, "flocal": i18n.local, "fzone": i18n.abbreviation,
    })
    for module in (auth, pages, contact_page, admin_pages, explain_page, stats_page,
                   log_columns, audit_page, recreate_page):
        module.register_routes(bp)
    from web import segments_page
    segments_page.register_routes(bp)
    return bp


def _limit_upload() -> None:
    from flask import request

    request.max_content_length = MAX_PAGE_UPLOAD
    request.max_form_memory_size = MAX_PAGE_UPLOAD


def _error_page(exc: HTTPException) -> Any:
    from flask import render_template

    from web.i18n import gettext

    messages = {400: "Bad request", 403: "Not allowed", 404: "Page not found.",
                413: "The upload is too large."}
    detail = exc.description if exc.description and exc.code not in (404, 413) else ""
    if detail == "csrf":
        detail = gettext("The form expired; please try again.")
    title = gettext(messages.get(exc.code or 500, exc.name))
    return render_template("error.html", code=exc.code, title=title, detail=detail), exc.code
