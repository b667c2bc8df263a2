"""`/api/v1`: record interactions from another system (an ERP), cancel, restore, evaluate,
add a note, list.

Bearer API keys (`interlog api-keys create NAME`); every successful call is in the audit
trail as `api:NAME`. Errors are JSON `{"error", "field", "status"}`; nothing is written
by a call that fails.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, Response, g, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from storage.api_models import ApiKey, authenticate, find_idempotency, record_idempotency
from storage.audit import audit
from storage.contacts import by_email
from storage.entries import (
    cancel_entries,
    entry_to_json,
    evaluate_entries,
    log_interaction,
    note_entries,
    query_entries,
    restore_entries,
    totals,
)
from storage.entry_queries import COUNT_LIMIT
from storage.errors import InterlogError, NotFound, Refused
from storage.models import (
    AuditEvent,
    Contact,
    InteractionLogEntry,
    InteractionTemplate,
    utcnow,
)
from storage.values import BadValue
from web.api_input import (
    InteractionRequest,
    evaluation_of,
    idempotency_key,
    note_of,
    outcome_field,
    parse_interaction,
)
from web.context import db
from web.filters import BadInput, parse_filters

PREFIX = "/api/v1"
MAX_BODY = 64 * 1024
MAX_LIMIT = 500
MAX_ENTRY_NO = 2**31 - 1  # both databases' INTEGER


class ApiProblem(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def as_json(body: object, status: int = 200) -> Response:
    """JSON in the order it was built (an entry as `entries list --json` prints it)."""
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")


def problem(status: int, message: str, field: str | None = None) -> Response:
    response = as_json({"error": message, "field": field, "status": status}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="interlog"'
    return response


def _authenticate() -> None:
    request.max_content_length = MAX_BODY
    if request.endpoint == "api_v1.openapi":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    key = authenticate(db(), presented.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        raise ApiProblem(401, "a valid API key is required: Authorization: Bearer il_…")
    g.api_key_id, g.api_actor = key.id, f"api:{key.name}"


def _done(action: str, entry_no: int | None, **details: object) -> None:
    """Audit the call under the key's name, note the key's use, commit."""
    session = db()
    audit(session, g.api_actor, action, entry_no, **details)
    session.execute(sa.update(ApiKey).where(ApiKey.id == g.api_key_id).values(
        last_used_at=utcnow()))
    session.commit()


def _resolve_contact(ref: str) -> Contact:
    session = db()
    contact = (by_email(session, ref) if "@" in ref else
               session.scalar(sa.select(Contact).where(Contact.no == ref.upper())))
    if contact is None:
        raise ApiProblem(422, f"no contact with number or email {ref!r}", "contact")
    return contact


def _replay(key: str, req: InteractionRequest) -> Response | None:
    record = find_idempotency(db(), g.api_key_id, key)
    if record is None:
        return None
    if record.request_hash != req.body_hash:
        raise ApiProblem(409, f"Idempotency-Key {key!r} was used with a different body "
                              f"(entry #{record.entry_no})", "Idempotency-Key")
    entry = db().get(InteractionLogEntry, record.entry_no)
    if entry is None:
        raise ApiProblem(409, f"entry #{record.entry_no} recorded under this Idempotency-Key "
                              "has been deleted", "Idempotency-Key")
    _done("api_replay", entry.entry_no, idempotency_key=key)
    return as_json(entry_to_json(entry))


def _record(req: InteractionRequest, key: str | None) -> Response:
    session = db()
    contact = _resolve_contact(req.contact)
    if session.get(InteractionTemplate, req.interaction.template_code) is None:
        raise ApiProblem(422, f"no interaction template {req.interaction.template_code!r}",
                         "template")
    entry = log_interaction(session, contact, req.interaction, actor=g.api_actor)
    if key is not None:
        record_idempotency(session, api_key_id=g.api_key_id, key=key,
                           request_hash=req.body_hash, entry_no=entry.entry_no)
    body = entry_to_json(entry)
    _done("api_log", entry.entry_no, idempotency_key=key)
    response = as_json(body, 201)
    response.headers["Location"] = f"/api/v1/interactions/{entry.entry_no}"
    return response


def post_interaction() -> Response:
    req = parse_interaction(_body())
    key = idempotency_key(request.headers.get("Idempotency-Key"))
    if key is not None and (replay := _replay(key, req)) is not None:
        return replay
    try:
        return _record(req, key)
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key won the race: answer as a replay.
        db().rollback()
        if key is not None and (replay := _replay(key, req)) is not None:
            return replay
        raise


def _change(entry_no: int, action: str) -> Response:
    session = db()
    given = _given(action)
    entry = session.get(InteractionLogEntry, entry_no)
    if entry is None:
        raise ApiProblem(404, f"no interaction log entry #{entry_no}")
    if entry.source != "api":
        raise ApiProblem(403, f"entry #{entry_no} was not recorded through the API; "
                              "change it in interlog")
    # Any key may change what any key recorded (NAV: whoever has the right may cancel or
    # evaluate any entry; a key is an integration's credential). The audit row names both
    # the key that acts (its actor) and the key that recorded the entry (docs/security.md).
    recorded_by = _recorded_by(entry_no)
    _apply(action, session, entry_no, given)
    body = entry_to_json(entry)
    _done(f"api_{action}", entry_no, recorded_by=recorded_by)
    return as_json(body)


def _body() -> Any:
    try:
        return json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "the body is not valid JSON", "body") from None


CHANGES = ("cancel", "restore", "evaluate", "note")  # POST /interactions/{n}/<change>


def _given(action: str) -> str:
    """What the request's body gives the change: nothing for cancel and restore."""
    match action:
        case "evaluate":
            return evaluation_of(outcome_field(_body(), "evaluation"), required=True)
        case "note":
            return note_of(outcome_field(_body(), "note"))
    return ""


