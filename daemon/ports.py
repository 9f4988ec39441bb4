"""The small typed interfaces the core needs from the outside world.

Every provider (local, Google, Microsoft) and the in-memory fake of the tests implements
``CalendarSource`` and ``Mailbox``; one contract test suite holds them all to the
behaviour documented here. Errors are raised from ``daemon.errors`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    DraftContent,
    DraftMessage,
    DraftRef,
    MailMessage,
)

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Injected everywhere; nothing reads the wall clock."""


def system_clock() -> datetime:
    """The machine's time, timezone-aware: the ``Clock`` the program runs with."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class CalendarChanges:
    """What a calendar reports since ``cursor``.

    When ``complete`` is true, ``events`` is every event overlapping the requested window
    and anything tracked in that window but absent has been removed. Otherwise ``events``
    are changes only and ``removed`` lists the ``source_id`` of deleted events.
    ``cursor`` is handed back on the next call (``None`` for sources without one).
    """

    events: tuple[CalendarEvent, ...]
    complete: bool
    removed: tuple[str, ...] = ()
    cursor: str | None = None
    problems: tuple[str, ...] = ()  # entries skipped as unreadable, one line each


class CalendarSource(Protocol):
    """A calendar the user's interviews are found in."""

    def changes(
        self, cursor: str | None, window_start: datetime, window_end: datetime
    ) -> CalendarChanges:
        """Events overlapping ``[window_start, window_end)``, or the changes since ``cursor``.

        Recurring events are expanded into occurrences. Raises ``CursorExpired`` when the
        cursor is too old (the caller retries with ``None``), ``AuthorizationNeeded``,
        ``TransientError`` or ``SourceUnreadable``.
        """
        ...


@dataclass(frozen=True)
class MailChanges:
    """Which threads changed in a mailbox since ``cursor`` (Gmail history, Graph delta).

    ``threads`` holds the ids of changed threads (conversations) and may also hold ids of
    changed messages or drafts (a deleted draft is known only by its id). It is ``None``
    when the provider cannot tell (no cursor yet, cursor expired, or a provider without
    change tracking): then anything may have changed.
    """

    threads: frozenset[str] | None
    cursor: str | None = None


class DraftCheck(StrEnum):
    """Whether a draft is still exactly the one the program wrote."""

    UNTOUCHED = "untouched"  # still a draft, the very version we wrote
    EDITED = "edited"  # still a draft, but changed (or another copy with its Message-ID)
    GONE = "gone"  # no longer a draft (sent or deleted)


class DraftRemoval(StrEnum):
    """What ``Mailbox.delete_draft`` did."""

    REMOVED = "removed"  # the untouched draft was removed and no copy of it is left
    GONE = "gone"  # it was no longer a draft; nothing was done
    KEPT = "kept"  # it (or another copy with its Message-ID) was changed: nothing of that removed


class Mailbox(Protocol):
    """The user's mailbox: drafts are written here and sent mail and replies read.

    A draft counts as *untouched* when its version marker (``DraftRef.version``) is the
    one the program last wrote, where the provider has such markers; otherwise when its
    content fingerprint (``DraftContent.fingerprint``) is the one the program wrote. Only
    an untouched draft is ever updated or deleted.
    """

    def address(self) -> str:
        """The mailbox owner's address, lower case."""
        ...

    def changes(self, cursor: str | None) -> MailChanges:
        """The threads changed since ``cursor`` and the cursor to pass next time.

        An expired cursor is not an error: the answer is then ``threads=None``.
        """
        ...

    def create_draft(self, draft: DraftMessage) -> DraftRef:
        """Store ``draft`` as an unsent draft and return where it lives. Never sends."""
        ...

    def check_draft(self, ref: DraftRef, fingerprint: str) -> DraftCheck:
        """Whether the draft at ``ref`` is untouched (see the class), edited, or gone.

        ``fingerprint`` is the content fingerprint the program wrote; it decides where
        the provider has no version marker or ``ref.version`` is unknown.
        """
        ...

    def update_draft(self, ref: DraftRef, draft: DraftMessage, fingerprint: str) -> DraftRef:
        """Replace the untouched draft at ``ref`` with ``draft``, in one step.

        There is never a moment with two drafts or none. The returned ref carries the new
        version marker. A draft that is not untouched (``check_draft``) raises
        ``DraftChanged`` and nothing is written: it is never overwritten nor recreated.
        """
        ...

    def delete_draft(self, ref: DraftRef, fingerprint: str) -> DraftRemoval:
        """Remove the draft at ``ref`` if it is untouched, and nothing else.

        Only the exact draft the program wrote is removed; a draft that was changed, and
        any other copy carrying its Message-ID, is left where it is (``KEPT``).
        """
        ...

    def read_draft(self, ref: DraftRef) -> DraftContent | None:
        """What the draft at ``ref`` says now, or ``None`` when it is no longer a draft."""
        ...

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft whose Message-ID is ``message_id``, if any, with its version marker.

        This is how a crash, a concurrent process or a lost database is reconciled.
        """
        ...

    def find_sent(self, ref: DraftRef) -> MailMessage | None:
        """The sent message that the draft at ``ref`` became, if the user sent it.

        ``ref.draft_id`` may be empty: then the sent message is looked up by
        ``ref.message_id`` alone.
        """
        ...

    def messages_with(self, address: str, since: datetime) -> list[MailMessage]:
        """Messages from or to ``address`` received or sent at or after ``since``."""
        ...

    def thread_messages(
        self, message_id: str, thread_id: str | None, since: datetime
    ) -> list[MailMessage]:
        """Messages at or after ``since`` in the thread of ``message_id``.

        That is every received or sent message whose In-Reply-To or References names
        ``message_id``, or, where the provider has threads, whose thread is ``thread_id``.
        """
        ...


# ---------------------------------------------------------------------------------------------
# An opened account: the two ports of one configured account
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A configured account with its opened calendar and mailbox."""

    name: str
    provider: str
    calendar: CalendarSource
    mailbox: Mailbox
    close: Callable[[], None] = lambda: None  # releases the provider's connections


