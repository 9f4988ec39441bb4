"""The fake Gmail v1 mailbox: messages, threads, drafts and history.

Callers hold the fake's lock; nothing here is thread-safe on its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, TypeVar

from . import mime
from .search import SearchTarget, parse_query
from .wire import ApiError, Query, b64url_decode, b64url_encode, first, int_param

_T = TypeVar("_T")
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
_HISTORY_KEYS = {
    "messageAdded": "messagesAdded",
    "messageDeleted": "messagesDeleted",
    "labelAdded": "labelsAdded",
    "labelRemoved": "labelsRemoved",
}
SYSTEM_LABELS = (
    "INBOX",
    "SENT",
    "DRAFT",
    "TRASH",
    "SPAM",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
)


@dataclass
class StoredMessage:
    """One message of the mailbox."""

    id: str
    thread_id: str
    labels: set[str]
    raw: bytes
    internal_date: datetime
    history_id: int
    parsed: EmailMessage = field(repr=False)

    def ref(self) -> dict[str, Any]:
        """``{"id", "threadId"}``."""
        return {"id": self.id, "threadId": self.thread_id}

    def label_list(self) -> list[str]:
        """Labels in a stable order."""
        return sorted(self.labels)


@dataclass(frozen=True)
class HistoryRecord:
    """One change: ``kind`` is one of ``HISTORY_TYPES``; labels are a snapshot."""

    id: int
    kind: str
    message_id: str
    thread_id: str
    labels: tuple[str, ...]
    changed_labels: tuple[str, ...] = ()

    def json(self) -> dict[str, Any]:
        """The record as ``history.list`` returns it."""
        message = {"id": self.message_id, "threadId": self.thread_id}
        entry: dict[str, Any] = {"message": {**message, "labelIds": list(self.labels)}}
        if self.kind in ("labelAdded", "labelRemoved"):
            entry["labelIds"] = list(self.changed_labels)
        return {"id": str(self.id), "messages": [message], _HISTORY_KEYS[self.kind]: [entry]}


class GmailState:
    """The user's mailbox."""

    def __init__(self, user_email: str, clock: Callable[[], datetime], rng: random.Random) -> None:
        self.user_email = user_email
        self.clock = clock
        self.rng = rng
        self.messages: dict[str, StoredMessage] = {}
        self.threads: dict[str, list[str]] = {}
        self.drafts: dict[str, str] = {}  # draft id -> message id
        self.history: list[HistoryRecord] = []
        self.history_id = rng.randrange(100_000, 900_000)
        # What a search matches in a message's content, by (id, raw): parsing it again for
        # every query made a search over 10,000 messages take seconds (Gmail has an index).
        self._search_content: dict[tuple[str, int], _Content] = {}
        self.oldest_history_id = self.history_id
        self._next_message_number = (0x18F << 52) + rng.randrange(1 << 40)

    # ------------------------------------------------------------ world/user

    def deliver(
        self, raw: bytes, labels: Iterable[str], at: datetime | None = None
    ) -> StoredMessage:
        """A message arrives (or is sent from elsewhere): Gmail's receiving-side threading."""
        parsed = mime.parse(raw)
        thread_id = self._receiving_thread(parsed)
        return self._add(raw, parsed, set(labels), thread_id, at)

    def user_sends_draft(
        self, draft_id: str, at: datetime | None = None, message_id: str | None = None
    ) -> StoredMessage:
        """The user presses Send: the draft is gone, a SENT message (new id) is in its thread."""
        draft_message = self._draft_message(draft_id)
        raw = mime.prepare_sent(draft_message.raw, self.user_email, message_id=message_id)
        del self.drafts[draft_id]
        thread_id = draft_message.thread_id
        self._remove(draft_message.id)
        if thread_id not in self.threads:
            self.threads[thread_id] = []
        return self._add(raw, mime.parse(raw), {"SENT"}, thread_id, at, keep_thread_id=True)

    def user_edits_draft(self, draft_id: str, new_body: str) -> StoredMessage:
        """The user edits the draft's text in Gmail: same draft and thread, new message id."""
        old = self._draft_message(draft_id)
        raw = mime.replace_body(old.raw, new_body)
        thread_id = old.thread_id
        self._remove(old.id)
        if thread_id not in self.threads:
            self.threads[thread_id] = []
        new = self._add(raw, mime.parse(raw), {"DRAFT"}, thread_id, None, keep_thread_id=True)
        self.drafts[draft_id] = new.id
        return new

    def service_rewrites_draft(
        self, draft_id: str, rewrite: Callable[[bytes], bytes]
    ) -> StoredMessage:
        """Gmail stores the draft's message anew (other header folding, transfer encoding,
        line wrapping): same draft id, message id, thread and history id, no history record.
        """
        message = self._draft_message(draft_id)
        raw = rewrite(message.raw)
        message.raw = raw
        message.parsed = mime.parse(raw)
        return message

    def user_deletes_draft(self, draft_id: str) -> None:
        """The user discards the draft."""
        message = self._draft_message(draft_id)
        del self.drafts[draft_id]
        self._remove(message.id)

    def modify_labels(self, message_id: str, add: Iterable[str], remove: Iterable[str]) -> None:
        """Labels change (the user reads, archives, stars …): history records follow."""
        message = self._message(message_id)
        added = [label for label in add if label not in message.labels]
        removed = [label for label in remove if label in message.labels]
        message.labels.update(added)
        message.labels.difference_update(removed)
        if added:
            message.history_id = self._record("labelAdded", message, tuple(added))
        if removed:
            message.history_id = self._record("labelRemoved", message, tuple(removed))

    def delete_message(self, message_id: str) -> None:
        """The message is deleted for good."""
        self._message(message_id)
        for draft_id, draft_message in list(self.drafts.items()):
            if draft_message == message_id:
                del self.drafts[draft_id]
        self._remove(message_id)

    def expire_history(self) -> None:
        """Forget history: any startHistoryId older than now answers 404."""
        self.history.clear()
        self.oldest_history_id = self.history_id

    # ------------------------------------------------------------- endpoints

    def profile(self) -> dict[str, Any]:
        """``GET profile``."""
        return {
            "emailAddress": self.user_email,
            "messagesTotal": len(self.messages),
            "threadsTotal": len(self.threads),
            "historyId": str(self.history_id),
        }

    def create_draft(self, raw: bytes, thread_id: str | None) -> dict[str, Any]:
        """``POST drafts``."""
        message = self._add_draft_message(raw, thread_id)
        draft_id = self._new_draft_id()
        self.drafts[draft_id] = message.id
        return {"id": draft_id, "message": _minimal_ref(message)}

    def update_draft(self, draft_id: str, raw: bytes, thread_id: str | None) -> dict[str, Any]:
        """``PUT drafts/{id}``: same draft id, a new message id; threading rules apply again.

        A draft alone in its thread keeps that thread when the update names it.
        """
        old = self._draft_message(draft_id)
        self._check_thread(thread_id)
        parsed = mime.parse(raw)
        keep = thread_id is not None and (
            self.threads[thread_id] == [old.id] or self._belongs(parsed, thread_id, old.id)
        )
        self._remove(old.id)
        if keep and thread_id is not None:
            self.threads.setdefault(thread_id, [])
        message = self._add(
            raw, parsed, {"DRAFT"}, thread_id if keep else None, None, keep_thread_id=keep
        )
        self.drafts[draft_id] = message.id
        return {"id": draft_id, "message": _minimal_ref(message)}

    def delete_draft(self, draft_id: str) -> None:
        """``DELETE drafts/{id}``: permanent."""
        self.user_deletes_draft(draft_id)

    def get_draft(self, draft_id: str, query: Query) -> dict[str, Any]:
        """``GET drafts/{id}``."""
        message = self._draft_message(draft_id)
        return {"id": draft_id, "message": self.render(message, query, default="full")}

    def list_drafts(self, query: Query) -> dict[str, Any]:
        """``GET drafts``."""
        by_message = {message_id: draft_id for draft_id, message_id in self.drafts.items()}
        candidates = [self.messages[m] for m in by_message]
        matched = self._search(candidates, query)
        page, token, total = _paginate(matched, query, default=100, high=500)
        result: dict[str, Any] = {"resultSizeEstimate": total}
        if page:
            result["drafts"] = [{"id": by_message[m.id], "message": m.ref()} for m in page]
        if token:
            result["nextPageToken"] = token
        return result

    def list_messages(self, query: Query) -> dict[str, Any]:
        """``GET messages``."""
        matched = self._search(list(self.messages.values()), query)
        page, token, total = _paginate(matched, query, default=100, high=500)
        result: dict[str, Any] = {"resultSizeEstimate": total}
        if page:
            result["messages"] = [m.ref() for m in page]
        if token:
            result["nextPageToken"] = token
        return result

    def get_message(self, message_id: str, query: Query) -> dict[str, Any]:
        """``GET messages/{id}``."""
        return self.render(self._message(message_id), query, default="full")

    def list_threads(self, query: Query) -> dict[str, Any]:
        """``GET threads``: threads with at least one matching message, newest first."""
        matched = self._search(list(self.messages.values()), query)
        thread_ids = list(dict.fromkeys(m.thread_id for m in matched))
        page, token, total = _paginate(thread_ids, query, default=100, high=500)
        result: dict[str, Any] = {"resultSizeEstimate": total}
        if page:
            result["threads"] = [self._thread_summary(t) for t in page]
        if token:
            result["nextPageToken"] = token
        return result

    def get_thread(self, thread_id: str, query: Query) -> dict[str, Any]:
        """``GET threads/{id}`` with every message of the thread, oldest first."""
        message_ids = self.threads.get(thread_id)
        if not message_ids:
            raise ApiError(404, None, "notFound")
        fmt = first(query, "format", "full")
        if fmt not in ("full", "metadata", "minimal"):
            raise ApiError(400, f"Invalid format value: {fmt}", "invalidArgument")
        messages = [self.messages[m] for m in message_ids]
        return {
            "id": thread_id,
            "historyId": str(max(m.history_id for m in messages)),
            "messages": [self.render(m, query, default="full") for m in messages],
        }

    def list_history(self, query: Query) -> dict[str, Any]:
        """``GET history``."""
        start_text = first(query, "startHistoryId")
        if start_text is None:
            raise ApiError(400, "Missing required parameter: startHistoryId", "required")
        try:
            start = int(start_text)
        except ValueError:
            raise ApiError(
                400, f"Invalid startHistoryId: {start_text}", "invalidArgument"
            ) from None
        if start < self.oldest_history_id:
            raise ApiError(404, None, "notFound")
        types = query.get("historyTypes") or list(HISTORY_TYPES)
        for kind in types:
            if kind not in HISTORY_TYPES:
                raise ApiError(400, f"Invalid historyTypes value: {kind}", "invalidArgument")
        label = first(query, "labelId")
        records = [
            r
            for r in self.history
            if r.id > start and r.kind in types and (label is None or label in r.labels)
        ]
        page_size = int_param(query, "maxResults", 100, low=1, high=500)
        token = first(query, "pageToken")
        if token is not None:
            try:
                after = int(b64url_decode(token).decode())
            except ValueError:
                raise ApiError(400, "Invalid pageToken", "invalidArgument") from None
            records = [r for r in records if r.id > after]
        result: dict[str, Any] = {"historyId": str(self.history_id)}
        page = records[:page_size]
        if page:
            result["history"] = [r.json() for r in page]
        if len(records) > page_size:
            result["nextPageToken"] = b64url_encode(str(page[-1].id).encode())
        return result

    # ------------------------------------------------------------ rendering

    def render(self, message: StoredMessage, query: Query, default: str) -> dict[str, Any]:
        """A message in ``format`` = minimal | metadata | full | raw."""
        fmt = first(query, "format", default)
        if fmt not in ("minimal", "metadata", "full", "raw"):
            raise ApiError(400, f"Invalid format value: {fmt}", "invalidArgument")
        result: dict[str, Any] = {
            "id": message.id,
            "threadId": message.thread_id,
            "labelIds": message.label_list(),
            "snippet": mime.snippet(message.parsed),
            "sizeEstimate": len(message.raw),
            "historyId": str(message.history_id),
            "internalDate": str(int(message.internal_date.timestamp() * 1000)),
        }
        if fmt == "raw":
            result["raw"] = b64url_encode(message.raw)
        elif fmt == "metadata":
            result["payload"] = {
                "mimeType": message.parsed.get_content_type(),
                "headers": mime.headers_json(message.parsed, query.get("metadataHeaders")),
            }
        elif fmt == "full":
            result["payload"] = mime.payload_json(message.parsed)
        return result

    # -------------------------------------------------------------- helpers

    def _target(self, message: StoredMessage) -> SearchTarget:
        key = (message.id, hash(message.raw))  # bytes keep their hash: cheap after once
        content = self._search_content.get(key)
        if content is None:
            content = self._search_content[key] = _content(message)
        internal = message.internal_date
        if internal.tzinfo is None:
            internal = internal.replace(tzinfo=UTC)
        return SearchTarget(
            headers=content.headers,
            labels=frozenset(message.labels),
            internal_date=internal,
            text=content.text,
            message_id=content.message_id,
            has_attachment=content.has_attachment,
        )

    def _search(self, candidates: list[StoredMessage], query: Query) -> list[StoredMessage]:
        q = first(query, "q")
        parsed = parse_query(q, self.clock()) if q else None
        include_spam_trash = (first(query, "includeSpamTrash") or "").lower() == "true"
        if parsed is not None and parsed.mentions_spam_or_trash:
            include_spam_trash = True
        label_ids = query.get("labelIds") or []
        matched = []
        for message in candidates:
            if not include_spam_trash and message.labels & {"SPAM", "TRASH"}:
                continue
            if any(label not in message.labels for label in label_ids):
                continue
            if parsed is not None and not parsed.predicate(self._target(message)):
                continue
            matched.append(message)
        matched.sort(key=lambda m: (m.internal_date, m.id), reverse=True)
        return matched

    def _thread_summary(self, thread_id: str) -> dict[str, Any]:
        messages = [self.messages[m] for m in self.threads[thread_id]]
        return {
            "id": thread_id,
            "snippet": mime.snippet(messages[-1].parsed),
            "historyId": str(max(m.history_id for m in messages)),
        }

    def _message(self, message_id: str) -> StoredMessage:
        message = self.messages.get(message_id)
        if message is None:
            raise ApiError(404, None, "notFound")
        return message

    def _draft_message(self, draft_id: str) -> StoredMessage:
        message_id = self.drafts.get(draft_id)
        if message_id is None:
            raise ApiError(404, None, "notFound")
        return self.messages[message_id]

    def _check_thread(self, thread_id: str | None) -> None:
        if thread_id is not None and thread_id not in self.threads:
            raise ApiError(404, None, "notFound")

    def _add_draft_message(self, raw: bytes, thread_id: str | None) -> StoredMessage:
        """A draft joins ``thread_id`` only when its headers and subject say it belongs there."""
        self._check_thread(thread_id)
        parsed = mime.parse(raw)
        chosen = None
        if thread_id is not None and self._belongs(parsed, thread_id):
            chosen = thread_id
        return self._add(raw, parsed, {"DRAFT"}, chosen, None)

    def _belongs(self, parsed: EmailMessage, thread_id: str, excluding: str = "") -> bool:
        """Gmail's rule: a referenced Message-ID is in the thread and the subject matches."""
        thread = [self.messages[m] for m in self.threads.get(thread_id, []) if m != excluding]
        if not thread:
            return False
        ids_in_thread = {mime.message_id_of(m.parsed) for m in thread} - {""}
        if not ids_in_thread & set(mime.referenced_ids(parsed)):
            return False
        subject = mime.normalize_subject(thread[0].parsed.get("Subject"))
        return mime.normalize_subject(parsed.get("Subject")) == subject

    def _receiving_thread(self, parsed: EmailMessage) -> str | None:
        references = mime.referenced_ids(parsed)
        if not references:
            return None
        by_id: dict[str, str] = {}
        for message in self.messages.values():
            if "DRAFT" not in message.labels:
                by_id.setdefault(mime.message_id_of(message.parsed), message.thread_id)
        for reference in references:
            thread_id = by_id.get(reference)
            if thread_id is not None and self._belongs(parsed, thread_id):
                return thread_id
        return None

    def _add(
        self,
        raw: bytes,
        parsed: EmailMessage,
        labels: set[str],
        thread_id: str | None,
        at: datetime | None,
        *,
        keep_thread_id: bool = False,
    ) -> StoredMessage:
        message_id = self._new_message_id()
        if thread_id is None or (thread_id not in self.threads and not keep_thread_id):
            thread_id = message_id
        message = StoredMessage(message_id, thread_id, labels, raw, at or self.clock(), 0, parsed)
        self.messages[message_id] = message
        self.threads.setdefault(thread_id, []).append(message_id)
        message.history_id = self._record("messageAdded", message)
        return message

    def _remove(self, message_id: str) -> None:
        message = self.messages.pop(message_id)
        thread = self.threads.get(message.thread_id, [])
        if message_id in thread:
            thread.remove(message_id)
        if not thread:
            self.threads.pop(message.thread_id, None)
        self._record("messageDeleted", message)

    def _record(
        self, kind: str, message: StoredMessage, changed_labels: tuple[str, ...] = ()
    ) -> int:
        self.history_id += self.rng.randrange(2, 40)
        self.history.append(
            HistoryRecord(
                self.history_id,
                kind,
                message.id,
                message.thread_id,
                tuple(message.label_list()),
                changed_labels,
            )
        )
        return self.history_id

    def _new_message_id(self) -> str:
        self._next_message_number += self.rng.randrange(1 << 12, 1 << 20)
        return f"{self._next_message_number:016x}"

    def _new_draft_id(self) -> str:
        while True:
            draft_id = f"r{self.rng.randrange(10**18, 10**19)}"
            if draft_id not in self.drafts:
                return draft_id


