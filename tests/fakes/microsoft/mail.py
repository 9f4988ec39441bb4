"""The fake Graph mailbox: messages in Inbox, Drafts, Sent Items and Deleted Items.

Ids: every message has an *immutable id* (kept for life) and a *REST id* that changes
whenever the message moves to another folder — the user sending a draft (Drafts → Sent
Items) or deleting it (→ Deleted Items). A request with ``Prefer: IdType="ImmutableId"`` sees
immutable ids; one without sees REST ids. Both kinds are accepted in URLs; a stale REST id
answers 404 ``ErrorItemNotFound``.

Drafts are created with ``POST /me/messages`` or ``createReply``/``createReplyAll``; only
``x-`` headers may be set, and only at creation. There is no way to send. ``PATCH`` and
``DELETE`` honour ``If-Match`` (``W/"<changeKey>"`` or ``*``): 412 when the item changed.

With ``rewrite_text_bodies`` the mailbox hands a stored text body back the way Exchange may
(``exchange_text``: CRLF line ends, no trailing blanks, one final line break) without a new
changeKey: what the text says is unchanged, its bytes are not.

Message delta reports changes relative to what the previous round returned: an item that
entered the folder after that round and left it again before the next one is not reported
at all (neither as an item nor as ``@removed``).

Callers hold the fake's lock.
"""

from __future__ import annotations

import base64
import copy
import html
import secrets
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parseaddr
from typing import Any

from .delta import Change, DeltaBook, SyncState
from .odata import compile_filter, compile_search, select
from .wire import (
    GraphError,
    Prefs,
    Query,
    change_key,
    first,
    graph_time,
    html_to_text,
    opaque_id,
    parse_time,
    preview,
)

MESSAGE_TYPE = "microsoft.graph.message"
MESSAGE_PROPERTIES = frozenset(
    {
        "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
        "receivedDateTime", "sentDateTime", "hasAttachments", "internetMessageId", "subject",
        "bodyPreview", "importance", "parentFolderId", "conversationId", "conversationIndex",
        "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft", "webLink",
        "inferenceClassification", "body", "uniqueBody", "sender", "from", "toRecipients",
        "ccRecipients", "bccRecipients", "replyTo", "flag", "internetMessageHeaders",
    }
)  # fmt: skip
_WRITABLE = frozenset(
    {
        "subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo",
        "importance", "categories", "flag", "isRead", "isDeliveryReceiptRequested",
        "isReadReceiptRequested", "inferenceClassification", "from", "sender",
        "internetMessageHeaders", "internetMessageId",
    }
)  # fmt: skip
_DRAFT_ONLY = frozenset(
    {
        "subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "from",
        "sender", "internetMessageId", "isDeliveryReceiptRequested", "isReadReceiptRequested",
    }
)  # fmt: skip
_RECIPIENT_LISTS = ("toRecipients", "ccRecipients", "bccRecipients", "replyTo")
_FOLDERS = {
    "inbox": "Inbox",
    "drafts": "Drafts",
    "sentitems": "Sent Items",
    "deleteditems": "Deleted Items",
}
_DEFAULT_PAGE = 10
_MAX_PAGE = 1000


@dataclass
class StoredMessage:
    """One message of the mailbox."""

    immutable_id: str
    rest_id: str
    folder: str
    data: dict[str, Any]
    seq: int
    custom_headers: list[dict[str, str]] = field(default_factory=list)
    transport_headers: list[dict[str, str]] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)


