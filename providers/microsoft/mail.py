"""Microsoft Graph mail as a ``Mailbox``: drafts via ``/me/messages``, follow-ups via
``createReply``, changes via per-folder delta of Inbox, Sent Items and Drafts.

A draft the user deleted still exists, in Deleted Items, with ``isDraft`` true; a sent one
keeps its immutable id in Sent Items. So a draft is read, updated or deleted only while it
is in Drafts (``/me/mailFolders/drafts/messages/{id}``): never the user's sent mail or trash.

A draft's version marker (``DraftRef.version``) is its ``changeKey``: every write the
provider makes to a draft is conditional on it (``If-Match``), so a draft the user changed
is never overwritten nor deleted, even when the change lands between check and write.

Never ``/send`` or ``/sendMail``: the app is not even granted ``Mail.Send``.

What Graph reports of a message is a stranger's: every address is checked with
``parse_address`` (an invalid one, such as ``"jane@x.com>, eve@evil.com"`` as one
``emailAddress.address``, is dropped), at most ``MAX_ADDRESSES_PER_MESSAGE`` of From, To
and Cc are read, headers are bounded as ``daemon.domain.mime`` bounds them, and an item
that cannot be read (fields missing or of the wrong type) is passed over with a warning
naming its id.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from interview_outreach.daemon.domain.addresses import InvalidAddress, clean_name, parse_address
from interview_outreach.daemon.domain.limits import MAX_ADDRESSES_PER_MESSAGE
from interview_outreach.daemon.domain.mime import (
    MAX_DRAFT_BYTES,
    MAX_HEADER_VALUE,
    bounded_headers,
    display_name,
    message_ids,
    normalize_message_id,
    single_line,
    without_surrogates,
)
from interview_outreach.daemon.domain.model import (
    Address,
    DraftContent,
    DraftMessage,
    DraftRef,
    MailMessage,
)
from interview_outreach.daemon.errors import DraftChanged, ProviderError
from interview_outreach.daemon.ports import DraftCheck, DraftRemoval, MailChanges
from interview_outreach.providers.json_values import json_array, json_object, json_objects, json_str
from interview_outreach.providers.microsoft.graph import (
    GraphHttp,
    NotFound,
    PreconditionFailed,
    SyncStateGone,
)

log = logging.getLogger(__name__)

WATCHED_FOLDERS = ("inbox", "sentitems", "drafts")
MESSAGE_FIELDS = (
    "id,conversationId,internetMessageId,subject,from,toRecipients,ccRecipients,"
    "receivedDateTime,sentDateTime,isDraft,internetMessageHeaders,changeKey"
)
_CONTENT_FIELDS = "subject,body,toRecipients"
TEXT_BODY = ('outlook.body-content-type="text"',)
SEARCH_PAGES = 5
MAX_REPLY_SCAN = 100  # received messages looked through for In-Reply-To/References
ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
DELTA_HORIZON = timedelta(days=31)  # older mail cannot matter to a pass


class GraphMailbox:
    """One Microsoft 365 / Outlook.com mailbox."""

    def __init__(
        self,
        account: str,
        http: GraphHttp,
        known_address: str | None = None,
        now: datetime | None = None,
    ) -> None:
        self._account = account
        self._http = http
        self._address = known_address.lower() if known_address else None
        self._now = now
        self._drafts_id: str | None = None

    def address(self) -> str:
        """The mailbox's address: ``mail``, else ``userPrincipalName`` of ``/me``."""
        if self._address is None:
            me = self._http.get("/me", {"$select": "mail,userPrincipalName"})
            self._address = str(me.get("mail") or me.get("userPrincipalName") or "").lower()
        return self._address

    def changes(self, cursor: str | None) -> MailChanges:
        """Ids and conversation ids changed in the watched folders since ``cursor``."""
        links = _links(cursor)
        if not all(folder in links for folder in WATCHED_FOLDERS):
            return MailChanges(threads=None, cursor=json.dumps(self._start_deltas()))
        changed: set[str] = set()
        try:
            for folder in WATCHED_FOLDERS:
                links[folder] = self._follow(links[folder], changed)
        except SyncStateGone:
            return MailChanges(threads=None, cursor=json.dumps(self._start_deltas()))
        return MailChanges(threads=frozenset(changed), cursor=json.dumps(links))

    def _start_deltas(self) -> dict[str, str]:
        since = (self._now or datetime.now(UTC)) - DELTA_HORIZON
        links: dict[str, str] = {}
        for folder in WATCHED_FOLDERS:
            first = (
                f"/me/mailFolders/{folder}/messages/delta?$select=conversationId"
                f"&$filter=receivedDateTime+ge+{since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
            )
            links[folder] = self._follow(first, set())
        return links

    def _follow(self, url: str, changed: set[str]) -> str:
        while True:
            page = self._http.get(url)
            for item in json_objects(page.get("value")):
                changed.update(str(item[k]) for k in ("id", "conversationId") if item.get(k))
            if page.get("@odata.nextLink"):
                url = str(page["@odata.nextLink"])
                continue
            return str(page.get("@odata.deltaLink") or url)

    def create_draft(self, draft: DraftMessage) -> DraftRef:
        """A new draft in Drafts, or a reply draft in the sent message's conversation."""
        # Our Message-ID on reply drafts too: ``find_draft`` finds them after a crash.
        fields = {**_fields(draft), "internetMessageId": draft.message_id}
        if draft.in_reply_to:
            parent = self._sent_id(draft.in_reply_to)
            if parent is None:
                raise ProviderError("the sent message to reply to was not found", self._account)
            # Graph sets In-Reply-To/References and the conversation from the parent.
            answer = self._http.request(
                "POST",
                f"/me/messages/{parent}/createReply",
                json_body={"message": fields},
                before_retry=lambda: self._by_message_id("drafts", draft.message_id),
            )
            return _ref(answer, draft.message_id)
        answer = self._http.request(
            "POST",
            "/me/messages",
            json_body=fields,
            before_retry=lambda: self._by_message_id("drafts", draft.message_id),
        )
        return _ref(answer, draft.message_id)

    def check_draft(self, ref: DraftRef, fingerprint: str) -> DraftCheck:
        """Untouched, edited or gone: see ``_inspect``."""
        return self._inspect(ref, fingerprint)[0]

    def update_draft(self, ref: DraftRef, draft: DraftMessage, fingerprint: str) -> DraftRef:
        """Rewrite the untouched draft's recipients, subject and body in one ``PATCH``.

        The ``PATCH`` carries ``If-Match`` with the changeKey just checked: a user's edit
        in between (or a move out of Drafts) makes Graph refuse it (412) and nothing is
        written. A 412 whose draft already says exactly ``draft`` is our own write whose
        answer was lost (a retried request): it is taken as done.
        """
        check, change_key = self._inspect(ref, fingerprint)
        if check is DraftCheck.GONE:
            raise DraftChanged("the draft to update is no longer a draft", self._account)
        if check is not DraftCheck.UNTOUCHED or not change_key:
            raise DraftChanged("the draft to update was changed by the user", self._account)
        try:
            answer = self._http.request(
                "PATCH",
                f"/me/messages/{ref.draft_id}",
                json_body=_fields(draft),
                if_match=_etag(change_key),
            )
        except NotFound as error:
            raise DraftChanged("the draft to update is gone", self._account) from error
        except PreconditionFailed as error:
            current = self._draft(ref, f"{_CONTENT_FIELDS},changeKey,conversationId")
            if current is None or _content(current).fingerprint != draft.content.fingerprint:
                raise DraftChanged(
                    "the draft was changed while it was being updated", self._account
                ) from error
            answer = current
        return _ref(answer, ref.message_id)

    def delete_draft(self, ref: DraftRef, fingerprint: str) -> DraftRemoval:
        """Delete the untouched draft (``If-Match`` its changeKey); leave anything else.

        A deleted draft goes to Deleted Items: a draft that is already there (the user
        discarded it) or was sent is never touched again.
        """
        check, change_key = self._inspect(ref, fingerprint)
        if check is DraftCheck.GONE:
            return DraftRemoval.GONE
        if check is not DraftCheck.UNTOUCHED or not change_key:
            return DraftRemoval.KEPT
        try:
            self._http.request("DELETE", f"/me/messages/{ref.draft_id}", if_match=_etag(change_key))
        except NotFound:
            return DraftRemoval.GONE
        except PreconditionFailed:
            # Changed (or moved) since the check: what is left decides, nothing is deleted.
            again = self._inspect(ref, fingerprint)[0]
            return DraftRemoval.GONE if again is DraftCheck.GONE else DraftRemoval.KEPT
        return DraftRemoval.REMOVED

    def _inspect(self, ref: DraftRef, fingerprint: str) -> tuple[DraftCheck, str | None]:
        """Whether ``ref`` is untouched, edited or gone, and its current changeKey.

        Untouched: the message ``ref.draft_id`` is a draft in Drafts, its changeKey is
        ``ref.version`` (when known; Exchange may hand a text body back rewritten without a
        new changeKey, so the content is not compared then) or else its content has
        ``fingerprint``, and no other draft carries its Message-ID. Edited: it was changed,
        or another draft carries its Message-ID (a client that saves an edit as a new
        item). Gone: no draft in Drafts carries it.
        """
        fields = "changeKey" if ref.version else f"changeKey,{_CONTENT_FIELDS}"
        ours: dict[str, Any] | None = None
        others = False
        if ref.message_id:
            for item in self._drafts_named(ref.message_id, fields):
                if not item.get("isDraft", True):
                    continue
                if ref.draft_id and item.get("id") == ref.draft_id:
                    ours = item
                else:
                    others = True
        if ours is None and ref.draft_id:
            # Not listed under its Message-ID (or none known): ask for the id itself.
            ours = self._draft(ref, fields)
        if ours is None:
            return (DraftCheck.EDITED if others else DraftCheck.GONE), None
        change_key = str(ours.get("changeKey") or "") or None
        if ref.version:
            untouched = change_key == ref.version
        else:
            untouched = _content(ours).fingerprint == fingerprint
        if not untouched or others:
            return DraftCheck.EDITED, change_key
        return DraftCheck.UNTOUCHED, change_key

    def _drafts_named(self, internet_message_id: str, fields: str) -> list[dict[str, Any]]:
        """The drafts in Drafts whose internetMessageId is ``internet_message_id``."""
        wanted = normalize_message_id(internet_message_id)
        params = {
            "$filter": f"internetMessageId eq '{_quote(wanted)}'",
            "$select": f"id,internetMessageId,isDraft,{fields}",
        }
        page = self._http.request(
            "GET", "/me/mailFolders/drafts/messages", params=params, extra_prefer=TEXT_BODY
        )
        return json_objects(page.get("value"))

    def read_draft(self, ref: DraftRef) -> DraftContent | None:
        """What the draft says now; ``None`` once it was sent or deleted."""
        answer = self._draft(ref, _CONTENT_FIELDS)
        return None if answer is None else _content(answer)

    def _draft(self, ref: DraftRef, fields: str) -> dict[str, Any] | None:
        """The message ``ref`` while it is a draft in Drafts, else ``None``."""
        if not ref.draft_id:
            return None
        try:
            answer = self._http.request(
                "GET",
                f"/me/mailFolders/drafts/messages/{ref.draft_id}",
                params={"$select": f"{fields},isDraft,parentFolderId"},
                extra_prefer=TEXT_BODY,
            )
        except NotFound:
            return None
        in_drafts = answer.get("parentFolderId") in (None, self._drafts_folder_id())
        return answer if in_drafts and answer.get("isDraft", False) else None

    def _drafts_folder_id(self) -> str:
        """The id of the Drafts folder (asked once)."""
        if self._drafts_id is None:
            folder = self._http.get("/me/mailFolders/drafts", {"$select": "id"})
            self._drafts_id = str(folder.get("id") or "")
        return self._drafts_id

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft whose internetMessageId is ``message_id``."""
        found = self._by_message_id("drafts", message_id)
        return _ref(found, message_id) if found else None

    def find_sent(self, ref: DraftRef) -> MailMessage | None:
        """The sent message the draft became: same immutable id, no longer a draft.

        Without a draft id (only the Message-ID is known) it is looked for by
        internetMessageId in Sent Items.
        """
        answer: dict[str, Any] = {}
        if ref.draft_id:
            try:
                answer = self._http.get(f"/me/messages/{ref.draft_id}", {"$select": MESSAGE_FIELDS})
            except NotFound:
                answer = {}
        if not answer and ref.message_id:
            answer = self._by_message_id("sentitems", ref.message_id) or {}
        if not answer or answer.get("isDraft", True):
            return None
        return _mail_message(answer, "sent")

    def messages_with(self, address: str, since: datetime) -> list[MailMessage]:
        """Messages from, to or cc ``address`` in Inbox and Sent Items since ``since``."""
        who = address.strip().lower()
        found: list[MailMessage] = []
        for folder, kind in (("inbox", "inbox"), ("sentitems", "sent")):
            params = {"$search": f'"participants:{who}"', "$select": MESSAGE_FIELDS, "$top": "50"}
            for item in self._pages(f"/me/mailFolders/{folder}/messages", params):
                message = _mail_message(item, kind)
                if message is None or message.date < since:
                    continue
                if who == message.sender or who in message.recipients:
                    found.append(message)
        return sorted(found, key=lambda m: m.date)

    def thread_messages(
        self, message_id: str, thread_id: str | None, since: datetime
    ) -> list[MailMessage]:
        """Messages since ``since`` in conversation ``thread_id`` or naming ``message_id``.

        Outlook puts a reply in the conversation by its Thread-Index/Thread-Topic, and
        ``$filter`` cannot reach In-Reply-To or References: the received messages since
        ``since`` are looked through for those headers (at most ``MAX_REPLY_SCAN``).
        """
        found: dict[str, MailMessage] = {}
        if thread_id:
            for folder, kind in (("inbox", "inbox"), ("sentitems", "sent")):
                params = {
                    "$filter": f"conversationId eq '{_quote(thread_id)}'",
                    "$select": MESSAGE_FIELDS,
                }
                for item in self._pages(f"/me/mailFolders/{folder}/messages", params):
                    message = _mail_message(item, kind)
                    if message is not None:
                        found.setdefault(str(item.get("id")), message)
        wanted = normalize_message_id(message_id)
        if wanted:
            # Only received mail can be someone else's reply; sent mail and drafts are ours.
            params = {
                "$filter": f"receivedDateTime ge {_iso(since)}",
                "$orderby": "receivedDateTime desc",
                "$select": MESSAGE_FIELDS,
                "$top": "50",
            }
            for item in self._pages("/me/mailFolders/inbox/messages", params, MAX_REPLY_SCAN):
                message = _mail_message(item, "inbox")
                if message is not None and wanted in (message.in_reply_to, *message.references):
                    found.setdefault(str(item.get("id")), message)
        return sorted((m for m in found.values() if m.date >= since), key=lambda m: m.date)

    def _sent_id(self, internet_message_id: str) -> str | None:
        found = self._by_message_id("sentitems", internet_message_id)
        return str(found["id"]) if found else None

    def _by_message_id(self, folder: str, internet_message_id: str) -> dict[str, Any] | None:
        wanted = normalize_message_id(internet_message_id)
        params = {"$filter": f"internetMessageId eq '{_quote(wanted)}'", "$select": MESSAGE_FIELDS}
        items = json_objects(
            self._http.get(f"/me/mailFolders/{folder}/messages", params).get("value")
        )
        return next((i for i in items if i.get("id")), None)

    def _pages(
        self, path: str, params: dict[str, str], limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The items of at most ``SEARCH_PAGES`` pages (and at most ``limit`` items)."""
        items: list[dict[str, Any]] = []
        page = self._http.get(path, params)
        for _ in range(SEARCH_PAGES):
            items.extend(json_objects(page.get("value")))
            if not page.get("@odata.nextLink") or (limit is not None and len(items) >= limit):
                break
            page = self._http.get(str(page["@odata.nextLink"]))
        return items[:limit]


