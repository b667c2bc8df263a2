"""`interlog demo`: generated tenant → in-process Graph emulator → sync into SQLite → summary."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.orm import Session

from connector.calls.round import TENANT
from connector.sync.runs import RunSummary
from interlog.cli.common import print_table
from interlog.config import Settings, settings_from_dict


def _settings(tenant: dict[str, Any], graph: dict[str, str], db_url: str) -> Settings:
    users = [u["userPrincipalName"].lower() for u in tenant["users"]]
    domains = sorted({u.rpartition("@")[2] for u in users})
    return settings_from_dict({
        "storage": {"url": db_url},
        "graph": graph,
        "sync": {"mailboxes": users, "internal_domains": domains, "calls": True},
        "user": [{"upn": u, "salesperson_code": u.partition("@")[0][:2].upper()} for u in users],
    }, env={})  # fmt: skip


def _prepare(out: Path, data: Any, settings: Settings) -> sa.Engine:
    """A fresh SQLite file: schema, defaults, users, contacts and templates."""
    from emulator.generate import write
    from storage.contacts_csv import import_contacts_csv
    from storage.db import make_engine, upgrade
    from storage.seed import seed_defaults
    from storage.templates_io import import_templates
    from storage.users import seed_users

    write(data, out)
    db_file = out / "interlog.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    engine = make_engine(settings.storage.url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_defaults(session)
        seed_users(session, settings.users)
        import_contacts_csv(session, out / "contacts.csv")
        import_templates(session, (out / "templates.toml").read_text(encoding="utf-8"))
    return engine


def _make_calls(emu: Any, data: Any, engine: sa.Engine) -> None:
    """The demo tenant makes calls (emulator/gen_calls.py); its persons get phone numbers."""
    from datetime import UTC, datetime

    from emulator.gen_calls import demo_calls
    from storage.models import Contact
    from storage.phones import replace_phones

    records, rows, numbers = demo_calls(data.tenant, data.contacts, datetime.now(UTC))
    for record in records:
        emu.calls.add_record(record)
    for row in rows:
        emu.calls.add_pstn(row)
    with Session(engine) as session, session.begin():
        ids = dict(session.execute(sa.select(Contact.no, Contact.id)
                                   .where(Contact.no.in_(list(numbers)))).all())
        for no, number in numbers.items():
            replace_phones(session, ids[no], {number: "phone"})


def _report_calls(session: Session) -> None:
    from storage.models import InteractionLogEntry as E

    calls = session.execute(
        sa.select(E.occurred_at, E.contact_no, E.user_upn, E.information_flow,
                  E.duration_min, E.attempt_failed)
        .where(E.source == "call").order_by(E.occurred_at.desc()))
    print_table("Calls logged by themselves", ["when", "contact", "user", "flow", "minutes",
                                                "no answer"],
                [(f"{at:%m-%d %H:%M}", no, (user or "").partition("@")[0], flow, minutes,
                  "yes" if failed else "") for at, no, user, flow, minutes, failed in calls])


def _report(engine: sa.Engine, summary: RunSummary, db_url: str, out: Path) -> None:
    from storage.capture_models import UnmatchedAddress
    from storage.models import InteractionLogEntry as E

    active = sa.not_(E.canceled)
    with Session(engine) as s:
        by_template = s.execute(sa.select(E.template_code, sa.func.count()).where(active)
                                .group_by(E.template_code).order_by(sa.func.count().desc()))
        print_table("Entries per template", ["template", "entries"], list(by_template))
        by_contact = s.execute(sa.select(E.contact_no, E.contact_name, sa.func.count())
                               .where(active).group_by(E.contact_no, E.contact_name)
                               .order_by(sa.func.count().desc(), E.contact_no).limit(10))
        top = list(by_contact)
        print_table("Top contacts", ["contact", "name", "entries"], top)
        unmatched = s.execute(sa.select(UnmatchedAddress.address, UnmatchedAddress.count)
                              .order_by(UnmatchedAddress.count.desc(), UnmatchedAddress.address)
                              .limit(10))
        print_table("Unmatched addresses (for review)", ["address", "seen"], list(unmatched))
        _report_calls(s)
    example = top[0][0] if top else "CT000001"
    data = summary.to_json()
    boxes = [m for m in data["mailboxes"] if m["mailbox"] != TENANT]  # calls: the tenant's
    print_table("Skipped (never logged)", ["reason", "items"], list(data["skipped"].items()))
    click.echo(
        f"\n{data['items_seen']} items → {data['entries_created']} entries "
        f"({data['entries_canceled']} canceled) from {len(boxes)} mailboxes and their calls; "
        f"{data['graph_requests']} Graph requests ({data['throttled']} throttled) "
        f"in {data['seconds']:.1f}s.\n\nExplore the result:\n"
        f"  interlog --db {db_url} entries list\n"
        f"  interlog --db {db_url} entries list --contact {example} --json\n"
        f"  interlog --db {db_url} sync runs\n"
        f"  interlog --db {db_url} unmatched list\n"
        f"  interlog emulator serve --tenant {out / 'tenant.json'}   # the same tenant, served"
    )


@click.command("demo")
@click.option("--dir", "out_dir", default="demo", show_default=True,
              type=click.Path(file_okay=False), help="Where the tenant and database go.")
@click.option("--mailboxes", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--messages", default=200, show_default=True, type=click.IntRange(min=0),
              help="Messages per mailbox.")
@click.option("--events", default=40, show_default=True, type=click.IntRange(min=0))
@click.option("--contacts", default=60, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True, type=int)
def demo(out_dir: str, mailboxes: int, messages: int, events: int, contacts: int,
         seed: int) -> None:
    """Generate a tenant, serve it from the Graph emulator, sync it into SQLite, summarise."""
    from connector.sync.engine import sync_mailboxes
    from emulator import EmulatorServer, EmulatorSettings
    from emulator.generate import generate
    from interlog.cli.sync import progress_display

    out = Path(out_dir)
    db_url = f"sqlite:///{out / 'interlog.db'}"
    started = time.monotonic()
    data = generate(mailboxes, messages, events, contacts, seed)
    # As in production: the app signs in with its secret (azure-identity) at the emulator's
    # Entra ID token endpoint (https), which accepts no other token.
    secret = secrets.token_urlsafe(24)
    tenant = {**data.tenant, "app": {**data.tenant.get("app", {}), "clientId": "interlog-demo",
                                     "clientSecret": secret}}
    emu_settings = EmulatorSettings(require_token=secrets.token_urlsafe(24))
    with EmulatorServer.start(tenant, settings=emu_settings, tls=True) as emu:
        graph = {"base_url": emu.base_url, "authority": emu.url, "ca_file": str(emu.ca_file),
                 "tenant_id": emu_settings.tenant_id, "client_id": "interlog-demo",
                 "client_secret": secret}
        settings = _settings(data.tenant, graph, db_url)
        engine = _prepare(out, data, settings)
        _make_calls(emu, data, engine)
        click.echo(f"Tenant written to {out}/; Graph emulator on {emu.base_url}; syncing "
                   f"{len(settings.sync.mailboxes)} mailboxes into {db_url}")
        with progress_display(Console(stderr=True)) as progress:
            summary = sync_mailboxes(settings, engine, progress=progress, trigger="demo")
    _report(engine, summary, db_url, out)
    click.echo(f"Demo done in {time.monotonic() - started:.1f}s.")
    engine.dispose()
    if not summary.ok:
        raise click.ClickException("the demo sync failed: " + "; ".join(summary.errors))
