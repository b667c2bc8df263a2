"""The Interaction Log Entries page: filters, paging, totals, cancel/restore, delete, CSV."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from typing import Any, cast

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.wrappers import Response

from storage.entries import (
    cancel_entries,
    delete_canceled,
    entry_to_json,
    query_entries,
    restore_entries,
    totals,
)
from storage.entry_queries import COUNT_LIMIT, EntryPage, count_upto
from storage.entry_queries import entry_page as keyset_page
from storage.errors import InterlogError
from storage.models import (
    SOURCES,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    User,
)
from storage.outcomes import EVALUATIONS
from storage.users import owner_limit
from web import entry_page
from web.auth import current_user, safe_next
from web.context import db
from web.filters import (
    FILTER_FIELDS,
    STATUSES,
    BadInput,
    ParsedFilters,
    filter_query,
    parse_filters,
)
from web.i18n import gettext as _
from web.routes import Route, add_routes

PAGE_SIZE = 50
PAGER_COUNT = 1000  # the pager counts this many entries at most (a company's: ~25 ms)
MAX_PAGE = 10**6
MAX_ENTRY_NO = 2**31 - 1
CSV_CHUNK = 1000
CSV_COLUMNS = (
    "entry_no", "contact_no", "contact_company_no", "contact_name", "date", "time",
    "template_code", "group_code", "information_flow", "initiated_by", "subject",
    "duration_min", "cost", "correspondence_type", "canceled", "attempt_failed", "evaluation",
    "note", "source", "user", "salesperson_code", "segment_no", "document_type", "document_no",
    "internet_message_id", "ical_uid", "web_link",
)


def _choices() -> dict[str, Any]:
    session = db()
    return {
        "templates": list(session.scalars(sa.select(InteractionTemplate.code).order_by(
            InteractionTemplate.code))),
        "groups": list(session.scalars(sa.select(InteractionGroup.code).order_by(
            InteractionGroup.code))),
        "salespeople": sorted({c for c in session.scalars(sa.select(User.salesperson_code)) if c}),
        "users": list(session.scalars(sa.select(User.upn).order_by(User.upn))),
        "sources": SOURCES,
        "statuses": STATUSES,
        "evaluations": EVALUATIONS,
    }


def _page_number() -> int:
    text = request.args.get("page", "1")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        raise BadInput("page", f"{text!r} is not a page number")
    return int(text)


def cursor_arg(name: str) -> int | None:
    """An `after=` / `before=` entry number of a keyset page link, or None."""
    text = request.args.get(name, "")
    if text == "":
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ENTRY_NO:
        raise BadInput(name, f"{text!r} is not an entry number")
    return int(text)


def _page(parsed: ParsedFilters, page: int, after: int | None,
          before: int | None) -> EntryPage:
    """The page by entry number (`after`/`before`); an old `page=N` link still reads by
    OFFSET, whose cost grows with N."""
    session = db()
    if page == 1 or after is not None or before is not None:
        return keyset_page(session, parsed.filter, PAGE_SIZE, after=after, before=before)
    rows = query_entries(session, parsed.filter, limit=PAGE_SIZE + 1,
                         offset=(page - 1) * PAGE_SIZE, newest_first=True)
    entries = rows[:PAGE_SIZE]
    return EntryPage(entries, entries[0].entry_no if entries else None,
                     entries[-1].entry_no if len(rows) > PAGE_SIZE else None)


def _render_log(parsed: ParsedFilters | None, error: BadInput | None, page: int = 1,
                after: int | None = None, before: int | None = None) -> Any:
    ctx: dict[str, Any] = {"values": dict(request.args), "error": error, "entries": [],
                           "totals": None, "newer": None, "older": None, "query": ""}
    ctx.update(_choices())
    if parsed is not None:
        session = db()
        ctx["values"] = parsed.values
        ctx["query"] = filter_query(parsed.values)
        found = _page(parsed, page, after, before)
        ctx.update(entries=found.entries, newer=found.newer, older=found.older)
        # Exact up to PAGER_COUNT, "more than" beyond: at most that many rows read.
        ctx["matching"] = count_upto(session, parsed.filter, PAGER_COUNT)
        ctx["count_limit"] = PAGER_COUNT
        ctx["totals"] = totals(session, parsed.filter, limit=COUNT_LIMIT)
    return render_template("log.html", **ctx), 400 if error else 200


def _selected() -> list[int]:
    picked = request.form.getlist("one") or request.form.getlist("entry_no")
    if not all(p.isascii() and p.isdigit() and int(p) <= MAX_ENTRY_NO for p in picked):
        abort(400, description="entry numbers must be whole numbers")
    return [int(p) for p in picked]


def _change(action: str) -> Response:
    entry_nos = _selected()
    if not entry_nos:
        flash(_("Select at least one entry."), "error")
        return redirect(safe_next(request.form.get("next")))
    user = current_user()
    session = db()
    try:
        op = cancel_entries if action == "cancel" else restore_entries
        op(session, entry_nos, actor=user.actor, owner_upn=owner_limit(user))
        session.commit()
    except InterlogError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(safe_next(request.form.get("next")))
    label = _("Entries canceled:") if action == "cancel" else _("Entries restored:")
    flash(f"{label} " + ", ".join(f"#{n}" for n in sorted(entry_nos)), "ok")
    return redirect(safe_next(request.form.get("next")))


def _digest(entry_nos: list[int]) -> str:
    """Names the exact set of entries a confirmation was shown for."""
    return hashlib.sha256(",".join(map(str, entry_nos)).encode()).hexdigest()[:32]


def _filters_from(source: Any) -> ParsedFilters:
    return parse_filters(db(), {k: source.get(k, "") for k in FILTER_FIELDS if k in source})


# What a spreadsheet reads as a formula at the start of a cell (OWASP, "CSV Injection"):
# subjects and names of captured mail are written by outsiders.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """One cell of a CSV export: "" for None; text that a spreadsheet would run as a formula
    gets a leading `'` (OWASP's advice), so it shows as text; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_rows(parsed: ParsedFilters) -> Iterator[str]:
    """The CSV of every entry the filters select, in chunks (`entries list --json` fields)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    e = InteractionLogEntry
    last = 0
    while True:
        stmt = (sa.select(*e.__table__.columns).where(*parsed.filter.where(), e.entry_no > last)
                .order_by(e.entry_no).limit(CSV_CHUNK))  # rows, not mapped objects: faster
        # Read-only rows with the entry's columns as attributes (storage.stream_entries).
        chunk = cast(list[InteractionLogEntry], list(db().execute(stmt)))
        for entry in chunk:
            row = entry_to_json(entry)
            writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(chunk) < CSV_CHUNK:
            return
        last = chunk[-1].entry_no


def home() -> Response:
    return redirect(url_for("web.log"))


def log_page() -> Any:
    try:
        page, after, before = _page_number(), cursor_arg("after"), cursor_arg("before")
        parsed = parse_filters(db(), request.args, allowed_extra=("page", "after", "before"))
    except BadInput as exc:
        return _render_log(None, exc)
    return _render_log(parsed, None, page, after, before)


def cancel_selected() -> Response:
    return _change("cancel")


def restore_selected() -> Response:
    return _change("restore")


def export_csv() -> Any:
    try:
        parsed = parse_filters(db(), request.args, allowed_extra=("page",))
    except BadInput as exc:
        abort(400, description=str(exc))
    return Response(stream_with_context(_csv_rows(parsed)), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=interaction-log.csv"})


def delete_canceled_page() -> Any:
    """GET shows how many canceled entries the filters select; POST deletes exactly those."""
    user = current_user()
    if not user.admin:
        abort(403, description=_("Only admins may delete entries."))
    source = request.form if request.method == "POST" else request.args
    try:
        parsed = _filters_from(source)
    except BadInput as exc:
        abort(400, description=str(exc))
    session = db()
    found = delete_canceled(session, parsed.filter, actor=user.actor, dry_run=True)
    digest = _digest(found)
    if request.method == "POST" and found and request.form.get("expected") == digest:
        deleted = delete_canceled(session, parsed.filter, actor=user.actor, only=found)
        session.commit()
        flash(f"{_('Deleted')} {len(deleted)} {_('canceled entries.')}", "ok")
        return redirect(url_for("web.log") + "?" + filter_query(parsed.values))
    return render_template("delete_canceled.html", count=len(found), digest=digest,
                           changed=request.method == "POST", values=parsed.values,
                           query=filter_query(parsed.values))


ROUTES: tuple[Route, ...] = (
    ("/", "home", home, ("GET",)),
    ("/log", "log", log_page, ("GET",)),
    ("/entries/cancel", "cancel", cancel_selected, ("POST",)),
    ("/entries/restore", "restore", restore_selected, ("POST",)),
    ("/log.csv", "export_csv", export_csv, ("GET",)),
    ("/entries/delete-canceled", "delete_canceled_page", delete_canceled_page, ("GET", "POST")),
)


def register_routes(bp: Blueprint) -> None:
    add_routes(bp, ROUTES)
    entry_page.register_routes(bp)  # an entry's own page, from the log's entry numbers