def _minimal_ref(message: StoredMessage) -> dict[str, Any]:
    return {"id": message.id, "threadId": message.thread_id, "labelIds": message.label_list()}


@dataclass(frozen=True)
class _Content:
    """The parts of a search target that depend on a message's bytes only."""

    headers: dict[str, str]
    text: str
    message_id: str
    has_attachment: bool


def _content(message: StoredMessage) -> _Content:
    parsed = message.parsed
    headers: dict[str, str] = {}
    for name, value in parsed.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else str(value)
    text = " ".join(
        [headers.get(h, "") for h in ("subject", "from", "to", "cc")] + [mime.body_text(parsed)]
    ).casefold()
    return _Content(headers, text, mime.message_id_of(parsed), mime.has_attachment(parsed))


def _paginate(
    items: list[_T], query: Query, *, default: int, high: int
) -> tuple[list[_T], str | None, int]:
    size = int_param(query, "maxResults", default, low=1, high=high)
    token = first(query, "pageToken")
    offset = 0
    if token is not None:
        try:
            offset = int(b64url_decode(token).decode())
        except ValueError:
            raise ApiError(400, "Invalid pageToken", "invalidArgument") from None
    page = items[offset : offset + size]
    more = offset + size < len(items)
    return page, (b64url_encode(str(offset + size).encode()) if more else None), len(items)
