"""A local mailbox: a Maildir inbox with Maildir++ ``.Drafts`` and ``.Sent`` folders.

Drafts are written atomically (a private file in ``tmp/``, then a link into ``cur/``)
with the Maildir flag ``D``; an update writes the whole new message into ``tmp/`` and
renames it over the old file, so there is never a moment with two drafts or none.

The draft the program wrote is the file whose Maildir key is ``DraftRef.draft_id`` (with
any flags, in ``new/`` or ``cur/``). Mail clients rename a file when they change its flags
and may save an edited draft as a new file with the same Message-ID: such other copies are
read (the newest wins) but never updated or removed, and they make a draft count as
edited. Maildir has no version markers; "untouched" is decided by the content
fingerprint. A message flagged ``T`` (trashed) counts as gone. Nothing here sends mail or
touches a network.

What a message file says is a stranger's: at most ``MAX_HEADER_BYTES`` of a file's header
(``MAX_DRAFT_BYTES`` of a draft) is read and parsed, and a file the parser fails on is
passed over with a warning naming it, never failing the rest of the mailbox. A draft that
cannot be read counts as edited: it is left alone.

Received and sent mail is looked up in a ``MessageIndex`` of the headers that matter
(``_INDEXED_HEADERS``): a folder is listed (names and ``stat`` only) before a lookup, and
only new or changed files are read; a renamed file (a flag change, ``new/`` to ``cur/``)
is recognised by its inode, size and modification time and not read again. Within one
mailbox object a folder whose ``new/`` and ``cur/`` have not changed since they were
listed (and had settled then) is not even listed again; ``changes`` (called at the start
of every pass) makes the next lookup list everything. The drafts folder is always read
as it is: exactly-once depends on it.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO, TypeVar

from interview_outreach.daemon.domain.limits import MAX_HEADER_BYTES
from interview_outreach.daemon.domain.mime import (
    MAX_DRAFT_BYTES,
    draft_bytes,
    message_id_of,
    normalize_message_id,
    parse_draft_content,
    parse_message,
    to_mail_message,
)
from interview_outreach.daemon.domain.model import DraftContent, DraftMessage, DraftRef, MailMessage
from interview_outreach.daemon.errors import DraftChanged, ProviderError, SourceUnreadable
from interview_outreach.daemon.ports import (
    DraftCheck,
    DraftRemoval,
    FolderChanges,
    IndexedFile,
    IndexedMessage,
    IndexEntry,
    MailChanges,
    MessageIndex,
)
from interview_outreach.daemon.private_files import create_private, private_dir
from interview_outreach.providers.local import mail_feed
from interview_outreach.providers.local.files import SETTLING_NS, regular_file
from interview_outreach.providers.local.message_index import MemoryMessageIndex

log = logging.getLogger(__name__)

_Read = TypeVar("_Read")
_Unreadable = TypeVar("_Unreadable")

_INFO = ":2,"
_ATTEMPTS = 3  # looks at a file a mail client may be renaming meanwhile
_COUNTER = itertools.count()
_KEY_TIME = re.compile(r"(\d+)\.(?:M(\d+))?")
_OUR_TEMP = re.compile(r"(\d+)\.M\d+P\d+Q\d+R[0-9a-f]{8}\..*")  # see _unique_name
_STALE_TEMP_SECONDS = 36 * 3600
_UNREADABLE = "unreadable"  # the fingerprint of a draft that cannot be read: nobody's
# A directory changed this recently may change again within the same tick of its coarse
# modification time: it is listed again rather than trusted to be unchanged. Times in whole
# seconds betray a coarse file system (files.SETTLING_NS); others tick every few ms.
_SETTLE_FINE_NS = 100_000_000
# The headers an index keeps of a message: those the core reads (addresses, threading,
# the markers of ``daemon.domain.replies.automatic_marker``) and a few that describe it.
_INDEXED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
        "content-type",
        "auto-submitted",
        "x-autoreply",
        "x-autorespond",
        "precedence",
    }
)
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


@dataclass(frozen=True)
class _Found:
    """What the drafts folder holds for one ref: the file we wrote and other copies."""

    check: DraftCheck
    own: _Entry | None  # the untrashed file whose key is the ref's draft id
    others: tuple[_Entry, ...]  # other untrashed files with that key or Message-ID
    own_fingerprint: str | None = None
    own_stat: os.stat_result | None = None


class LocalMailbox:
    """``Mailbox`` over a Maildir: the inbox is ``maildir`` itself.

    ``drafts`` and ``sent`` default to the Maildir++ folders ``maildir/.Drafts`` and
    ``maildir/.Sent`` and are created when missing; a missing ``maildir`` raises
    ``SourceUnreadable`` from every method. ``draft_id`` is the Maildir key.

    ``index`` keeps the headers of received and sent mail (see the module); without one,
    an index in memory lives as long as this object.
    """

    def __init__(
        self,
        address: str,
        maildir: Path,
        drafts: Path | None = None,
        sent: Path | None = None,
        index: MessageIndex | None = None,
    ) -> None:
        self._address = address.strip().lower()
        self.root = maildir
        self.drafts = drafts if drafts is not None else maildir / ".Drafts"
        self.sent = sent if sent is not None else maildir / ".Sent"
        self._index: MessageIndex = index if index is not None else MemoryMessageIndex()
        self._folders: list[tuple[Path, str]] | None = None  # the reading folders
        # When the root and each folder's new/ and cur/ were listed: stamps, and settled.
        self._root_listed: tuple[tuple[int, ...], bool] | None = None
        self._listed: dict[Path, tuple[tuple[int, ...], bool]] = {}
        # Draft files read by this object: (path, identity) → Message-ID. A file that
        # changed in any way has a new identity and is read again.
        self._draft_ids: dict[tuple[str, tuple[int, ...]], str | None] = {}

    def address(self) -> str:
        """The mailbox owner's address, lower case."""
        return self._address

    def changes(self, cursor: str | None) -> MailChanges:
        """The drafts changed since ``cursor`` (by Maildir key), or ``threads=None`` when
        a folder of received or sent mail changed (see ``mail_feed``).

        The next lookup lists every folder again and compares each file with the index.
        """
        self._folders = None
        self._root_listed = None
        self._listed.clear()
        try:
            with _io_errors(self.root):
                self._check_root()
                folders = {
                    str(folder): list(_stamps(folder, ("", "new", "cur")))
                    for folder, _kind in self._reading_folders()
                }
                drafts = {
                    name: [file.size, file.mtime_ns, file.inode]
                    for name, (file, _trashed) in _listing(self.drafts).items()
                }
                now = mail_feed.look(folders, drafts)
        except SourceUnreadable:
            return MailChanges(threads=None)  # the lookups that follow say what is wrong
        before = mail_feed.FeedState.decode(cursor)
        threads = mail_feed.changed_drafts(before, now) if before is not None else None
        return MailChanges(threads=threads, cursor=now.encode())

    def create_draft(self, draft: DraftMessage) -> DraftRef:
        """Write ``draft`` into the drafts folder's ``cur/`` with the flag ``D``.

        The file is written in ``tmp/`` (mode 0600) and then linked into ``cur/``, so a
        draft is either there complete or not at all.
        """
        with self._staged(draft) as temp:
            key = _publish(temp, self.drafts / "cur", f"{_INFO}D")
        _sync_directory(self.drafts / "cur")
        # Maildir has no threads: a thread is known by its first message's Message-ID.
        message_id = normalize_message_id(draft.message_id)
        return DraftRef(key, message_id, draft.thread_id or message_id)

    def check_draft(self, ref: DraftRef, fingerprint: str) -> DraftCheck:
        """Whether the file written for ``ref`` (its Maildir key) is untouched.

        ``GONE`` when neither that file nor any untrashed draft with the ref's Message-ID
        is left; ``UNTOUCHED`` when that very file still says what we wrote and no other
        copy with its Message-ID says anything else; ``EDITED`` otherwise (a copy saved
        under another name cannot be told apart from a copy the user made).
        """
        with _io_errors(self.drafts):
            self._folder(self.drafts)
            return self._inspect(ref, fingerprint).check

    def update_draft(self, ref: DraftRef, draft: DraftMessage, fingerprint: str) -> DraftRef:
        """Replace the untouched file of ``ref`` in one step (same key, same flags).

        The new message is written completely into ``tmp/`` and renamed over the old file,
        so there is never a moment with two drafts or none. Raises ``DraftChanged`` and
        writes nothing when the draft is not untouched (``check_draft``), gone included.
        """
        with self._staged(draft) as temp:
            entry = self._replace_untouched(ref, fingerprint, temp)
        return DraftRef(
            entry.key, normalize_message_id(draft.message_id), draft.thread_id or ref.thread_id
        )

    def delete_draft(self, ref: DraftRef, fingerprint: str) -> DraftRemoval:
        """Remove the file written for ``ref`` if it is untouched, and nothing else.

        Other files with the ref's Message-ID (copies a mail client saved) are never
        removed: while one is left the answer is ``KEPT``, as it is when our own file was
        changed. ``GONE`` when there was nothing left to remove.
        """
        with _io_errors(self.drafts):
            self._folder(self.drafts)
            for _attempt in range(_ATTEMPTS):
                found = self._inspect(ref, fingerprint)
                if found.check is DraftCheck.GONE:
                    return DraftRemoval.GONE
                if found.own is None or found.own_fingerprint != fingerprint:
                    return DraftRemoval.KEPT  # only copies of it are left, or it was changed
                if not _unchanged(found.own.path, found.own_stat):
                    continue  # changed since it was read: look again
                try:
                    found.own.path.unlink()
                except FileNotFoundError:
                    continue  # renamed meanwhile (a flag change): look again
                _sync_directory(found.own.path.parent)
                return DraftRemoval.KEPT if self._copies(ref) else DraftRemoval.REMOVED
        return DraftRemoval.KEPT  # it kept changing under us: leave it alone

    def read_draft(self, ref: DraftRef) -> DraftContent | None:
        """What the draft says now, or ``None`` when it is gone or trashed.

        Of several untrashed files with the ref's key or Message-ID the newest is read
        (Maildir keys begin with the time of delivery): a copy a client saved after
        editing is what the user sees. Of a file that cannot be read, what could be read
        (its header alone, or nothing).
        """
        with _io_errors(self.drafts):
            self._folder(self.drafts)
            for _attempt in range(_ATTEMPTS):  # a client may rename the file while we read
                entry = max(self._copies(ref), key=_delivery_order, default=None)
                if entry is None:
                    return None
                nothing = DraftContent(to=(), subject="", body="")  # when nothing can be read
                content = _read_entry(entry.path, _draft_content, nothing)
                if content is not None:
                    return content
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
        """The message in the sent folder with the draft's Message-ID, if any (the key,
        possibly empty, plays no part)."""
        wanted = normalize_message_id(ref.message_id)
        with _io_errors(self.sent):
            self._folder(self.sent)
        if not wanted:
            return None
        self._refreshed(only=self.sent)
        found = self._index.with_message_id(wanted, str(self.sent))
        hits = sorted((f for f in found if f.message.message_id == wanted), key=lambda f: f.name)
        return hits[0].message if hits else None

    def messages_with(self, address: str, since: datetime) -> list[MailMessage]:
        """Messages in the inbox, its other folders and the sent folder from, to or cc
        ``address`` dated at or after ``since`` (one per Message-ID)."""
        wanted = address.strip().lower()
        return self._scan(
            since,
            lambda m: wanted == m.sender or wanted in m.recipients,
            lambda: self._index.with_address(wanted, since),
        )

    def thread_messages(
        self, message_id: str, thread_id: str | None, since: datetime
    ) -> list[MailMessage]:
        """Received and sent messages since ``since`` that refer to ``message_id``.

        Maildir has no thread ids; threads are followed through In-Reply-To/References.
        """
        wanted = normalize_message_id(message_id)
        return self._scan(
            since,
            lambda m: wanted in (m.in_reply_to, *m.references),
            lambda: self._index.referring_to(wanted, since),
        )

    def _scan(
        self,
        since: datetime,
        matches: Callable[[MailMessage], bool],
        lookup: Callable[[], list[IndexedMessage]],
    ) -> list[MailMessage]:
        """Messages of the reading folders dated at or after ``since`` that ``matches``
        accepts, of those ``lookup`` finds in the index (brought up to date first), one
        per Message-ID (the sent folder's first), oldest first."""
        folders = self._refreshed()
        rank = {str(folder): n for n, (folder, _kind) in enumerate(folders)}
        hits = [
            hit
            for hit in lookup()
            if hit.folder in rank and hit.message.date >= since and matches(hit.message)
        ]
        found: dict[str, MailMessage] = {}
        for hit in sorted(hits, key=lambda h: (rank[h.folder], h.name)):
            key = hit.message.message_id or f"{hit.folder}/{hit.name}"
            found.setdefault(key, hit.message)
        return sorted(found.values(), key=lambda m: m.date)

    def _refreshed(self, only: Path | None = None) -> list[tuple[Path, str]]:
        """The reading folders (see ``_reading_folders``), each indexed as it is now
        (``only`` that one), or ``SourceUnreadable``: a lookup never answers from an
        index that could not be brought up to date."""
        with _io_errors(self.root):
            self._check_root()
        root = self._root_listed
        if self._folders is None or root is None or not _still(self.root, root):
            started = time.time_ns()
            with _io_errors(self.root):
                stamp = _stamps(self.root, ("",))
                folders = self._reading_folders()
            self._index.retain([str(folder) for folder, _kind in folders])
            self._folders = folders
            self._root_listed = (stamp, _settled(stamp, started))
        for folder, kind in self._folders:
            if only is None or folder == only:
                with _io_errors(folder):
                    self._refresh(folder, kind)
        return self._folders

    def _refresh(self, folder: Path, kind: str) -> None:
        """Bring the index of ``folder`` up to date: read only new or changed files, in
        one step (``MessageIndex.apply``)."""
        seen = self._listed.get(folder)
        if seen is not None and _still(folder, seen, ("new", "cur")):
            return
        started = time.time_ns()
        stamp = _stamps(folder, ("new", "cur"))
        listing = _listing(folder)
        indexed = self._index.files(str(folder))
        gone = {
            name: file for name, file in indexed.items() if listing.get(name, (None,))[0] != file
        }
        by_identity = {(f.size, f.mtime_ns, f.inode): name for name, f in gone.items()}
        moved: list[tuple[str, IndexedFile, bool]] = []
        added: list[IndexEntry] = []
        for name, (file, trashed) in listing.items():
            if indexed.get(name) == file:
                continue
            old = by_identity.pop((file.size, file.mtime_ns, file.inode), None)
            if old is not None:  # renamed (a flag change, new/ to cur/): nothing to read
                moved.append((old, file, trashed))
                del gone[old]
                continue
            entry = _index_entry(folder, file, trashed, kind)
            if entry is not None:
                added.append(entry)
        if gone or moved or added:
            self._index.apply(
                str(folder), kind, FolderChanges(tuple(gone), tuple(moved), tuple(added))
            )
        self._listed[folder] = (stamp, _settled(stamp, started))

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

    def _copies(self, ref: DraftRef) -> list[_Entry]:
        """Every untrashed draft file with the ref's key or its Message-ID."""
        wanted = normalize_message_id(ref.message_id)
        return [
            entry
            for entry in _entries(self.drafts)
            if not entry.trashed
            and (
                (ref.draft_id and entry.key == ref.draft_id)
                or (wanted and self._draft_message_id(entry) == wanted)
            )
        ]

    @contextmanager
    def _staged(self, draft: DraftMessage) -> Iterator[Path]:
        """``draft`` written completely into the drafts folder's ``tmp/`` (mode 0600), for
        the block to publish; the temporary file is removed when the block ends, and
        file-system failures within raise ``SourceUnreadable``."""
        raw = _raw(draft)
        with _io_errors(self.drafts):
            self._folder(self.drafts)
            _sweep_temp(self.drafts)
            temp = _write_temp(self.drafts, raw, draft.date.timestamp())
            try:
                yield temp
            finally:
                temp.unlink(missing_ok=True)

    def _draft_message_id(self, entry: _Entry) -> str | None:
        """``_message_id(entry)``, read once per version of the file: each check of a
        draft looks at every other draft's Message-ID, and a pass checks every draft."""
        try:
            identity = _identity(entry.path.stat())
        except FileNotFoundError:
            return None
        key = (str(entry.path), identity)
        if key not in self._draft_ids:
            self._draft_ids[key] = _message_id(entry)
        return self._draft_ids[key]

    def _inspect(self, ref: DraftRef, fingerprint: str) -> _Found:
        """The file written for ``ref``, the other copies of it, and what they say."""
        for _attempt in range(_ATTEMPTS):  # a client may rename a file while we read it
            copies = self._copies(ref)
            ours = sorted(
                (e for e in copies if ref.draft_id and e.key == ref.draft_id),
                key=lambda e: (e.path.parent.name, e.path.name),  # cur/ before new/
            )
            own = ours[0] if ours else None
            others = tuple(e for e in copies if e is not own)
            if own is None:
                return _Found(DraftCheck.EDITED if others else DraftCheck.GONE, None, others)
            unreadable = _Found(DraftCheck.EDITED, None, others)  # left alone
            read = _read_entry(own.path, _fingerprint_with_stat, unreadable)
            if read is None:
                continue
            if isinstance(read, _Found):
                return read
            own_fingerprint, stat = read
            check = DraftCheck.UNTOUCHED
            if own_fingerprint != fingerprint or any(
                _fingerprint(other) not in {fingerprint, None} for other in others
            ):
                check = DraftCheck.EDITED
            return _Found(check, own, others, own_fingerprint, stat)
        # Renamed on every look: it exists but keeps changing, so it is not ours to touch.
        return _Found(DraftCheck.EDITED, None, ())

    def _replace_untouched(self, ref: DraftRef, fingerprint: str, temp: Path) -> _Entry:
        """Rename ``temp`` over the untouched file of ``ref``; ``DraftChanged`` otherwise."""
        for _attempt in range(_ATTEMPTS):
            found = self._inspect(ref, fingerprint)
            if found.check is not DraftCheck.UNTOUCHED or found.own is None:
                raise DraftChanged(
                    f"draft {ref.message_id} in {self.drafts} is "
                    f"{'no longer there' if found.check is DraftCheck.GONE else 'changed'}: "
                    "it is left as it is"
                )
            own = found.own
            if not _unchanged(own.path, found.own_stat):
                continue  # changed (or renamed) since it was read: look again
            # One rename: the old file is replaced by the complete new one, same name.
            os.replace(temp, own.path)  # noqa: PTH105 - the one atomic step
            wanted = own.path.parent.parent / "cur" / f"{own.key}{_INFO}{_draft_flags(own.flags)}"
            if wanted != own.path:  # in new/ or without the flag D: move it to cur/, with D
                own.path.rename(wanted)
            _sync_directory(wanted.parent)
            if wanted.parent != own.path.parent:
                _sync_directory(own.path.parent)
            return _Entry(own.key, wanted, _draft_flags(own.flags))
        raise DraftChanged(f"draft {ref.message_id} in {self.drafts} keeps changing: left as it is")

    def _folder(self, path: Path) -> None:
        """Make sure the Maildir at ``path`` exists (with cur/new/tmp)."""
        self._check_root()
        created = not (path / "cur").is_dir()
        for sub in ("cur", "new", "tmp"):
            private_dir(path / sub)
        if created and path.parent == self.root and path.name.startswith("."):
            create_private(path / "maildirfolder")  # marks a Maildir++ sub-folder for Dovecot

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
    """Every message file in ``folder``'s ``new/`` and ``cur/``.

    Only regular files count: a directory, a FIFO or a device there (or a link to one, or
    to anything outside the folder) is passed over, never opened, so it cannot fail or
    hang the pass.
    """
    entries = []
    inside = folder.resolve()
    for sub in ("new", "cur"):
        directory = folder / sub
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            if path.name.startswith(".") or not regular_file(path, inside):
                continue
            key, _, info = path.name.partition(":")
            flags = info[len("2,") :] if info.startswith("2,") else ""
            entries.append(_Entry(key, path, flags))
    return entries


