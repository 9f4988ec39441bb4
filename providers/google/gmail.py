"""Gmail v1 as a ``Mailbox``: drafts as raw RFC 5322 messages, history for changes.

No code path here sends mail: drafts are created, updated, read and deleted, messages
and threads are read. (``gmail.compose`` would allow sending; this module never asks.)
"""

from __future__ import annotations

import base64
import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from daemon.domain.mime import (
    draft_bytes,
    normalize_message_id,
    parse_draft_content,
    to_mail_message,
)
from daemon.domain.model import DraftContent, DraftMessage, DraftRef, MailMessage
from daemon.errors import DraftChanged
from daemon.ports import DraftCheck, DraftRemoval, MailChanges
from providers.google.http import GoogleHttp, NotFound

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
                    userId="me", startHistoryId=cursor, historyTypes=HISTORY_TYPES,
                    maxResults=500, pageToken=page_token,
                )
            )  # fmt: skip
            for record in page.get("history", []):
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
        message = answer.get("message") or {}
        if ref.version:
            same = str(message.get("id") or "") == ref.version
        else:
            content = _content(message)
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
        return _content(answer.get("message") or {})

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
        items = [i for i in answer.get("drafts", []) if isinstance(i, dict)]
        return items[0] if items else None

    def find_sent(self, ref: DraftRef) -> MailMessage | None:
        """The sent message carrying the draft's Message-ID, if the user sent it.

        Only the Message-ID is used (Gmail keeps it when sending), so a ref without a
        draft id (the database was lost) works as well.
        """
        query = f"rfc822msgid:{_bare(ref.message_id)} in:sent"
        answer = self._http.execute(self._users.messages().list(userId="me", q=query, maxResults=5))
        for item in answer.get("messages", []):
            return self._message(str(item["id"]))
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
            for resource in answer.get("messages", []):
                if "DRAFT" not in (resource.get("labelIds") or []):
                    found[str(resource.get("id"))] = _mail_message(resource)
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
            ids.extend(str(m["id"]) for m in answer.get("messages", []))
            page_token = answer.get("nextPageToken")
            if not page_token or len(ids) >= limit:
                return ids[:limit]

    def _message(self, message_id: str) -> MailMessage | None:
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
    message = answer.get("message") or {}
    return DraftRef(
        draft_id=str(answer["id"]),
        message_id=normalize_message_id(message_id),
        thread_id=str(message["threadId"]) if message.get("threadId") else None,
        version=str(message["id"]) if message.get("id") else None,
    )


def _content(message: dict[str, Any]) -> DraftContent | None:
    """What a draft's message says, from its ``format=raw`` resource."""
    raw = message.get("raw")
    if not raw:
        return None
    return parse_draft_content(email.message_from_bytes(_unb64(raw), policy=email.policy.default))


def _mail_message(resource: dict[str, Any]) -> MailMessage:
    headers = (resource.get("payload") or {}).get("headers") or []
    text = "".join(
        f"{h.get('name', '')}: {' '.join(str(h.get('value', '')).split())}\n"
        for h in headers
        if isinstance(h, dict) and h.get("name")
    )
    parsed = email.message_from_string(text + "\n", policy=email.policy.default)
    internal = resource.get("internalDate")
    received = datetime.fromtimestamp(int(internal) / 1000, UTC) if internal else _EPOCH
    labels = resource.get("labelIds") or []
    message = to_mail_message(parsed, "sent" if "SENT" in labels else "inbox", received)
    return replace(message, thread_id=str(resource.get("threadId") or "") or None, date=received)


def _thread_ids(record: dict[str, Any]) -> set[str]:
    threads: set[str] = set()
    for message in record.get("messages", []):
        if isinstance(message, dict) and message.get("threadId"):
            threads.add(str(message["threadId"]))
    for key in ("messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved"):
        for change in record.get(key, []):
            message = change.get("message") if isinstance(change, dict) else None
            if isinstance(message, dict) and message.get("threadId"):
                threads.add(str(message["threadId"]))
    return threads


def _after(since: datetime) -> str:
    """A search term for messages at or after ``since`` (a second early: callers filter)."""
    return f"after:{int(since.timestamp()) - 1}"


def _bare(message_id: str) -> str:
    return normalize_message_id(message_id).strip("<>")


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
