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

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import bindparam

from interview_outreach.daemon.domain.model import MailMessage
from interview_outreach.daemon.errors import StorageError
from interview_outreach.daemon.ports import FolderChanges, IndexedFile, IndexedMessage, IndexEntry
from interview_outreach.daemon.store.schema import (
    mail_addresses,
    mail_files,
    mail_folders,
    mail_references,
)

ConnectionFactory = Callable[..., AbstractContextManager[Connection]]
"""``Store._connection``: ``factory(write=...)`` gives the connection of one transaction."""

_KEY_LENGTH = 250  # of the searched columns (String(250))
_CHUNK = 500  # names per IN (...) list
_SAFE = "/:,.=+-_@!~"  # left as they are in stored names; anything else is %XX
_INODE_WRAP = 1 << 64


class StoreMessageIndex:
    """``MessageIndex`` of the account ``account`` in the store's database."""

    def __init__(self, connection: ConnectionFactory, account: str) -> None:
        self._connection = connection
        self._account = account

    def files(self, folder: str) -> dict[str, IndexedFile]:
        files = mail_files.c
        with self._connection(write=False) as connection:
            folder_id = self._folder_id(connection, folder)
            if folder_id is None:
                return {}
            rows = connection.execute(
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
        files = mail_files.c
        with self._connection(write=True) as connection:
            folder_id = self._folder_id(connection, folder)
            if folder_id is None:
                folder_id = connection.execute(
                    insert(mail_folders)
                    .values(account=self._account, path=_to_text(folder), kind=kind)
                    .returning(mail_folders.c.id)
                ).scalar_one()
            else:
                connection.execute(
                    update(mail_folders)
                    .where(mail_folders.c.id == folder_id, mail_folders.c.kind != kind)
                    .values(kind=kind)
                )
            for chunk in _chunks([_to_text(name) for name in changes.removed]):
                _delete_files(connection, files.folder_id == folder_id, files.name.in_(chunk))
            if changes.moved:
                # Through names no file can have, so that renames in a ring never collide.
                where = (files.folder_id == bindparam("f"), files.name == bindparam("old"))
                connection.execute(
                    update(mail_files).where(*where).values(name=bindparam("new")),
                    [
                        {"f": folder_id, "old": _to_text(old), "new": f"moving/{n}"}
                        for n, (old, _file, _trashed) in enumerate(changes.moved)
                    ],
                )
                connection.execute(
                    update(mail_files)
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
                self._insert(connection, folder_id, changes.added)

    def retain(self, folders: Collection[str]) -> None:
        kept = {_to_text(folder) for folder in folders}
        query = select(mail_folders.c.id, mail_folders.c.path).where(
            mail_folders.c.account == self._account
        )
        with self._connection(write=False) as connection:
            stale = [i for i, path in connection.execute(query) if path not in kept]
        if not stale:
            return
        with self._connection(write=True) as connection:
            _delete_files(connection, mail_files.c.folder_id.in_(stale))
            connection.execute(delete(mail_folders).where(mail_folders.c.id.in_(stale)))

    def with_address(self, address: str, since: datetime) -> list[IndexedMessage]:
        rows = mail_addresses.c
        return self._found(
            self._messages()
            .join(mail_addresses, rows.file_id == mail_files.c.id)
            .where(rows.account == self._account, rows.address == _key(address), rows.date >= since)
        )

    def referring_to(self, message_id: str, since: datetime) -> list[IndexedMessage]:
        rows = mail_references.c
        return self._found(
            self._messages()
            .join(mail_references, rows.file_id == mail_files.c.id)
            .where(
                rows.account == self._account,
                rows.message_id == _key(message_id),
                mail_files.c.date >= since,
            )
        )

    def with_message_id(self, message_id: str, folder: str) -> list[IndexedMessage]:
        return self._found(
            self._messages().where(
                mail_folders.c.account == self._account,
                mail_folders.c.path == _to_text(folder),
                mail_files.c.message_id == _key(message_id),
            )
        )

    # -- internals -----------------------------------------------------------------

    def _folder_id(self, connection: Connection, folder: str) -> int | None:
        folder_id: int | None = connection.execute(
            select(mail_folders.c.id).where(
                mail_folders.c.account == self._account,
                mail_folders.c.path == _to_text(folder),
            )
        ).scalar_one_or_none()
        return folder_id

    @staticmethod
    def _messages() -> Select[str, str, str | None]:
        return (
            select(mail_folders.c.path, mail_files.c.name, mail_files.c.message)
            .select_from(mail_files)
            .join(mail_folders, mail_folders.c.id == mail_files.c.folder_id)
            .where(mail_files.c.trashed.is_(False), mail_files.c.message.is_not(None))
        )

    def _found(self, query: Select[str, str, str | None]) -> list[IndexedMessage]:
        with self._connection(write=False) as connection:
            return [
                IndexedMessage(_from_text(path), _from_text(name), _decode(message))
                for path, name, message in connection.execute(query)
                if message is not None
            ]

    def _insert(
        self, connection: Connection, folder_id: int, entries: Sequence[IndexEntry]
    ) -> None:
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
        ids = connection.execute(
            insert(mail_files).returning(mail_files.c.id, sort_by_parameter_order=True), values
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
            connection.execute(insert(mail_addresses), addresses)
        if references:
            connection.execute(insert(mail_references), references)


def _delete_files(connection: Connection, *where: Any) -> None:
    """Delete the files matching ``where`` and their addresses and references."""
    ids = select(mail_files.c.id).where(*where).scalar_subquery()
    connection.execute(delete(mail_addresses).where(mail_addresses.c.file_id.in_(ids)))
    connection.execute(delete(mail_references).where(mail_references.c.file_id.in_(ids)))
    connection.execute(delete(mail_files).where(*where))


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
