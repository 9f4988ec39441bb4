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
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO

from daemon.domain.limits import MAX_HEADER_BYTES
from daemon.domain.mime import (
    MAX_DRAFT_BYTES,
    draft_bytes,
    message_id_of,
    normalize_message_id,
    parse_draft_content,
    parse_message,
    to_mail_message,
)
from daemon.domain.model import DraftContent, DraftMessage, DraftRef, MailMessage
from daemon.errors import DraftChanged, ProviderError, SourceUnreadable
from daemon.ports import DraftCheck, DraftRemoval, MailChanges
from daemon.private_files import create_private, private_dir
from providers.local.files import regular_file

log = logging.getLogger(__name__)

_INFO = ":2,"
_ATTEMPTS = 3  # looks at a file a mail client may be renaming meanwhile
_COUNTER = itertools.count()
_KEY_TIME = re.compile(r"(\d+)\.(?:M(\d+))?")
_OUR_TEMP = re.compile(r"(\d+)\.M\d+P\d+Q\d+R[0-9a-f]{8}\..*")  # see _unique_name
_STALE_TEMP_SECONDS = 36 * 3600
_UNREADABLE = "unreadable"  # the fingerprint of a draft that cannot be read: nobody's
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
        """Write ``draft`` into the drafts folder's ``cur/`` with the flag ``D``.

        The file is written in ``tmp/`` (mode 0600) and then linked into ``cur/``, so a
        draft is either there complete or not at all.
        """
        raw = _raw(draft)
        with _io_errors(self.drafts):
            self._folder(self.drafts)
            _sweep_temp(self.drafts)
            temp = _write_temp(self.drafts, raw, draft.date.timestamp())
            try:
                key = _publish(temp, self.drafts / "cur", f"{_INFO}D")
            finally:
                temp.unlink(missing_ok=True)
            _sync_directory(self.drafts / "cur")
        return DraftRef(key, normalize_message_id(draft.message_id), draft.thread_id)

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
        raw = _raw(draft)
        with _io_errors(self.drafts):
            self._folder(self.drafts)
            _sweep_temp(self.drafts)
            temp = _write_temp(self.drafts, raw, draft.date.timestamp())
            try:
                entry = self._replace_untouched(ref, fingerprint, temp)
            finally:
                temp.unlink(missing_ok=True)
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
                try:
                    return parse_draft_content(_read_message(entry.path))
                except FileNotFoundError:
                    continue
                except OSError:
                    raise  # the file system failed, not the message
                except Exception as error:
                    _passed_over(entry.path, error)
                    return DraftContent(to=(), subject="", body="")  # nothing could be read
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

    def _copies(self, ref: DraftRef) -> list[_Entry]:
        """Every untrashed draft file with the ref's key or its Message-ID."""
        wanted = normalize_message_id(ref.message_id)
        return [
            entry
            for entry in _entries(self.drafts)
            if not entry.trashed
            and (
                (ref.draft_id and entry.key == ref.draft_id)
                or (wanted and _message_id(entry) == wanted)
            )
        ]

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
            try:
                message, stat = _read_with_stat(own.path)
                own_fingerprint = parse_draft_content(message).fingerprint
            except FileNotFoundError:
                continue
            except OSError:
                raise  # the file system failed, not the message
            except Exception as error:
                _passed_over(own.path, error)
                return _Found(DraftCheck.EDITED, None, others)  # unreadable: left alone
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


def _fingerprint(entry: _Entry) -> str | None:
    """The content fingerprint of the entry, or ``None`` when the file vanished meanwhile
    (``_UNREADABLE``, which matches no fingerprint, when it cannot be read)."""
    try:
        return parse_draft_content(_read_message(entry.path)).fingerprint
    except FileNotFoundError:
        return None
    except OSError:
        raise  # the file system failed, not the message
    except Exception as error:
        _passed_over(entry.path, error)
        return _UNREADABLE


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


def _passed_over(path: Path, error: Exception) -> None:
    """Say that the message file ``path`` is passed over because reading it raised ``error``."""
    log.warning("Maildir %s: message passed over, it cannot be read: %r", path, error)


def _message_id(entry: _Entry) -> str | None:
    """The entry's Message-ID, or ``None`` when the file vanished meanwhile or cannot be
    read."""
    try:
        return message_id_of(_read_headers(entry.path))
    except FileNotFoundError:
        return None
    except OSError:
        raise  # the file system failed, not the message
    except Exception as error:
        _passed_over(entry.path, error)
        return None


def _mail_message(entry: _Entry, folder: str) -> MailMessage | None:
    """The entry as a ``MailMessage``, or ``None`` when the file vanished meanwhile or
    cannot be read."""
    try:
        return to_mail_message(_read_headers(entry.path), folder, entry.mtime())
    except FileNotFoundError:
        return None
    except OSError:
        raise  # the file system failed, not the message
    except Exception as error:
        _passed_over(entry.path, error)
        return None
