"""Templates & rules (with a TOML upload checked line by line, previewed before it is applied)
and Sync (runs, unmatched). The forms that set up one group, template or rule are in
`web/setup_pages.py`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from connector.capture.past import log_new_reach, reach
from connector.surfaces import services
from storage.audit import audit
from storage.capture_models import UnmatchedAddress
from storage.contacts import by_domain, fold
from storage.errors import InterlogError
from storage.models import (
    KINDS,
    Contact,
    ContactEmail,
    InteractionGroup,
    InteractionTemplate,
    MatchRule,
    TemplateSetup,
    utcnow,
)
from storage.sync_models import SyncRun
from storage.templates_io import TemplatesImportError, import_templates
from storage.values import CONTROL_RE, clean_text, contact_number_problem, email_problem
from storage.worker_models import MailboxLease
from web import setup_pages
from web.auth import current_user
from web.context import db
from web.i18n import gettext as _
from web.setup_pages import preview

RULE_CONDITIONS = ("kind", "direction", "subject", "from_domain", "participant_domain",
                   "category", "has_attachments", "online_meeting", "document_type")


def _require_admin() -> None:
    if not current_user().admin:
        abort(403, description=_("Only admins may do this."))


def _templates_context() -> dict[str, Any]:
    session = db()
    rules = list(session.scalars(sa.select(MatchRule).order_by(MatchRule.priority,
                                                               MatchRule.position)))
    return {
        "groups": list(session.scalars(sa.select(InteractionGroup).order_by(
            InteractionGroup.code))),
        "templates": list(session.scalars(sa.select(InteractionTemplate).order_by(
            InteractionTemplate.code))),
        "setup": list(session.scalars(sa.select(TemplateSetup).order_by(TemplateSetup.kind))),
        "rules": [(r, {c: getattr(r, c) for c in RULE_CONDITIONS if getattr(r, c) is not None})
                  for r in rules],
    }


def render_templates_page(*, upload_errors: list[Any] | None = None,
                          filename: str | None = None,
                          preview: dict[str, Any] | None = None) -> str:
    return render_template("templates.html", upload_errors=upload_errors, filename=filename,
                           preview=preview, kinds=KINDS, **_templates_context())


def _upload() -> Any:
    """Apply a templates file, or (`action=preview`) show what it would change first. The
    preview's Apply button sends the file's text back as `text`."""
    _require_admin()
    text, filename = request.form.get("text"), request.form.get("filename", "")
    if text is None:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a file first."), "error")
            return redirect(url_for("web.templates_page"))
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            abort(400, description="the templates file must be UTF-8 text")
        filename = upload.filename
    if request.form.get("action") == "preview":
        return preview(text, filename)
    session = db()
    try:
        result = import_templates(session, text)
        audit(session, current_user().actor, "templates_import", None, file=filename,
              groups=result.groups, templates=result.templates, setup=result.setup,
              rules=result.rules)
        session.commit()
    except TemplatesImportError as exc:
        session.rollback()
        return render_templates_page(upload_errors=exc.errors, filename=filename), 400
    flash(_("Templates file applied."), "ok")
    return redirect(url_for("web.templates_page"))


def create_contact_from(unmatched: UnmatchedAddress, *, no: str, name: str) -> Contact:
    """A person contact for an unmatched address (in its company, if the domain is known)."""
    session = db()
    if (problem := email_problem(unmatched.address)) is not None:
        raise InterlogError(f"{unmatched.address!r} {problem}: a contact cannot be made of it")
    no = clean_text(no, "number").strip().upper()
    name = clean_text(name, "name").strip() or unmatched.name or unmatched.address
    if not no or len(no) > 20:
        raise InterlogError("a contact number of 1 to 20 characters is needed")
    if (problem := contact_number_problem(no)) is not None:
        raise InterlogError(f"contact number {no!r} {problem}")
    name = clean_text(CONTROL_RE.sub(" ", name), "name")  # a captured display name
    if session.scalar(sa.select(Contact).where(Contact.no == no)) is not None:
        raise InterlogError(f"contact {no} exists already")
    if session.scalar(sa.select(ContactEmail).where(
            ContactEmail.address == unmatched.address)) is not None:
        raise InterlogError(f"{unmatched.address} belongs to a contact already")
    contact = Contact(no=no, type="person", name=name[:100], search_name=fold(name)[:100],
                      company=by_domain(session, unmatched.domain))
    contact.emails = [ContactEmail(address=unmatched.address, position=0)]
    session.add(contact)
    session.delete(unmatched)
    session.flush()
    return contact


def _sync_context() -> dict[str, Any]:
    session = db()
    unmatched = list(session.scalars(sa.select(UnmatchedAddress).order_by(
        UnmatchedAddress.count.desc(), UnmatchedAddress.address).limit(200)))
    return {"runs": sync_runs(), "unmatched": unmatched, "leases": mailbox_leases()}


def mailbox_leases() -> list[tuple[MailboxLease, float | None]]:
    """Each mailbox's lease and its lag: seconds since a sync was asked for and not yet done."""
    now = utcnow()
    leases = db().scalars(sa.select(MailboxLease).order_by(MailboxLease.mailbox))
    result = []
    for lease in leases:
        asked, done = lease.sync_requested_at, lease.last_synced_at
        pending = asked is not None and (done is None or asked > done)
        result.append((lease, (now - asked).total_seconds() if pending and asked else None))
    return result


def sync_runs(limit: int = 20) -> list[SyncRun]:
    """The latest sync runs, newest first, with their per-mailbox streams."""
    stmt = (sa.select(SyncRun).options(selectinload(SyncRun.streams))
            .order_by(SyncRun.id.desc()).limit(limit))
    return list(db().scalars(stmt))


def register_routes(bp: Blueprint) -> None:
    @bp.get("/templates")
    def templates_page() -> Any:
        return render_templates_page()

    @bp.post("/templates/upload")
    def templates_upload() -> Any:
        return _upload()

    setup_pages.register_routes(bp)

    @bp.get("/sync")
    def sync_page() -> Any:
        return render_template("sync.html", **_sync_context())

    @bp.post("/sync/unmatched/<int:unmatched_id>/contact")
    def create_contact(unmatched_id: int) -> Response | tuple[str, int]:
        _require_admin()
        session = db()
        unmatched = session.get(UnmatchedAddress, unmatched_id)
        if unmatched is None:
            abort(404)
        try:
            before = reach(session)
            contact = create_contact_from(unmatched, no=request.form.get("no", ""),
                                          name=request.form.get("name", ""))
            past = log_new_reach(session, services().capture, before)
            session.commit()
        except InterlogError as exc:  # shown on the page it came from; nothing written
            session.rollback()
            flash(str(exc), "error")
            return render_template("sync.html", **_sync_context()), 400
        flash(f"{_('Contact created:')} {contact.no} {contact.name}"
              f" ({_('entries logged from mail and meetings already read:')}"
              f" {past.entries_created})", "ok")
        return redirect(url_for("web.sync_page"))
