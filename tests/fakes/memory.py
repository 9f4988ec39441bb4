"""In-memory implementations of ``CalendarSource`` and ``Mailbox``.

They are held to the same contract tests as the real providers (``tests/contract``), so
unit tests of the core may rely on them behaving like a real calendar and mailbox.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

from interview_outreach.daemon.domain.addresses import Contacts, attendee_entries
from interview_outreach.daemon.domain.mime import (
    draft_bytes,
    normalize_message_id,
    parse_draft_content,
    to_mail_message,
)
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    DraftContent,
    DraftMessage,
    DraftRef,
    MailMessage,
    Participant,
)
from interview_outreach.daemon.errors import DraftChanged, ProviderError
from interview_outreach.daemon.ports import CalendarChanges, DraftCheck, DraftRemoval, MailChanges

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def overlaps(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> bool:
    """Whether ``[start, end)`` overlaps the window; a zero-length event by its start."""
    if end <= start:
        return window_start <= start < window_end
    return start < window_end and end > window_start


class MemoryCalendar:
    """A calendar holding expanded occurrences; ``changes`` is always complete."""

    def __init__(self, events: tuple[CalendarEvent, ...] = (), name: str = "memory") -> None:
        self.name = name
        self.events: list[CalendarEvent] = [self._stored(e) for e in events]

    def add(self, event: CalendarEvent) -> None:
        """Store ``event`` (one occurrence), replacing one with the same source id."""
        stored = self._stored(event)
        self.events = [e for e in self.events if e.source_id != stored.source_id] + [stored]

    def remove(self, uid: str) -> None:
        """Remove every occurrence of the event ``uid``."""
        self.events = [e for e in self.events if e.uid != uid]

    def changes(
        self, cursor: str | None, window_start: datetime, window_end: datetime
    ) -> CalendarChanges:
        """Every stored occurrence overlapping ``[window_start, window_end)``."""
        found = tuple(e for e in self.events if overlaps(e.start, e.end, window_start, window_end))
        return CalendarChanges(events=found, complete=True)

    def _stored(self, event: CalendarEvent) -> CalendarEvent:
        source_id = event.source_id or (
            f"{event.uid}/{event.instance}" if event.instance else event.uid
        )
        return dataclasses.replace(
            _checked(event), source_id=source_id, calendar=event.calendar or self.name
        )


def _checked(event: CalendarEvent) -> CalendarEvent:
    """``event`` with its participants read as every provider reads them (addresses checked)."""
    contacts = Contacts()

    def read(person: Participant | None) -> Participant | None:
        if person is None:
            return None
        return contacts.person(
            person.email,
            person.name,
            kind=person.kind,
            required=person.required,
            response=person.response,
        )

    organizer = read(event.organizer)
    attendees = tuple(p for p in map(read, attendee_entries(list(event.attendees))) if p)
    return dataclasses.replace(
        event, organizer=organizer, attendees=attendees, invalid_contacts=tuple(contacts.invalid)
    )


class MemoryMailbox:
    """A mailbox of raw messages kept in dicts and lists; it never sends anything.

    ``drafts`` maps draft ids to messages; ``sent`` and ``inbox`` are lists. The user's
    actions (editing, sending, deleting drafts) are performed on these directly, as the
    contract harness does. There are no version markers (``DraftRef.version`` is
    ``None``): a draft is untouched while its content fingerprint is the one written. The
    draft written is the one stored under ``DraftRef.draft_id``; other drafts with its
    Message-ID count as copies the user made, as in the local provider.
    """

    def __init__(self, address: str) -> None:
        self._address = address.strip().lower()
        self.drafts: dict[str, EmailMessage] = {}
        self.sent: list[EmailMessage] = []
        self.inbox: list[EmailMessage] = []
        self._next_id = 0

    def address(self) -> str:
        """The mailbox owner's address, lower case."""
        return self._address

    def changes(self, cursor: str | None) -> MailChanges:
        """Files can change without a trace: every pass looks at everything."""
        return MailChanges(threads=None)

    def create_draft(self, draft: DraftMessage) -> DraftRef:
        """Store ``draft`` under a new id."""
        message = _built(draft)
        self._next_id += 1
        draft_id = f"draft-{self._next_id}"
        self.drafts[draft_id] = message
        return DraftRef(draft_id, normalize_message_id(draft.message_id), draft.thread_id)

    def check_draft(self, ref: DraftRef, fingerprint: str) -> DraftCheck:
        """Untouched when the draft stored under ``ref.draft_id`` says what we wrote and no
        other draft with its Message-ID says anything else (the local provider's rules)."""
        own, others = self._own_and_copies(ref)
        if own is None:
            return DraftCheck.EDITED if others else DraftCheck.GONE
        fingerprints = {_fingerprint(self.drafts[d]) for d in (own, *others)}
        return DraftCheck.UNTOUCHED if fingerprints == {fingerprint} else DraftCheck.EDITED

    def update_draft(self, ref: DraftRef, draft: DraftMessage, fingerprint: str) -> DraftRef:
        """Replace the untouched draft in place; ``DraftChanged`` (nothing written) else."""
        message = _built(draft)
        check = self.check_draft(ref, fingerprint)
        if check is not DraftCheck.UNTOUCHED:
            raise DraftChanged(f"draft {ref.message_id} is {check.value}: left as it is")
        self.drafts[ref.draft_id] = message
        return DraftRef(
            ref.draft_id, normalize_message_id(draft.message_id), draft.thread_id or ref.thread_id
        )

    def delete_draft(self, ref: DraftRef, fingerprint: str) -> DraftRemoval:
        """Remove the draft stored under ``ref.draft_id`` if it is untouched, and nothing
        else; ``KEPT`` while it or another draft with its Message-ID is left."""
        own, others = self._own_and_copies(ref)
        if own is None:
            return DraftRemoval.KEPT if others else DraftRemoval.GONE
        if _fingerprint(self.drafts[own]) != fingerprint:
            return DraftRemoval.KEPT
        del self.drafts[own]
        return DraftRemoval.KEPT if others else DraftRemoval.REMOVED

    def read_draft(self, ref: DraftRef) -> DraftContent | None:
        """What the draft says now, or ``None`` when it is gone; of several copies with its
        id or Message-ID, the one stored last."""
        own, others = self._own_and_copies(ref)
        stored = [d for d in self.drafts if d == own or d in others]
        return parse_draft_content(self.drafts[stored[-1]]) if stored else None

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft whose Message-ID is ``message_id``, if any."""
        wanted = normalize_message_id(message_id)
        for draft_id, message in self.drafts.items():
            if _message_id(message) == wanted:
                return DraftRef(draft_id, wanted)
        return None

    def find_sent(self, ref: DraftRef) -> MailMessage | None:
        """The sent message with the draft's Message-ID, if any (``ref.draft_id`` may be
        empty)."""
        wanted = normalize_message_id(ref.message_id)
        if not wanted:
            return None
        for message in self.sent:
            if _message_id(message) == wanted:
                return _mail_message(message, "sent")
        return None

    def messages_with(self, address: str, since: datetime) -> list[MailMessage]:
        """Sent and received messages from, to or cc ``address`` dated at or after ``since``."""
        wanted = address.strip().lower()
        found: dict[str, MailMessage] = {}
        stored = [(m, "sent") for m in self.sent] + [(m, "inbox") for m in self.inbox]
        for index, (raw, folder) in enumerate(stored):
            message = _mail_message(raw, folder)
            if message.date < since:
                continue
            if wanted == message.sender or wanted in message.recipients:
                found.setdefault(message.message_id or f"#{index}", message)
        return sorted(found.values(), key=lambda m: m.date)

    def thread_messages(
        self, message_id: str, thread_id: str | None, since: datetime
    ) -> list[MailMessage]:
        """Sent and received messages since ``since`` replying to ``message_id``."""
        wanted = normalize_message_id(message_id)
        found: dict[str, MailMessage] = {}
        stored = [(m, "sent") for m in self.sent] + [(m, "inbox") for m in self.inbox]
        for index, (raw, folder) in enumerate(stored):
            message = _mail_message(raw, folder)
            if message.date >= since and wanted in (message.in_reply_to, *message.references):
                found.setdefault(message.message_id or f"#{index}", message)
        return sorted(found.values(), key=lambda m: m.date)

    def _own_and_copies(self, ref: DraftRef) -> tuple[str | None, tuple[str, ...]]:
        """The id of the draft written for ``ref`` (if still there) and the ids of the
        other drafts with its Message-ID."""
        own = ref.draft_id if ref.draft_id in self.drafts else None
        wanted = normalize_message_id(ref.message_id)
        others = tuple(
            draft_id
            for draft_id, message in self.drafts.items()
            if draft_id != own and wanted and _message_id(message) == wanted
        )
        return own, others


def _built(draft: DraftMessage) -> EmailMessage:
    """The draft as a mailbox would store it: serialised, then parsed back."""
    try:
        raw = draft_bytes(draft)
    except ValueError as error:
        raise ProviderError(f"cannot write draft {draft.message_id}: {error}") from error
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _fingerprint(message: EmailMessage) -> str:
    return parse_draft_content(message).fingerprint


def _message_id(message: EmailMessage) -> str:
    return normalize_message_id(message.get("Message-ID"))


def _mail_message(message: EmailMessage, folder: str) -> MailMessage:
    # Messages here have no delivery time to fall back on; one without a Date sorts first.
    return to_mail_message(message, folder, _EPOCH)
