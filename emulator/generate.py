"""A believable tenant for Contoso: colleagues, customers, newsletters, quotes, meetings.

The same seed and reference time give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import random
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import names
from .gen_events import make_events


@dataclass(frozen=True)
class Person:
    """Somebody who sends or receives mail."""

    name: str
    address: str
    contact_no: str | None = None

    def email(self) -> dict[str, Any]:
        """Graph's emailAddress wrapper."""
        return {"emailAddress": {"name": self.name, "address": self.address}}


@dataclass
class GeneratedData:
    """What `write` puts on disk."""

    tenant: dict[str, Any]
    contacts: list[dict[str, str]]
    templates_toml: str
    reference: datetime


def _ascii(text: str) -> str:
    folded = unicodedata.normalize(
        "NFKD", text.replace("ø", "o").replace("Ø", "O").replace("ł", "l")
    )
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c in ".-")).lower()


def _hex(rng: random.Random, n: int = 32) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


def _users(count: int, rng: random.Random) -> list[dict[str, Any]]:
    users = []
    for i in range(count):
        first = names.INTERNAL_FIRST[i % len(names.INTERNAL_FIRST)]
        suffix = "" if i < len(names.INTERNAL_FIRST) else str(i // len(names.INTERNAL_FIRST) + 1)
        upn = f"{first.lower()}{suffix}@{names.INTERNAL_DOMAIN}"
        last = names.INTERNAL_LAST[i % len(names.INTERNAL_LAST)]
        users.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "userPrincipalName": upn,
                "mail": upn,
                "displayName": f"{first}{suffix} {last}",
                "jobTitle": rng.choice(["Account Manager", "Sales Engineer", "Sales Director"]),
            }
        )
    return users


