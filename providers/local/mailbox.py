"""A local mailbox: a Maildir inbox with Maildir++ ``.Drafts`` and ``.Sent`` folders.

Drafts are written atomically (``tmp/`` then a rename into ``cur/``) with the Maildir flag
``D``. Mail clients rename a file when they change its flags and write a new file when the
user edits a draft, so a draft is found by its Maildir key first and by its Message-ID
after that. A message flagged ``T`` (trashed) counts as gone. Nothing here sends mail or
touches a network.
"""

from __future__ import annotations

import email.parser
import email.policy
import mailbox
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from daemon.domain.mime import (
    draft_bytes,
    normalize_message_id,
    parse_draft_content,
    to_mail_message,
)
from daemon.domain.model import DraftContent, DraftMessage, DraftRef, MailMessage
from daemon.errors import ProviderError, SourceUnreadable
from daemon.ports import MailChanges

_POLICY = email.policy.default
_INFO = ":2,"
# Maildir++ folders whose messages are neither received mail nor sent mail.
_SKIPPED_FOLDERS = frozenset(
    {
        "drafts",
        "sent",
        "sent items",
        "sent messages",
        "sent mail",
        "trash",
        "deleted",
        "deleted items",
        "deleted messages",
        "junk",
        "junk e-mail",
        "junk email",
        "spam",
        "bulk mail",
    }
)


@dataclass(frozen=True)
class _Entry:
    """One message file of a Maildir folder."""

    key: str
    path: Path
    flags: str

    @property
    def trashed(self) -> bool:
        return "T" in self.flags

    def mtime(self) -> datetime:
        return datetime.fromtimestamp(self.path.stat().st_mtime, tz=UTC)


class LocalMailbox:
    """``Mailbox`` over a Maildir: the inbox is ``maildir`` itself.

    ``drafts`` and ``sent`` default to the Maildir++ folders ``maildir/.Drafts`` and
    ``maildir/.Sent`` and are created when missing; a missing ``maildir`` raises
    ``SourceUnreadable`` from every method. ``draft_id`` is the Maildir key.
    """

    def __init__(
        self, address: str, maildir: Path, drafts: Path | None = None, sent: Path | None = None
    ) -> None:
        self._address = address.strip().lower()
        self.root = maildir
        self.drafts = drafts if drafts is not None else maildir / ".Drafts"
        self.sent = sent if sent is not None else maildir / ".Sent"

    def address(self) -> str:
        """The mailbox owner's address, lower case."""
        return self._address

    def changes(self, cursor: str | None) -> MailChanges:
        """Files can change without a trace: every pass looks at everything."""
        return MailChanges(threads=None)

    def create_draft(self, draft: DraftMessage) -> DraftRef:
        """Write ``draft`` into the drafts folder's ``cur/`` with the flag ``D``."""
        with _io_errors(self.drafts):
            key = self._folder(self.drafts).add(_maildir_message(draft, "D"))
        return DraftRef(key, normalize_message_id(draft.message_id), draft.thread_id)

    def update_draft(self, ref: DraftRef, draft: DraftMessage) -> DraftRef:
        """Replace the draft at ``ref`` in place (same key, same flags).

        Raises ``ProviderError`` when the draft is gone: a deleted draft is never recreated.
        """
        with _io_errors(self.drafts):
            box = self._folder(self.drafts)
            entry = self._find(ref)
            if entry is None:
                raise ProviderError(f"draft {ref.message_id} is no longer in {self.drafts}")
            try:
                box[entry.key] = _maildir_message(draft, entry.flags)
            except KeyError as error:
                raise ProviderError(f"draft {ref.message_id} vanished while updating") from error
        return DraftRef(
            entry.key, normalize_message_id(draft.message_id), draft.thread_id or ref.thread_id
        )

    def delete_draft(self, ref: DraftRef) -> None:
        """Remove every file of the draft at ``ref``; a draft already gone is no error."""
        wanted = normalize_message_id(ref.message_id)
        with _io_errors(self.drafts):
            self._folder(self.drafts)
            for entry in _entries(self.drafts):
                if entry.key == ref.draft_id or _message_id(entry) == wanted:
                    entry.path.unlink(missing_ok=True)

    def read_draft(self, ref: DraftRef) -> DraftContent | None:
        """What the draft says now, or ``None`` when it is gone or trashed."""
        with _io_errors(self.drafts):
            self._folder(self.drafts)
            for _attempt in range(2):  # a client may rename the file while we read it
                entry = self._find(ref)
                if entry is None:
                    return None
                try:
                    return parse_draft_content(_read_message(entry.path))
                except FileNotFoundError:
                    continue
        return None

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The untrashed draft whose Message-ID is ``message_id``, if any."""
        wanted = normalize_message_id(message_id)
        with _io_errors(self.drafts):
            self._folder(self.drafts)
            for entry in _entries(self.drafts):
                if not entry.trashed and _message_id(entry) == wanted:
                    return DraftRef(entry.key, wanted)
        return None

    def find_sent(self, ref: DraftRef) -> MailMessage | None:
        """The message in the sent folder with the draft's Message-ID, if any."""
        wanted = normalize_message_id(ref.message_id)
        with _io_errors(self.sent):
            self._folder(self.sent)
            for entry in _entries(self.sent):
                if entry.trashed:
                    continue
                message = _mail_message(entry, "sent")
                if message is not None and message.message_id == wanted:
                    return message
        return None

    def messages_with(self, address: str, since: datetime) -> list[MailMessage]:
        """Messages in the inbox, its other folders and the sent folder from, to or cc
        ``address`` dated at or after ``since`` (one per Message-ID)."""
        wanted = address.strip().lower()
        return self._scan(since, lambda m: wanted == m.sender or wanted in m.recipients)

    def thread_messages(
        self, message_id: str, thread_id: str | None, since: datetime
    ) -> list[MailMessage]:
        """Received and sent messages since ``since`` that refer to ``message_id``.

        Maildir has no thread ids; threads are followed through In-Reply-To/References.
        """
        wanted = normalize_message_id(message_id)
        return self._scan(since, lambda m: wanted in (m.in_reply_to, *m.references))

    def _scan(self, since: datetime, matches: Callable[[MailMessage], bool]) -> list[MailMessage]:
        """Messages of the reading folders dated at or after ``since`` that ``matches``
        accepts, one per Message-ID, oldest first."""
        found: dict[str, MailMessage] = {}
        for folder, kind in self._reading_folders():
            with _io_errors(folder):
                for entry in _entries(folder):
                    message = None if entry.trashed else _mail_message(entry, kind)
                    if message is not None and message.date >= since and matches(message):
                        found.setdefault(message.message_id or str(entry.path), message)
        return sorted(found.values(), key=lambda m: m.date)

    def _reading_folders(self) -> list[tuple[Path, str]]:
        """The sent folder, then the inbox and its Maildir++ folders of received mail."""
        with _io_errors(self.root):
            self._folder(self.sent)
            own = {self.drafts.resolve(), self.sent.resolve()}
            extra = [
                p
                for p in sorted(self.root.iterdir())
                if p.name.startswith(".")
                and (p / "cur").is_dir()
                and p.resolve() not in own
                and not _skipped(p.name)
            ]
        return [(self.sent, "sent"), (self.root, "inbox"), *((p, "inbox") for p in extra)]

    def _find(self, ref: DraftRef) -> _Entry | None:
        """The draft by key, else the newest untrashed draft with the ref's Message-ID."""
        entries = [e for e in _entries(self.drafts) if not e.trashed]
        for entry in entries:
            if entry.key == ref.draft_id:
                return entry
        wanted = normalize_message_id(ref.message_id)
        matches = [e for e in entries if _message_id(e) == wanted]
        # Maildir keys begin with the time of delivery: the greatest is the newest.
        return max(matches, key=lambda e: e.key, default=None)

    def _folder(self, path: Path) -> mailbox.Maildir:
        """The Maildir at ``path``, created (with cur/new/tmp) when missing."""
        self._check_root()
        created = not (path / "cur").is_dir()
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        if created and path.parent == self.root and path.name.startswith("."):
            (path / "maildirfolder").touch()  # marks a Maildir++ sub-folder for Dovecot
        return mailbox.Maildir(path, factory=None, create=False)

    def _check_root(self) -> None:
        if not self.root.is_dir():
            raise SourceUnreadable(
                f"Maildir {self.root} does not exist: create it or fix `maildir` in the config"
            )
        if not (self.root / "cur").is_dir() or not (self.root / "new").is_dir():
            raise SourceUnreadable(f"{self.root} is not a Maildir (it has no cur/ and new/)")


