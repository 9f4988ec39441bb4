"""Per-provider harnesses: how a contract test plays the user and the outside world.

A harness owns one provider's ``calendar`` and ``mailbox`` and does to them what the world
does: an invitation arrives (``add_event``), the user edits, deletes or sends a draft in
their mail client, a message is delivered. The local harness writes real ``.ics`` files
and Maildir files, so the round trip through the parsers is tested. To run the suite
against another provider, write a harness and add it to ``HARNESSES``.
"""

from __future__ import annotations

import dataclasses
import email.policy
import email.utils
import mailbox
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar, Protocol

import icalendar

from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    DraftRef,
    Participant,
    ParticipantKind,
    Response,
    UserIdentity,
)
from interview_outreach.daemon.ports import CalendarSource, Mailbox
from interview_outreach.daemon.store.repository import Store
from interview_outreach.providers.local.calendar import LocalCalendar
from interview_outreach.providers.local.mailbox import LocalMailbox
from tests.contract.google_harness import GoogleHarness
from tests.contract.microsoft_harness import MicrosoftHarness
from tests.fakes.memory import MemoryCalendar, MemoryMailbox

CAPABILITIES = {
    "attendee_groups": "attendees can be groups (iCalendar CUTYPE=GROUP)",
    "listed_cancelled_events": "a cancelled event is still listed, with status cancelled",
    "any_thread_headers": "a draft can carry any In-Reply-To and References, even naming "
    "mail the mailbox does not hold",
}
"""What a provider may or may not be able to express. A harness lacks one when its
``lacks`` says why; a contract test that needs it is then skipped with that reason
(``conftest.REQUIRES``)."""


class Harness(Protocol):
    """What the contract tests need from each provider under test."""

    name: str
    capabilities: frozenset[str]  # out of CAPABILITIES; what it lacks, and why, is in a
    # class attribute ``lacks: dict[str, str]``, which decides what is skipped
    user: UserIdentity
    calendar: CalendarSource
    mailbox: Mailbox

    def add_event(self, event: CalendarEvent) -> None:
        """An invitation for ``event`` (a single, non-recurring event) appears."""
        ...

    def add_weekly(self, event: CalendarEvent, count: int) -> object:
        """A series: ``event`` repeated weekly at the same wall-clock time, ``count`` times."""
        ...

    def remove_event(self, uid: str) -> None:
        """The event ``uid`` is deleted from the calendar."""
        ...

    def user_edits_draft(self, ref: DraftRef, new_body: str) -> None:
        """The user rewrites the draft's body in their mail client and saves it."""
        ...

    def user_deletes_draft(self, ref: DraftRef) -> None:
        """The user deletes the draft without sending it."""
        ...

    def user_sends_draft(self, ref: DraftRef, at: datetime) -> None:
        """The user sends the draft at ``at``: it leaves the drafts and lands in sent mail."""
        ...

    def deliver(self, message: EmailMessage, folder: str = "inbox") -> object:
        """``message`` arrives in ``folder``: "inbox" or "sent" (others are provider-specific)."""
        ...

    def close(self) -> None:
        """End of the test: release connections and files, check what the world saw."""
        ...


def instance_of(start: datetime) -> str:
    """The contract's ``instance`` of a timed occurrence: its start in ISO 8601 UTC."""
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_body(message: EmailMessage, body: str) -> EmailMessage:
    """``message`` with its plain-text body replaced, as a mail client's editor saves it."""
    message.set_content(body, charset="utf-8")
    return message


def with_date(message: EmailMessage, at: datetime) -> EmailMessage:
    """``message`` with its Date set to ``at``, as a mail client does when sending."""
    del message["Date"]
    message["Date"] = email.utils.format_datetime(at)
    return message


# --- local: a vdir and a Maildir in tmp_path ------------------------------------------------


_STAMP = datetime(2025, 1, 1, tzinfo=UTC)
_CUTYPES = {
    ParticipantKind.PERSON: "INDIVIDUAL",
    ParticipantKind.RESOURCE: "RESOURCE",
    ParticipantKind.GROUP: "GROUP",
    ParticipantKind.UNKNOWN: "UNKNOWN",
}
_PARTSTATS = {
    Response.ACCEPTED: "ACCEPTED",
    Response.DECLINED: "DECLINED",
    Response.TENTATIVE: "TENTATIVE",
    Response.NEEDS_ACTION: "NEEDS-ACTION",
}


