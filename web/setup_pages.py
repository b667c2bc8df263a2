"""Setting up from the Templates page: add, edit and remove groups, templates and rules, set
the setup defaults, and preview a templates file before it is applied.

Admins only; every form carries the CSRF token (checked for the whole blueprint). The writes
are `storage/setup.py`'s (the same checks as a templates file; what is in use cannot be
removed, and the refusal says by what and how many); each is audited under the web user.
A refused change is shown on the page it came from with 400, and nothing is written.
Codes travel in form fields and query strings, not in paths (a code may hold `/`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from connector.capture.reclassify import PREVIEW_DAYS, preview_rules
from connector.surfaces import services
from storage.errors import InterlogError
from storage.models import FLOWS, INITIATORS, KINDS, MatchRule
from storage.setup import (
    add_group,
    add_template,
    edit_group,
    edit_template,
    get_template,
    remove_group,
    remove_template,
    set_setup,
    template_values,
)
from storage.setup_rules import add_rule, edit_rule, get_rule, remove_rule, rule_values
from storage.setup_values import SetupInputError
from storage.templates_diff import import_changes
from storage.templates_io import check_templates
from storage.templates_spec import RULE_KINDS, TEMPLATE_KEYS
from web.auth import current_user
from web.context import db
from web.i18n import gettext as _

RULE_FIELDS = ("template", "priority", "kind", "direction", "subject", "from_domain",
               "participant_domain", "category", "has_attachments", "online_meeting",
               "document_type")


def _admin() -> str:
    """The admin's audit actor; 403 for anyone else."""
    user = current_user()
    if not user.admin:
        abort(403, description=_("Only admins may do this."))
    return user.actor


def _form(keys: Collection[str]) -> dict[str, object]:
    return {k: request.form[k] for k in keys if k in request.form}


def _write(change: Callable[[], object], done: str, back: Callable[[], Any]) -> Any:
    """Run `change` and commit; on a refusal, roll back and show `back()` with the error."""
    session = db()
    try:
        change()
        session.commit()
    except InterlogError as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, SetupInputError) else [str(exc)]
        return back_with(back, errors)
    flash(done, "ok")
    return redirect(url_for("web.templates_page"))


def back_with(back: Callable[[], Any], errors: list[str]) -> Any:
    for error in errors:
        flash(error, "error")
    return back(), 400


def _templates_page() -> Any:
    from web.admin_pages import render_templates_page

    return render_templates_page()


# Groups and setup -----------------------------------------------------------------------

def group_add() -> Any:
    actor = _admin()
    values = _form(("code", "description"))
    return _write(lambda: add_group(db(), values, actor=actor),
                  f"{_('Group added:')} {str(values.get('code', '')).upper()}", _templates_page)


def group_edit() -> Any:
    actor = _admin()
    code = request.form.get("code", "")
    return _write(lambda: edit_group(db(), code, _form(("description",)), actor=actor),
                  f"{_('Group changed:')} {code}", _templates_page)


def group_remove() -> Any:
    actor = _admin()
    code = request.form.get("code", "")
    return _write(lambda: remove_group(db(), code, actor=actor),
                  f"{_('Group removed:')} {code}", _templates_page)


def setup_save() -> Any:
    actor = _admin()

    def change() -> None:
        for kind in KINDS:
            if request.form.get(kind):
                set_setup(db(), kind, request.form[kind], actor=actor)

    return _write(change, _("Setup saved."), _templates_page)


# Templates ------------------------------------------------------------------------------

def _template_form(values: dict[str, object], editing: bool) -> str:
    return render_template("template_form.html", values=values, editing=editing,
                           flows=FLOWS, initiators=INITIATORS, groups=_group_codes())


def _group_codes() -> list[str]:
    import sqlalchemy as sa

    from storage.models import InteractionGroup

    return list(db().scalars(sa.select(InteractionGroup.code).order_by(InteractionGroup.code)))


def template_new() -> Any:
    actor = _admin()
    if request.method == "GET":
        return _template_form({"unit_cost": "0", "unit_duration_min": "0"}, editing=False)
    values = _form(TEMPLATE_KEYS)
    return _write(lambda: add_template(db(), values, actor=actor),
                  f"{_('Template added:')} {str(values.get('code', '')).upper()}",
                  lambda: _template_form(values, editing=False))