class MailState:
    """The fake mailbox of one user."""

    def __init__(self, user_email: str, user_name: str, clock: Callable[[], datetime]) -> None:
        self.user_email = user_email
        self.user_name = user_name
        self._clock = clock
        self.seq = 0
        self.messages: dict[str, StoredMessage] = {}
        self.rest_index: dict[str, str] = {}
        self.folder_ids = {key: opaque_id("AAMkAGI2AAuAAAAAAA", 24) for key in _FOLDERS}
        self.books = {key: DeltaBook() for key in _FOLDERS}
        self.rewrite_text_bodies = False
        """Store text bodies as ``exchange_text`` does (see the module docstring)."""

    # ------------------------------------------------------------- lookups

    def folder_key(self, ref: str) -> str:
        """A folder by well-known name (any case) or id."""
        lowered = ref.lower()
        if lowered in _FOLDERS:
            return lowered
        for key, folder_id in self.folder_ids.items():
            if folder_id == ref:
                return key
        if ref.startswith("AAMk"):
            raise GraphError(
                404, "ErrorItemNotFound", "The specified folder could not be found in the store."
            )
        raise GraphError(400, "ErrorInvalidIdMalformed", "Id is malformed.")

    def get(self, message_id: str) -> StoredMessage:
        """A message by immutable or current REST id (404 like Graph otherwise)."""
        found = self.messages.get(message_id) or self.messages.get(
            self.rest_index.get(message_id, "")
        )
        if found is None:
            raise GraphError(
                404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        return found

    # ------------------------------------------------------------ rendering

    def render(
        self,
        message: StoredMessage,
        prefs: Prefs,
        wanted: str | None = None,
        *,
        headers: bool = False,
    ) -> dict[str, Any]:
        """The message as Graph returns it (``internetMessageHeaders`` only when selected)."""
        data = copy.deepcopy(message.data)
        if prefs.body_type is not None:
            data["body"] = _convert_body(data["body"], prefs.body_type)
        resource: dict[str, Any] = {
            "@odata.etag": f'W/"{data["changeKey"]}"',
            "id": message.immutable_id if prefs.immutable_ids else message.rest_id,
            **data,
            "parentFolderId": self.folder_ids[message.folder],
        }
        selected = {n.strip() for n in (wanted or "").split(",")}
        if headers or "internetMessageHeaders" in selected:
            resource["internetMessageHeaders"] = (
                [*message.transport_headers, *message.custom_headers]
                if not message.data["isDraft"]
                else list(message.custom_headers)
            )
        return select(resource, wanted, MESSAGE_PROPERTIES, MESSAGE_TYPE)

    def inspect(self, message: StoredMessage) -> dict[str, Any]:
        """Inspection view: immutable ``id``, all headers, plus ``_restId``, ``_folder`` …"""
        view = self.render(message, Prefs(immutable_ids=True), headers=True)
        view |= {
            "_restId": message.rest_id,
            "_folder": message.folder,
            "_inReplyTo": message.in_reply_to,
            "_references": list(message.references),
        }
        return view

    # --------------------------------------------------------------- world

    def deliver(
        self,
        from_: str,
        subject: str,
        body: str,
        *,
        conversation_of: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        internet_message_id: str | None = None,
        to: Iterable[str] | None = None,
        cc: Iterable[str] = (),
        body_type: str = "text",
        at: datetime | None = None,
        folder: str = "inbox",
    ) -> StoredMessage:
        """A message arrives from outside (see ``FakeMicrosoft.deliver``)."""
        when = at or self._clock()
        parent = self.get(conversation_of) if conversation_of else None
        sender = _recipient(from_)
        message = self._new(folder, when)
        message.data |= {
            "subject": subject,
            "body": {"contentType": body_type, "content": body},
            "from": sender,
            "sender": copy.deepcopy(sender),
            "toRecipients": [_recipient(a) for a in (to or [self._me()])],
            "ccRecipients": [_recipient(a) for a in cc],
            "isRead": False,
            "isDraft": False,
            "internetMessageId": internet_message_id or _new_internet_message_id("example.net"),
            "receivedDateTime": graph_time(when),
            "sentDateTime": graph_time(when),
        }
        if parent is not None:
            self._thread_under(message, parent)
        message.data["bodyPreview"] = preview(message.data["body"])
        pairs = headers.items() if isinstance(headers, Mapping) else (headers or [])
        message.custom_headers = [{"name": k, "value": v} for k, v in pairs]
        message.transport_headers = self._transport_headers(message, when)
        self._store(message)
        return message

    def user_sends_draft(self, message_id: str, at: datetime | None = None) -> StoredMessage:
        """The user presses Send in Outlook: the draft moves to Sent Items."""
        message = self.get(message_id)
        if not message.data["isDraft"]:
            raise KeyError(f"{message_id} is not a draft")
        when = at or self._clock()
        me = {"emailAddress": {"name": self.user_name, "address": self.user_email}}
        message.data |= {
            "isDraft": False,
            "isRead": True,
            "from": me,
            "sender": copy.deepcopy(me),
            "sentDateTime": graph_time(when),
            "receivedDateTime": graph_time(when),
        }
        message.transport_headers = self._transport_headers(message, when)
        self._move(message, "sentitems")
        return message

    def user_edits_draft(self, message_id: str, new_body: str) -> StoredMessage:
        """The user rewrites the draft's text in Outlook (same ids, new changeKey)."""
        message = self.get(message_id)
        if not message.data["isDraft"]:
            raise KeyError(f"{message_id} is not a draft")
        content_type = str(message.data["body"].get("contentType", "text"))
        message.data["body"] = self._stored_body(content_type, new_body)
        message.data["bodyPreview"] = preview(message.data["body"])
        self._touch(message)
        return message

    def move(self, message_id: str, folder: str) -> StoredMessage:
        """The user moves a message (new REST id, same immutable id)."""
        message = self.get(message_id)
        self._move(message, self.folder_key(folder))
        return message

    def hard_delete(self, message_id: str) -> None:
        """The message is gone for good (emptied from Deleted Items)."""
        message = self.get(message_id)
        self.seq += 1
        del self.messages[message.immutable_id]
        self.rest_index.pop(message.rest_id, None)

    def set_read(self, message_id: str, read: bool) -> StoredMessage:
        """The user marks a message read or unread."""
        message = self.get(message_id)
        message.data["isRead"] = read
        self._touch(message)
        return message

    def in_folder(self, folder: str) -> list[StoredMessage]:
        """Messages of a folder, oldest first."""
        return sorted(
            (m for m in self.messages.values() if m.folder == folder),
            key=lambda m: (m.data["receivedDateTime"], m.seq),
        )

    # ------------------------------------------------------------ endpoints

    def create_draft(self, payload: Mapping[str, Any]) -> StoredMessage:
        """``POST /me/messages``: a new draft in Drafts, in a new conversation."""
        updates, custom = _validate_body(payload, creating=True)
        message = self._new("drafts", self._clock())
        self._apply(message, updates)
        message.custom_headers = custom
        self._store(message)
        return message

    def update(
        self, message_id: str, payload: Mapping[str, Any], if_match: str | None
    ) -> StoredMessage:
        """``PATCH /me/messages/{id}``."""
        message = self.get(message_id)
        _check_if_match(message, if_match)
        updates, _ = _validate_body(payload, creating=False)
        if not message.data["isDraft"]:
            for name in updates:
                if name in _DRAFT_ONLY:
                    raise GraphError(
                        400,
                        "ErrorInvalidPropertyUpdateSentMessage",
                        f"Update of the property '{name}' is not allowed once the message "
                        "has been sent.",
                    )
        self._apply(message, updates)
        self._touch(message)
        return message

    def delete(self, message_id: str, if_match: str | None = None) -> None:
        """``DELETE /me/messages/{id}``: to Deleted Items (from there: gone for good)."""
        message = self.get(message_id)
        _check_if_match(message, if_match)
        if message.folder == "deleteditems":
            self.hard_delete(message_id)
        else:
            self._move(message, "deleteditems")

    def create_reply(
        self, message_id: str, payload: Mapping[str, Any], *, reply_all: bool
    ) -> StoredMessage:
        """``POST /me/messages/{id}/createReply`` (or ``createReplyAll``): a reply draft."""
        original = self.get(message_id)
        extra = sorted(set(payload) - {"comment", "message"})
        if extra:
            raise GraphError(
                400,
                "RequestBodyRead",
                f"The parameter '{extra[0]}' in the request payload is not a valid parameter "
                "for the operation 'createReply'.",
            )
        inner = payload.get("message") or {}
        if not isinstance(inner, Mapping):
            raise GraphError(400, "RequestBodyRead", "'message' must be a message object.")
        comment = payload.get("comment")
        if comment is not None and "body" in inner:
            raise GraphError(
                400,
                "ErrorInvalidRequest",
                "Cannot set both the 'comment' parameter and the body of the 'message' parameter.",
            )
        updates, custom = _validate_body(inner, creating=True)
        draft = self._new("drafts", self._clock())
        source = original.data
        mine = original.folder == "sentitems" or _address(source.get("from")) == self.user_email
        if mine:
            to = copy.deepcopy(source.get("toRecipients") or [])
        else:
            to = copy.deepcopy(source.get("replyTo") or [source.get("from")])
        cc: list[Any] = []
        if reply_all:
            to += [
                copy.deepcopy(r)
                for r in source.get("toRecipients") or []
                if _address(r) != self.user_email and not mine
            ]
            cc = [
                copy.deepcopy(r)
                for r in source.get("ccRecipients") or []
                if _address(r) != self.user_email
            ]
        subject = str(source.get("subject") or "")
        if not subject.lower().startswith("re:"):
            subject = "RE: " + subject
        draft.data |= {
            "subject": subject,
            "toRecipients": [r for r in to if r],
            "ccRecipients": cc,
            "body": {"contentType": "html", "content": _reply_body(original, str(comment or ""))},
        }
        self._thread_under(draft, original)
        self._apply(draft, updates)
        draft.custom_headers = custom
        self._store(draft)
        return draft

    def list_messages(
        self, folder: str | None, query: Query, prefs: Prefs, link_base: str
    ) -> dict[str, Any]:
        """``GET /me/messages`` or ``/me/mailFolders/{id}/messages``."""
        search, filter_text = first(query, "$search"), first(query, "$filter")
        orderby = first(query, "$orderby")
        candidates = [m for m in self.messages.values() if folder in (None, m.folder)]
        if search is not None and (filter_text or orderby):
            raise GraphError(
                400,
                "ErrorInvalidUrlQuery",
                "$search cannot be combined with $filter or $orderby on messages.",
            )
        full = {m.immutable_id: self.render(m, Prefs(immutable_ids=True)) for m in candidates}
        if filter_text:
            predicate, referenced = compile_filter(filter_text, MESSAGE_PROPERTIES, MESSAGE_TYPE)
            if orderby:
                order_props = [p.split()[0].lower() for p in orderby.split(",")]
                if [r.lower() for r in referenced[: len(order_props)]] != order_props:
                    raise GraphError(
                        400,
                        "InefficientFilter",
                        "The restriction or sort order is too complex for this operation.",
                    )
            candidates = [m for m in candidates if predicate(full[m.immutable_id])]
        if search is not None:
            matches = compile_search(search)
            candidates = [m for m in candidates if matches(full[m.immutable_id])]
        candidates = _ordered(candidates, orderby)
        top = min(_int(query, "$top", prefs.max_page_size or _DEFAULT_PAGE), _MAX_PAGE)
        skip = _int(query, "$skip", 0)
        page = candidates[skip : skip + top]
        payload: dict[str, Any] = {
            "@odata.context": f"{link_base.split('/me/', maxsplit=1)[0]}/$metadata#users('me')/messages",
            "value": [self.render(m, prefs, first(query, "$select")) for m in page],
        }
        if first(query, "$count") == "true":
            payload["@odata.count"] = len(candidates)
        if skip + top < len(candidates):
            params = {k: v[0] for k, v in query.items() if k != "$skip"}
            params |= {"$top": str(top), "$skip": str(skip + top)}
            payload["@odata.nextLink"] = (
                link_base
                + "?"
                + urllib.parse.urlencode(params, safe="$'(),:/ ", quote_via=urllib.parse.quote)
            )
        return payload

    def delta(self, folder: str, query: Query, prefs: Prefs, link_base: str) -> dict[str, Any]:
        """``GET /me/mailFolders/{id}/messages/delta``."""
        book = self.books[folder]
        skiptoken, deltatoken = first(query, "$skiptoken"), first(query, "$deltatoken")
        if skiptoken:
            round_, offset = book.resume(skiptoken, link_base)
        elif deltatoken:
            round_, offset = self._changes_since(folder, book.state(deltatoken, link_base))
        else:
            unsupported = sorted(k for k in query if k not in ("$select", "$filter", "$top"))
            if unsupported:
                raise GraphError(
                    400,
                    "ErrorInvalidUrlQuery",
                    f"Unsupported query parameters for message delta: {', '.join(unsupported)}.",
                )
            wanted = first(query, "$select")
            if wanted:
                select({}, wanted, MESSAGE_PROPERTIES, MESSAGE_TYPE)  # validates the names
            filter_text = first(query, "$filter")
            if filter_text:
                compile_filter(filter_text, MESSAGE_PROPERTIES, MESSAGE_TYPE)
            page_size = min(_int(query, "$top", prefs.max_page_size or _DEFAULT_PAGE), _MAX_PAGE)
            params = {"select": wanted, "filter": filter_text}
            members = [m for m in self.in_folder(folder) if self._passes(m, params)]
            members.reverse()  # newest first, as Outlook lists them
            known = frozenset(f"{m.immutable_id} {m.rest_id}" for m in members)
            state = SyncState(params, self.seq, known, page_size)
            round_, offset = book.start_round([Change(m.immutable_id) for m in members], state)
        changes, next_skip, next_delta = book.page(round_, offset)
        wanted = round_.params.get("select")
        value: list[dict[str, Any]] = []
        for change in changes:
            message = self.messages.get(change.key)
            if change.removed_ids is not None or message is None:
                rest, immutable = change.removed_ids or (change.key, change.key)
                value.append(
                    {
                        "@odata.type": "#microsoft.graph.message",
                        "id": immutable if prefs.immutable_ids else rest,
                        "@removed": {"reason": "deleted"},
                    }
                )
            else:
                value.append(self.render(message, prefs, wanted))
        payload: dict[str, Any] = {
            "@odata.context": f"{link_base.split('/me/', maxsplit=1)[0]}/$metadata#Collection(message)",
            "value": value,
        }
        if next_skip:
            payload["@odata.nextLink"] = f"{link_base}?$skiptoken={next_skip}"
        else:
            payload["@odata.deltaLink"] = f"{link_base}?$deltatoken={next_delta}"
        return payload

    def folder_resource(self, folder: str) -> dict[str, Any]:
        """``GET /me/mailFolders/{id}``."""
        members = self.in_folder(folder)
        return {
            "id": self.folder_ids[folder],
            "displayName": _FOLDERS[folder],
            "parentFolderId": opaque_id("AAMkAGI2AAuAAAAAAA", 24),
            "childFolderCount": 0,
            "unreadItemCount": sum(1 for m in members if not m.data["isRead"]),
            "totalItemCount": len(members),
            "sizeInBytes": sum(len(str(m.data)) for m in members),
            "isHidden": False,
        }

    # -------------------------------------------------------------- helpers

    def _me(self) -> str:
        return f"{self.user_name} <{self.user_email}>"

    def _new(self, folder: str, when: datetime) -> StoredMessage:
        immutable = opaque_id("AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A")
        rest = opaque_id("AAMkAGI2")
        stamp = graph_time(when)
        data: dict[str, Any] = {
            "createdDateTime": stamp,
            "lastModifiedDateTime": stamp,
            "changeKey": change_key(),
            "categories": [],
            "receivedDateTime": stamp,
            "sentDateTime": stamp,
            "hasAttachments": False,
            "internetMessageId": _new_internet_message_id("FAKEPR01MB0001.prod.outlook.com"),
            "subject": "",
            "bodyPreview": "",
            "importance": "normal",
            "conversationId": opaque_id("AAQkAGI2", 24),
            "conversationIndex": base64.b64encode(b"\x01" + secrets.token_bytes(21)).decode(),
            "isDeliveryReceiptRequested": False,
            "isReadReceiptRequested": False,
            "isRead": True,
            "isDraft": True,
            "webLink": "https://outlook.office365.com/owa/?ItemID="
            + urllib.parse.quote(rest, safe="")
            + "&exvsurl=1&viewmodel=ReadMessageItem",
            "inferenceClassification": "focused",
            "body": {"contentType": "text", "content": ""},
            "sender": None,
            "from": None,
            "toRecipients": [],
            "ccRecipients": [],
            "bccRecipients": [],
            "replyTo": [],
            "flag": {"flagStatus": "notFlagged"},
        }
        return StoredMessage(immutable, rest, folder, data, 0)

    def _store(self, message: StoredMessage) -> None:
        self.seq += 1
        message.seq = self.seq
        self.messages[message.immutable_id] = message
        self.rest_index[message.rest_id] = message.immutable_id

    def _touch(self, message: StoredMessage) -> None:
        self.seq += 1
        message.seq = self.seq
        message.data["changeKey"] = change_key()
        message.data["lastModifiedDateTime"] = graph_time(self._clock())

    def _move(self, message: StoredMessage, folder: str) -> None:
        self.rest_index.pop(message.rest_id, None)
        message.rest_id = opaque_id("AAMkAGI2")
        message.folder = folder
        message.data["webLink"] = (
            "https://outlook.office365.com/owa/?ItemID="
            + urllib.parse.quote(message.rest_id, safe="")
            + "&exvsurl=1&viewmodel=ReadMessageItem"
        )
        self.rest_index[message.rest_id] = message.immutable_id
        self._touch(message)

    def _thread_under(self, message: StoredMessage, parent: StoredMessage) -> None:
        message.data["conversationId"] = parent.data["conversationId"]
        index = base64.b64decode(parent.data["conversationIndex"])
        message.data["conversationIndex"] = base64.b64encode(
            index + secrets.token_bytes(5)
        ).decode()
        message.in_reply_to = str(parent.data["internetMessageId"])
        message.references = [*parent.references, str(parent.data["internetMessageId"])]

    def _stored_body(self, content_type: str, content: str) -> dict[str, Any]:
        """A body as the mailbox stores it (text rewritten, if asked, like Exchange)."""
        kind = content_type.lower()
        if kind == "text" and self.rewrite_text_bodies:
            content = exchange_text(content)
        return {"contentType": kind, "content": content}

    def _apply(self, message: StoredMessage, updates: Mapping[str, Any]) -> None:
        for name, value in updates.items():
            if name == "body":
                message.data["body"] = self._stored_body(
                    str(value.get("contentType", "text")), str(value.get("content") or "")
                )
            else:
                message.data[name] = copy.deepcopy(value)
        message.data["bodyPreview"] = preview(message.data["body"])

    def _transport_headers(self, message: StoredMessage, when: datetime) -> list[dict[str, str]]:
        data = message.data

        def people(name: str) -> str:
            return ", ".join(_format_address(r) for r in data.get(name) or [])

        pairs = [
            ("Received", f"from FAKEPR01MB0001.prod.outlook.com; {format_datetime(when)}"),
            ("From", _format_address(data.get("from"))),
            ("To", people("toRecipients")),
            ("Cc", people("ccRecipients")),
            ("Subject", str(data.get("subject") or "")),
            ("Thread-Topic", str(data.get("subject") or "").removeprefix("RE: ")),
            ("Thread-Index", str(data.get("conversationIndex"))),
            ("Date", format_datetime(when.astimezone(UTC))),
            ("Message-ID", str(data.get("internetMessageId"))),
            ("In-Reply-To", message.in_reply_to or ""),
            ("References", " ".join(message.references)),
            ("MIME-Version", "1.0"),
            (
                "Content-Type",
                f"text/{'html' if data['body'].get('contentType') == 'html' else 'plain'}; "
                'charset="utf-8"',
            ),
        ]
        return [{"name": k, "value": v} for k, v in pairs if v]

    def _passes(self, message: StoredMessage, params: Mapping[str, Any]) -> bool:
        filter_text = params.get("filter")
        if not filter_text:
            return True
        predicate, _ = compile_filter(str(filter_text), MESSAGE_PROPERTIES, MESSAGE_TYPE)
        return predicate(self.render(message, Prefs(immutable_ids=True)))

    def _changes_since(self, folder: str, state: SyncState) -> tuple[Any, int]:
        known = dict(entry.split(" ", 1) for entry in state.known)
        changes: list[Change] = []
        for message in sorted(self.messages.values(), key=lambda m: m.seq):
            if message.seq <= state.seq:
                continue
            if message.folder == folder and self._passes(message, state.params):
                old_rest = known.get(message.immutable_id)
                if old_rest is not None and old_rest != message.rest_id:
                    changes.append(Change(message.immutable_id, (old_rest, message.immutable_id)))
                changes.append(Change(message.immutable_id))
                known[message.immutable_id] = message.rest_id
        for immutable, rest in sorted(known.items()):
            current = self.messages.get(immutable)
            if (
                current is None
                or current.folder != folder
                or not self._passes(current, state.params)
            ):
                changes.append(Change(immutable, (rest, immutable)))
                del known[immutable]
        new_state = SyncState(
            state.params,
            self.seq,
            frozenset(f"{k} {v}" for k, v in known.items()),
            state.page_size,
        )
        return self.books[folder].start_round(changes, new_state)


# ================================================================= helpers


def exchange_text(content: str) -> str:
    """A text body as Exchange may hand it back: CRLF line ends, no blanks at line ends,
    exactly one line break at the end. ``DraftContent.fingerprint`` does not change."""
    lines = [line.rstrip() for line in content.replace("\r\n", "\n").split("\n")]
    text = "\r\n".join(lines).rstrip()
    return f"{text}\r\n" if text else ""


def _check_if_match(message: StoredMessage, if_match: str | None) -> None:
    """412 unless ``If-Match`` is absent, ``*`` or the message's current ETag."""
    if if_match and if_match.strip() not in ("*", f'W/"{message.data["changeKey"]}"'):
        raise GraphError(
            412,
            "ErrorIrresolvableConflict",
            "The send or update operation could not be performed because the change key "
            "passed in the request does not match the current change key for the item.",
        )


def _new_internet_message_id(domain: str) -> str:
    return f"<{secrets.token_hex(16).upper()}@{domain}>"


def _recipient(text: str) -> dict[str, Any]:
    name, address = parseaddr(text)
    return {"emailAddress": {"name": name or address, "address": address}}


def _address(recipient: Any) -> str:
    if not isinstance(recipient, Mapping):
        return ""
    return str((recipient.get("emailAddress") or {}).get("address") or "").lower()


def _format_address(recipient: Any) -> str:
    if not isinstance(recipient, Mapping):
        return ""
    email = recipient.get("emailAddress") or {}
    name, address = str(email.get("name") or ""), str(email.get("address") or "")
    return f'"{name}" <{address}>' if name and name != address else address


def _convert_body(body: Mapping[str, Any], wanted: str) -> dict[str, Any]:
    current = str(body.get("contentType", "text")).lower()
    content = str(body.get("content") or "")
    if current == wanted:
        return dict(body)
    if wanted == "text":
        return {"contentType": "text", "content": html_to_text(content)}
    escaped = html.escape(content).replace("\n", "<br>\r\n")
    return {
        "contentType": "html",
        "content": f'<html><head><meta http-equiv="Content-Type" content="text/html; '
        f'charset=utf-8"></head><body><div>{escaped}</div></body></html>',
    }


def _reply_body(original: StoredMessage, comment: str) -> str:
    data = original.data
    body = data.get("body") or {}
    quoted = str(body.get("content") or "")
    if str(body.get("contentType", "text")).lower() != "html":
        quoted = html.escape(quoted).replace("\n", "<br>\r\n")
    to = "; ".join(html.escape(_format_address(r)) for r in data.get("toRecipients") or [])
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f"</head><body><div>{html.escape(comment)}</div>"
        '<hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" '
        'style="font-size:11pt" color="#000000">'
        f"<b>From:</b> {html.escape(_format_address(data.get('from')))}<br>"
        f"<b>Sent:</b> {html.escape(str(data.get('sentDateTime') or ''))}<br>"
        f"<b>To:</b> {to}<br>"
        f"<b>Subject:</b> {html.escape(str(data.get('subject') or ''))}</font>"
        f"<div>&nbsp;</div></div><div>{quoted}</div></body></html>"
    )


