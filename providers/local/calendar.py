"""A local calendar: a vdir (a folder of ``.ics`` files, as vdirsyncer and khal keep it)
or a single ``.ics`` file."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

from daemon.domain.model import CalendarEvent, UserIdentity
from daemon.errors import SourceUnreadable
from daemon.ports import CalendarChanges
from providers.local.ics import events_from_ics


class LocalCalendar:
    """``CalendarSource`` over a vdir or one ``.ics`` file.

    A vdir's own ``.ics`` files belong to the collection ``name``; sub-folders one level
    down are collections of their own, named by their ``displayname`` file or folder name.
    There is no cursor: every call reads everything (``complete=True``). A file that cannot
    be read is skipped and named in ``problems``; a missing path raises ``SourceUnreadable``.
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
                events = self._read(self.path, self.name, window_start, window_end)
            except FileNotFoundError as error:
                raise SourceUnreadable(f"calendar {self.path} does not exist") from error
            return CalendarChanges(events=tuple(events), complete=True)
        found: list[CalendarEvent] = []
        problems: list[str] = []
        for file, collection in self._files():
            try:
                found.extend(self._read(file, collection, window_start, window_end))
            except FileNotFoundError:
                continue  # removed by a sync between listing and reading
            except SourceUnreadable as error:
                problems.append(str(error))
        return CalendarChanges(events=tuple(found), complete=True, problems=tuple(problems))

    def _files(self) -> list[tuple[Path, str]]:
        """Every ``.ics`` file of the vdir with the name of its collection."""
        if not self.path.is_dir():
            raise SourceUnreadable(
                f"calendar {self.path} does not exist: create it or fix `calendar` in the config"
            )
        try:
            files = [(f, self.name) for f in _ics_files(self.path)]
            for sub in sorted(_visible(self.path)):
                if sub.is_dir():
                    files.extend((f, _collection_name(sub)) for f in _ics_files(sub))
        except OSError as error:
            raise SourceUnreadable(f"calendar {self.path} cannot be read: {error}") from error
        return files

    def _read(
        self, file: Path, collection: str, window_start: datetime, window_end: datetime
    ) -> list[CalendarEvent]:
        """The events of one file; ``FileNotFoundError`` passes through."""
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as error:
            raise SourceUnreadable(f"{file}: {error.strerror or error}") from error
        try:
            events = events_from_ics(data, self.user, window_start, window_end)
        except SourceUnreadable as error:
            raise SourceUnreadable(f"{file}: {error}") from error
        return [dataclasses.replace(e, calendar=collection) for e in events]


def _visible(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if not p.name.startswith(".")]


def _ics_files(folder: Path) -> list[Path]:
    return sorted(p for p in _visible(folder) if p.suffix.lower() == ".ics" and p.is_file())


def _collection_name(folder: Path) -> str:
    """vdirsyncer keeps a collection's display name in a ``displayname`` file."""
    try:
        return (folder / "displayname").read_text(encoding="utf-8").strip() or folder.name
    except (OSError, UnicodeDecodeError):
        return folder.name
