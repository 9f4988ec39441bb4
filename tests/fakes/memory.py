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

from daemon.domain.mime import (
    draft_bytes,
    normalize_message_id,
    parse_draft_content,
    to_mail_message,
)
from daemon.domain.model import CalendarEvent, DraftContent, DraftMessage, DraftRef, MailMessage
from daemon.errors import ProviderError
from daemon.ports import CalendarChanges, MailChanges

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
        return dataclasses.replace(event, source_id=source_id, calendar=event.calendar or self.name)


class MemoryMailbox:
    """A mailbox of raw messages kept in dicts and lists; it never sends anything.

    ``drafts`` maps draft ids to messages; ``sent`` and ``inbox`` are lists. The user's
    actions (editing, sending, deleting drafts) are performed on these directly, as the
    contract harness does.
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

    def update_draft(self, ref: DraftRef, draft: DraftMessage) -> DraftRef:
        """Replace the draft in place; raises ``ProviderError`` when it is gone."""
        draft_id = self._find(ref)
        if draft_id is None:
            raise ProviderError(f"draft {ref.message_id} is no longer in the mailbox")
        self.drafts[draft_id] = _built(draft)
        return DraftRef(
            draft_id, normalize_message_id(draft.message_id), draft.thread_id or ref.thread_id
        )

    def delete_draft(self, ref: DraftRef) -> None:
        """Remove the draft; a draft already gone is no error."""
        draft_id = self._find(ref)
        if draft_id is not None:
            del self.drafts[draft_id]

    def read_draft(self, ref: DraftRef) -> DraftContent | None:
        """What the draft says now, or ``None`` when it is gone."""
        draft_id = self._find(ref)
        return None if draft_id is None else parse_draft_content(self.drafts[draft_id])

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft whose Message-ID is ``message_id``, if any."""
        wanted = normalize_message_id(message_id)
        for draft_id, message in self.drafts.items():
            if _message_id(message) == wanted:
                return DraftRef(draft_id, wanted)
        return None

    def find_sent(self, ref: DraftRef) -> MailMessage | None:
        """The sent message with the draft's Message-ID, if any."""
        wanted = normalize_message_id(ref.message_id)
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

    def _find(self, ref: DraftRef) -> str | None:
        if ref.draft_id in self.drafts:
            return ref.draft_id
        found = self.find_draft(ref.message_id)
        return None if found is None else found.draft_id


def _built(draft: DraftMessage) -> EmailMessage:
    """The draft as a mailbox would store it: serialised, then parsed back."""
    try:
        raw = draft_bytes(draft)
    except ValueError as error:
        raise ProviderError(f"cannot write draft {draft.message_id}: {error}") from error
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _message_id(message: EmailMessage) -> str:
    return normalize_message_id(message.get("Message-ID"))


def _mail_message(message: EmailMessage, folder: str) -> MailMessage:
    # Messages here have no delivery time to fall back on; one without a Date sorts first.
    return to_mail_message(message, folder, _EPOCH)