def _stamps(folder: Path, subs: tuple[str, ...]) -> tuple[int, ...]:
    """The modification times of ``folder``'s sub-directories ``subs`` (-1: none there)."""
    stamps = []
    for sub in subs:
        try:
            stamps.append((folder / sub).stat().st_mtime_ns if sub else folder.stat().st_mtime_ns)
        except (FileNotFoundError, NotADirectoryError):
            stamps.append(-1)
    return tuple(stamps)


def _settled(stamps: tuple[int, ...], listed_at: int) -> bool:
    """Whether directories with these modification times, listed at ``listed_at`` (ns),
    cannot have changed since without changing their modification time."""
    return all(
        stamp < listed_at - (_SETTLE_FINE_NS if stamp % 1_000_000_000 else SETTLING_NS)
        for stamp in stamps
    )


def _still(folder: Path, seen: tuple[tuple[int, ...], bool], subs: tuple[str, ...] = ("",)) -> bool:
    """Whether ``folder`` is as it was listed (``seen``: its stamps then, and whether they
    had settled): then nothing was added, removed or renamed in it since."""
    stamps, settled = seen
    return settled and _stamps(folder, subs) == stamps


def _listing(folder: Path) -> dict[str, tuple[IndexedFile, bool]]:
    """Every message file in ``folder``'s ``new/`` and ``cur/`` by name (``cur/KEY:2,S``),
    with whether it is trashed, from the directory entries and one ``stat`` each.

    Only regular files count, as in ``_entries``; a file that vanishes meanwhile is left
    out.
    """
    found: dict[str, tuple[IndexedFile, bool]] = {}
    inside: Path | None = None
    for sub in ("new", "cur"):
        try:
            scanner = os.scandir(folder / sub)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with scanner:
            for item in scanner:
                if item.name.startswith("."):
                    continue
                try:
                    if item.is_symlink():
                        inside = inside or folder.resolve()
                        if not regular_file(Path(item.path), inside):
                            continue
                        stat = os.stat(item.path)  # noqa: PTH116 - the path is a str
                    elif item.is_file(follow_symlinks=False):
                        stat = item.stat(follow_symlinks=False)
                    else:
                        continue
                except OSError:  # vanished meanwhile, or nothing that can be read
                    continue
                name = f"{sub}/{item.name}"
                _key, _, info = item.name.partition(":")
                flags = info[len("2,") :] if info.startswith("2,") else ""
                file = IndexedFile(name, stat.st_size, stat.st_mtime_ns, stat.st_ino)
                found[name] = (file, "T" in flags)
    return found


