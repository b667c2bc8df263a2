"""`interlog contacts import FILE.csv` and `interlog contacts list [--json]`."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from connector.capture.past import log_new_reach, reach
from interlog.cli.common import AppContext, cli_actor, pass_app, print_json, print_table
from storage.audit import audit
from storage.contacts_csv import import_contacts_csv
from storage.models import Contact


@click.group("contacts")
def contacts() -> None:
    """Contacts: persons and companies, with every email address and company domain."""


@contacts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_(app: AppContext, file: Path) -> None:
    """Upsert contacts from a CSV: no,type,name,company_no,email,email2,domains[,phone,mobile].

    All rows are checked first; one bad row stops the import with its line number and
    nothing is written. The mail and meetings capture already read for the addresses and
    company domains the import adds, inside the capture windows, are logged for their
    contacts (with no Graph request), and those addresses leave the unmatched list.
    """
    with app.transaction() as session:
        before = reach(session)
        result = import_contacts_csv(session, file,
                                     default_region=app.settings.sync.default_region or None)
        audit(session, cli_actor(), "contacts_import", None, file=str(file),
              added=len(result.added), updated=len(result.updated))
        past = log_new_reach(session, app.settings, before)
    click.echo(f"Imported {result.total} contacts from {file}: {len(result.added)} added,"
               f" {len(result.updated)} updated.")
    if n := past.entries_created:
        click.echo(f"Logged {n} {'entry' if n == 1 else 'entries'} from the mail and meetings"
                   " already read for them.")


@contacts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """Every contact with its company, email addresses and domains."""
    with app.transaction() as session:
        found = list(session.scalars(
            sa.select(Contact).options(selectinload(Contact.emails), selectinload(Contact.domains),
                                       selectinload(Contact.company)).order_by(Contact.no)))
        if as_json:
            print_json([contact_to_json(c) for c in found])
            return
        rows = [(c.no, c.type, c.name, c.company_no, " ".join(e.address for e in c.emails),
                 " ".join(sorted(d.domain for d in c.domains))) for c in found]
    print_table(f"Contacts ({len(rows)})", ["no", "type", "name", "company", "emails", "domains"],
                rows)


def contact_to_json(contact: Contact) -> dict[str, object]:
    return {
        "no": contact.no,
        "type": contact.type,
        "name": contact.name,
        "company_no": contact.company_no,
        "emails": [e.address for e in contact.emails],
        "domains": sorted(d.domain for d in contact.domains),
    }