def _address(participant: Participant, organizer: bool = False) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{participant.email}")
    if participant.name:
        address.params["CN"] = participant.name
    if not organizer:
        address.params["CUTYPE"] = _CUTYPES[participant.kind]
        address.params["ROLE"] = "REQ-PARTICIPANT" if participant.required else "OPT-PARTICIPANT"
        address.params["PARTSTAT"] = _PARTSTATS[participant.response]
    return address


def vevent(event: CalendarEvent) -> icalendar.Event:
    """``event`` as an iCalendar VEVENT, the way a calendar server would write it."""
    component = icalendar.Event()
    component.add("UID", event.uid)
    component.add("DTSTAMP", _STAMP)
    component.add("SUMMARY", event.title)
    if event.all_day:
        component.add("DTSTART", event.start.date())
        component.add("DTEND", event.end.date())
    else:
        component.add("DTSTART", event.start)
        component.add("DTEND", event.end)
    for name, value in (("DESCRIPTION", event.description), ("LOCATION", event.location)):
        if value:
            component.add(name, value)
    if event.organizer is not None:
        component.add("ORGANIZER", _address(event.organizer, organizer=True))
    for attendee in event.attendees:
        component.add("ATTENDEE", _address(attendee))
    component.add("STATUS", event.status.value.upper())
    if event.conference_url:
        component.add("X-GOOGLE-CONFERENCE", event.conference_url)
    return component


def ics_document(*components: icalendar.Event) -> bytes:
    """A VCALENDAR holding ``components`` with the VTIMEZONEs they need."""
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//interview-outreach//contract tests//EN")
    cal.add("VERSION", "2.0")
    for component in components:
        cal.add_component(component)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