def _fields(draft: DraftMessage) -> dict[str, Any]:
    """Subject, body and recipients; line breaks in the subject or names become spaces."""
    content = draft.content
    return {
        "subject": single_line(content.subject),
        "body": {"contentType": "Text", "content": content.body},
        "toRecipients": [
            {"emailAddress": {"address": "".join(a.email.split()), "name": display_name(a.name)}}
            for a in content.to
        ],
    }


def _ref(answer: dict[str, Any], message_id: str) -> DraftRef:
    """Where a draft lives, with its changeKey as the version marker."""
    return DraftRef(
        draft_id=str(answer["id"]),
        message_id=normalize_message_id(str(answer.get("internetMessageId") or message_id)),
        thread_id=str(answer["conversationId"]) if answer.get("conversationId") else None,
        version=str(answer["changeKey"]) if answer.get("changeKey") else None,
    )


def _etag(change_key: str) -> str:
    """The ``If-Match`` value for a message's changeKey (Graph's ``@odata.etag``)."""
    return f'W/"{change_key}"'


def _content(answer: dict[str, Any]) -> DraftContent:
    """What a draft says: its valid recipients, subject and text body as Graph returns
    them (the first ``MAX_ADDRESSES_PER_MESSAGE`` recipients, ``MAX_DRAFT_BYTES``
    characters of body)."""
    to = []
    for recipient in json_array(answer.get("toRecipients"))[:MAX_ADDRESSES_PER_MESSAGE]:
        address = _address(recipient)
        if address:
            name = json_str(json_object(json_object(recipient).get("emailAddress")).get("name"))
            to.append(Address(address, clean_name(without_surrogates(name))))
    body = json_str(json_object(answer.get("body")).get("content"))[:MAX_DRAFT_BYTES]
    subject = without_surrogates(json_str(answer.get("subject")))
    return DraftContent(to=tuple(to), subject=subject, body=without_surrogates(body))


