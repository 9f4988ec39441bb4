"""The small typed interfaces the core needs from the outside world.

Every provider (local, Google, Microsoft) and the in-memory fake of the tests implements
``CalendarSource`` and ``Mailbox``; one contract test suite holds them all to the
behaviour documented here. Errors are raised from ``daemon.errors`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from daemon.domain.model import CalendarEvent, DraftContent, DraftMessage, DraftRef, MailMessage

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Injected everywhere; nothing reads the wall clock."""


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
