"""The small world of a history: people, actions, and what each mailbox holds after them.

This is Exchange's side only (which copies exist, in which folder, canceled or not); what
capture makes of it is `reference.py`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

DOMAIN = "contoso.com"
MAILBOXES = ("alice@contoso.com", "bob@contoso.com", "carol@contoso.com")
COMPANY = ("C-FAB", "Fabrikam", "fabrikam.com")  # a company contact and its domain
# address → contact number (None: no contact of its own); several emails for one contact
PERSONS: dict[str, str | None] = {
    "jane@fabrikam.com": "P-JANE", "raj@fabrikam.com": None, "kim@fabrikam.com": None,
    "li@adatum.example": "P-LI", "omar@northwind.example": "P-OMAR",
    "omar.k@northwind.example": "P-OMAR", "sam@mail.example": None,
}  # fmt: skip
LATE = ("eve@tailspin.example", "P-EVE")  # a contact added later (item 5)
ROBOT = "no-reply@fabrikam.com"
SYNCED = ("inbox", "sentitems")  # the mail folders the harness syncs
EPOCH = datetime(2025, 1, 1, tzinfo=UTC).replace(tzinfo=None)  # times are naive UTC


def is_internal(address: str) -> bool:
    return address.lower().endswith("@" + DOMAIN)


@dataclass(frozen=True)
class Mail:
    key: str  # internetMessageId
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    when: datetime = EPOCH  # sent = received
    draft: bool = False
    folder: str = "inbox"  # where recipients' copies arrive ("archive" for old mail)


@dataclass(frozen=True)
class Meeting:
    key: str  # iCalUId (a series: of its master; occurrences add _YYYYMMDD)
    organizer: str
    attendees: tuple[str, ...]
    start: datetime
    minutes: int
    all_day: bool = False
    occurrences: int = 0  # 0: a single meeting; n: a weekly series of n


# -- actions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Send:
    mail: Mail


@dataclass(frozen=True)
class MailChange:  # read, flag or categorise one copy
    mailbox: str
    key: str
    change: str


@dataclass(frozen=True)
class MailMove:  # to another folder (deleteditems = delete; back = restore)
    mailbox: str
    key: str
    folder: str


@dataclass(frozen=True)
class MailDelete:  # hard delete of one copy
    mailbox: str
    key: str


@dataclass(frozen=True)
class Meet:
    meeting: Meeting


@dataclass(frozen=True)
class MeetMove:  # key: a single meeting or one occurrence (which becomes an exception)
    key: str
    start: datetime


@dataclass(frozen=True)
class MeetCancel:  # by the organizer: every copy canceled; `delete`: its own copy deleted
    key: str  # a single meeting, an occurrence, or a series master's key (the whole series)
    delete: bool = False


@dataclass(frozen=True)
class MeetDrop:  # an internal attendee declines / deletes their own copy
    key: str
    mailbox: str


@dataclass(frozen=True)
class MeetAttendee:  # an attendee added (single meetings), or an external one declining
    key: str
    address: str
    declined: bool = False


@dataclass(frozen=True)
class AddContact:
    address: str
    no: str


@dataclass(frozen=True)
class Advance:
    hours: float


@dataclass(frozen=True)
class Sync:  # plain | throttle (429s first) | kill (crash mid-run, resumed) | stop | expire
    how: str = "plain"
    arg: int = 1


Action = (Send | MailChange | MailMove | MailDelete | Meet | MeetMove | MeetCancel | MeetDrop
          | MeetAttendee | AddContact | Advance | Sync)


@dataclass(frozen=True)
class History:
    seed: int
    start: datetime  # naive UTC
    mailboxes: tuple[str, ...]
    steps: tuple[Action, ...]


# -- what the mailboxes hold ---------------------------------------------------------------
@dataclass(frozen=True)
class Occurrence:
    """One meeting as Outlook shows it (a single meeting or one occurrence of a series)."""

    key: str
    series: str  # the series' key (its own key for a single meeting)
    organizer: str
    attendees: tuple[tuple[str, str], ...]  # (address, response)
    start: datetime
    minutes: int
    all_day: bool
    holders: frozenset[str]  # mailboxes with a copy
    canceled: bool = False
    organizer_deleted: bool = False
    moved: bool = False  # an exception of its series


def occurrence_keys(m: Meeting) -> list[tuple[str, datetime]]:
    if not m.occurrences:
        return [(m.key, m.start)]
    starts = [m.start + timedelta(days=7 * i) for i in range(m.occurrences)]
    return [(f"{m.key}_{s:%Y%m%d}", s) for s in starts]


@dataclass
class World:
    """Mail copies (mailbox, key) → folder, and meetings by occurrence key."""

    mails: dict[str, Mail] = field(default_factory=dict)
    copies: dict[tuple[str, str], str] = field(default_factory=dict)
    meetings: dict[str, Occurrence] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)  # added later: address → no
    now: datetime = EPOCH

    def apply(self, action: Action) -> None:
        match action:
            case Send(mail):
                self.mails[mail.key] = mail
                for mailbox, folder in mail_copies(mail):
                    self.copies[(mailbox, mail.key)] = folder
            case MailMove(mailbox, key, folder):
                self.copies[(mailbox, key)] = folder
            case MailDelete(mailbox, key):
                del self.copies[(mailbox, key)]
            case Meet(meeting):
                self._meet(meeting)
            case MeetMove(key, start):
                self.meetings[key] = replace(self.meetings[key], start=start, moved=True)
            case MeetCancel(key, delete):
                for occ in self.series_of(key):
                    holders = occ.holders - {occ.organizer} if delete else occ.holders
                    self.meetings[occ.key] = replace(occ, canceled=True, holders=holders,
                                                     organizer_deleted=delete)
            case MeetDrop(key, mailbox):
                for occ in self.series_of(key):
                    self.meetings[occ.key] = replace(occ, holders=occ.holders - {mailbox})
            case MeetAttendee():
                self._attendee(action)
            case AddContact(address, no):
                self.contacts[address] = no
            case Advance(hours):
                self.now += timedelta(hours=hours)

    def series_of(self, key: str) -> list[Occurrence]:
        """The occurrence `key`, or every occurrence of the series `key`."""
        if key in self.meetings:
            return [self.meetings[key]]
        return [o for o in self.meetings.values() if o.series == key]

    def _meet(self, m: Meeting) -> None:
        holders = frozenset(a for a in (m.organizer, *m.attendees) if a in MAILBOXES)
        attendees = tuple((a, "none") for a in m.attendees)
        for key, start in occurrence_keys(m):
            self.meetings[key] = Occurrence(key, m.key, m.organizer, attendees, start,
                                            m.minutes, m.all_day, holders)

    def _attendee(self, action: MeetAttendee) -> None:
        occ = self.meetings[action.key]
        if action.declined:
            people = tuple((a, "declined" if a == action.address else r)
                           for a, r in occ.attendees)
            self.meetings[occ.key] = replace(occ, attendees=people)
            return
        holders = occ.holders | ({action.address} if action.address in MAILBOXES else set())
        self.meetings[occ.key] = replace(occ, attendees=(*occ.attendees, (action.address, "none")),
                                         holders=frozenset(holders))


def mail_copies(mail: Mail) -> list[tuple[str, str]]:
    """(mailbox, folder) of every copy a sent message (or a draft) leaves."""
    if mail.draft:  # a draft left among sent mail: a synced folder, so the rule is exercised
        return [(mail.sender, "sentitems")]
    out = [(mail.sender, "sentitems")] if mail.sender in MAILBOXES else []
    for rcpt in dict.fromkeys((*mail.to, *mail.cc, *mail.bcc)):
        if rcpt in MAILBOXES and rcpt != mail.sender:
            out.append((rcpt, mail.folder))
    return out