def _contacts(count: int, rng: random.Random) -> tuple[list[dict[str, str]], list[Person]]:
    n_companies = max(1, min(len(names.COMPANIES), count // 6 or 1))
    rows: list[dict[str, str]] = []
    people: list[Person] = []
    for i in range(n_companies):
        name, domains = names.COMPANIES[i]
        rows.append(
            {"no": f"CT{len(rows) + 1:06d}", "type": "company", "name": name, "company_no": "",
             "email": f"info@{domains[0]}", "email2": "", "domains": ";".join(domains)}
        )  # fmt: skip
    used: set[str] = set()
    while len(rows) < count:
        company = rows[rng.randrange(n_companies)]
        first, last = rng.choice(names.FIRST), rng.choice(names.LAST)
        domain = company["domains"].split(";")[0]
        local = f"{_ascii(first.split()[0])}.{_ascii(last)}"
        if f"{local}@{domain}" in used:
            local = f"{local}{len(rows)}"
        used.add(f"{local}@{domain}")
        email2 = (
            f"{local[0]}{_ascii(last)}@{company['domains'].split(';')[-1]}"
            if rng.random() < 0.2
            else ""
        )
        no = f"CT{len(rows) + 1:06d}"
        rows.append(
            {"no": no, "type": "person", "name": f"{first} {last}", "company_no": company["no"],
             "email": f"{local}@{domain}", "email2": email2, "domains": ""}
        )  # fmt: skip
        people.append(Person(f"{first} {last}", f"{local}@{domain}", no))
    return rows, people


class _MailFactory:
    """Builds Graph message JSON; one instance per generation run."""

    def __init__(self, rng: random.Random, reference: datetime, users: list[Person]) -> None:
        self.rng, self.reference, self.users = rng, reference, users
        self.quote_no = 1000

    def when(self) -> datetime:
        return self.reference - timedelta(seconds=self.rng.randrange(1, 120 * 86400))

    def message(self, owner: int, folder: str, header: dict[str, Any]) -> dict[str, Any]:
        item_id = f"AAMkAG{_hex(self.rng, 40)}AAA="
        msg = {"id": item_id, **header, "parentFolderId": folder}
        msg["webLink"] = (
            f"https://outlook.office365.com/owa/?ItemID={item_id}&exvsurl=1&viewmodel=ReadMessageItem"
        )
        return msg

    def header(
        self, sender: Person, to: list[Person], cc: list[Person], subject: str
    ) -> dict[str, Any]:
        sent = self.when()
        domain = sender.address.split("@")[1]
        out: dict[str, Any] = {
            "internetMessageId": f"<{_hex(self.rng, 24)}@{domain}>",
            "subject": subject,
            "from": sender.email(), "sender": sender.email(),
            "toRecipients": [p.email() for p in to], "ccRecipients": [p.email() for p in cc],
            "bccRecipients": [],
            "receivedDateTime": (sent + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sentDateTime": sent.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "isDraft": False, "hasAttachments": False, "categories": [], "importance": "normal",
            "isRead": self.rng.random() < 0.7,
            "conversationId": f"AAQkAG{_hex(self.rng, 40)}=",
            "bodyPreview": f"Hello, about {subject.lower()} — see below.",
        }  # fmt: skip
        return out


def _messages(
    rng: random.Random, reference: datetime, users: list[Person], people: list[Person], per: int
) -> dict[str, list[dict[str, Any]]]:
    factory = _MailFactory(rng, reference, users)
    boxes: dict[str, list[dict[str, Any]]] = {u.address: [] for u in users}
    unknown = [
        Person(f"{rng.choice(names.FIRST)} {rng.choice(names.LAST)}", f"visitor{i}@{d}")
        for i, d in enumerate(names.UNKNOWN_DOMAINS * 2)
    ]
    while any(len(v) < per for v in boxes.values()):
        for o, owner in enumerate(users):
            if len(boxes[owner.address]) < per:
                _one_message(factory, rng, o, owner, users, people, unknown, boxes, per)
    return boxes


@dataclass(frozen=True)
class _Cast:
    """Who one message may involve, drawn before its kind is."""

    owner: Person
    colleague: Person
    ext: Person
    others: list[Person]
    topic: str
    unknown: list[Person]


# Each kind returns (message header, folder, colleagues who get a copy in their inbox).
_Made = tuple[dict[str, Any], str, list[Person]]


def _inbound(f: _MailFactory, rng: random.Random, c: _Cast) -> _Made:
    subject = rng.choice(names.INBOUND).format(t=c.topic)
    return f.header(c.ext, [c.owner], c.others, subject), "inbox", c.others


def _outbound(f: _MailFactory, rng: random.Random, c: _Cast) -> _Made:
    subject = rng.choice(names.OUTBOUND).format(t=c.topic)
    return f.header(c.owner, [c.ext], c.others, subject), "sentitems", c.others


def _quote(f: _MailFactory, rng: random.Random, c: _Cast) -> _Made:
    f.quote_no += 1
    head = f.header(c.owner, [c.ext], c.others, f"Quote SQ-{f.quote_no} for {c.topic}")
    head.update(hasAttachments=True, categories=["Quotes"])
    return head, "sentitems", c.others


def _internal(f: _MailFactory, rng: random.Random, c: _Cast) -> _Made:
    subject = rng.choice(names.INTERNAL).format(t=c.topic)
    return f.header(c.colleague, [c.owner], [], subject), "inbox", []


def _newsletter(f: _MailFactory, rng: random.Random, c: _Cast) -> _Made:
    name, address = rng.choice(names.NEWSLETTERS)
    head = f.header(Person(name, address), [c.owner], [], f"{name}: {c.topic} digest")
    head["internetMessageHeaders"] = [{"name": "List-Unsubscribe", "value": f"<mailto:{address}>"}]
    return head, "inbox", []


def _stranger(f: _MailFactory, rng: random.Random, c: _Cast) -> _Made:
    stranger = rng.choice(c.unknown)
    subject = rng.choice(names.INBOUND).format(t=c.topic)
    return f.header(stranger, [c.owner], [], subject), "inbox", []


def _draft(f: _MailFactory, rng: random.Random, c: _Cast) -> _Made:
    head = f.header(c.owner, [c.ext], [], f"Draft: {c.topic}")
    head["isDraft"] = True
    return head, "drafts", []


def _personal(f: _MailFactory, rng: random.Random, c: _Cast) -> _Made:
    head = f.header(c.ext, [c.owner], c.others, f"Personal: {c.topic}")
    head["singleValueExtendedProperties"] = [{"id": "Integer 0x36", "value": "2"}]
    return head, "inbox", c.others


# (a roll below this, makes that kind): 35 % inbound, 27 % outbound, 6 % quotes, …
_KINDS: tuple[tuple[float, Callable[[_MailFactory, random.Random, _Cast], _Made]], ...] = (
    (0.35, _inbound), (0.62, _outbound), (0.68, _quote), (0.76, _internal),
    (0.84, _newsletter), (0.90, _stranger), (0.94, _draft), (1.0, _personal),
)


def _one_message(
    f: _MailFactory, rng: random.Random, o: int, owner: Person, users: list[Person],
    people: list[Person], unknown: list[Person], boxes: dict[str, list[dict[str, Any]]], per: int,
) -> None:  # fmt: skip
    roll = rng.random()
    topic = rng.choice(names.TOPICS)
    colleague = users[(o + 1 + rng.randrange(max(1, len(users) - 1))) % len(users)]
    others = [colleague] if colleague != owner and rng.random() < 0.3 else []
    ext = rng.choice(people) if people else rng.choice(unknown)
    make = next(kind for limit, kind in _KINDS if roll < limit)
    head, folder, copies = make(f, rng, _Cast(owner, colleague, ext, others, topic, unknown))
    boxes[owner.address].append(f.message(o, folder, head))
    for other in copies:
        if len(boxes[other.address]) < per:
            boxes[other.address].append(f.message(users.index(other), "inbox", head))


def generate(
    mailboxes: int = 5,
    messages: int = 200,
    events: int = 40,
    contacts: int = 60,
    seed: int = 1,
    reference: datetime | None = None,
) -> GeneratedData:
    """Generate a tenant plus matching contacts and templates.

    Args:
        mailboxes: internal users, each with a mailbox (alice@contoso.com, bob@…).
        messages: messages per mailbox (copies of shared threads count).
        events: calendar events per mailbox (a series counts once).
        contacts: contact rows (companies first, then persons).
        seed: random seed; same seed and reference → same bytes.
        reference: "now" for the data (default: today, midnight UTC).
    """
    if mailboxes < 1 or contacts < 2 or min(messages, events) < 0:
        # Two contacts at least: a company and a person at it, whom meetings need.
        raise ValueError("mailboxes must be at least 1, contacts at least 2; messages, events >= 0")
    if reference is None:
        reference = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    users = _users(mailboxes, rng)
    rows, people = _contacts(contacts, rng)
    staff = [Person(u["displayName"], u["userPrincipalName"]) for u in users]
    mail = _messages(rng, reference, staff, people, messages)
    cal = make_events(rng, reference, staff, people, events)
    tenant = {"users": users, "messages": mail, "events": cal}
    return GeneratedData(tenant, rows, names.TEMPLATES_TOML, reference)


def write(data: GeneratedData, out_dir: str | Path) -> list[Path]:
    """Write `tenant.json`, `contacts.csv` and `templates.toml`; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tenant = out / "tenant.json"
    tenant.write_text(
        json.dumps(data.tenant, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    buf = io.StringIO()
    fields = ["no", "type", "name", "company_no", "email", "email2", "domains"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(data.contacts)
    contacts = out / "contacts.csv"
    contacts.write_text(buf.getvalue(), encoding="utf-8")
    templates = out / "templates.toml"
    templates.write_text(data.templates_toml, encoding="utf-8")
    return [tenant, contacts, templates]
