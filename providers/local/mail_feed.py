"""A change feed for a Maildir: what changed since the last look, from directory stamps.

Maildir writes new files and renames them; it never edits one in place. So the
modification times of the ``new/`` and ``cur/`` directories of the folders that are read
(the inbox, its Maildir++ folders, the sent folder) change whenever a message arrives,
leaves or changes its flags; and each draft file's name, size, times and inode say whether
that draft changed. The cursor keeps both. Unchanged folders and drafts mean nothing
happened; a folder that changed, or one that changed too recently to tell (a coarse
clock), means anything may have happened (``threads=None``). A changed draft is named by
its Maildir key, the ``draft_id`` of its ``DraftRef``.

A fault is never a fact: a cursor that cannot be read, or a folder that cannot be looked
at, means anything may have changed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from interview_outreach.providers.local.files import settled

_VERSION = 1


@dataclass(frozen=True)
class FeedState:
    """The stamps of the folders read and the identity of each draft file."""

    folders: dict[str, list[int]]
    drafts: dict[str, list[int]]  # "cur/KEY:2,D" → [size, mtime_ns, inode]
    settled: bool

    def encode(self) -> str:
        data = {"v": _VERSION, "f": self.folders, "d": self.drafts, "s": self.settled}
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, text: str | None) -> FeedState | None:
        if not text:
            return None
        try:
            data: Any = json.loads(text)
            if data["v"] != _VERSION:
                return None
            return cls(
                {str(k): [int(x) for x in v] for k, v in data["f"].items()},
                {str(k): [int(x) for x in v] for k, v in data["d"].items()},
                bool(data["s"]),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def look(folders: dict[str, list[int]], drafts: dict[str, list[int]]) -> FeedState:
    """The feed's state from the reading ``folders``' stamps (path → modification times
    of the folder, its ``new/`` and ``cur/``, -1 for one that is not there) and the
    ``drafts`` files as listed (name → size, modification time, inode)."""
    now = time.time_ns()
    quiet = all(settled(stamp, now) for stamps in folders.values() for stamp in stamps)
    return FeedState(folders, drafts, quiet)


def changed_drafts(before: FeedState, after: FeedState) -> frozenset[str] | None:
    """The Maildir keys of the drafts that changed from ``before`` to ``after``, or
    ``None`` when anything may have changed (a folder changed, or had not settled)."""
    if not before.settled or before.folders != after.folders:
        return None
    names = before.drafts.keys() | after.drafts.keys()
    changed = {n for n in names if before.drafts.get(n) != after.drafts.get(n)}
    return frozenset(_key(name) for name in changed)


def _key(name: str) -> str:
    """``cur/KEY:2,FLAGS`` → ``KEY``."""
    return name.partition("/")[2].partition(":")[0]