@dataclass(frozen=True)
class Unavailable:
    """An account that could not be opened this pass, and why."""

    name: str
    provider: str
    error: str
    needs_auth: bool = False


# ---------------------------------------------------------------------------------------------
# The index of a Maildir's headers (issue 11): lookups instead of scans
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexedFile:
    """One message file of a Maildir folder as the index last saw it.

    ``name`` is the file's path inside its folder (``cur/KEY:2,S``); the file counts as
    unchanged while its size, modification time and inode are the same.
    """

    name: str
    size: int
    mtime_ns: int
    inode: int


@dataclass(frozen=True)
class IndexEntry:
    """A message file and what its header says; ``message`` is ``None`` when it cannot be
    read (it is then passed over until the file changes)."""

    file: IndexedFile
    trashed: bool
    message: MailMessage | None


@dataclass(frozen=True)
class FolderChanges:
    """What changed in one folder since the index last saw it, applied in this order:
    ``removed`` (names), ``moved`` (old name, the file under its new name, whether it is
    trashed now: a rename such as a flag change, with nothing re-read), ``added`` (files
    the index does not hold: a changed file is removed and added again)."""

    removed: tuple[str, ...] = ()
    moved: tuple[tuple[str, IndexedFile, bool], ...] = ()
    added: tuple[IndexEntry, ...] = ()


@dataclass(frozen=True)
class IndexedMessage:
    """A message found in the index, with the folder and file it is in."""

    folder: str
    name: str
    message: MailMessage


class MessageIndex(Protocol):
    """The headers that matter of one account's Maildir folders, kept between passes.

    Folders are named by their path. An index holds no message bodies, only what
    ``MailMessage`` says (with the headers the core reads). Lookups never answer with
    trashed or unreadable files, and never load the whole index; what they return may
    include more than was asked (the caller checks), never less. Raises ``StorageError``
    when the place it is kept in fails.
    """

    def files(self, folder: str) -> dict[str, IndexedFile]:
        """Every file of ``folder`` the index holds, by name."""
        ...

    def apply(self, folder: str, kind: str, changes: FolderChanges) -> None:
        """Record ``changes`` of ``folder`` (of ``kind``: "inbox" or "sent"), all or nothing."""
        ...

    def retain(self, folders: Collection[str]) -> None:
        """Forget every folder but ``folders`` (say, one deleted or no longer read)."""
        ...

    def with_address(self, address: str, since: datetime) -> list[IndexedMessage]:
        """Messages from, to or cc ``address`` (lower case) dated at or after ``since``."""
        ...

    def referring_to(self, message_id: str, since: datetime) -> list[IndexedMessage]:
        """Messages dated at or after ``since`` whose In-Reply-To or References names
        ``message_id``."""
        ...

    def with_message_id(self, message_id: str, folder: str) -> list[IndexedMessage]:
        """Messages of ``folder`` whose Message-ID is ``message_id``."""
        ...


IndexFactory = Callable[[str], MessageIndex]
"""Gives the ``MessageIndex`` of the account with the given name (``Store.message_index``)."""