def _mail_message(item: dict[str, Any], folder: str) -> MailMessage | None:
    """A Graph message as a ``MailMessage``; ``None`` (and a warning) when it cannot be
    read."""
    try:
        return _read_message(item, folder)
    except Exception as error:
        shown = repr(str(item.get("id"))[:256])  # Graph ids are about 150 characters
        log.warning("Graph message %s passed over, it cannot be read: %r", shown, error)
        return None


def _read_message(item: dict[str, Any], folder: str) -> MailMessage:
    """``_mail_message`` without the safety net; raises on an unreadable date."""
    raw_headers: list[tuple[str, str]] = []
    for header in json_objects(item.get("internetMessageHeaders")):
        name, value = header.get("name"), header.get("value")
        if isinstance(name, str) and name:
            raw_headers.append((name, value if isinstance(value, str) else ""))
    headers = tuple(
        (name, _address_header(value) if name.lower() in ADDRESS_HEADERS else value)
        for name, value in bounded_headers(raw_headers)
    )
    named = {name.lower(): value for name, value in headers}
    in_reply_to = message_ids(named.get("in-reply-to"))
    stamp = item.get("sentDateTime") if folder == "sent" else item.get("receivedDateTime")
    content_type = (
        named.get("content-type", "text/plain").split(";")[0].strip().lower() or "text/plain"
    )
    people = [
        item.get("from"),
        *json_array(item.get("toRecipients")),
        *json_array(item.get("ccRecipients")),
    ][:MAX_ADDRESSES_PER_MESSAGE]
    addresses = [_address(person) for person in people]
    return MailMessage(
        message_id=normalize_message_id(
            without_surrogates(json_str(item.get("internetMessageId"))[:MAX_HEADER_VALUE])
        ),
        sender=addresses[0],
        recipients=tuple(a for a in addresses[1:] if a),
        subject=without_surrogates(json_str(item.get("subject"))[:MAX_HEADER_VALUE]),
        date=_date(stamp),
        folder=folder,
        thread_id=json_str(item.get("conversationId")) or None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=message_ids(named.get("references")),
        headers=headers,
        content_type=content_type,
    )