def template_edit() -> Any:
    actor = _admin()
    code = request.values.get("code", "")
    try:
        current = template_values(get_template(db(), code))
    except InterlogError:
        abort(404)
    if request.method == "GET":
        return _template_form(current, editing=True)
    values = _form(TEMPLATE_KEYS - {"code"})
    return _write(lambda: edit_template(db(), code, values, actor=actor),
                  f"{_('Template changed:')} {current['code']}",
                  lambda: _template_form({**current, **values}, editing=True))


def template_remove() -> Any:
    actor = _admin()
    code = request.form.get("code", "")
    return _write(lambda: remove_template(db(), code, actor=actor),
                  f"{_('Template removed:')} {code}", _templates_page)


# Rules ----------------------------------------------------------------------------------

def _rule_form(values: dict[str, object], rule_id: int | None) -> str:
    import sqlalchemy as sa

    from storage.models import InteractionTemplate

    codes = list(db().scalars(sa.select(InteractionTemplate.code)
                              .order_by(InteractionTemplate.code)))
    return render_template("rule_form.html", values=values, rule_id=rule_id, templates=codes,
                           kinds=RULE_KINDS, flows=FLOWS)


def _rule_id() -> int:
    raw = request.values.get("id", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        abort(404)
    return int(raw)


def rule_new() -> Any:
    actor = _admin()
    if request.method == "GET":
        return _rule_form({"priority": 100}, None)
    values = _form(RULE_FIELDS)
    return _write(lambda: add_rule(db(), values, actor=actor), _("Rule added."),
                  lambda: _rule_form(values, None))


def rule_edit() -> Any:
    actor = _admin()
    rule_id = _rule_id()
    try:
        rule: MatchRule = get_rule(db(), rule_id)
    except InterlogError:
        abort(404)
    if request.method == "GET":
        return _rule_form(rule_values(rule), rule_id)
    values = _form(RULE_FIELDS)
    return _write(lambda: edit_rule(db(), rule_id, values, actor=actor), _("Rule changed."),
                  lambda: _rule_form(values, rule_id))


def rule_remove() -> Any:
    actor = _admin()
    rule_id = _rule_id()
    return _write(lambda: remove_rule(db(), rule_id, actor=actor), _("Rule removed."),
                  _templates_page)


# A templates file: preview, then apply ---------------------------------------------------

def preview(text: str, filename: str) -> Any:
    """The changes `text` would make and the captured items its rules would classify
    differently; the file's text rides along in the form that applies it."""
    from storage.templates_io import TemplatesImportError
    from web.admin_pages import render_templates_page

    session = db()
    try:
        parsed = check_templates(session, text)
        changes = import_changes(session, parsed)
        looked, items = preview_rules(session, services().capture, parsed)
    except TemplatesImportError as exc:
        return render_templates_page(upload_errors=exc.errors, filename=filename), 400
    except InterlogError as exc:
        return back_with(_templates_page, [str(exc)])
    finally:
        session.rollback()
    return render_templates_page(preview={
        "filename": filename, "text": text, "changes": changes, "looked": looked,
        "found": items, "days": PREVIEW_DAYS,
    })


ROUTES: tuple[tuple[str, str, Callable[[], Any], tuple[str, ...]], ...] = (
    ("/templates/groups/add", "group_add", group_add, ("POST",)),
    ("/templates/groups/edit", "group_edit", group_edit, ("POST",)),
    ("/templates/groups/remove", "group_remove", group_remove, ("POST",)),
    ("/templates/setup", "setup_save", setup_save, ("POST",)),
    ("/templates/new", "template_new", template_new, ("GET", "POST")),
    ("/templates/edit", "template_edit", template_edit, ("GET", "POST")),
    ("/templates/remove", "template_remove", template_remove, ("POST",)),
    ("/templates/rules/new", "rule_new", rule_new, ("GET", "POST")),
    ("/templates/rules/edit", "rule_edit", rule_edit, ("GET", "POST")),
    ("/templates/rules/remove", "rule_remove", rule_remove, ("POST",)),
)


def register_routes(bp: Blueprint) -> None:
    from web.routes import add_routes

    add_routes(bp, ROUTES)

