"""`/segments`: NAV's segments on a page — list and create them, add or remove contacts by
criteria (NAV's Add Contacts / Reduce Contacts: named contacts, the persons of a company, an
email domain, interacted with in a period, or a filter of the log pasted as its link), log
one interaction for every contact, cancel or restore the logged segment, delete a segment.

The writes are `storage/segments.py`'s, audited under the web user; a refusal is flashed on
the segment it came from and nothing is written. Rights as for entries: any signed-in user
may build and log a segment (its entries are theirs); cancel and restore are for the user
who logged it and for admins; delete is for admins, as deleting canceled entries is.
Segment numbers travel in query strings and form fields, not in paths (they may hold `/`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from storage.contacts import resolve_contact
from storage.entries import Interaction
from storage.entry_recreate import on_day
from storage.errors import InterlogError, NotFound
from storage.models import Contact, InteractionGroup, InteractionTemplate, LoggedSegment
from storage.segment_criteria import ContactCriteria, check_domain
from storage.segments import (
    ContactsChange,
    add_contacts,
    create_segment,
    delete_segment,
    get_segment,
    log_segment,
    logged_segment,
    reduce_contacts,
    segment_contacts,
    segment_rows,
    set_segment_canceled,
)
from storage.user_values import normal_upn
from storage.values import MAX_FILTER_CHARS
from storage.vocabulary import ContactType
from web.auth import WebUser, current_user
from web.context import clock, db
from web.filters import BadInput, checked_text, parse_date, parse_filters
from web.i18n import gettext as _
from web.routes import Route, add_routes

SHOWN_CONTACTS = 500  # a segment's page lists at most this many of its contacts
MAX_LINK_CHARS = 2000


def segments_page() -> Any:
    """Every segment; with `?no=`, that segment's contacts and its forms."""
    no = _field(request.args, "no")
    session = db()
    ctx: dict[str, Any] = {"rows": segment_rows(session), "current": None,
                           "log_link": _field(request.args, "log", MAX_LINK_CHARS)}
    if no:
        try:
            segment = get_segment(session, no)
        except NotFound:
            abort(404)
        contacts = segment_contacts(session, segment.no)
        ctx.update(current=segment, logged=logged_segment(session, segment.no),
                   contacts=contacts[:SHOWN_CONTACTS], contact_count=len(contacts),
                   may_change=None)
        ctx["may_change"] = ctx["logged"] is not None and _may_change(ctx["logged"])
        ctx.update(_choices())
    return render_template("segments.html", **ctx)


def _choices() -> dict[str, Any]:
    session = db()
    return {
        "templates": list(session.scalars(sa.select(InteractionTemplate.code).order_by(
            InteractionTemplate.code))),
        "groups": list(session.scalars(sa.select(InteractionGroup.code).order_by(
            InteractionGroup.code))),
        "companies": list(session.execute(sa.select(Contact.no, Contact.name).where(
            Contact.type == ContactType.COMPANY).order_by(Contact.no).limit(1000))),
    }


def _field(source: Any, name: str, limit: int = MAX_FILTER_CHARS) -> str:
    try:
        return checked_text(name, str(source.get(name, "")), limit).strip()
    except BadInput as exc:
        abort(400, description=str(exc))


def _may_change(logged: LoggedSegment) -> bool:
    user = current_user()
    return user.admin or normal_upn(logged.user_upn or "") == normal_upn(user.upn)


def _write(no: str, change: Callable[[WebUser], str]) -> Response:
    """Run `change` for the current user and commit; flash what it did, or its refusal
    (rolled back), and go back to the segment."""
    session = db()
    try:
        done = change(current_user())
        session.commit()
    except (InterlogError, BadInput) as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        flash(done, "ok")
    target = no.strip().upper()
    return redirect(url_for("web.segments", no=target) if target else url_for("web.segments"))


def create() -> Response:
    no, description = _field(request.form, "no"), _field(request.form, "description")

    def change(user: WebUser) -> str:
        segment = create_segment(db(), no, [], description=description, actor=user.actor)
        return f"{_('Segment created:')} {segment.no}"
    return _write(no, change)


