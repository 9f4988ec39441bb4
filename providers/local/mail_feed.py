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
from pathlib import Path
from typing import Any

# A directory changed this recently may change again within the same tick of a coarse
# clock without its time changing: then what it holds is not trusted to be unchanged.
_SETTLE_NS = 2_000_000_000
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


def look(folders: list[Path], drafts: dict[str, list[int]]) -> FeedState:
    """The state of the reading ``folders`` now, with the ``drafts`` files as listed (name
    → what identifies that version of it: size, modification time, inode).

    Raises ``OSError`` when a folder cannot be looked at.
    """
    now = time.time_ns()
    stamps = {str(folder): _stamps(folder) for folder in folders}
    settled = all(s < now - _SETTLE_NS for v in stamps.values() for s in v)
    return FeedState(stamps, drafts, settled)


def changed_drafts(before: FeedState, after: FeedState) -> frozenset[str] | None:
    """The Maildir keys of the drafts that changed from ``before`` to ``after``, or
    ``None`` when anything may have changed (a folder changed, or had not settled)."""
    if not before.settled or before.folders != after.folders:
        return None
    names = before.drafts.keys() | after.drafts.keys()
    changed = {n for n in names if before.drafts.get(n) != after.drafts.get(n)}
    return frozenset(_key(name) for name in changed)


def _stamps(folder: Path) -> list[int]:
    """Modification times (ns) of the folder and its ``new/`` and ``cur/`` (-1: none)."""
    found = []
    for path in (folder, folder / "new", folder / "cur"):
        try:
            found.append(path.stat().st_mtime_ns)
        except FileNotFoundError:
            found.append(-1)
    return found


def _key(name: str) -> str:
    """``cur/KEY:2,FLAGS`` → ``KEY``."""
    return name.partition("/")[2].partition(":")[0]