@contextmanager
def _io_errors(path: Path) -> Iterator[None]:
    """Turns file-system failures into ``SourceUnreadable`` naming ``path``."""
    try:
        yield
    except OSError as error:
        raise SourceUnreadable(f"Maildir {path}: {error.strerror or error}") from error


def _skipped(folder_name: str) -> bool:
    """Whether a Maildir++ folder (``.Archive.2024``) holds no received mail."""
    return any(part.lower() in _SKIPPED_FOLDERS for part in folder_name.split(".") if part)


def _entries(folder: Path) -> list[_Entry]:
    """Every message file in ``folder``'s ``new/`` and ``cur/``."""
    entries = []
    for sub in ("new", "cur"):
        directory = folder / sub
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            if path.name.startswith("."):
                continue
            key, _, info = path.name.partition(":")
            flags = info[len("2,") :] if info.startswith("2,") else ""
            entries.append(_Entry(key, path, flags))
    return entries


def _maildir_message(draft: DraftMessage, flags: str) -> mailbox.MaildirMessage:
    """The draft as a Maildir message for ``cur/`` with ``flags`` plus ``D``, minus ``T``."""
    try:
        raw = draft_bytes(draft)
    except ValueError as error:
        raise ProviderError(f"cannot write draft {draft.message_id}: {error}") from error
    # Parsed from bytes so that the headers are stored exactly as serialised.
    message = mailbox.MaildirMessage(email.message_from_bytes(raw, policy=_POLICY))
    message.set_subdir("cur")
    message.set_flags("".join(sorted(set(flags.replace("T", "")) | {"D"})))
    message.set_date(draft.date.timestamp())
    return message


def _read_message(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        message = email.parser.BytesParser(policy=_POLICY).parse(file)
    assert isinstance(message, EmailMessage)
    return message


def _read_headers(path: Path) -> EmailMessage:
    """The header section of the message at ``path``, without reading its body."""
    lines = []
    with path.open("rb") as file:
        for line in file:
            if not line.strip(b"\r\n"):
                break
            lines.append(line)
    message = email.parser.BytesHeaderParser(policy=_POLICY).parsebytes(b"".join(lines))
    assert isinstance(message, EmailMessage)
    return message


def _message_id(entry: _Entry) -> str | None:
    """The entry's Message-ID, or ``None`` when the file vanished meanwhile."""
    try:
        return normalize_message_id(_read_headers(entry.path).get("Message-ID"))
    except FileNotFoundError:
        return None


def _mail_message(entry: _Entry, folder: str) -> MailMessage | None:
    """The entry as a ``MailMessage``, or ``None`` when the file vanished meanwhile."""
    try:
        return to_mail_message(_read_headers(entry.path), folder, entry.mtime())
    except FileNotFoundError:
        return None
