"""``FakeGoogle``: one HTTPS server on 127.0.0.1 playing Google OAuth, Calendar v3 and Gmail v1.

The real client libraries talk to it: ``googleapiclient`` built with
``client_options={"api_endpoint": fake.root}`` and ``static_discovery=True``, google-auth's
``Credentials`` refreshing at ``fake.token_uri`` and ``google_auth_oauthlib``'s
``InstalledAppFlow`` running the whole browser round trip against ``fake.auth_uri``.
The TLS certificate comes from a throw-away ``trustme`` CA written to ``fake.ca_path``.
"""

from __future__ import annotations

import email
import http
import json
import random
import re
import secrets
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pytest

from ..https import HttpsFake
from . import mime
from .calendar import CalendarState
from .gmail import SYSTEM_LABELS, GmailState
from .oauth import GMAIL_METADATA, PRODUCT_SCOPES, AccessToken, OAuthState
from .wire import (
    ApiError,
    OAuthError,
    Query,
    Response,
    b64url_decode,
    error_payload,
    first,
    json_response,
)

_R = TypeVar("_R")
_AUTH = "https://www.googleapis.com/auth/"
_MAIL = "https://mail.google.com/"
_CALENDAR_READ = frozenset(
    _AUTH + s
    for s in ("calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly")
)
_GMAIL_READ = frozenset({_MAIL, _AUTH + "gmail.modify", _AUTH + "gmail.readonly"})
_GMAIL_METADATA_READ = _GMAIL_READ | {GMAIL_METADATA}
_DRAFT_READ = _GMAIL_READ | {_AUTH + "gmail.compose"}
_DRAFT_WRITE = frozenset({_MAIL, _AUTH + "gmail.modify", _AUTH + "gmail.compose"})
_PROFILE = _DRAFT_READ | {GMAIL_METADATA}

_SEND = re.compile(r"^(?:(?:resumable/)?upload/)?gmail/v1/users/[^/]+/(?:messages|drafts)/send$")
_GMAIL_PREFIXES = ("gmail/v1/users/", "upload/gmail/v1/users/", "resumable/upload/gmail/v1/users/")
_BATCH_PATHS = ("batch", "batch/gmail/v1", "batch/calendar/v3")


class Request(NamedTuple):
    """One request the fake received: ``(method, path, query)``; batch parts are logged too."""

    method: str
    path: str
    query: Query

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        return first(self.query, name)


@dataclass(frozen=True)
class MessageInfo:
    """Inspection view of one stored Gmail message."""

    id: str
    thread_id: str
    labels: frozenset[str]
    internal_date: datetime
    history_id: int
    email: EmailMessage


