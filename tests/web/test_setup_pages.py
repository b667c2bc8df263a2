"""Setting up from the Templates page in a real browser: groups, templates and rules added,
edited and removed; what is in use refused with its counts; a templates file previewed
(with the captured items its rules classify differently) before it is applied."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.models import AuditEvent, InteractionGroup, InteractionTemplate, MatchRule
from tests.support.databases import url_of
from tests.support.seed import Dataset, seed
from tests.support.servers import live_server
from tests.support.setup import QUOTE_RULES, captured_history, entries_by_subject
from tests.support.web import WEB, Site, make_app, screenshot, settings_for, signed_in


@pytest.fixture
def history_site(clean_sqlite_engine: Engine) -> Iterator[Site]:
    """`interlog init`'s defaults and a captured history (tests/support/setup.py), served in
    development mode (acting as admin)."""
    engine = clean_sqlite_engine
    seed(engine, Dataset(defaults=True))
    captured_history(engine)
    with live_server(make_app(settings_for(url_of(engine)), engine)) as base:
        yield Site(base=base, engine=engine)


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.entry_no.is_(None), AuditEvent.actor == "web:anonymous@localhost")
            .order_by(AuditEvent.id)))


def test_a_group_and_a_template_are_added_edited_and_removed(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/templates")
    page.fill("#group-add input[name=code]", "sales")
    page.fill("#group-add input[name=description]", "Sales documents")
    page.click("#group-add button")
    expect(page.locator(".flash.ok")).to_contain_text("SALES")
    page.click("#template-new")
    page.fill("#template-form input[name=code]", "OFFER")
    page.select_option("#template-form select[name=group]", "SALES")
    page.select_option("#template-form select[name=information_flow]", "outbound")
    page.fill("#template-form input[name=unit_cost]", "abc")
    page.click("#template-save")
    expect(page.locator(".flash.error")).to_contain_text("unit_cost must be a number")
    page.fill("#template-form input[name=unit_cost]", "2.5")
    page.click("#template-save")
    expect(page.locator("#templates tr[data-code=OFFER] td").nth(5)).to_have_text("2.50")
    page.locator("#templates tr[data-code=OFFER] a.edit").click()
    page.fill("#template-form input[name=description]", "Offer sent")
    page.click("#template-save")
    expect(page.locator("#templates tr[data-code=OFFER] td").nth(2)).to_have_text("Offer sent")

    page.locator("#groups tr[data-code=SALES] button.remove").click()
    expect(page.locator(".flash.error")).to_have_text(
        "group SALES is used by 1 template; nothing was removed")
    page.locator("#templates tr[data-code=CALL] button.remove").click()
    expect(page.locator(".flash.error")).to_have_text(
        "template CALL is used by 2 entries and the setup default for phone_call;"
        " nothing was removed")
    screenshot(page, "templates-in-use")
    page.locator("#templates tr[data-code=OFFER] button.remove").click()
    page.locator("#groups tr[data-code=SALES] button.remove").click()
    expect(page.locator(".flash.ok")).to_contain_text("SALES")
    with Session(site.engine) as session:
        assert session.get(InteractionTemplate, "OFFER") is None
        assert session.get(InteractionGroup, "SALES") is None
        assert session.get(InteractionTemplate, "CALL") is not None
    assert _actions(site.engine) == ["group_add", "template_add", "template_edit",
                                     "template_remove", "group_remove"]


def test_rules_and_the_setup_are_set_from_the_page(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/templates")
    page.click("#rule-new")
    page.select_option("#rule-form select[name=template]", "QUOTE")
    page.fill("#rule-form input[name=priority]", "10")
    page.select_option("#rule-form select[name=kind]", "email")
    page.fill("#rule-form input[name=subject]", "(?i)quote (")
    page.click("#rule-save")
    expect(page.locator(".flash.error")).to_contain_text("does not compile")
    page.fill("#rule-form input[name=subject]", r"(?i)quote\s+(?P<document_no>SQ-\d+)")
    page.select_option("#rule-form select[name=has_attachments]", "true")
    page.click("#rule-save")
    expect(page.locator("#rules")).to_contain_text("has_attachments = True")
    with Session(site.engine) as session:
        [rule] = session.scalars(sa.select(MatchRule))
    page.locator(f"#rule-{rule.id} a.edit").click()
    expect(page.locator("#rule-form select[name=has_attachments]")).to_have_value("true")
    page.select_option("#rule-form select[name=has_attachments]", "")
    page.click("#rule-save")
    expect(page.locator(f"#rule-{rule.id}")).not_to_contain_text("has_attachments")
    page.select_option("#setup-form select[name=email]", "QUOTE")
    page.click("#setup-save")
    expect(page.locator("#setup-form select[name=email]")).to_have_value("QUOTE")
    page.locator(f"#rule-{rule.id} button.remove").click()
    expect(page.locator(f"#rule-{rule.id}")).to_have_count(0)
    assert _actions(site.engine) == ["rule_add", "rule_edit", "setup_set", "rule_remove"]
    with Session(site.engine) as session:
        details = session.scalar(sa.select(AuditEvent.details).where(
            AuditEvent.action == "rule_edit"))
    assert json.loads(details or "{}")["changes"] == {"has_attachments": [True, None]}


def test_a_file_is_previewed_with_the_classifications_it_changes_then_applied(
    history_site: Site, page: Page, tmp_path: Path,
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(QUOTE_RULES, encoding="utf-8")
    page.goto(f"{history_site.base}/templates")
    page.set_input_files("#upload-file", str(rules))
    page.click("#preview-button")
    expect(page.locator("#preview-changes")).to_contain_text("+ rule 1: template QUOTE")
    row = page.locator("#preview-items tr", has_text="Your quote SQ-7")
    expect(row.locator("td.before")).to_have_text("EMAIL")
    expect(row.locator("td.after")).to_have_text("QUOTE SQ-7")
    expect(page.locator("#preview-items tr")).to_have_count(2)  # a header and one item
    screenshot(page, "templates-preview")
    with Session(history_site.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(MatchRule)) == 0
    page.click("#apply-button")
    expect(page.locator(".flash.ok")).to_contain_text("applied")
    expect(page.locator("#rules")).to_contain_text("QUOTE")
    assert _actions(history_site.engine) == ["templates_import"]
    # Applying changes the rules, not the entries already logged (reclassify does that).
    assert entries_by_subject(history_site.engine)["Your quote SQ-7"].template_code == "EMAIL"


def test_the_setup_forms_refuse_a_request_without_the_csrf_token(site: Site) -> None:
    response = httpx.post(f"{site.base}/templates/groups/add", data={"code": "X"})
    assert response.status_code == 400
    with Session(site.engine) as session:
        assert session.get(InteractionGroup, "X") is None


def test_only_admins_may_set_up(clean_engine: Engine) -> None:
    """Signed in (no development mode), a user who is not an admin sees no forms and every
    setup form answers 403, writing nothing; carol, an admin, may."""
    seed(clean_engine, WEB)
    app = make_app(settings_for(url_of(clean_engine), anonymous=False,
                                client_id="web-app-id"), clean_engine)
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(signed_in("alice@contoso.com", "alice"))
    page = client.get("/templates").get_data(as_text=True)
    assert "group-add" not in page
    assert "template-new" not in page
    with client.session_transaction() as session:
        token = str(session["csrf_token"])
    posts = {"/templates/groups/add": {"code": "X"}, "/templates/groups/remove": {"code": "DOCS"},
             "/templates/new": {"code": "X", "group": "DOCS"},
             "/templates/edit": {"code": "CALL", "unit_cost": "9"},
             "/templates/remove": {"code": "QUOTE"}, "/templates/setup": {"email": "QUOTE"},
             "/templates/rules/new": {"template": "CALL"}}
    for path, data in posts.items():
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert client.get("/templates/new").status_code == 403
    with Session(clean_engine) as session:
        assert session.get(InteractionGroup, "X") is None
        assert session.get(InteractionTemplate, "QUOTE") is not None
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.entry_no.is_(None))) == 0
    with client.session_transaction() as session:
        session.update(signed_in("carol@contoso.com", "carol"))
    assert client.post("/templates/groups/add",
                       data={"code": "X", "csrf_token": token}).status_code == 302
    with Session(clean_engine) as session:
        assert session.get(InteractionGroup, "X") is not None
