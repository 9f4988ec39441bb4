"""The index of one account's Maildir headers, kept in the database (``MessageIndex``).

A message file is a row of ``mail_files`` (its name, size, modification time and inode,
and the ``MailMessage`` its header makes, as JSON); its addresses and the Message-IDs it
refers to are rows of ``mail_addresses`` and ``mail_references``, so that a lookup by
address and date, or by referenced Message-ID, is an index seek. Nothing of a message
body is kept. A lost or new database holds no index: the mailbox builds it again.

Text from the file system or from a stranger's header is stored so that it reads back
exactly: file names and folder paths percent-encoded (they may hold bytes that are not
UTF-8), messages as ASCII JSON. The columns that are searched hold a cleaned copy cut to
their length; the caller checks what it gets back, so a cut value only ever finds more.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from sqlalchemy import Select, Table, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import bindparam

from daemon.domain.model import MailMessage
from daemon.errors import StorageError
from daemon.ports import FolderChanges, IndexedFile, IndexedMessage, IndexEntry
from daemon.store.schema import MailAddressRow, MailFileRow, MailFolderRow, MailReferenceRow

SessionFactory = Callable[..., AbstractContextManager[Session]]
"""``Store._session``: ``factory(write=...)`` gives the session of one transaction."""

_KEY_LENGTH = 250  # of the searched columns (String(250))
_CHUNK = 500  # names per IN (...) list
_SAFE = "/:,.=+-_@!~"  # left as they are in stored names; anything else is %XX
_INODE_WRAP = 1 << 64


class StoreMessageIndex:
    """``MessageIndex`` of the account ``account`` in the store's database."""

    def __init__(self, session: SessionFactory, account: str) -> None:
        self._session = session
        self._account = account

    def files(self, folder: str) -> dict[str, IndexedFile]:
        files = MailFileRow
        with self._session(write=False) as session:
            folder_id = self._folder_id(session, folder)
            if folder_id is None:
                return {}
            rows = session.execute(
                select(files.name, files.size, files.mtime_ns, files.inode).where(
                    files.folder_id == folder_id
                )
            )
            found = {}
            for name, size, mtime_ns, inode in rows:
                file = IndexedFile(_from_text(name), size, mtime_ns, inode % _INODE_WRAP)
                found[file.name] = file
            return found

    def apply(self, folder: str, kind: str, changes: FolderChanges) -> None:
        files = MailFileRow
        with self._session(write=True) as session:
            folder_id = self._folder_id(session, folder)
            if folder_id is None:
                folder_id = session.execute(
                    insert(MailFolderRow)
                    .values(account=self._account, path=_to_text(folder), kind=kind)
                    .returning(MailFolderRow.id)
                ).scalar_one()
            else:
                session.execute(
                    update(MailFolderRow)
                    .where(MailFolderRow.id == folder_id, MailFolderRow.kind != kind)
                    .values(kind=kind)
                )
            for chunk in _chunks([_to_text(name) for name in changes.removed]):
                _delete_files(session, files.folder_id == folder_id, files.name.in_(chunk))
            if changes.moved:
                # Through names no file can have, so that renames in a ring never collide.
                table = _table(MailFileRow)
                where = (table.c.folder_id == bindparam("f"), table.c.name == bindparam("old"))
                session.execute(
                    update(table).where(*where).values(name=bindparam("new")),
                    [
                        {"f": folder_id, "old": _to_text(old), "new": f"moving/{n}"}
                        for n, (old, _file, _trashed) in enumerate(changes.moved)
                    ],
                )
                session.execute(
                    update(table)
                    .where(*where)
                    .values(
                        name=bindparam("new"),
                        size=bindparam("size"),
                        mtime_ns=bindparam("mtime"),
                        inode=bindparam("inode"),
                        trashed=bindparam("trashed"),
                    ),
                    [
                        {
                            "f": folder_id,
                            "old": f"moving/{n}",
                            "new": _to_text(file.name),
                            "size": file.size,
                            "mtime": file.mtime_ns,
                            "inode": _signed(file.inode),
                            "trashed": trashed,
                        }
                        for n, (_old, file, trashed) in enumerate(changes.moved)
                    ],
                )
            if changes.added:
                self._insert(session, folder_id, changes.added)

    def retain(self, folders: Collection[str]) -> None:
        kept = {_to_text(folder) for folder in folders}
        query = select(MailFolderRow.id, MailFolderRow.path).where(
            MailFolderRow.account == self._account
        )
        with self._session(write=False) as session:
            stale = [i for i, path in session.execute(query) if path not in kept]
        if not stale:
            return
        with self._session(write=True) as session:
            _delete_files(session, MailFileRow.folder_id.in_(stale))
            session.execute(delete(MailFolderRow).where(MailFolderRow.id.in_(stale)))

    def with_address(self, address: str, since: datetime) -> list[IndexedMessage]:
        rows = MailAddressRow
        return self._found(
            self._messages()
            .join(rows, rows.file_id == MailFileRow.id)
            .where(rows.account == self._account, rows.address == _key(address), rows.date >= since)
        )

    def referring_to(self, message_id: str, since: datetime) -> list[IndexedMessage]:
        rows = MailReferenceRow
        return self._found(
            self._messages()
            .join(rows, rows.file_id == MailFileRow.id)
            .where(
                rows.account == self._account,
                rows.message_id == _key(message_id),
                MailFileRow.date >= since,
            )
        )

    def with_message_id(self, message_id: str, folder: str) -> list[IndexedMessage]:
        return self._found(
            self._messages().where(
                MailFolderRow.account == self._account,
                MailFolderRow.path == _to_text(folder),
                MailFileRow.message_id == _key(message_id),
            )
        )

    # -- internals -----------------------------------------------------------------

    def _folder_id(self, session: Session, folder: str) -> int | None:
        return session.execute(
            select(MailFolderRow.id).where(
                MailFolderRow.account == self._account, MailFolderRow.path == _to_text(folder)
            )
        ).scalar_one_or_none()

    @staticmethod
    def _messages() -> Select[str, str, str | None]:
        return (
            select(MailFolderRow.path, MailFileRow.name, MailFileRow.message)
            .select_from(MailFileRow)
            .join(MailFolderRow, MailFolderRow.id == MailFileRow.folder_id)
            .where(MailFileRow.trashed.is_(False), MailFileRow.message.is_not(None))
        )

    def _found(self, query: Select[str, str, str | None]) -> list[IndexedMessage]:
        with self._session(write=False) as session:
            return [
                IndexedMessage(_from_text(path), _from_text(name), _decode(message))
                for path, name, message in session.execute(query)
                if message is not None
            ]

    def _insert(self, session: Session, folder_id: int, entries: Sequence[IndexEntry]) -> None:
        values = []
        for entry in entries:
            message = entry.message
            values.append(
                {
                    "folder_id": folder_id,
                    "name": _to_text(entry.file.name),
                    "size": entry.file.size,
                    "mtime_ns": entry.file.mtime_ns,
                    "inode": _signed(entry.file.inode),
                    "trashed": entry.trashed,
                    "message_id": _key(message.message_id) if message else None,
                    "date": message.date if message else None,
                    "message": _encode(message) if message else None,
                }
            )
        ids = session.execute(
            insert(MailFileRow).returning(MailFileRow.id, sort_by_parameter_order=True), values
        ).scalars()
        addresses: list[dict[str, Any]] = []
        references: list[dict[str, Any]] = []
        for file_id, entry in zip(ids, entries, strict=True):
            message = entry.message
            if message is None:
                continue
            account = self._account
            for address in {_key(a) for a in (message.sender, *message.recipients) if a}:
                addresses.append(
                    {
                        "file_id": file_id,
                        "address": address,
                        "account": account,
                        "date": message.date,
                    }
                )
            refs = {_key(r) for r in (message.in_reply_to, *message.references) if r}
            references += [{"file_id": file_id, "message_id": r, "account": account} for r in refs]
        if addresses:
            session.execute(insert(MailAddressRow), addresses)
        if references:
            session.execute(insert(MailReferenceRow), references)