def criteria_from_form() -> tuple[ContactCriteria, dict[str, object]]:
    """The criteria of the Add / Reduce form (empty fields mean "any"), checked with the
    log's own parser, and the details the audit keeps."""
    session, form = db(), request.form
    refs = [r.strip() for r in _field(form, "contacts").split(",") if r.strip()]
    contacts = [resolve_contact(session, ref) for ref in refs]
    company_no = _field(form, "company") or None
    company_id = None
    if company_no is not None:
        company_no = parse_filters(session, {"company": company_no}).filter.company_no
        company_id = resolve_contact(session, company_no or "").id
    domain = check_domain(_field(form, "domain")) if _field(form, "domain") else None
    period = {k: _field(form, k) for k in ("since", "until", "template", "group")}
    entries = None
    if any(period.values()):
        entries = parse_filters(session, {**period, "status": "active"}).filter
    criteria = ContactCriteria(contact_ids=tuple(c.id for c in contacts) if contacts else None,
                               company_id=company_id, domain=domain, entries=entries)
    return criteria, criteria.describe(tuple(c.no for c in contacts), company_no)


def _counted(change: ContactsChange, added: bool) -> str:
    label = _("Contacts added:") if added else _("Contacts removed:")
    rest = _("in it already:") if added else _("not in it:")
    text = f"{label} {change.changed}"
    if change.unchanged:
        text += f" ({rest} {change.unchanged})"
    return f"{text}. {_('Contacts in the segment:')} {change.contacts}"


def contacts() -> Response:
    no = _field(request.form, "no")
    adding = request.form.get("action", "add") != "reduce"

    def change(user: WebUser) -> str:
        criteria, details = criteria_from_form()
        write = add_contacts if adding else reduce_contacts
        return _counted(write(db(), no, criteria, actor=user.actor, details=details), adding)
    return _write(no, change)


def log_filter(text: str) -> dict[str, str]:
    """The filters of a log (or statistics) link, or of its query string alone."""
    query = urlsplit(text).query if "?" in text else text
    return {k: v for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("page", "by")}


def from_log() -> Response:
    no, link = _field(request.form, "no"), _field(request.form, "log", MAX_LINK_CHARS)

    def change(user: WebUser) -> str:
        criteria = ContactCriteria(entries=parse_filters(db(), log_filter(link)).filter)
        done = add_contacts(db(), no, criteria, actor=user.actor, details=criteria.describe())
        return _counted(done, True)
    return _write(no, change)


def log() -> Response:
    no, subject = _field(request.form, "no"), _field(request.form, "subject")
    day = _field(request.form, "date")

    def change(user: WebUser) -> str:
        when = on_day(parse_date("date", day), clock().zone) if day else None
        interaction = Interaction(template_code=_field(request.form, "template"),
                                  subject=subject or None, occurred_at=when, source="segment",
                                  user_upn=None if user.anonymous else user.upn)
        logged = log_segment(db(), no, interaction, actor=user.actor)
        return f"{_('Segment logged:')} {logged.segment_no}, {logged.entry_count} {_('entries')}"
    return _write(no, change)


def set_canceled(canceled: bool) -> Response:
    no = _field(request.form, "no")

    def change(user: WebUser) -> str:
        logged = logged_segment(db(), no)
        if logged is not None and not _may_change(logged):
            raise InterlogError(_("Only the user who logged the segment or an admin may"
                                  " cancel or restore it."))
        done = set_segment_canceled(db(), no, canceled, actor=user.actor)
        label = _("Entries canceled:") if canceled else _("Entries restored:")
        text = f"{label} {len(done.changed)}"
        if done.deleted:
            text += f" ({_('no longer in the log:')} {done.deleted})"
        return text
    return _write(no, change)


def delete() -> Response:
    no = _field(request.form, "no")
    if not current_user().admin:
        abort(403, description=_("Only admins may delete segments."))
    session = db()
    try:
        kept = delete_segment(session, no, actor=current_user().actor)
        session.commit()
    except InterlogError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("web.segments", no=no.upper()))
    text = f"{_('Segment deleted:')} {no.upper()}"
    if kept:
        text += f" ({_('its entries stay in the log, canceled:')} {kept})"
    flash(text, "ok")
    return redirect(url_for("web.segments"))


ROUTES: tuple[Route, ...] = (
    ("/segments", "segments", segments_page, ("GET",)),
    ("/segments/create", "segment_create", create, ("POST",)),
    ("/segments/contacts", "segment_contacts", contacts, ("POST",)),
    ("/segments/from-log", "segment_from_log", from_log, ("POST",)),
    ("/segments/log", "segment_log", log, ("POST",)),
    ("/segments/cancel", "segment_cancel", lambda: set_canceled(True), ("POST",)),
    ("/segments/restore", "segment_restore", lambda: set_canceled(False), ("POST",)),
    ("/segments/delete", "segment_delete", delete, ("POST",)),
)


def register_routes(bp: Blueprint) -> None:
    add_routes(bp, ROUTES)