class FakeGoogle(HttpsFake[Request]):
    """A fake of Google OAuth, Calendar v3 and Gmail v1 over real HTTPS on 127.0.0.1.

    Use as a context manager (or ``start()``/``stop()``). Control methods act as the user and
    the world (mail arriving, the user sending a draft, tokens expiring); they are thread-safe.
    There is no way to send mail: ``messages.send``/``drafts.send`` answer 403 and land in
    ``forbidden_calls``.
    """

    _tempdir_prefix = "fake-google-"
    _fault_content_type = "application/json; charset=UTF-8"

    def __init__(
        self,
        *,
        user_email: str = "me@example.com",
        time_zone: str = "UTC",
        clock: Callable[[], datetime] | None = None,
        seed: int | None = None,
        access_token_lifetime: int = 3600,
    ) -> None:
        self.user_email = user_email
        self.time_zone = time_zone
        self.client_id = f"{secrets.randbelow(10**12)}-fake.apps.googleusercontent.com"
        self.client_secret = "GOCSPX-" + secrets.token_urlsafe(20)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._seed = seed
        self._initial_token_lifetime = access_token_lifetime
        super().__init__()
        self._init_state()

    def _init_state(self) -> None:
        self._init_log()
        self._uploads: dict[str, tuple[str | None, str | None]] = {}
        self.oauth = OAuthState(self.client_id, self.client_secret, self._initial_token_lifetime)
        self.calendar = CalendarState(self.user_email, self.time_zone, self._clock)
        self.gmail = GmailState(self.user_email, self._clock, random.Random(self._seed))

    def reset(self) -> None:
        """Forget all state (mail, events, tokens, logs, faults); keep server, CA and client."""
        with self._lock:
            self._init_state()

    # ----------------------------------------------------------- endpoints

    @property
    def auth_uri(self) -> str:
        """The authorization endpoint (``accounts.google.com/o/oauth2/auth``)."""
        return self.root + "o/oauth2/auth"

    @property
    def token_uri(self) -> str:
        """The token endpoint (``oauth2.googleapis.com/token``)."""
        return self.root + "token"

    @property
    def revoke_uri(self) -> str:
        """The revocation endpoint (``oauth2.googleapis.com/revoke``)."""
        return self.root + "revoke"

    def env(self) -> dict[str, str]:
        """Environment variables that make httplib2, requests and ssl trust the fake's CA."""
        return {
            "HTTPLIB2_CA_CERTS": self.ca_path,
            "REQUESTS_CA_BUNDLE": self.ca_path,
            "SSL_CERT_FILE": self.ca_path,
        }

    def trust(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make every HTTP library of this process trust the fake's CA for one test.

        Sets ``env()`` and also patches ``httplib2.CA_CERTS``: httplib2 reads
        ``HTTPLIB2_CA_CERTS`` once, at import, so the variable alone is too late in a test.
        """
        import httplib2  # noqa: PLC0415

        for name, value in self.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(httplib2, "CA_CERTS", self.ca_path)

    def client_secrets(self, path: str | Path) -> Path:
        """Write an installed-app client secrets JSON pointing at the fake; returns the path."""
        target = Path(path)
        secrets_json = {
            "installed": {
                "client_id": self.client_id,
                "project_id": "fake-project",
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "client_secret": self.client_secret,
                "redirect_uris": ["http://localhost"],
            }
        }
        target.write_text(json.dumps(secrets_json, indent=2), encoding="utf-8")
        return target

    def issue_credentials(self, scopes: Sequence[str] = PRODUCT_SCOPES) -> dict[str, Any]:
        """A grant without the browser: keyword arguments for ``google.oauth2.credentials.Credentials``."""
        with self._lock:
            token, grant = self.oauth.issue(scopes)
        return {
            "token": token.value,
            "refresh_token": grant.refresh_token,
            "token_uri": self.token_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scopes": list(scopes),
        }

    def credentials(self, scopes: Sequence[str] = PRODUCT_SCOPES) -> Any:
        """``google.oauth2.credentials.Credentials`` for a fresh grant (see ``issue_credentials``)."""
        from google.oauth2.credentials import Credentials  # noqa: PLC0415

        return Credentials(**self.issue_credentials(scopes))

    def service(self, name: str, version: str, credentials: Any = None) -> Any:
        """A ``googleapiclient`` resource for ``name``/``version`` talking to the fake.

        Its connections are closed by ``stop()`` (httplib2 leaves sockets open otherwise,
        which pytest's ``filterwarnings = error`` turns into ResourceWarning failures).
        """
        import google_auth_httplib2  # noqa: PLC0415
        import httplib2  # noqa: PLC0415
        from googleapiclient.discovery import build  # noqa: PLC0415

        creds = credentials if credentials is not None else self.credentials()
        authorized = google_auth_httplib2.AuthorizedHttp(
            creds, http=httplib2.Http(ca_certs=self.ca_path)
        )
        self._closers.append(authorized.close)
        return build(
            name,
            version,
            http=authorized,
            client_options={"api_endpoint": self.root},
            static_discovery=True,
        )

    # --------------------------------------------------------------- faults

    def _fault_body(self, prefix: str, status: int) -> bytes:
        """Google's JSON error for the status (429 ``rateLimitExceeded``, 503 ``backendError``
        …), or an OAuth error under the ``token`` endpoint; a test passes a dict to
        ``fail_next`` for e.g. 403 ``userRateLimitExceeded``."""
        if prefix != "token":
            return json.dumps(error_payload(status)).encode()
        busy = status == 429 or status >= 500
        error, text = (
            ("temporarily_unavailable", "Try again later.")
            if busy
            else ("invalid_request", "Bad Request")
        )
        return json.dumps({"error": error, "error_description": text}).encode()

    def _lost_answer(self) -> Response:
        return ApiError(503, "The answer was lost.", "backendError").response()

    # ---------------------------------------------------------------- oauth

    @property
    def granted_scopes(self) -> list[str]:
        """The scopes of the last authorization (or ``issue_credentials``)."""
        with self._lock:
            return list(self.oauth.granted_scopes)

    @property
    def authorizations(self) -> list[dict[str, str]]:
        """The query of every ``o/oauth2/auth`` visit (scope, code_challenge, state …)."""
        with self._lock:
            return [dict(a) for a in self.oauth.authorizations]

    @property
    def refresh_count(self) -> int:
        """How many refresh_token grants succeeded."""
        with self._lock:
            return self.oauth.refresh_count

    @property
    def access_token_lifetime(self) -> int:
        """Seconds an access token issued from now on lives (``expires_in``)."""
        with self._lock:
            return self.oauth.access_token_lifetime

    @access_token_lifetime.setter
    def access_token_lifetime(self, seconds: int) -> None:
        with self._lock:
            self.oauth.access_token_lifetime = seconds

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now expired: API calls answer 401."""
        with self._lock:
            self.oauth.expire_access_tokens()

    def revoke_grant(self) -> None:
        """The user revokes access: refreshes answer 400 ``invalid_grant``, API calls 401."""
        with self._lock:
            self.oauth.revoke_grant()

    def deny_next_authorization(self, error: str = "access_denied") -> None:
        """The user clicks "Cancel" on the next consent screen."""
        with self._lock:
            self.oauth.deny_next = error

    # ------------------------------------------------------------- calendar

    def add_calendar(self, calendar_id: str, summary: str | None = None) -> None:
        """Make a secondary calendar exist (``primary`` always does)."""
        with self._lock:
            self.calendar.add_calendar(calendar_id, summary)

    def put_event(self, calendar_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace an event (Calendar v3 event JSON); returns it as stored."""
        with self._lock:
            return self.calendar.put_event(calendar_id, dict(event))

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event; incremental sync then reports it ``cancelled``."""
        with self._lock:
            self.calendar.delete_event(calendar_id, event_id)

    @property
    def calendar_page_limit(self) -> int | None:
        """At most this many events on one page of ``events.list`` (``None``: as asked).

        Google may return fewer events than ``maxResults`` on a page, even none, while more
        follow: a small limit makes a listing of a few events span several pages.
        """
        with self._lock:
            return self.calendar.page_limit

    @calendar_page_limit.setter
    def calendar_page_limit(self, limit: int | None) -> None:
        with self._lock:
            self.calendar.page_limit = limit

    def expire_sync_tokens(self) -> None:
        """Every sync token issued so far answers 410 ``fullSyncRequired``."""
        with self._lock:
            self.calendar.expire_sync_tokens()

    def events(self, calendar_id: str = "primary") -> list[dict[str, Any]]:
        """Inspection: the stored events of a calendar, deleted ones included."""
        with self._lock:
            return self.calendar.events(calendar_id)

    # ---------------------------------------------------------------- gmail

    @property
    def history_id(self) -> int:
        """The mailbox's current history id."""
        with self._lock:
            return self.gmail.history_id

    def deliver(
        self,
        message: bytes | EmailMessage,
        labels: Iterable[str] = ("INBOX",),
        at: datetime | None = None,
    ) -> str:
        """A message arrives; it joins a thread by References/In-Reply-To + subject. Returns its id."""
        with self._lock:
            return self.gmail.deliver(mime.to_bytes(message), labels, at).id

    def user_sends_draft(
        self, draft_id: str, at: datetime | None = None, *, new_message_id: str | None = None
    ) -> str:
        """The user sends a draft: draft gone (404), new SENT message in its thread. Returns its id.

        Gmail keeps the Message-ID; ``new_message_id`` simulates a client that rewrites it.
        """
        with self._lock:
            return self._user(lambda: self.gmail.user_sends_draft(draft_id, at, new_message_id)).id

    def user_edits_draft(self, draft_id: str, new_body: str) -> str:
        """The user rewrites the draft's text: same draft id, new message id (returned)."""
        with self._lock:
            return self._user(lambda: self.gmail.user_edits_draft(draft_id, new_body)).id

    def service_rewrites_draft(
        self, draft_id: str, rewrite: Callable[[bytes], bytes] | None = None
    ) -> bytes:
        """Gmail stores the draft anew without a change by anyone: same draft id, message id
        and thread, but other bytes (``rewrite``, by default ``mime.reserialize``: headers
        refolded, body base64 and re-wrapped). Returns the new raw message.
        """
        change = rewrite or mime.reserialize
        with self._lock:
            return self._user(lambda: self.gmail.service_rewrites_draft(draft_id, change)).raw

    def user_deletes_draft(self, draft_id: str) -> None:
        """The user discards the draft."""
        with self._lock:
            self._user(lambda: self.gmail.user_deletes_draft(draft_id))

    def modify_labels(
        self, message_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        """Labels of a message change (read, archived, trashed …)."""
        with self._lock:
            self._user(lambda: self.gmail.modify_labels(message_id, add, remove))

    def user_deletes_message(self, message_id: str) -> None:
        """The user deletes a message forever."""
        with self._lock:
            self._user(lambda: self.gmail.delete_message(message_id))

    def expire_history(self) -> None:
        """History before now is forgotten: older ``startHistoryId`` values answer 404."""
        with self._lock:
            self.gmail.expire_history()

    def drafts(self) -> dict[str, EmailMessage]:
        """Inspection: draft id → parsed message, in creation order."""
        with self._lock:
            return {d: mime.parse(self.gmail.messages[m].raw) for d, m in self.gmail.drafts.items()}

    def messages(self, label: str | None = None) -> dict[str, EmailMessage]:
        """Inspection: message id → parsed message (drafts included), oldest first."""
        with self._lock:
            return {
                m.id: mime.parse(m.raw)
                for m in self.gmail.messages.values()
                if label is None or label in m.labels
            }

    def message_info(self, message_id: str) -> MessageInfo:
        """Inspection: thread, labels and dates of one message (KeyError when gone)."""
        with self._lock:
            m = self.gmail.messages[message_id]
            return MessageInfo(
                m.id,
                m.thread_id,
                frozenset(m.labels),
                m.internal_date,
                m.history_id,
                mime.parse(m.raw),
            )

    def draft_message_id(self, draft_id: str) -> str | None:
        """Inspection: the current message id of a draft, or None when it is gone."""
        with self._lock:
            return self.gmail.drafts.get(draft_id)

    def thread(self, thread_id: str) -> list[str]:
        """Inspection: message ids of a thread, oldest first (empty when unknown)."""
        with self._lock:
            return list(self.gmail.threads.get(thread_id, []))

    @staticmethod
    def _user(action: Callable[[], _R]) -> _R:
        """Run a user action; an unknown draft or message is a KeyError for the test author."""
        try:
            return action()
        except ApiError as error:
            raise KeyError(str(error)) from None

    # ============================================================ serving

    def serve(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        """Answer one HTTP request from the server threads."""
        return self.dispatch(method, target, headers, body)

    def dispatch(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        """Answer one HTTP request (called from the server threads, and for batch parts)."""
        split = urllib.parse.urlsplit(target)
        path = "/" + "/".join(urllib.parse.unquote(s) for s in split.path.lstrip("/").split("/"))
        request = Request(method, path, urllib.parse.parse_qs(split.query, keep_blank_values=True))
        with self._changed:
            self._log(request)
            try:
                return self._lose_answer(request, self._handle(request, headers, body))
            except (ApiError, OAuthError) as error:
                return error.response()
            except Exception as error:
                self._errors.append(traceback.format_exc())
                return ApiError(500, f"The fake Google crashed: {error!r}").response()

    def _handle(self, request: Request, headers: Message, body: bytes) -> Response:
        method, query = request.method, request.query
        rel = request.path.lstrip("/")
        if _SEND.match(rel):
            self._forbidden.append(request)
            raise ApiError(403, "The fake Google forbids sending mail.", "forbidden")
        self._run_hooks(method, rel, query, every=False)
        fault = self._take_fault(method, rel, query)
        if fault is not None:
            return fault
        if rel in ("o/oauth2/auth", "o/oauth2/v2/auth") and method == "GET":
            return self.oauth.authorize(query)
        if rel == "token" and method == "POST":
            return self.oauth.token(_form(body), headers.get("Authorization"))
        if rel in ("revoke", "o/oauth2/revoke") and method in ("POST", "GET"):
            return self.oauth.revoke({**query, **_form(body)})
        if rel in _BATCH_PATHS and method == "POST":
            return self._batch(headers, body)
        token = self.oauth.check_bearer(headers.get("Authorization"))
        segments = rel.split("/")
        if segments[0] == "calendars" or rel.startswith("users/me/calendarList"):
            return self._calendar(request, segments, token)
        if rel.startswith(_GMAIL_PREFIXES):
            return self._gmail(request, rel, headers, body, token)
        return self._unknown_route(request)

    def _unknown_route(self, request: Request) -> Response:
        self._unknown.append(request)
        raise ApiError(404, f"The fake Google has no {request.method} {request.path}", "notFound")

    # ------------------------------------------------------------- calendar

    def _calendar(self, request: Request, segments: list[str], token: AccessToken) -> Response:
        if request.method != "GET":
            self._forbidden.append(request)
            raise _insufficient_scopes()
        _require(token, _CALENDAR_READ)
        query = request.query
        match segments:
            case ["calendars", calendar_id, "events"]:
                return json_response(200, self.calendar.list_events(calendar_id, query))
            case ["calendars", calendar_id, "events", event_id]:
                return json_response(200, self.calendar.get_event(calendar_id, event_id))
            case ["users", "me", "calendarList"]:
                return json_response(200, self.calendar.calendar_list())
        return self._unknown_route(request)

    # ---------------------------------------------------------------- gmail

    def _gmail(
        self, request: Request, rel: str, headers: Message, body: bytes, token: AccessToken
    ) -> Response:
        method, query = request.method, request.query
        segments = rel.split("/")
        users = segments.index("users")
        user, tail = segments[users + 1], segments[users + 2 :]
        if user not in ("me", self.user_email):
            raise ApiError(403, f"Delegation denied for {self.user_email}", "forbidden")
        upload = segments[0] in ("upload", "resumable")
        if upload and "upload_id" in query:
            return self._finish_resumable(request, body, token)
        if upload and tail[:1] != ["drafts"]:
            return self._unknown_route(request)
        match (method, tail):
            case ("GET", ["profile"]):
                _require(token, _PROFILE)
                return json_response(200, self.gmail.profile())
            case ("GET", ["labels"]):
                _require(token, _PROFILE)
                labels = [{"id": n, "name": n, "type": "system"} for n in SYSTEM_LABELS]
                return json_response(200, {"labels": labels})
            case ("GET", ["drafts"]):
                _require(token, _DRAFT_READ)
                return json_response(200, self.gmail.list_drafts(query))
            case ("POST", ["drafts"]):
                _require(token, _DRAFT_WRITE)
                parsed = self._draft_input(request, headers, body, None)
                if isinstance(parsed, Response):
                    return parsed
                return json_response(200, self.gmail.create_draft(*parsed))
            case ("GET", ["drafts", draft_id]):
                _require(token, _DRAFT_READ)
                return json_response(200, self.gmail.get_draft(draft_id, query))
            case ("PUT", ["drafts", draft_id]):
                _require(token, _DRAFT_WRITE)
                self.gmail.get_draft(draft_id, {"format": ["minimal"]})  # 404 before the body
                parsed = self._draft_input(request, headers, body, draft_id)
                if isinstance(parsed, Response):
                    return parsed
                return json_response(200, self.gmail.update_draft(draft_id, *parsed))
            case ("DELETE", ["drafts", draft_id]):
                _require(token, _DRAFT_WRITE)
                self.gmail.delete_draft(draft_id)
                return Response(204)
            case ("GET", ["messages"]):
                _require_search(token, query)
                return json_response(200, self.gmail.list_messages(query))
            case ("GET", ["messages", message_id]):
                _require_format(token, query)
                return json_response(200, self.gmail.get_message(message_id, query))
            case ("GET", ["threads"]):
                _require_search(token, query)
                return json_response(200, self.gmail.list_threads(query))
            case ("GET", ["threads", thread_id]):
                _require_format(token, query)
                return json_response(200, self.gmail.get_thread(thread_id, query))
            case ("GET", ["history"]):
                _require(token, _GMAIL_METADATA_READ)
                return json_response(200, self.gmail.list_history(query))
        return self._unknown_route(request)

    def _draft_input(
        self, request: Request, headers: Message, body: bytes, draft_id: str | None
    ) -> tuple[bytes, str | None] | Response:
        """``(raw, threadId)`` from a JSON body or any of the media upload protocols."""
        upload_type = request.param("uploadType")
        if request.path.lstrip("/").startswith(("upload/", "resumable/")) or upload_type:
            if upload_type == "media":
                return body, None
            if upload_type == "multipart":
                meta, raw = _split_related(headers.get("Content-Type", ""), body)
                return raw, _thread_of(meta)
            if upload_type == "resumable":
                meta = json.loads(body) if body.strip() else {}
                upload_id = secrets.token_urlsafe(16)
                self._uploads[upload_id] = (draft_id, _thread_of(meta))
                location = (
                    f"{self.root}{request.path.lstrip('/')}"
                    f"?uploadType=resumable&upload_id={upload_id}"
                )
                return Response(200, b"", [("Location", location)])
            raise ApiError(400, f"Invalid uploadType: {upload_type}", "invalidArgument")
        data = json.loads(body) if body.strip() else {}
        message = data.get("message") or {}
        raw_text = message.get("raw")
        if not raw_text:
            raise ApiError(400, "Missing draft message", "invalidArgument")
        return b64url_decode(raw_text), message.get("threadId")

    def _finish_resumable(self, request: Request, body: bytes, token: AccessToken) -> Response:
        _require(token, _DRAFT_WRITE)
        pending = self._uploads.pop(request.param("upload_id") or "", None)
        if pending is None:
            raise ApiError(404, "No such upload session", "notFound")
        draft_id, thread_id = pending
        if draft_id is None:
            return json_response(200, self.gmail.create_draft(body, thread_id))
        return json_response(200, self.gmail.update_draft(draft_id, body, thread_id))

    # ---------------------------------------------------------------- batch

    def _batch(self, headers: Message, body: bytes) -> Response:
        """A ``multipart/mixed`` batch of ``application/http`` parts, answered in kind."""
        content_type = headers.get("Content-Type", "")
        outer = email.message_from_bytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        parts = outer.get_payload() if outer.is_multipart() else None
        if not isinstance(parts, list):
            raise ApiError(400, "Invalid batch request: not multipart/mixed", "invalidArgument")
        if len(parts) > 100:
            raise ApiError(400, "Too many requests in batch (limit 100)", "batchSizeTooLarge")
        boundary = "batch_" + secrets.token_hex(12)
        chunks: list[bytes] = []
        for part in parts:
            if not isinstance(part, Message) or not isinstance(part.get_payload(), str):
                raise ApiError(400, "Invalid batch part", "invalidArgument")
            text = str(part.get_payload())
            request_line, _, rest = text.lstrip("\r\n").partition("\n")
            method, target, _version = request_line.strip().split(" ", 2)
            inner = email.message_from_string(rest)
            inner_body = inner.get_payload()
            inner_bytes = inner_body.encode() if isinstance(inner_body, str) else b""
            answer = self.dispatch(method, target, inner, inner_bytes)
            content_id = str(part.get("Content-ID", "")).strip("<>")
            lines = [
                f"--{boundary}",
                "Content-Type: application/http",
                f"Content-ID: <response-{content_id}>",
                "",
                f"HTTP/1.1 {answer.status} {http.HTTPStatus(answer.status).phrase}",
                *(f"{k}: {v}" for k, v in answer.headers),
                "",
                "",
            ]
            chunks.append("\r\n".join(lines).encode() + answer.body + b"\r\n")
        chunks.append(f"--{boundary}--\r\n".encode())
        return Response(
            200, b"".join(chunks), [("Content-Type", f"multipart/mixed; boundary={boundary}")]
        )


# ============================================================== helpers


def _form(body: bytes) -> Query:
    return urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def _thread_of(meta: Mapping[str, Any]) -> str | None:
    message = meta.get("message") or {}
    thread_id = message.get("threadId") if isinstance(message, Mapping) else None
    return str(thread_id) if thread_id else None


def _split_related(content_type: str, body: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON metadata and the media of a ``multipart/related`` upload, byte-exact."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise ApiError(400, "multipart upload without boundary", "invalidArgument")
    delimiter = b"--" + match.group(1).encode()
    pieces = body.split(delimiter)[1:]
    contents: list[bytes] = []
    for chunk in pieces:
        if chunk.startswith(b"--"):
            break
        piece = chunk.removeprefix(b"\r\n").removeprefix(b"\n")
        crlf, lf = piece.find(b"\r\n\r\n"), piece.find(b"\n\n")
        if crlf != -1 and (lf == -1 or crlf < lf):
            content = piece[crlf + 4 :]
        elif lf != -1:
            content = piece[lf + 2 :]
        else:
            content = b""
        if content.endswith(b"\r\n"):
            content = content[:-2]
        elif content.endswith(b"\n"):
            content = content[:-1]
        contents.append(content)
    if len(contents) != 2:
        raise ApiError(400, "multipart upload needs metadata and media", "invalidArgument")
    meta = json.loads(contents[0]) if contents[0].strip() else {}
    return meta, contents[1]


def _insufficient_scopes() -> ApiError:
    return ApiError(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
    )


def _require(token: AccessToken, accepted: frozenset[str]) -> None:
    if not token.scopes & accepted:
        raise _insufficient_scopes()


def _metadata_only(token: AccessToken) -> bool:
    return GMAIL_METADATA in token.scopes and not token.scopes & _GMAIL_READ


def _require_search(token: AccessToken, query: Query) -> None:
    _require(token, _GMAIL_METADATA_READ)
    if "q" in query and _metadata_only(token):
        raise ApiError(403, "Metadata scope does not support 'q' parameter", "forbidden")


def _require_format(token: AccessToken, query: Query) -> None:
    _require(token, _GMAIL_METADATA_READ)
    fmt = first(query, "format", "full") or "full"
    if _metadata_only(token) and fmt in ("full", "raw"):
        raise ApiError(403, f"Metadata scope doesn't allow format {fmt.upper()}", "forbidden")


__all__ = ["FakeGoogle", "MessageInfo", "Request"]