def _index_entry(folder: Path, file: IndexedFile, trashed: bool, kind: str) -> IndexEntry | None:
    """The index entry of a new or changed file (its header read), or ``None`` when it
    vanished meanwhile. A file that cannot be read is recorded as such, with a warning,
    and not read again until it changes."""
    path = folder / file.name
    fallback = datetime.fromtimestamp(file.mtime_ns / 1e9, tz=UTC)
    unreadable = IndexEntry(file, trashed, None)
    message = _read_entry(
        path, lambda p: to_mail_message(_read_headers(p), kind, fallback), unreadable
    )
    if not isinstance(message, MailMessage):
        return message  # vanished (None) or unreadable
    headers = tuple((n, v) for n, v in message.headers if n.lower() in _INDEXED_HEADERS)
    return IndexEntry(file, trashed, replace(message, headers=headers))


def _delivery_order(entry: _Entry) -> tuple[int, int, str, str]:
    """Sorts entries oldest first by their key: ``SECONDS.M<microseconds>...`` (Python,
    Dovecot) or ``SECONDS.<anything>``, then by the key and file name as text."""
    match = _KEY_TIME.match(entry.key)
    seconds, micros = (int(match[1]), int(match[2] or 0)) if match else (0, 0)
    return seconds, micros, entry.key, entry.path.name


