"""A local calendar: a vdir (a folder of ``.ics`` files, as vdirsyncer and khal keep it)
or a single ``.ics`` file."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

from interview_outreach.daemon.domain.model import CalendarEvent, UserIdentity
from interview_outreach.daemon.errors import SourceUnreadable
from interview_outreach.daemon.ports import CalendarChanges
from interview_outreach.providers.local.files import read_at_most, regular_file
from interview_outreach.providers.local.read_state import MARGIN, FileReading, FileStamp, ReadState
from interview_outreach.providers.local.reading import IcsReading, overlaps

# One vdir file holds one event or series: a few KiB, a few MiB with attachments inline.
MAX_VDIR_FILE_BYTES = 4 * 1024 * 1024
# A calendar kept as one file (an export) holds years of events.
MAX_CALENDAR_BYTES = 64 * 1024 * 1024


class LocalCalendar:
    """``CalendarSource`` over a vdir or one ``.ics`` file.

    A vdir's own ``.ics`` files belong to the collection ``name``; sub-folders one level
    down are collections of their own, named by their ``displayname`` file or folder name.
    Without a cursor every file is read (``complete=True``); with one, only the files that
    changed or are due (see ``read_state``), and the events of a changed or deleted file
    that are no longer there are reported removed. A file, or an event in a file, that
    cannot be read is skipped and named in ``problems``, whatever went wrong; the rest is
    still read, and nothing that file held is taken as removed. Only a missing or
    unlistable path raises ``SourceUnreadable`` (and a single-file calendar that is no
    iCalendar at all).
    """

    def __init__(self, path: Path, user: UserIdentity, name: str = "local") -> None:
        self.path = path
        self.user = user
        self.name = name

    def changes(
        self, cursor: str | None, window_start: datetime, window_end: datetime
    ) -> CalendarChanges:
        """Events overlapping ``[window_start, window_end)`` of the files read this time."""
        previous = ReadState.decode(cursor)
        before = previous or ReadState()
        state = ReadState()
        events: list[CalendarEvent] = []
        problems: list[str] = []
        for name, file, collection, stamp in self._listing():
            if previous is not None and previous.fresh(name, stamp, collection, window_end):
                state.files[name] = previous.files[name]
                continue
            known = before.files.get(name)
            try:
                reading = self._read(file, collection, window_start, window_end + MARGIN)
            except FileNotFoundError:
                if file == self.path:
                    raise SourceUnreadable(f"calendar {self.path} does not exist") from None
                continue  # removed by a sync between listing and reading
            except SourceUnreadable as error:
                if file == self.path:
                    raise  # a single-file calendar that is no iCalendar at all
                problems.append(str(error))
                state.files[name] = _unread(known, stamp, collection, window_end)
                continue
            problems.extend(reading.problems)
            events.extend(
                e for e in reading.events if overlaps(e.start, e.end, window_start, window_end)
            )
            state.files[name] = _as_read(reading, known, stamp, collection, window_end)
        return CalendarChanges(
            events=tuple(events),
            complete=previous is None,
            removed=_removed(before, state, window_start) if previous is not None else (),
            cursor=state.encode(),
            problems=tuple(problems),
        )

    def _listing(self) -> list[tuple[str, Path, str, FileStamp]]:
        """Each file to read: its name in the state, path, collection and stamp."""
        if self.path.is_file():
            try:
                return [("", self.path, self.name, FileStamp.of(self.path.stat()))]
            except FileNotFoundError as error:
                raise SourceUnreadable(f"calendar {self.path} does not exist") from error
        listing = []
        for file, collection in self._files():
            try:
                stamp = FileStamp.of(file.stat())
            except OSError:
                continue  # gone since it was listed
            listing.append((str(file.relative_to(self.path)), file, collection, stamp))
        return listing

    def _files(self) -> list[tuple[Path, str]]:
        """Every ``.ics`` file of the vdir with the name of its collection."""
        if not self.path.is_dir():
            raise SourceUnreadable(
                f"calendar {self.path} does not exist: create it or fix `calendar` in the config"
            )
        inside = self.path.resolve()
        try:
            files = [(f, self.name) for f in _ics_files(self.path, inside)]
            for sub in sorted(_visible(self.path)):
                if sub.is_dir() and sub.resolve().is_relative_to(inside):
                    files.extend((f, _collection_name(sub)) for f in _ics_files(sub, inside))
        except OSError as error:
            raise SourceUnreadable(f"calendar {self.path} cannot be read: {error}") from error
        return files

    def _read(
        self, file: Path, collection: str, window_start: datetime, window_end: datetime
    ) -> IcsReading:
        """The events of one file and its problems, each naming the file.

        ``FileNotFoundError`` passes through; a file that is no iCalendar at all raises
        ``SourceUnreadable``. Nothing else does, whatever the file holds.
        """
        limit = MAX_CALENDAR_BYTES if file == self.path else MAX_VDIR_FILE_BYTES
        try:
            data = read_at_most(file, limit)
        except FileNotFoundError:
            raise
        except OSError as error:
            raise SourceUnreadable(f"{file}: {error.strerror or error}") from error
        try:
            reading = read_ics(data, self.user, window_start, window_end, source=str(file))
        except SourceUnreadable as error:
            raise SourceUnreadable(f"{file}: {error}") from error
        except Exception as error:
            # A bug that a stranger's file trips on costs that file, never the calendar.
            why = " ".join(str(error).split())[:200]
            return IcsReading((), (f"{file}: unreadable ({type(error).__name__}: {why})",))
        return IcsReading(
            events=tuple(dataclasses.replace(e, calendar=collection) for e in reading.events),
            problems=tuple(f"{file}: {problem}" for problem in reading.problems),
        )


def read_ics(
    data: bytes, user: UserIdentity, window_start: datetime, window_end: datetime, source: str
) -> IcsReading:
    """:func:`providers.local.ics.read_ics`, imported when a file is first read: icalendar
    is the heaviest import of a local account, and an idle pass reads no file."""
    from interview_outreach.providers.local.ics import read_ics as read  # noqa: PLC0415

    return read(data, user, window_start, window_end, source=source)


def _as_read(
    reading: IcsReading,
    known: FileReading | None,
    stamp: FileStamp,
    collection: str,
    window_end: datetime,
) -> FileReading:
    """What to remember of a file just read (over the window and ``MARGIN`` past it)."""
    later = [e.start for e in reading.events if e.start >= window_end]
    held = {e.source_id or e.uid: e.end for e in reading.events}
    if reading.problems and known is not None:
        held = {**known.events, **held}  # what could not be read proves nothing
    return FileReading(
        stamp=stamp,
        collection=collection,
        due=min(later, default=window_end + MARGIN),
        events=held,
        trusted=not reading.problems and stamp.settled(),
    )


def _unread(
    known: FileReading | None, stamp: FileStamp, collection: str, window_end: datetime
) -> FileReading:
    """A file that could not be read: keeps what it held before, and is read next time."""
    held = known.events if known is not None else {}
    return FileReading(stamp, collection, window_end, dict(held), trusted=False)


def _removed(before: ReadState, after: ReadState, window_start: datetime) -> tuple[str, ...]:
    """Events a changed or deleted file no longer holds, and no other file does.

    An event that ended before the window is not reported: it left the window, and a
    calendar trims the past.
    """
    present = {source for reading in after.files.values() for source in reading.events}
    gone: set[str] = set()
    for name, reading in before.files.items():
        now_held = after.files.get(name)
        if now_held is reading:
            continue
        for source, end in reading.events.items():
            if end > window_start and source not in present:
                gone.add(source)
    return tuple(sorted(gone))


def _visible(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if not p.name.startswith(".")]


def _ics_files(folder: Path, inside: Path) -> list[Path]:
    """The ``.ics`` files of ``folder`` that are read at all (see ``regular_file``)."""
    return sorted(
        p for p in _visible(folder) if p.suffix.lower() == ".ics" and regular_file(p, inside)
    )


def _collection_name(folder: Path) -> str:
    """vdirsyncer keeps a collection's display name in a ``displayname`` file."""
    try:
        return (folder / "displayname").read_text(encoding="utf-8").strip() or folder.name
    except (OSError, UnicodeDecodeError):
        return folder.name
