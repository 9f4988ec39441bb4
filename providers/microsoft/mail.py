"""Microsoft Graph mail as a ``Mailbox``: drafts via ``/me/messages``, follow-ups via
``createReply``, changes via per-folder delta of Inbox, Sent Items and Drafts.

Never ``/send`` or ``/sendMail``: the app is not even granted ``Mail.Send``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from daemon.domain.mime import message_ids, normalize_message_id
from daemon.domain.model import Address, DraftContent, DraftMessage, DraftRef, MailMessage
from daemon.errors import ProviderError
from daemon.ports import MailChanges
from providers.microsoft.graph import GraphHttp, NotFound, SyncStateGone

WATCHED_FOLDERS = ("inbox", "sentitems", "drafts")
MESSAGE_FIELDS = (
    "id,conversationId,internetMessageId,subject,from,toRecipients,ccRecipients,"
    "receivedDateTime,sentDateTime,isDraft,internetMessageHeaders"
)
TEXT_BODY = ('outlook.body-content-type="text"',)
SEARCH_PAGES = 5
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
            for item in page.get("value", []):
                if isinstance(item, dict):
                    changed.update(str(item[k]) for k in ("id", "conversationId") if item.get(k))
            if page.get("@odata.nextLink"):
                url = str(page["@odata.nextLink"])
                continue
            return str(page.get("@odata.deltaLink") or url)

    def create_draft(self, draft: DraftMessage) -> DraftRef:
        """A new draft in Drafts, or a reply draft in the sent message's conversation."""
        if draft.in_reply_to:
            parent = self._sent_id(draft.in_reply_to)
            if parent is None:
                raise ProviderError("the sent message to reply to was not found", self._account)
            reply = self._http.request("POST", f"/me/messages/{parent}/createReply")
            answer = self._http.request(
                "PATCH", f"/me/messages/{reply['id']}", json_body=_fields(draft)
            )
            return _ref({**reply, **answer}, draft.message_id)
        body = {**_fields(draft), "internetMessageId": draft.message_id}
        return _ref(self._http.request("POST", "/me/messages", json_body=body), draft.message_id)

    def update_draft(self, ref: DraftRef, draft: DraftMessage) -> DraftRef:
        """Rewrite the draft's recipients, subject and body."""
        try:
            answer = self._http.request(
                "PATCH", f"/me/messages/{ref.draft_id}", json_body=_fields(draft)
            )
        except NotFound as error:
            raise ProviderError("the draft to update is gone", self._account) from error
        return _ref(answer, ref.message_id)

    def delete_draft(self, ref: DraftRef) -> None:
        """Delete the draft; one that is already gone is fine."""
        try:
            self._http.request("DELETE", f"/me/messages/{ref.draft_id}")
        except NotFound:
            return

    def read_draft(self, ref: DraftRef) -> DraftContent | None:
        """What the draft says now; ``None`` once it was sent (same immutable id) or deleted."""
        try:
            answer = self._http.request(
                "GET", f"/me/messages/{ref.draft_id}",
                params={"$select": "subject,body,toRecipients,isDraft"}, extra_prefer=TEXT_BODY,
            )  # fmt: skip
        except NotFound:
            return None
        if not answer.get("isDraft", False):
            return None
        to = tuple(
            Address(
                str(r["emailAddress"].get("address", "")).lower(),
                str(r["emailAddress"].get("name", "")),
            )
            for r in answer.get("toRecipients", [])
            if isinstance(r, dict) and isinstance(r.get("emailAddress"), dict)
        )
        body = str((answer.get("body") or {}).get("content") or "")
        return DraftContent(to=to, subject=str(answer.get("subject") or ""), body=body)

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft whose internetMessageId is ``message_id``."""
        found = self._by_message_id("drafts", message_id)
        return _ref(found, message_id) if found else None

    def find_sent(self, ref: DraftRef) -> MailMessage | None:
        """The sent message the draft became: same immutable id, no longer a draft."""
        try:
            answer = self._http.get(f"/me/messages/{ref.draft_id}", {"$select": MESSAGE_FIELDS})
        except NotFound:
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
                if message.date >= since and (who == message.sender or who in message.recipients):
                    found.append(message)
        return sorted(found, key=lambda m: m.date)

    def thread_messages(
        self, message_id: str, thread_id: str | None, since: datetime
    ) -> list[MailMessage]:
        """The messages of conversation ``thread_id`` in Inbox and Sent Items since ``since``."""
        if not thread_id:
            return []
        found: list[MailMessage] = []
        for folder, kind in (("inbox", "inbox"), ("sentitems", "sent")):
            params = {
                "$filter": f"conversationId eq '{_quote(thread_id)}'",
                "$select": MESSAGE_FIELDS,
            }
            found.extend(
                _mail_message(item, kind)
                for item in self._pages(f"/me/mailFolders/{folder}/messages", params)
            )
        return sorted((m for m in found if m.date >= since), key=lambda m: m.date)

    def _sent_id(self, internet_message_id: str) -> str | None:
        found = self._by_message_id("sentitems", internet_message_id)
        return str(found["id"]) if found else None

    def _by_message_id(self, folder: str, internet_message_id: str) -> dict[str, Any] | None:
        wanted = normalize_message_id(internet_message_id)
        params = {"$filter": f"internetMessageId eq '{_quote(wanted)}'", "$select": MESSAGE_FIELDS}
        items = self._http.get(f"/me/mailFolders/{folder}/messages", params).get("value", [])
        return next((i for i in items if isinstance(i, dict)), None)

    def _pages(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = self._http.get(path, params)
        for _ in range(SEARCH_PAGES):
            items.extend(i for i in page.get("value", []) if isinstance(i, dict))
            if not page.get("@odata.nextLink"):
                break
            page = self._http.get(str(page["@odata.nextLink"]))
        return items


def _fields(draft: DraftMessage) -> dict[str, Any]:
    content = draft.content
    return {
        "subject": content.subject,
        "body": {"contentType": "Text", "content": content.body},
        "toRecipients": [
            {"emailAddress": {"address": a.email, "name": a.name}} for a in content.to
        ],
    }


def _ref(answer: dict[str, Any], message_id: str) -> DraftRef:
    return DraftRef(
        draft_id=str(answer["id"]),
        message_id=normalize_message_id(str(answer.get("internetMessageId") or message_id)),
        thread_id=str(answer["conversationId"]) if answer.get("conversationId") else None,
    )


def _mail_message(item: dict[str, Any], folder: str) -> MailMessage:
    headers = tuple(
        (str(h.get("name", "")), str(h.get("value", "")))
        for h in item.get("internetMessageHeaders") or []
        if isinstance(h, dict)
    )
    named = {name.lower(): value for name, value in headers}
    in_reply_to = message_ids(named.get("in-reply-to"))
    stamp = item.get("sentDateTime") if folder == "sent" else item.get("receivedDateTime")
    content_type = (
        named.get("content-type", "text/plain").split(";")[0].strip().lower() or "text/plain"
    )
    return MailMessage(
        message_id=normalize_message_id(str(item.get("internetMessageId") or "")),
        sender=_address(item.get("from")),
        recipients=tuple(
            _address(r) for r in [*item.get("toRecipients", []), *item.get("ccRecipients", [])]
        ),
        subject=str(item.get("subject") or ""),
        date=_date(stamp),
        folder=folder,
        thread_id=str(item["conversationId"]) if item.get("conversationId") else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=message_ids(named.get("references")),
        headers=headers,
        content_type=content_type,
    )


def _address(value: Any) -> str:
    address = value.get("emailAddress") if isinstance(value, dict) else None
    return str(address.get("address", "")).lower() if isinstance(address, dict) else ""


def _date(value: Any) -> datetime:
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


def _quote(value: str) -> str:
    return value.replace("'", "''")