def _sweep_temp(folder: Path) -> None:
    """Remove files this program left in ``folder/tmp`` when it was killed mid-write,
    once they are older than the 36 hours after which Maildir allows it."""
    cutoff = time.time() - _STALE_TEMP_SECONDS
    with suppress(OSError):
        for path in (folder / "tmp").iterdir():
            match = _OUR_TEMP.fullmatch(path.name)  # the name begins with its creation time
            if match and int(match[1]) < cutoff:
                path.unlink(missing_ok=True)


def _raw(draft: DraftMessage) -> bytes:
    """The draft as the bytes of a message file (LF line ends)."""
    try:
        return draft_bytes(draft)
    except ValueError as error:
        raise ProviderError(f"cannot write draft {draft.message_id}: {error}") from error


def _draft_flags(flags: str) -> str:
    """``flags`` plus ``D`` (draft), minus ``T`` (trashed), in Maildir order."""
    return "".join(sorted(set(flags.replace("T", "")) | {"D"}))


def _unique_name() -> str:
    """A Maildir unique name: delivery time first, then what makes it unique."""
    now = time.time()
    host = socket.gethostname().replace("/", r"\057").replace(":", r"\072")
    return (
        f"{int(now)}.M{int(now % 1 * 1e6):06d}P{os.getpid()}Q{next(_COUNTER)}"
        f"R{secrets.token_hex(4)}.{host}"
    )


