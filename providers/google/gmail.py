"""Gmail v1 as a ``Mailbox``: drafts as raw RFC 5322 messages, history for changes.

No code path here sends mail: drafts are created, updated, read and deleted, messages
and threads are read. (``gmail.compose`` would allow sending; this module never asks.)

Messages are strangers' and so is what Gmail reports of them: each resource goes through
``daemon.domain.mime`` (bounded headers, checked addresses), and one that cannot be read
(fields missing or of the wrong type, undecodable) is passed over with a warning naming
its id; the other messages are read as usual.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from interview_outreach.daemon.domain.mime import (
    MAX_DRAFT_BYTES,
    draft_bytes,
    headers_to_mail_message,
    normalize_message_id,
    parse_draft_content,
    parse_message,
)
from interview_outreach.daemon.domain.model import DraftContent, DraftMessage, DraftRef, MailMessage
from interview_outreach.daemon.errors import DraftChanged
from interview_outreach.daemon.ports import DraftCheck, DraftRemoval, MailChanges
from interview_outreach.providers.google.http import GoogleHttp, NotFound
from interview_outreach.providers.json_values import json_array, json_object, json_objects

log = logging.getLogger(__name__)

HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]
MAX_SCANNED = 500  # messages looked at by one search
MAX_REPLY_SCAN = 100  # received messages looked through for a reply outside the thread
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SAID = {
    DraftCheck.EDITED: "changed since it was written (left as it is)",
    DraftCheck.GONE: "sent or deleted (not recreated)",
}


class GmailMailbox:
    """One Gmail account's drafts, sent mail and inbox."""

    def __init__(
        self, account: str, http: GoogleHttp, service: Any, known_address: str | None = None
    ) -> None:
        self._account = account
        self._http = http
        self._users = service.users()
        self._address = known_address.lower() if known_address else None

    def address(self) -> str:
        """The account's address (asked of Gmail once, unless it was already known)."""
        if self._address is None:
            profile = self._http.execute(self._users.getProfile(userId="me"))
            self._address = str(profile.get("emailAddress", "")).lower()
        return self._address

    def changes(self, cursor: str | None) -> MailChanges:
        """Threads touched since the history id ``cursor`` (all of them when it expired)."""
        if cursor:
            try:
                return self._history(cursor)
            except NotFound:
                pass  # history too old: start again from the current point
        profile = self._http.execute(self._users.getProfile(userId="me"))
        self._address = self._address or str(profile.get("emailAddress", "")).lower()
        return MailChanges(threads=None, cursor=str(profile.get("historyId", "")) or None)

    def _history(self, cursor: str) -> MailChanges:
        threads: set[str] = set()
        latest = cursor
        page_token: str | None = None
        while True:
            page = self._http.execute(
                self._users.history().list(
                    userId="me",
                    startHistoryId=cursor,
                    historyTypes=HISTORY_TYPES,
                    maxResults=500,
                    pageToken=page_token,
                )
            )
            for record in json_objects(page.get("history")):
                threads.update(_thread_ids(record))
            latest = str(page.get("historyId") or latest)
            page_token = page.get("nextPageToken")
            if not page_token:
                return MailChanges(threads=frozenset(threads), cursor=latest)

    def create_draft(self, draft: DraftMessage) -> DraftRef:
        """A new draft; follow-ups carry the thread id so Gmail files them in the thread.

        The ref's version is the new draft's message id (from the drafts.create answer).
        """
        answer = self._http.execute(
            self._users.drafts().create(userId="me", body={"message": _message_body(draft)}),
            before_retry=lambda: self._draft_item(draft.message_id),
        )
        return _ref(answer, draft.message_id)

    def check_draft(self, ref: DraftRef, fingerprint: str) -> DraftCheck:
        """Untouched, edited or gone: one ``drafts.get``.

        With ``ref.version`` known the draft's current message id decides (``format=minimal``):
        Gmail gives the draft a new message id at every update and at every save of the
        user's edit, and none when it merely re-serialises what it stores. Without it the
        content fingerprint of the stored message decides (``format=raw``).
        """
        return self._check(ref, fingerprint)[0]

    def update_draft(self, ref: DraftRef, draft: DraftMessage, fingerprint: str) -> DraftRef:
        """Replace the untouched draft's message; the draft id stays, its message id changes.

        Checked right before ``drafts.update`` (Gmail has no conditional update): a draft
        that was edited, sent or deleted raises ``DraftChanged`` and nothing is written.
        """
        check, draft_id = self._check(ref, fingerprint)
        if check is not DraftCheck.UNTOUCHED:
            raise DraftChanged(f"the draft to update was {_SAID[check]}", self._account)
        body = {"id": draft_id, "message": _message_body(draft)}
        try:
            answer = self._http.execute(
                self._users.drafts().update(userId="me", id=draft_id, body=body)
            )
        except NotFound as error:  # sent or deleted since the check
            message = f"the draft to update was {_SAID[DraftCheck.GONE]}"
            raise DraftChanged(message, self._account) from error
        return _ref(answer, draft.message_id)

    def delete_draft(self, ref: DraftRef, fingerprint: str) -> DraftRemoval:
        """Delete the untouched draft for good (checked right before); leave anything else."""
        check, draft_id = self._check(ref, fingerprint)
        if check is DraftCheck.GONE:
            return DraftRemoval.GONE
        if check is DraftCheck.EDITED:
            return DraftRemoval.KEPT
        try:
            self._http.execute(self._users.drafts().delete(userId="me", id=draft_id))
        except NotFound:
            return DraftRemoval.GONE
        return DraftRemoval.REMOVED

    def _check(self, ref: DraftRef, fingerprint: str) -> tuple[DraftCheck, str]:
        """``check_draft`` and the draft id it looked at (found by Message-ID if unknown)."""
        draft_id = ref.draft_id
        if not draft_id:
            # Only the Message-ID is known: Gmail's drafts.get needs an id (an empty one
            # would ask drafts.list instead). drafts.list gives the message id as well.
            found = self.find_draft(ref.message_id) if ref.message_id else None
            if found is None:
                return DraftCheck.GONE, ""
            if ref.version:
                same = found.version == ref.version
                return (DraftCheck.UNTOUCHED if same else DraftCheck.EDITED), found.draft_id
            draft_id = found.draft_id
        fmt = "minimal" if ref.version else "raw"
        try:
            answer = self._http.execute(
                self._users.drafts().get(userId="me", id=draft_id, format=fmt)
            )
        except NotFound:
            return DraftCheck.GONE, draft_id
        message = json_object(answer.get("message"))
        if ref.version:
            same = str(message.get("id") or "") == ref.version
        else:
            content = _content(message, draft_id)
            same = content is not None and content.fingerprint == fingerprint
        return (DraftCheck.UNTOUCHED if same else DraftCheck.EDITED), draft_id

    def read_draft(self, ref: DraftRef) -> DraftContent | None:
        """What the draft says now, ``None`` once it was sent or deleted."""
        try:
            answer = self._http.execute(
                self._users.drafts().get(userId="me", id=ref.draft_id, format="raw")
            )
        except NotFound:
            return None
        return _content(json_object(answer.get("message")), ref.draft_id)

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft with this Message-ID header, with its version (its current message id).

        For reconciliation after a crash between create and record, or a lost database.
        """
        item = self._draft_item(message_id)
        return None if item is None else _ref(item, message_id)

    def _draft_item(self, message_id: str) -> dict[str, Any] | None:
        """The drafts.list item (draft id, message id, thread) with this Message-ID."""
        query = f"rfc822msgid:{_bare(message_id)}"
        answer = self._http.execute(self._users.drafts().list(userId="me", q=query, maxResults=5))
        items = [i for i in json_objects(answer.get("drafts")) if _id(i.get("id"))]
        return items[0] if items else None

    def find_sent(self, ref: DraftRef) -> MailMessage | None:
        """The sent message carrying the draft's Message-ID, if the user sent it.

        Only the Message-ID is used (Gmail keeps it when sending), so a ref without a
        draft id (the database was lost) works as well.
        """
        query = f"rfc822msgid:{_bare(ref.message_id)} in:sent"
        answer = self._http.execute(self._users.messages().list(userId="me", q=query, maxResults=5))
        for item in json_objects(answer.get("messages")):
            gmail_id = _id(item.get("id"))
            if gmail_id:
                return self._message(gmail_id)
        return None

    def messages_with(self, address: str, since: datetime) -> list[MailMessage]:
        """Sent and received messages with ``address`` since ``since`` (drafts excluded)."""
        who = address.strip().lower()
        query = f"(from:{who} OR to:{who} OR cc:{who}) {_after(since)} -in:drafts"
        found = [m for m in self._search(query) if m.date >= since]
        return sorted(found, key=lambda m: m.date)

    def thread_messages(
        self, message_id: str, thread_id: str | None, since: datetime
    ) -> list[MailMessage]:
        """Messages since ``since`` in Gmail thread ``thread_id`` or naming ``message_id``.

        Gmail files a reply in the thread only when its subject still matches, and search
        has no operator for In-Reply-To or References: the messages since ``since`` are
        looked through for those headers (at most ``MAX_REPLY_SCAN`` received messages).
        """
        found: dict[str, MailMessage] = {}
        if thread_id:
            try:
                answer = self._http.execute(
                    self._users.threads().get(userId="me", id=thread_id, format="metadata")
                )
            except NotFound:
                answer = {}
            for resource in json_objects(answer.get("messages")):
                if "DRAFT" in json_array(resource.get("labelIds")):
                    continue
                message = _mail_message(resource)
                if message is not None:
                    found[str(resource.get("id"))] = message
        wanted = normalize_message_id(message_id)
        if wanted:
            # Only received mail can be someone else's reply; sent mail and drafts are ours.
            for gmail_id in self._ids(f"{_after(since)} in:inbox", limit=MAX_REPLY_SCAN):
                if gmail_id in found:
                    continue
                message = self._message(gmail_id)
                if message is not None and wanted in (message.in_reply_to, *message.references):
                    found[gmail_id] = message
        return sorted((m for m in found.values() if m.date >= since), key=lambda m: m.date)

    def _search(self, query: str) -> list[MailMessage]:
        return [m for m in (self._message(i) for i in self._ids(query)) if m is not None]

    def _ids(self, query: str, limit: int = MAX_SCANNED) -> list[str]:
        """Ids of the messages matching ``query``, newest first, at most ``limit``."""
        ids: list[str] = []
        page_token: str | None = None
        while True:
            answer = self._http.execute(
                self._users.messages().list(
                    userId="me", q=query, maxResults=100, pageToken=page_token
                )
            )
            ids.extend(
                i for i in (_id(m.get("id")) for m in json_objects(answer.get("messages"))) if i
            )
            page_token = answer.get("nextPageToken")
            if not page_token or len(ids) >= limit:
                return ids[:limit]

    def _message(self, message_id: str) -> MailMessage | None:
        """The message ``message_id``; ``None`` when it is gone or cannot be read."""
        try:
            # Every header (no metadataHeaders): MailMessage.headers are all of them.
            answer = self._http.execute(
                self._users.messages().get(userId="me", id=message_id, format="metadata")
            )
        except NotFound:
            return None
        return _mail_message(answer)


def _message_body(draft: DraftMessage) -> dict[str, Any]:
    body: dict[str, Any] = {"raw": base64.urlsafe_b64encode(draft_bytes(draft)).decode("ascii")}
    if draft.thread_id:
        body["threadId"] = draft.thread_id
    return body


def _ref(answer: dict[str, Any], message_id: str) -> DraftRef:
    """A draft resource (``{id, message: {id, threadId}}``) as a ref; its version is the
    draft's current message id."""
    message = json_object(answer.get("message"))
    return DraftRef(
        draft_id=str(answer["id"]),
        message_id=normalize_message_id(message_id),
        thread_id=str(message["threadId"]) if message.get("threadId") else None,
        version=str(message["id"]) if message.get("id") else None,
    )


