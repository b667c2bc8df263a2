"""Fixed vocabularies for the generator (people, companies, subjects)."""

from __future__ import annotations

INTERNAL_DOMAIN = "contoso.com"
INTERNAL_FIRST = [
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
    "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yolanda",
]  # fmt: skip
INTERNAL_LAST = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas"]
COMPANIES = [
    ("Fabrikam, Inc.", ["fabrikam.com", "fabrikam.net"]),
    ("Adatum Corporation", ["adatum.com"]),
    ("Northwind Traders", ["northwindtraders.com"]),
    ("Tailspin Toys", ["tailspintoys.com"]),
    ("Wide World Importers", ["wideworldimporters.com", "wwi.example"]),
    ("Litware, Inc.", ["litwareinc.com"]),
    ("Proseware, Inc.", ["proseware.com"]),
    ("Woodgrove Bank", ["woodgrovebank.com"]),
    ("Lucerne Publishing", ["lucernepublishing.com"]),
    ("Coho Winery", ["cohowinery.com"]),
    ("Alpine Ski House", ["alpineskihouse.com"]),
    ("Trey Research", ["treyresearch.net"]),
]
FIRST = [
    "José", "María", "Zoë", "François", "Łukasz", "Søren", "Ana Sofía", "Jürgen", "Chloé", "Ingrid",
    "Hiroshi", "Priya", "Liam", "Emma", "Noah", "Ava", "Mateo", "Lucía", "Oliver", "Amélie",
]  # fmt: skip
LAST = [
    "Pérez", "García", "Müller", "Dubois", "Nowak", "Ødegaard", "O'Brien", "Rossi", "Novák",
    "Tanaka", "Patel", "Johnson", "Martínez", "Schäfer", "Lefèvre", "Kowalski", "Svensson", "Doe",
]  # fmt: skip
UNKNOWN_DOMAINS = ["example.org", "partner-mail.example", "freemail.example"]
NEWSLETTERS = [
    ("Fabrikam News", "no-reply@news.fabrikam.com"),
    ("Litware Updates", "newsletter@marketing.litwareinc.com"),
    ("Contoso IT", "do-not-reply@contoso.com"),
    ("Mail Delivery Subsystem", "mailer-daemon@adatum.com"),
]
TOPICS = [
    "renewal", "pricing", "delivery schedule", "Q3 forecast", "support ticket", "contract draft",
    "invoice 4471", "onboarding", "product demo", "site visit", "kick-off", "année fiscale",
]  # fmt: skip
INBOUND = ["Question about {t}", "Re: {t}", "Following up on {t}", "Request: {t}", "FW: {t}"]
OUTBOUND = ["{t} – next steps", "Re: {t}", "Our proposal for {t}", "Meeting notes: {t}"]
INTERNAL = ["Team sync: {t}", "Internal: {t}", "Lunch?", "Draft for {t}", "Weekly report"]
MEETINGS = ["Review {t}", "{t} workshop", "Call about {t}", "Quarterly business review", "Demo"]

TEMPLATES_TOML = """\
[[group]]
code = "EMAIL"
description = "E-mails"

[[group]]
code = "MEETINGS"
description = "Meetings"

[[group]]
code = "CALLS"
description = "Phone calls"

[[group]]
code = "SALES"
description = "Sales documents"

[[template]]
code = "EMAIL"
group = "EMAIL"
description = "E-mail"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 0.0
unit_duration_min = 2
correspondence_type = "email"

[[template]]
code = "MEETING"
group = "MEETINGS"
description = "Meeting"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 0.0
unit_duration_min = 30
correspondence_type = ""

[[template]]
code = "ONLINE"
group = "MEETINGS"
description = "Online meeting"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 0.0
unit_duration_min = 30
correspondence_type = ""

[[template]]
code = "CALL"
group = "CALLS"
description = "Phone call"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 0.0
unit_duration_min = 5
correspondence_type = ""

[[template]]
code = "QUOTE"
group = "SALES"
description = "Sales quote sent"
information_flow = "outbound"
initiated_by = "us"
unit_cost = 1.5
unit_duration_min = 10
correspondence_type = "email"

[setup]
email = "EMAIL"
meeting = "MEETING"
phone_call = "CALL"

[[rule]]
template = "QUOTE"
priority = 10
kind = "email"
direction = "outbound"
subject = "(?i)quote\\\\s+(?P<document_no>SQ-\\\\d+)"
document_type = "sales_quote"

[[rule]]
template = "QUOTE"
priority = 20
kind = "email"
category = "Quotes"
document_type = "sales_quote"

[[rule]]
template = "ONLINE"
priority = 30
kind = "meeting"
online_meeting = true
"""