def _apply(action: str, session: Session, entry_no: int, given: str) -> None:
    actor = g.api_actor
    match action:
        case "cancel":
            cancel_entries(session, [entry_no], actor=actor)
        case "restore":
            restore_entries(session, [entry_no], actor=actor)
        case "evaluate":
            evaluate_entries(session, [entry_no], given, actor=actor)
        case "note":
            note_entries(session, [entry_no], given, actor=actor)


def _recorded_by(entry_no: int) -> str | None:
    """The actor (`api:NAME`) whose call recorded the entry, from its `api_log` audit row."""
    return db().scalar(sa.select(AuditEvent.actor).where(
        AuditEvent.entry_no == entry_no, AuditEvent.action == "api_log"
    ).order_by(AuditEvent.id).limit(1))


def list_interactions() -> Response:
    """A page of entries in entry-number order: `after=N` (keyset: the cost does not grow
    with the log) and `next`, the link to the page after; `offset` (v1's first way) still
    reads and skips. `totals` are exact, or PostgreSQL's estimate (`estimated`) when a
    filter only the entries have selects more than `COUNT_LIMIT` of them."""
    args = request.args
    limit, offset = _int_arg("limit", 100, MAX_LIMIT), _int_arg("offset", 0, 10**9)
    after = _int_arg("after", 0, MAX_ENTRY_NO) if args.get("after") else None
    parsed = parse_filters(db(), args, allowed_extra=("limit", "offset", "after"))
    session = db()
    rows = query_entries(session, parsed.filter, limit=limit + 1, offset=offset, after=after)
    entries = rows[:limit]
    total = totals(session, parsed.filter, limit=COUNT_LIMIT)
    body = {"entries": [entry_to_json(e) for e in entries], "limit": limit, "offset": offset,
            "after": after, "next": _next_link(entries[-1].entry_no)
            if entries and len(rows) > limit else None,
            "totals": {"count": total.count, "cost": float(total.cost),
                       "duration_min": float(total.duration_min),
                       "estimated": total.estimated}}
    _done("api_list", None, query=request.query_string.decode("latin-1")[:500])
    return as_json(body)


def _next_link(last: int) -> str:
    """The path of the page after the entry numbered `last`: the same filters and limit."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("after", "offset")]
    return f"{PREFIX}/interactions?" + urlencode([*kept, ("after", str(last))])


def _int_arg(name: str, default: int, maximum: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= maximum:
        raise BadInput(name, f"{name} must be a whole number from 0 to {maximum}")
    return int(text)


def get_interaction(entry_no: int) -> Response:
    entry = db().get(InteractionLogEntry, entry_no)
    if entry is None:
        raise ApiProblem(404, f"no interaction log entry #{entry_no}")
    body = entry_to_json(entry)
    _done("api_read", entry_no)
    return as_json(body)


def _handle(exc: Exception) -> Response:
    db().rollback()
    if isinstance(exc, ApiProblem):
        return problem(exc.status, exc.message, exc.field)
    if isinstance(exc, BadInput | BadValue):
        return problem(400, exc.message, exc.field)
    if isinstance(exc, NotFound):
        return problem(404, str(exc))
    if isinstance(exc, Refused):
        return problem(403, str(exc))
    if isinstance(exc, InterlogError):
        return problem(400, str(exc))
    assert isinstance(exc, HTTPException)
    if exc.code == 413:
        return problem(413, f"the body is larger than {MAX_BODY} bytes")
    return problem(exc.code or 500, exc.description or exc.name)


def unrouted(exc: HTTPException) -> Response | HTTPException:
    """A 404 or 405 from the router, which no blueprint handles: JSON under `/api/v1`.

    Other paths keep Flask's own answer (the app-wide security headers still apply).
    """
    if request.path != PREFIX and not request.path.startswith(PREFIX + "/"):
        return exc
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        response = problem(405, f"{request.method} is not allowed on {request.path}; "
                                f"allowed: {allowed}")
        response.headers["Allow"] = allowed
        return response
    return problem(exc.code or 404, f"no such API path: {request.path}")


def blueprint() -> Blueprint:
    from web.openapi import openapi_document

    bp = Blueprint("api_v1", __name__, url_prefix=PREFIX)
    bp.before_request(_authenticate)
    for exc_type in (ApiProblem, BadInput, InterlogError, HTTPException):
        bp.register_error_handler(exc_type, _handle)
    bp.add_url_rule("/openapi.json", "openapi", lambda: as_json(openapi_document()))
    bp.add_url_rule("/interactions", "post_interaction", post_interaction, methods=["POST"])
    bp.add_url_rule("/interactions", "list_interactions", list_interactions, methods=["GET"])
    entry = f"/interactions/<int(max={MAX_ENTRY_NO}):entry_no>"
    bp.add_url_rule(entry, "get_interaction", get_interaction)
    for action in CHANGES:
        bp.add_url_rule(f"{entry}/{action}", action,
                        lambda entry_no, action=action: _change(entry_no, action),
                        methods=["POST"])
    return bp