def _write_temp(folder: Path, raw: bytes, mtime: float) -> Path:
    """``raw`` written completely and synced to a new file of ``folder/tmp`` (mode 0600)."""
    for _attempt in range(_ATTEMPTS):
        path = folder / "tmp" / _unique_name()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            os.fchmod(descriptor, 0o600)  # whatever the umask
            view = memoryview(raw)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        except BaseException:
            os.close(descriptor)
            path.unlink(missing_ok=True)
            raise
        os.close(descriptor)
        os.utime(path, (mtime, mtime))
        return path
    raise FileExistsError(f"no unique file name in {folder / 'tmp'}")


def _publish(temp: Path, directory: Path, info: str) -> str:
    """Link ``temp`` into ``directory`` under a new key; the key.

    A hard link never replaces an existing file; where links are not supported, a rename
    to a name nobody else can have does the same.
    """
    for _attempt in range(_ATTEMPTS):
        key = _unique_name()
        target = directory / f"{key}{info}"
        try:
            target.hardlink_to(temp)
        except FileExistsError:
            continue
        except PermissionError:  # file systems without hard links
            temp.rename(target)
        return key
    raise FileExistsError(f"no unique file name in {directory}")


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the file system allows it)."""
    with suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _unchanged(path: Path, stat: os.stat_result | None) -> bool:
    """Whether ``path`` is still the very file that was read with ``stat``."""
    if stat is None:
        return False
    try:
        now = path.stat()
    except FileNotFoundError:
        return False
    return _identity(now) == _identity(stat)


def _identity(stat: os.stat_result) -> tuple[int, ...]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _read_with_stat(path: Path) -> tuple[EmailMessage, os.stat_result]:
    """The message at ``path`` (``MAX_DRAFT_BYTES`` of it at most) and the status of the
    very file that was read."""
    with path.open("rb") as file:
        stat = os.fstat(file.fileno())
        data = file.read(MAX_DRAFT_BYTES)
    return _parsed(path, data), stat


def _fingerprint_with_stat(path: Path) -> tuple[str, os.stat_result]:
    """The content fingerprint of the draft at ``path`` and the status of the very file
    that was read (see :func:`_read_with_stat`)."""
    message, stat = _read_with_stat(path)
    return parse_draft_content(message).fingerprint, stat


def _fingerprint(entry: _Entry) -> str | None:
    """The content fingerprint of the entry, or ``None`` when the file vanished meanwhile
    (``_UNREADABLE``, which matches no fingerprint, when it cannot be read)."""
    return _read_entry(entry.path, lambda path: _draft_content(path).fingerprint, _UNREADABLE)


def _draft_content(path: Path) -> DraftContent:
    """What the draft at ``path`` says (``MAX_DRAFT_BYTES`` of it at most)."""
    return parse_draft_content(_read_message(path))


def _read_message(path: Path) -> EmailMessage:
    """The message at ``path``, ``MAX_DRAFT_BYTES`` of it at most."""
    with path.open("rb") as file:
        data = file.read(MAX_DRAFT_BYTES)
    return _parsed(path, data)


def _parsed(path: Path, data: bytes) -> EmailMessage:
    """``data`` of the file ``path`` parsed; only its header when its MIME structure makes
    the parser fail (say, parts nested a thousand deep)."""
    try:
        return parse_message(data)
    except Exception as error:
        log.warning("Maildir %s: only the header of this message is read: %r", path, error)
        return parse_message(data, headers_only=True)


def _read_head(file: BinaryIO) -> bytes:
    """The header at the start of ``file`` up to the empty line that ends it, at most
    ``MAX_HEADER_BYTES`` of it: no line is read further than that bound, however long."""
    lines: list[bytes] = []
    left = MAX_HEADER_BYTES
    while left > 0:
        line = file.readline(left)
        if not line.strip(b"\r\n"):  # the end of the header, or of the file
            break
        lines.append(line)
        left -= len(line)
    return b"".join(lines)


def _read_headers(path: Path) -> EmailMessage:
    """The header section of the message at ``path``, without reading its body."""
    with path.open("rb") as file:
        head = _read_head(file)
    return parse_message(head, headers_only=True)


def _read_entry(
    path: Path, read: Callable[[Path], _Read], unreadable: _Unreadable
) -> _Read | _Unreadable | None:
    """``read(path)``, or ``None`` when the message file vanished meanwhile; ``unreadable``
    when reading it raised anything but an ``OSError`` (the file is passed over with a
    warning naming it). Any other ``OSError`` is the file system failing, not the message:
    it is raised."""
    try:
        return read(path)
    except FileNotFoundError:
        return None
    except OSError:
        raise
    except Exception as error:
        log.warning("Maildir %s: message passed over, it cannot be read: %r", path, error)
        return unreadable


def _message_id(entry: _Entry) -> str | None:
    """The entry's Message-ID, or ``None`` when the file vanished meanwhile or cannot be
    read."""
    return _read_entry(entry.path, lambda path: message_id_of(_read_headers(path)), None)
