"""The index of a Maildir's headers kept in memory, for a ``LocalMailbox`` without a store.

It lives as long as the mailbox object: the first lookup reads every header once, later
ones read only new or changed files. The daemon passes a store-backed index instead
(``daemon.store.message_index``), which outlives the process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from interview_outreach.daemon.ports import FolderChanges, IndexedFile, IndexedMessage, IndexEntry

_Where = tuple[str, str]  # (folder, name)


class MemoryMessageIndex:
    """``MessageIndex`` in dictionaries: by file, by address, by referenced Message-ID and
    by Message-ID."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, IndexEntry]] = {}
        self._by_address: defaultdict[str, set[_Where]] = defaultdict(set)
        self._by_reference: defaultdict[str, set[_Where]] = defaultdict(set)
        self._by_id: defaultdict[str, set[_Where]] = defaultdict(set)

    def files(self, folder: str) -> dict[str, IndexedFile]:
        return {name: e.file for name, e in self._entries.get(folder, {}).items()}

    def apply(self, folder: str, kind: str, changes: FolderChanges) -> None:
        entries = self._entries.setdefault(folder, {})
        for name in changes.removed:
            self._drop(folder, entries, name)
        # All moved entries are taken out first, so that renames in a ring never collide.
        taken = [(self._drop(folder, entries, old), file, t) for old, file, t in changes.moved]
        for entry, file, trashed in taken:
            if entry is not None:
                self._put(folder, entries, IndexEntry(file, trashed, entry.message))
        for entry in changes.added:
            self._drop(folder, entries, entry.file.name)
            self._put(folder, entries, entry)

    def retain(self, folders: Collection[str]) -> None:
        for folder in [f for f in self._entries if f not in folders]:
            entries = self._entries[folder]
            for name in list(entries):
                self._drop(folder, entries, name)
            del self._entries[folder]

    def with_address(self, address: str, since: datetime) -> list[IndexedMessage]:
        return self._found(self._by_address.get(address, set()), since)

    def referring_to(self, message_id: str, since: datetime) -> list[IndexedMessage]:
        return self._found(self._by_reference.get(message_id, set()), since)

    def with_message_id(self, message_id: str, folder: str) -> list[IndexedMessage]:
        hits = {w for w in self._by_id.get(message_id, set()) if w[0] == folder}
        return self._found(hits, None)

    def _found(self, hits: set[_Where], since: datetime | None) -> list[IndexedMessage]:
        found = []
        for folder, name in sorted(hits):
            entry = self._entries[folder][name]
            message = entry.message
            if message is None or entry.trashed or (since is not None and message.date < since):
                continue
            found.append(IndexedMessage(folder, name, message))
        return found

    def _keys(self, entry: IndexEntry) -> list[tuple[defaultdict[str, set[_Where]], str]]:
        message = entry.message
        if message is None:
            return []
        keys = [(self._by_address, a) for a in {message.sender, *message.recipients} if a]
        refs = {message.in_reply_to, *message.references} - {None, ""}
        keys += [(self._by_reference, r) for r in refs if r is not None]
        if message.message_id:
            keys.append((self._by_id, message.message_id))
        return keys

    def _put(self, folder: str, entries: dict[str, IndexEntry], entry: IndexEntry) -> None:
        entries[entry.file.name] = entry
        for table, key in self._keys(entry):
            table[key].add((folder, entry.file.name))

    def _drop(self, folder: str, entries: dict[str, IndexEntry], name: str) -> IndexEntry | None:
        entry = entries.pop(name, None)
        if entry is not None:
            for table, key in self._keys(entry):
                table[key].discard((folder, name))
                if not table[key]:
                    del table[key]
        return entry