class LocalHarness:
    """The local provider over a vdir and a Maildir created in ``root``."""

    name = "local"
    capabilities = frozenset(CAPABILITIES)
    lacks: ClassVar[dict[str, str]] = {}

    def __init__(self, root: Path, user: UserIdentity) -> None:
        self.user = user
        self.vdir = root / "calendars" / "personal"
        self.vdir.mkdir(parents=True)
        self.maildir = root / "Mail"
        mailbox.Maildir(self.maildir, create=True)
        self.local_calendar = LocalCalendar(self.vdir, user, name="personal")
        self.local_mailbox = LocalMailbox(sorted(user.addresses)[0], self.maildir)
        self.calendar: CalendarSource = self.local_calendar
        self.mailbox: Mailbox = self.local_mailbox

    def add_event(self, event: CalendarEvent) -> None:
        self._write(event.uid, ics_document(vevent(event)))

    def add_weekly(self, event: CalendarEvent, count: int) -> None:
        component = vevent(event)
        component.add("RRULE", {"FREQ": "WEEKLY", "COUNT": count})
        self._write(event.uid, ics_document(component))

    def remove_event(self, uid: str) -> None:
        (self.vdir / f"{uid}.ics").unlink()

    def user_edits_draft(self, ref: DraftRef, new_body: str) -> None:
        path = self.draft_path(ref)
        edited = with_body(self._read(path), new_body)
        # Mail clients save an edited draft as a new file and remove the old one.
        self._store(self.maildir / ".Drafts", edited, flags="DS")
        path.unlink()

    def user_deletes_draft(self, ref: DraftRef) -> None:
        self.draft_path(ref).unlink()

    def user_saves_copy(self, ref: DraftRef, new_body: str | None = None) -> Path:
        """A mail client saves the draft (edited, given ``new_body``) as a new file with
        the same Message-ID and leaves the old file where it is; the new file's path."""
        message = self._read(self.draft_path(ref))
        if new_body is not None:
            with_body(message, new_body)
        return self._store(self.maildir / ".Drafts", message, flags="DS")

    def user_sends_draft(self, ref: DraftRef, at: datetime) -> None:
        path = self.draft_path(ref)
        self._store(self.maildir / ".Sent", with_date(self._read(path), at), flags="S")
        path.unlink()

    def deliver(self, message: EmailMessage, folder: str = "inbox") -> None:
        if folder == "inbox":
            target = self.maildir
        elif folder == "sent":
            target = self.maildir / ".Sent"
        else:
            target = self.maildir / f".{folder}"
        mailbox.Maildir(target, create=True).add(message)

    def close(self) -> None:
        """Nothing stays open between calls."""

    def draft_path(self, ref: DraftRef) -> Path:
        """The file of the draft ``ref`` (by key, else by Message-ID)."""
        files = sorted((self.maildir / ".Drafts").glob("*/*"))
        for path in files:
            if path.name.split(":")[0] == ref.draft_id:
                return path
        for path in files:
            if self._read(path)["Message-ID"] == ref.message_id:
                return path
        raise AssertionError(f"no draft file for {ref}")

    def _write(self, uid: str, data: bytes) -> None:
        temp = self.vdir / f".{uid}.ics.tmp"
        temp.write_bytes(data)
        temp.replace(self.vdir / f"{uid}.ics")

    @staticmethod
    def _read(path: Path) -> EmailMessage:
        with path.open("rb") as file:
            message = email.message_from_binary_file(file, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message

    @staticmethod
    def _store(folder: Path, message: EmailMessage, flags: str) -> Path:
        stored = mailbox.MaildirMessage(message)
        stored.set_subdir("cur")
        stored.set_flags(flags)
        key = mailbox.Maildir(folder, create=True).add(stored)
        return folder / "cur" / f"{key}:2,{flags}"


class IndexedLocalHarness(LocalHarness):
    """The local provider with its index of Maildir headers in a store (a SQLite file),
    as the daemon runs it: the contract holds whichever index the mailbox uses."""

    name = "local-indexed"

    def __init__(self, root: Path, user: UserIdentity) -> None:
        super().__init__(root, user)
        self.store = Store(f"sqlite:///{root / 'state.db'}")
        self.local_mailbox = LocalMailbox(
            sorted(user.addresses)[0], self.maildir, index=self.store.message_index("personal")
        )
        self.mailbox = self.local_mailbox

    def close(self) -> None:
        self.store.close()


# --- memory: the in-memory fake -----------------------------------------------------------


class MemoryHarness:
    """The in-memory provider of ``tests/fakes/memory.py``."""

    name = "memory"
    capabilities = frozenset(CAPABILITIES)
    lacks: ClassVar[dict[str, str]] = {}

    def __init__(self, root: Path, user: UserIdentity) -> None:
        self.user = user
        self.memory_calendar = MemoryCalendar(name="personal")
        self.memory_mailbox = MemoryMailbox(sorted(user.addresses)[0])
        self.calendar: CalendarSource = self.memory_calendar
        self.mailbox: Mailbox = self.memory_mailbox

    def add_event(self, event: CalendarEvent) -> None:
        self.memory_calendar.add(event)

    def add_weekly(self, event: CalendarEvent, count: int) -> None:
        for week in range(count):
            # Adding to an aware datetime keeps the wall-clock time across DST, like RRULE.
            start = event.start + timedelta(weeks=week)
            end = start + (event.end - event.start)
            self.memory_calendar.add(
                dataclasses.replace(event, start=start, end=end, instance=instance_of(start))
            )

    def remove_event(self, uid: str) -> None:
        self.memory_calendar.remove(uid)

    def user_edits_draft(self, ref: DraftRef, new_body: str) -> None:
        with_body(self.memory_mailbox.drafts[self._draft_id(ref)], new_body)

    def user_deletes_draft(self, ref: DraftRef) -> None:
        del self.memory_mailbox.drafts[self._draft_id(ref)]

    def user_sends_draft(self, ref: DraftRef, at: datetime) -> None:
        message = self.memory_mailbox.drafts.pop(self._draft_id(ref))
        self.memory_mailbox.sent.append(with_date(message, at))

    def deliver(self, message: EmailMessage, folder: str = "inbox") -> None:
        assert folder in {"inbox", "sent"}, "the memory mailbox has no other folders"
        target = self.memory_mailbox.sent if folder == "sent" else self.memory_mailbox.inbox
        target.append(message)

    def close(self) -> None:
        """Nothing to release."""

    def _draft_id(self, ref: DraftRef) -> str:
        found = self.memory_mailbox.find_draft(ref.message_id)
        assert found is not None, f"no draft for {ref}"
        return found.draft_id


HARNESSES: dict[str, Callable[[Path, UserIdentity], Harness]] = {
    "local": LocalHarness,
    "local-indexed": IndexedLocalHarness,
    "memory": MemoryHarness,
    "google": GoogleHarness,
    "microsoft": MicrosoftHarness,
}