def _address_header(value: str) -> str:
    """An address header in one form, whoever wrote it: ``Name <a@b>``, quoted if needed."""
    pairs = email.utils.getaddresses([value])
    if not pairs or not all(address for _, address in pairs):
        return value
    rendered = []
    for name, address in pairs:
        if not name:
            rendered.append(address)
        elif _SPECIALS.search(name):
            quoted = name.replace("\\", "\\\\").replace('"', '\\"')
            rendered.append(f'"{quoted}" <{address}>')
        else:
            rendered.append(f"{name} <{address}>")
    return ", ".join(rendered)


def _address(value: Any) -> str:
    """The address of a Graph recipient (``{"emailAddress": {"address": …}}``) as
    ``parse_address`` gives it; ``""`` when there is none or it is not a valid address."""
    address = json_object(json_object(value).get("emailAddress")).get("address")
    if not isinstance(address, str):
        return ""
    try:
        return parse_address(address)
    except InvalidAddress:
        return ""


def _date(value: Any) -> datetime:
    """A Graph date-time (UTC without a zone); the epoch when there is none, ``ValueError``
    when it is not a date."""
    if not value:
        return datetime(1970, 1, 1, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _links(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items() if v} if isinstance(data, dict) else {}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quote(value: str) -> str:
    return value.replace("'", "''")
