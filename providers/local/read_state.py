"""What a local calendar remembers between passes: which file was read when, and what it held.

A pass re-reads only the ``.ics`` files whose modification time, size or inode changed
(vdirsyncer keeps the same kind of etag for a file system), plus those that are *due*:
a file is read a little past the window (``MARGIN``), and is due again when the window
reaches the first event it holds beyond it, or the end of what was read. A file that
had a problem, or that was being written while it was read, is read again every pass.

The state travels as the calendar cursor (a short JSON text the store keeps); one that
cannot be understood means "read everything", never "nothing changed".
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from interview_outreach.providers.local.files import settled

MARGIN = timedelta(days=7)
_VERSION = 1


@dataclass(frozen=True)
class FileStamp:
    """What says a file changed: modification time (ns), size and inode."""

    mtime_ns: int
    size: int
    inode: int

    @classmethod
    def of(cls, stat: os.stat_result) -> FileStamp:
        return cls(stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def settled(self) -> bool:
        """Whether the file was last changed long enough ago that a change shows."""
        return settled(self.mtime_ns, time.time_ns())


@dataclass(frozen=True)
class FileReading:
    """One file as last read: its stamp, the events it gave (source id → end), when it is due."""

    stamp: FileStamp
    collection: str
    due: datetime  # read again once the window reaches this
    events: dict[str, datetime] = field(default_factory=dict)
    trusted: bool = True  # false after a problem or while the file was settling


@dataclass
class ReadState:
    """Every file of one calendar as last read."""

    files: dict[str, FileReading] = field(default_factory=dict)

    def fresh(self, name: str, stamp: FileStamp, collection: str, window_end: datetime) -> bool:
        """Whether ``name`` need not be read again: unchanged, trusted, and not due."""
        known = self.files.get(name)
        return (
            known is not None
            and known.trusted
            and known.stamp == stamp
            and known.collection == collection
            and window_end < known.due
        )

    def encode(self) -> str:
        files = {
            name: [
                r.stamp.mtime_ns,
                r.stamp.size,
                r.stamp.inode,
                r.collection,
                r.due.isoformat(),
                int(r.trusted),
                {source: end.isoformat() for source, end in r.events.items()},
            ]
            for name, r in self.files.items()
        }
        return json.dumps({"v": _VERSION, "files": files}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> ReadState | None:
        """The state in ``text``; ``None`` when there is none or it cannot be read."""
        if not text:
            return None
        try:
            data = json.loads(text)
            if data.get("v") != _VERSION:
                return None
            return cls({name: _reading(value) for name, value in data["files"].items()})
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            return None


def _reading(value: Any) -> FileReading:
    mtime_ns, size, inode, collection, due, trusted, events = value
    return FileReading(
        stamp=FileStamp(int(mtime_ns), int(size), int(inode)),
        collection=str(collection),
        due=_aware(due),
        events={str(source): _aware(end) for source, end in events.items()},
        trusted=bool(trusted),
    )


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a time without a zone")
    return moment