def _table(model: type[MailFileRow]) -> Table:
    """The table of ``model``, for statements run once per row of their parameters."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _delete_files(session: Session, *where: Any) -> None:
    """Delete the files matching ``where`` and their addresses and references."""
    ids = select(MailFileRow.id).where(*where).scalar_subquery()
    session.execute(delete(MailAddressRow).where(MailAddressRow.file_id.in_(ids)))
    session.execute(delete(MailReferenceRow).where(MailReferenceRow.file_id.in_(ids)))
    session.execute(delete(MailFileRow).where(*where))


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _key(value: str) -> str:
    """``value`` as a searched column holds it: storable on every backend, cut short."""
    clean = value.replace("\x00", "?").encode("utf-8", "replace").decode("utf-8")
    return clean[:_KEY_LENGTH]


def _to_text(name: str) -> str:
    """A file name or path (possibly with bytes that are not UTF-8) as storable text."""
    return quote(os.fsencode(name), safe=_SAFE)


def _from_text(text: str) -> str:
    if "%" not in text:  # nothing was escaped (the usual Maildir name)
        return text
    return os.fsdecode(unquote_to_bytes(text))


def _signed(inode: int) -> int:
    """An inode number as a signed 64-bit integer (``% 2**64`` reads it back)."""
    inode %= _INODE_WRAP
    return inode - _INODE_WRAP if inode >= _INODE_WRAP >> 1 else inode


def _encode(message: MailMessage) -> str:
    """``message`` as ASCII JSON (lone surrogates and control characters escaped)."""
    return json.dumps(
        {
            "message_id": message.message_id,
            "sender": message.sender,
            "recipients": list(message.recipients),
            "subject": message.subject,
            "date": message.date.isoformat(),
            "folder": message.folder,
            "thread_id": message.thread_id,
            "in_reply_to": message.in_reply_to,
            "references": list(message.references),
            "headers": [list(pair) for pair in message.headers],
            "content_type": message.content_type,
        },
        separators=(",", ":"),
    )


def _decode(text: str) -> MailMessage:
    try:
        data = json.loads(text)
        return MailMessage(
            message_id=data["message_id"],
            sender=data["sender"],
            recipients=tuple(data["recipients"]),
            subject=data["subject"],
            date=datetime.fromisoformat(data["date"]),
            folder=data["folder"],
            thread_id=data["thread_id"],
            in_reply_to=data["in_reply_to"],
            references=tuple(data["references"]),
            headers=tuple((name, value) for name, value in data["headers"]),
            content_type=data["content_type"],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"an entry of the message index cannot be read: {exc!r}") from exc