def _content(message: dict[str, Any], draft_id: str) -> DraftContent | None:
    """What a draft's message says, from its ``format=raw`` resource (``MAX_DRAFT_BYTES``
    of it at most); ``None`` when it has no raw message that can be decoded."""
    raw = message.get("raw")
    if not isinstance(raw, str) or not raw:
        return None
    try:
        data = _unb64(raw[: (MAX_DRAFT_BYTES + 2) // 3 * 4])
    except ValueError as error:
        log.warning("Gmail draft %s: its message cannot be decoded: %r", draft_id, error)
        return None
    try:
        parsed = parse_message(data)
    except Exception as error:
        log.warning("Gmail draft %s: only the header of its message is read: %r", draft_id, error)
        parsed = parse_message(data, headers_only=True)
    return parse_draft_content(parsed)


def _mail_message(resource: dict[str, Any]) -> MailMessage | None:
    """A ``format=metadata`` message resource as a ``MailMessage``; ``None`` (and a
    warning) when it cannot be read."""
    try:
        return _read_message(resource)
    except Exception as error:
        log.warning(
            "Gmail message %s passed over, it cannot be read: %r", _shown_id(resource), error
        )
        return None


def _read_message(resource: dict[str, Any]) -> MailMessage:
    """``_mail_message`` without the safety net: the message date is Gmail's internal date
    (the Date header when it has none that can be read)."""
    pairs: list[tuple[str, str]] = []
    for header in json_objects(json_object(resource.get("payload")).get("headers")):
        name, value = header.get("name"), header.get("value")
        if isinstance(name, str) and name:
            pairs.append((name, value if isinstance(value, str) else ""))
    received = _internal_date(resource.get("internalDate"))
    folder = "sent" if "SENT" in json_array(resource.get("labelIds")) else "inbox"
    message = headers_to_mail_message(pairs, folder, received or _EPOCH)
    return replace(message, thread_id=_id(resource.get("threadId")), date=received or message.date)


def _internal_date(value: Any) -> datetime | None:
    """Gmail's ``internalDate`` (milliseconds since the epoch, as a string); ``None`` when
    it is missing or not such a number."""
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not value:
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _thread_ids(record: dict[str, Any]) -> set[str]:
    threads: set[str] = set()
    for message in json_objects(record.get("messages")):
        if message.get("threadId"):
            threads.add(str(message["threadId"]))
    for key in ("messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved"):
        for change in json_objects(record.get(key)):
            changed = json_object(change.get("message"))
            if changed.get("threadId"):
                threads.add(str(changed["threadId"]))
    return threads


def _after(since: datetime) -> str:
    """A search term for messages at or after ``since`` (a second early: callers filter)."""
    return f"after:{int(since.timestamp()) - 1}"


def _bare(message_id: str) -> str:
    return normalize_message_id(message_id).strip("<>")


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def _id(value: Any) -> str | None:
    """A Gmail id (message, thread), or ``None`` when ``value`` is none."""
    return (
        str(value)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value
        else None
    )


def _shown_id(resource: dict[str, Any]) -> str:
    """The resource's id for a log line: at most 256 characters, shown as a literal."""
    return repr(str(resource.get("id"))[:256])