def _validate_body(
    payload: Mapping[str, Any], *, creating: bool
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Split a message JSON into property updates and custom headers, rejecting like Graph."""
    if not isinstance(payload, Mapping):
        raise GraphError(400, "RequestBodyRead", "The request body must be a JSON object.")
    updates: dict[str, Any] = {}
    custom: list[dict[str, str]] = []
    for name, value in payload.items():
        if name.startswith("@odata."):
            continue
        if name not in MESSAGE_PROPERTIES:
            raise GraphError(
                400,
                "RequestBodyRead",
                f"The property '{name}' does not exist on type '{MESSAGE_TYPE}'. Make sure to "
                "only use property names that are defined by the type or mark the type as open "
                "type.",
            )
        if name not in _WRITABLE:
            raise GraphError(
                400,
                "ErrorInvalidProperty",
                f"The property '{name}' is read-only and cannot be set.",
            )
        if name == "internetMessageHeaders":
            if not creating:
                raise GraphError(
                    400,
                    "ErrorInvalidPropertyRequest",
                    "internetMessageHeaders can only be set when the message is created.",
                )
            custom = _custom_headers(value)
        elif name == "body":
            if (
                not isinstance(value, Mapping)
                or str(value.get("contentType", "text")).lower() not in ("text", "html")
                or not isinstance(value.get("content", ""), str)
            ):
                raise GraphError(
                    400,
                    "RequestBodyRead",
                    f"Cannot convert {value!r} to 'microsoft.graph.itemBody' "
                    "({'contentType': 'text'|'html', 'content': str}).",
                )
            updates[name] = value
        elif name in _RECIPIENT_LISTS:
            if not isinstance(value, list) or not all(_address(r) for r in value):
                raise GraphError(
                    400,
                    "ErrorInvalidRecipients",
                    f"'{name}' must be a list of {{'emailAddress': {{'address': …}}}}.",
                )
            updates[name] = value
        elif name == "internetMessageId":
            text = str(value)
            if not (text.startswith("<") and text.endswith(">") and "@" in text):
                raise GraphError(
                    400,
                    "ErrorInvalidInternetMessageId",
                    f"The internet message id '{text}' is not of the form <local@domain>.",
                )
            updates[name] = text
        else:
            updates[name] = value
    return updates, custom


def _custom_headers(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise GraphError(400, "RequestBodyRead", "internetMessageHeaders must be a list.")
    headers: list[dict[str, str]] = []
    for entry in value:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise GraphError(400, "RequestBodyRead", "Each header needs 'name' and 'value'.")
        name = str(entry["name"])
        if not name.lower().startswith("x-"):
            raise GraphError(
                400,
                "InvalidInternetMessageHeader",
                f"The internet message header name '{name}' should start with 'x-' or 'X-'.",
            )
        headers.append({"name": name, "value": str(entry.get("value", ""))})
    return headers


def _ordered(messages: list[StoredMessage], orderby: str | None) -> list[StoredMessage]:
    clauses = [c.split() for c in (orderby or "receivedDateTime desc").split(",") if c.strip()]
    result = list(messages)
    for clause in reversed(clauses):
        name = clause[0]
        if name not in MESSAGE_PROPERTIES:
            raise GraphError(
                400,
                "RequestBroker--ParseUri",
                f"Could not find a property named '{name}' on type '{MESSAGE_TYPE}'.",
            )
        descending = len(clause) > 1 and clause[1].lower() == "desc"

        def key(message: StoredMessage, name: str = name) -> Any:
            value = message.data.get(name)
            if isinstance(value, str) and name.endswith("DateTime"):
                return parse_time(value)
            return "" if value is None else value

        result.sort(key=key, reverse=descending)
    return result


def _int(query: Query, name: str, default: int) -> int:
    value = first(query, name)
    if value is None:
        return default
    if not value.isdigit():
        raise GraphError(400, "BadRequest", f"Invalid value '{value}' for {name}.")
    return int(value)
