"""A local calendar: a vdir (a folder of ``.ics`` files, as vdirsyncer and khal keep it)
or a single ``.ics`` file."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

from daemon.domain.model import UserIdentity
from daemon.errors import SourceUnreadable
from daemon.ports import CalendarChanges
from providers.local.files import read_at_most, regular_file
from providers.local.ics import IcsReading, read_ics

# One vdir file holds one event or series: a few KiB, a few MiB with attachments inline.
MAX_VDIR_FILE_BYTES = 4 * 1024 * 1024
# A calendar kept as one file (an export) holds years of events.
MAX_CALENDAR_BYTES = 64 * 1024 * 1024


class LocalCalendar:
    """``CalendarSource`` over a vdir or one ``.ics`` file.

    A vdir's own ``.ics`` files belong to the collection ``name``; sub-folders one level
    down are collections of their own, named by their ``displayname`` file or folder name.
    There is no cursor: every call reads everything (``complete=True``). A file, or an
    event in a file, that cannot be read is skipped and named in ``problems``, whatever went
    wrong; the rest is still read. Only a missing or unlistable path raises
    ``SourceUnreadable`` (and a single-file calendar that is no iCalendar at all).
    """

    def __init__(self, path: Path, user: UserIdentity, name: str = "local") -> None:
        self.path = path
        self.user = user
        self.name = name

    def changes(
        self, cursor: str | None, window_start: datetime, window_end: datetime
    ) -> CalendarChanges:
        """Every event overlapping ``[window_start, window_end)``; ``cursor`` is ignored."""
        if self.path.is_file():
            try:
                reading = self._read(self.path, self.name, window_start, window_end)
            except FileNotFoundError as error:
                raise SourceUnreadable(f"calendar {self.path} does not exist") from error
            return CalendarChanges(reading.events, complete=True, problems=reading.problems)
        found: list[IcsReading] = []
        problems: list[str] = []
        for file, collection in self._files():
            try:
                found.append(self._read(file, collection, window_start, window_end))
            except FileNotFoundError:
                continue  # removed by a sync between listing and reading
            except SourceUnreadable as error:
                problems.append(str(error))
        return CalendarChanges(
            events=tuple(event for reading in found for event in reading.events),
            complete=True,
            problems=(*problems, *(p for reading in found for p in reading.problems)),
        )

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
