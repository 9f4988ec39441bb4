"""``FakeMicrosoft``: one HTTPS server on 127.0.0.1 playing Entra ID (v2.0) and Graph v1.0.

The real ``msal.PublicClientApplication`` signs in against ``fake.authority`` (pass
``instance_discovery=False`` and an ``http_client`` session trusting ``fake.ca_path``) and
plain ``requests`` calls ``fake.graph_endpoint``. The TLS certificate comes from a
throw-away ``trustme`` CA written to ``fake.ca_path``.
"""

from __future__ import annotations

import html.parser
import json
import re
import threading
import time
import traceback
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.message import Message
from typing import Any, NamedTuple, TypeVar

import pytest

from ..https import HttpsFake
from .calendar import CalendarState
from .identity import PRODUCT_SCOPES, AccessToken, IdentityState
from .mail import MailState, StoredMessage
from .wire import (
    AAD_JSON,
    AadError,
    GraphError,
    Prefs,
    Query,
    Response,
    aad_error_payload,
    graph_error_payload,
    json_response,
)

_R = TypeVar("_R")
_MAIL_READ = frozenset({"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic"})
_MAIL_WRITE = frozenset({"Mail.ReadWrite"})
_CALENDAR_READ = frozenset({"Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic"})
_USER_READ = frozenset({"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All"})
_SETTINGS_READ = frozenset({"MailboxSettings.Read", "MailboxSettings.ReadWrite"})
_SEND_ACTIONS = frozenset({"send", "reply", "replyAll", "forward"})
_KEY_SEGMENT = re.compile(r"^([A-Za-z]+)\('([^']*)'\)$")


class Request(NamedTuple):
    """One request the fake received (path unquoted, headers with lower-case names)."""

    method: str
    path: str
    query: Query
    headers: Mapping[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        """A request header (case-insensitive; repeated headers joined with ``, ``)."""
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class FakeMicrosoft(HttpsFake[Request]):
    """A fake of the Microsoft identity platform and Microsoft Graph v1.0 over real HTTPS.

    Use as a context manager (or ``start()``/``stop()``). Control methods act as the user and
    the world (mail arriving, the user sending a draft, tokens expiring); they are
    thread-safe. Nothing can be sent: ``sendMail``, ``…/send``, ``reply``, ``replyAll`` and
    ``forward`` answer 403 ``ErrorAccessDenied`` and land in ``forbidden_calls`` (so do
    calendar writes).
    """

    def __init__(
        self,
        *,
        user_email: str = "me@contoso.example",
        display_name: str = "Megan Bowen",
        time_zone: str = "UTC",
        clock: Callable[[], datetime] | None = None,
        access_token_lifetime: int = 3600,
        refresh_token_lifetime: int = 90 * 24 * 3600,
        device_flow_interval: int = 1,
        invalidate_used_refresh_tokens: bool = True,
        max_concurrent: int | None = None,
        response_delay: float = 0.0,
        rewrite_text_bodies: bool = False,
    ) -> None:
        self.user_email = user_email
        self.display_name = display_name
        self.time_zone = time_zone
        self.client_id = str(uuid.uuid4())
        self.tenant_id = str(uuid.uuid4())
        self.user_id = str(uuid.uuid4())
        self.max_concurrent = max_concurrent
        """Graph requests beyond this many in flight answer 429 ``ApplicationThrottled``."""
        self.response_delay = response_delay
        """Seconds every Graph request takes (outside the lock), to make concurrency visible."""
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lifetimes = (access_token_lifetime, refresh_token_lifetime)
        self._interval = device_flow_interval
        self._invalidate_used = invalidate_used_refresh_tokens
        super().__init__()
        self._flight_lock = threading.Lock()
        self._in_flight = 0
        self._peak = 0
        self._rewrite_text_bodies = rewrite_text_bodies
        self._init_state()

    def _init_state(self) -> None:
        self._init_log()
        self._browser_errors: list[str] = []
        self.identity = IdentityState(
            client_id=self.client_id,
            tenant_id=self.tenant_id,
            oid=self.user_id,
            username=self.user_email,
            display_name=self.display_name,
            access_token_lifetime=self._lifetimes[0],
            refresh_token_lifetime=self._lifetimes[1],
            device_flow_interval=self._interval,
            invalidate_used_refresh_tokens=self._invalidate_used,
            root=self.root,
        )
        self.calendar = CalendarState(
            self.user_email, self.display_name, self.time_zone, self._clock
        )
        self.mail = MailState(self.user_email, self.display_name, self._clock)
        self.mail.rewrite_text_bodies = self._rewrite_text_bodies

    def reset(self) -> None:
        """Forget all state (mail, events, grants, logs, faults); keep server, CA and ids."""
        with self._lock:
            self._init_state()
            self.identity.root = self.root

    def _started(self) -> None:
        self.identity.root = self.root

    # ----------------------------------------------------------- endpoints

    @property
    def authority(self) -> str:
        """``https://127.0.0.1:PORT/common`` — pass with ``instance_discovery=False``."""
        return self.root + "common"

    @property
    def tenant_authority(self) -> str:
        """The authority of the fake's own tenant (``…/{tenant_id}``)."""
        return self.root + self.tenant_id

    @property
    def graph_endpoint(self) -> str:
        """``https://127.0.0.1:PORT/v1.0`` (no trailing slash, like ``graph.microsoft.com/v1.0``)."""
        return self.root + "v1.0"

    @property
    def token_endpoint(self) -> str:
        """The token endpoint under ``authority``."""
        return self.authority + "/oauth2/v2.0/token"

    def env(self) -> dict[str, str]:
        """Environment variables that make requests and ssl trust the fake's CA."""
        return {"REQUESTS_CA_BUNDLE": self.ca_path, "SSL_CERT_FILE": self.ca_path}

    def trust(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Set ``env()`` for one test."""
        for name, value in self.env().items():
            monkeypatch.setenv(name, value)

    # ------------------------------------------------------------ identity

    @property
    def granted_scopes(self) -> list[str]:
        """Graph scopes of the last consent (device flow approved or authorization page)."""
        with self._lock:
            return list(self.identity.granted_scopes)

    @property
    def scope_requests(self) -> list[list[str]]:
        """The raw ``scope`` of every devicecode, authorize and token request (MSAL's OIDC ones too)."""
        with self._lock:
            return [list(s) for s in self.identity.scope_requests]

    @property
    def authorizations(self) -> list[dict[str, str]]:
        """Query parameters of every visit to the authorization endpoint."""
        with self._lock:
            return [dict(a) for a in self.identity.authorizations]

    @property
    def refresh_count(self) -> int:
        """Successful refresh-token redemptions (each one rotated the refresh token)."""
        with self._lock:
            return self.identity.refresh_count

    @property
    def pending_user_codes(self) -> list[str]:
        """User codes of device flows waiting for the user."""
        with self._lock:
            return [f.user_code for f in self.identity.device_flows if f.state == "pending"]

    def complete_device_flow(self, user_code: str | None = None) -> str:
        """The user enters the code and consents (latest pending flow by default); returns it."""
        with self._lock:
            return self.identity.complete_device_flow(user_code).user_code

    def deny_device_flow(self, user_code: str | None = None) -> str:
        """The user declines the device sign-in (``authorization_declined``)."""
        with self._lock:
            return self.identity.deny_device_flow(user_code).user_code

    def deny_next_authorization(self, error: str = "access_denied") -> None:
        """The user clicks "Cancel" on the next consent page."""
        with self._lock:
            self.identity.deny_next = error

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired: Graph answers 401.

        MSAL does not know: its cache still holds them until 5 minutes before the
        ``expires_in`` it was told, so ``acquire_token_silent`` returns the dead token unless
        called with ``force_refresh=True``.
        """
        with self._lock:
            self.identity.expire_access_tokens()

    def expire_refresh_tokens(self) -> None:
        """Refresh tokens are past their lifetime: ``invalid_grant`` AADSTS700082."""
        with self._lock:
            self.identity.expire_refresh_tokens()

    def revoke_grant(self) -> None:
        """The user revokes consent: refreshes answer 400 ``invalid_grant`` AADSTS50173,
        Graph answers 401 for the grant's access tokens."""
        with self._lock:
            self.identity.revoke_grant()

    def set_token_lifetimes(
        self, access_token: int | None = None, refresh_token: int | None = None
    ) -> None:
        """Lifetimes (seconds) of tokens issued from now on.

        MSAL treats an access token with less than 5 minutes left as expired, so an access
        lifetime under 300 makes every ``acquire_token_silent`` refresh.
        """
        with self._lock:
            if access_token is not None:
                self.identity.access_token_lifetime = access_token
            if refresh_token is not None:
                self.identity.refresh_token_lifetime = refresh_token

    def issue_token(self, scopes: Sequence[str] = PRODUCT_SCOPES) -> dict[str, Any]:
        """A grant without signing in: the token response JSON (access, refresh, id token)."""
        full = [*scopes, "openid", "profile", "offline_access"]
        with self._lock:
            response = self.identity.issue(full)
        answer: dict[str, Any] = json.loads(response.body)
        return answer

    def browse(self, url: str) -> int:
        """Act as the user's browser on an authorization URL: sign in, consent, and deliver
        the answer to the app's loopback redirect URI (a form POST for
        ``response_mode=form_post``, else a GET). Returns the loopback page's status."""
        import requests  # noqa: PLC0415

        with requests.Session() as browser:
            browser.trust_env = False
            page = browser.get(url, verify=self.ca_path, allow_redirects=False, timeout=10)
            if page.status_code in (301, 302, 303):
                target = page.headers["Location"]
                answer = browser.get(target.split("#")[0], timeout=10)
                return answer.status_code
            form = _FormReader.read(page.text)
            if form is None:
                return page.status_code
            action, fields = form
            return browser.post(action, data=fields, timeout=10).status_code

    def open_browser(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        """A stand-in for ``webbrowser.open``: ``browse(url)`` in a background thread."""

        def run() -> None:
            try:
                self.browse(url)
            except Exception:
                with self._lock:
                    self._browser_errors.append(traceback.format_exc())

        threading.Thread(target=run, daemon=True).start()
        return True

    @property
    def browser_errors(self) -> list[str]:
        """Tracebacks of ``open_browser`` visits that failed."""
        with self._lock:
            return list(self._browser_errors)

    # ------------------------------------------------------------ calendar

    def put_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace an event (Graph event JSON, ``id`` optional); returns it."""
        with self._lock:
            return self.calendar.put_event(event)

    def delete_event(self, event_id: str) -> None:
        """Delete an event; delta then reports ``@removed``."""
        with self._lock:
            self.calendar.delete_event(event_id)

    def garble_event(
        self,
        event_id: str,
        replace: Mapping[str, Any] | None = None,
        drop: Iterable[str] = (),
    ) -> None:
        """From now on serve the event with the properties in ``replace`` set as given (any
        JSON, wrong types too) and those in ``drop`` missing: a malformed item. The change is
        reported by delta like an edit."""
        with self._lock:
            self.calendar.garble_event(event_id, replace or {}, frozenset(drop))

    def events(self) -> list[dict[str, Any]]:
        """Inspection: live events in UTC."""
        with self._lock:
            return self.calendar.stored_events()

    @property
    def calendar_page_limit(self) -> int | None:
        """At most this many events on one page of a calendar delta round (``None``: as the
        ``odata.maxpagesize`` preference asks). Graph may page smaller than asked; a small
        limit makes a round of a few events span several pages. Taken when a round starts
        from the window (the first call): later rounds keep that round's page size."""
        with self._lock:
            return self.calendar.page_limit

    @calendar_page_limit.setter
    def calendar_page_limit(self, limit: int | None) -> None:
        with self._lock:
            self.calendar.page_limit = limit

    def expire_delta_tokens(
        self, status: int = 410, code: str = "SyncStateNotFound", *, location: bool = False
    ) -> None:
        """Every calendar and mail delta/skip token issued so far answers ``status``/``code``
        (with a ``Location`` to restart from, if asked)."""
        with self._lock:
            self.calendar.book.expire_all(status, code, location)
            for book in self.mail.books.values():
                book.expire_all(status, code, location)

    # ---------------------------------------------------------------- mail

    @property
    def rewrite_text_bodies(self) -> bool:
        """Whether text bodies come back as Exchange may store them (``mail.exchange_text``:
        CRLF, no trailing blanks, one final line break) without a new ``changeKey``.
        Kept across ``reset``."""
        return self._rewrite_text_bodies

    @rewrite_text_bodies.setter
    def rewrite_text_bodies(self, value: bool) -> None:
        with self._lock:
            self._rewrite_text_bodies = value
            self.mail.rewrite_text_bodies = value

    def deliver(
        self,
        from_: str,
        subject: str,
        body: str,
        conversation_of: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        internet_message_id: str | None = None,
        *,
        to: Iterable[str] | None = None,
        cc: Iterable[str] = (),
        body_type: str = "text",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A message arrives in the Inbox (``from_`` as ``"Name <a@b>"`` or ``"a@b"``).

        ``conversation_of`` (any id of a stored message) puts it in that conversation with
        ``In-Reply-To``/``References``; ``headers`` (e.g. ``Auto-Submitted``) are returned
        with ``$select=internetMessageHeaders``. Returns the inspection view (``message``).
        """
        with self._lock:
            message = self._user(
                lambda: self.mail.deliver(
                    from_,
                    subject,
                    body,
                    conversation_of=conversation_of,
                    headers=headers,
                    internet_message_id=internet_message_id,
                    to=to,
                    cc=cc,
                    body_type=body_type,
                    at=at,
                )
            )
            return self.mail.inspect(message)

    def user_sends_draft(self, message_id: str, at: datetime | None = None) -> dict[str, Any]:
        """The user sends a draft from Outlook: it moves to Sent Items (``isDraft`` false,
        ``sentDateTime`` set). Its immutable id stays; its REST id changes."""
        with self._lock:
            return self.mail.inspect(self._user(lambda: self.mail.user_sends_draft(message_id, at)))

    def user_edits_draft(self, message_id: str, new_body: str) -> dict[str, Any]:
        """The user rewrites the draft's text (same ids, new ``changeKey``)."""
        with self._lock:
            return self.mail.inspect(
                self._user(lambda: self.mail.user_edits_draft(message_id, new_body))
            )

    def user_deletes_draft(self, message_id: str) -> None:
        """The user discards the draft: it moves to Deleted Items (new REST id)."""
        with self._lock:
            self._user(lambda: self.mail.move(message_id, "deleteditems"))

    def user_moves_message(self, message_id: str, folder: str) -> dict[str, Any]:
        """The user moves a message to ``inbox``/``drafts``/``sentitems``/``deleteditems``."""
        with self._lock:
            return self.mail.inspect(self._user(lambda: self.mail.move(message_id, folder)))

    def user_reads(self, message_id: str, read: bool = True) -> None:
        """The user marks a message read (or unread)."""
        with self._lock:
            self._user(lambda: self.mail.set_read(message_id, read))

    def drafts(self) -> list[dict[str, Any]]:
        """Inspection: messages in Drafts, oldest first (see ``message`` for the shape)."""
        return self._folder("drafts")

    def sent(self) -> list[dict[str, Any]]:
        """Inspection: messages in Sent Items, oldest first."""
        return self._folder("sentitems")

    def inbox(self) -> list[dict[str, Any]]:
        """Inspection: messages in the Inbox, oldest first."""
        return self._folder("inbox")

    def deleted(self) -> list[dict[str, Any]]:
        """Inspection: messages in Deleted Items, oldest first."""
        return self._folder("deleteditems")

    def message(self, message_id: str) -> dict[str, Any]:
        """Inspection: a message by immutable or current REST id (KeyError when unknown).

        Graph JSON with ``id`` = immutable id and every ``internetMessageHeaders``, plus the
        fake's own ``_restId``, ``_folder``, ``_inReplyTo`` and ``_references``.
        """
        with self._lock:
            return self.mail.inspect(self._user(lambda: self.mail.get(message_id)))

    def _folder(self, folder: str) -> list[dict[str, Any]]:
        with self._lock:
            return [self.mail.inspect(m) for m in self.mail.in_folder(folder)]

    @staticmethod
    def _user(action: Callable[[], _R]) -> _R:
        """Run a world/user action; an unknown id is a KeyError for the test author."""
        try:
            return action()
        except GraphError as error:
            raise KeyError(str(error)) from None

    @property
    def peak_concurrency(self) -> int:
        """The most Graph requests ever in flight at once (one mailbox)."""
        with self._flight_lock:
            return self._peak

    def reset_peak_concurrency(self) -> None:
        """Start observing the peak afresh."""
        with self._flight_lock:
            self._peak = self._in_flight

    def _prefix(self, prefix: str) -> str:
        """Relative to ``root``: ``me/…`` means ``v1.0/me/…``; a full URL works too."""
        if self.root and prefix.startswith(self.root):
            prefix = prefix[len(self.root) :]
        prefix = prefix.lstrip("/")
        if prefix.startswith(("me/", "users/")) or prefix == "me":
            prefix = "v1.0/" + prefix
        return prefix

    def _fault_body(self, prefix: str, status: int) -> bytes:
        """Graph's error for the status (429 ``ApplicationThrottled``, 503
        ``ServiceUnavailable`` …) or, under the identity endpoints, an ``AADSTS`` error."""
        if prefix.startswith("v1.0"):
            return json.dumps(graph_error_payload(status)).encode()
        payload = aad_error_payload("temporarily_unavailable", 503, "Service unavailable.")
        return json.dumps(payload).encode()

    def _lost_answer(self) -> Response:
        return GraphError(503, "ServiceUnavailable", "The answer was lost.").response()

    # ============================================================ serving

    def serve(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        """Answer one HTTP request (from the server threads), throttling Graph concurrency."""
        graph = target.lstrip("/").startswith("v1.0/")
        if graph:
            with self._flight_lock:
                limit = self.max_concurrent
                if limit is not None and self._in_flight >= limit:
                    throttled = True
                else:
                    throttled = False
                    self._in_flight += 1
                    self._peak = max(self._peak, self._in_flight)
            if throttled:
                with self._changed:
                    self._log(self._request(method, target, headers, body))
                return GraphError(
                    429,
                    "ApplicationThrottled",
                    "Application is over its MailboxConcurrency limit.",
                    headers=[("Retry-After", "1")],
                ).response()
        try:
            if graph and self.response_delay:
                time.sleep(self.response_delay)
            return self.dispatch(method, target, headers, body)
        finally:
            if graph:
                with self._flight_lock:
                    self._in_flight -= 1

    def dispatch(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        """Answer one HTTP request."""
        request = self._request(method, target, headers, body)
        with self._changed:
            self._log(request)
            try:
                response = self._handle(request, headers)
                response = self._lose_answer(request, response)
            except (GraphError, AadError) as error:
                response = error.response()
            except Exception as error:
                self._errors.append(traceback.format_exc())
                response = GraphError(
                    500, "InternalServerError", f"The fake Microsoft crashed: {error!r}"
                ).response()
        if request.path.startswith("/v1.0/"):
            client_id = headers.get("client-request-id") or str(uuid.uuid4())
            response.headers += [
                ("request-id", str(uuid.uuid4())),
                ("client-request-id", client_id),
            ]
        return response

    @staticmethod
    def _request(method: str, target: str, headers: Message, body: bytes) -> Request:
        split = urllib.parse.urlsplit(target)
        path = "/" + "/".join(urllib.parse.unquote(s) for s in split.path.lstrip("/").split("/"))
        merged: dict[str, str] = {}
        for name, value in headers.items():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        return Request(method, path, query, merged, body)

    def _handle(self, request: Request, headers: Message) -> Response:
        rel = request.path.lstrip("/")
        fault = self._take_fault(request.method, rel, request.query)
        if fault is not None:
            return fault
        self._run_hooks(request.method, rel, request.query, every=True)
        segments = rel.split("/")
        if segments[0] == "v1.0":
            return self._graph(request, headers, segments[1:])
        if rel == "devicelogin":
            page = b"<html><body><h1>Enter code</h1><p>(fake: use complete_device_flow)</p></body></html>"
            return Response(200, page, [("Content-Type", "text/html; charset=utf-8")])
        return self._identity(request, segments)

    def _identity(self, request: Request, segments: list[str]) -> Response:
        method, tenant, tail = request.method, segments[0], segments[1:]
        form = _form(request.body) if method == "POST" else {}
        match (method, tail):
            case ("GET", ["v2.0", ".well-known", "openid-configuration"]):
                return self.identity.openid_configuration(tenant)
            case ("GET", ["discovery", "instance"]):
                return self.identity.instance_discovery(tenant)
            case ("POST", ["oauth2", "v2.0", "devicecode"]):
                return self.identity.devicecode(tenant, form)
            case ("GET", ["oauth2", "v2.0", "authorize"]):
                return self.identity.authorize(tenant, request.query)
            case ("POST", ["oauth2", "v2.0", "token"]):
                return self.identity.token(tenant, form)
        self._unknown.append(request)
        return json_response(
            404,
            aad_error_payload(
                "invalid_request", 900561, f"The endpoint {request.path} does not exist."
            ),
            content_type=AAD_JSON,
        )

    # ---------------------------------------------------------------- graph

    def _graph(self, request: Request, headers: Message, raw_segments: list[str]) -> Response:
        segments = _segments(raw_segments)
        if segments[:1] == ["users"] and len(segments) >= 2:
            if segments[1].lower() not in (self.user_id, self.user_email.lower(), "me"):
                raise GraphError(
                    404, "ErrorInvalidUser", f"The requested user '{segments[1]}' is invalid."
                )
            segments = ["me", *segments[2:]]
        if segments[:1] != ["me"]:
            return self._unknown_route(request)
        token = self.identity.check_bearer(headers.get("Authorization"))
        prefs = Prefs.parse(headers.get_all("Prefer") or [])
        method, tail = request.method, segments[1:]
        if tail[:1] == ["sendMail"] or (
            len(tail) >= 3 and tail[0] in ("messages", "mailFolders") and tail[-1] in _SEND_ACTIONS
        ):
            self._forbidden.append(request)
            raise GraphError(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        if (
            tail[:1] in (["events"], ["calendar"], ["calendars"], ["calendarView"])
            and method != "GET"
        ):
            self._forbidden.append(request)
            raise GraphError(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        response = self._graph_route(request, headers, tail, token, prefs)
        if response is None:
            return self._unknown_route(request)
        if prefs.applied:
            response.headers.append(("Preference-Applied", ", ".join(prefs.applied)))
        return response

    def _graph_route(
        self,
        request: Request,
        headers: Message,
        tail: list[str],
        token: AccessToken,
        prefs: Prefs,
    ) -> Response | None:
        method, query = request.method, request.query
        graph = self.graph_endpoint
        match (method, tail):
            case ("GET", []):
                _require(token, _USER_READ, user=True)
                return json_response(200, self._me(query))
            case ("GET", ["mailboxSettings"]):
                _require(token, _SETTINGS_READ)
                return json_response(
                    200, {"timeZone": self.time_zone, "language": {"locale": "en-US"}}
                )
            case ("GET", ["calendarView", "delta"] | ["calendar", "calendarView", "delta"]):
                _require(token, _CALENDAR_READ)
                link = f"{graph}/me/{'/'.join(tail)}"
                return json_response(200, self.calendar.delta(query, prefs, link))
            case ("GET", ["calendarView"] | ["calendar", "calendarView"]):
                _require(token, _CALENDAR_READ)
                link = f"{graph}/me/{'/'.join(tail)}"
                return json_response(200, self.calendar.calendar_view(query, prefs, link))
            case ("GET", ["events", event_id] | ["calendar", "events", event_id]):
                _require(token, _CALENDAR_READ)
                return json_response(200, self.calendar.get_event(event_id, query, prefs))
            case ("POST", ["messages"]):
                _require(token, _MAIL_WRITE)
                created = self.mail.create_draft(_json_body(request.body))
                return json_response(201, self.mail.render(created, prefs))
            case ("GET", ["messages"]):
                _require(token, _MAIL_READ)
                return json_response(
                    200, self.mail.list_messages(None, query, prefs, f"{graph}/me/messages")
                )
            case ("GET", ["messages", message_id]):
                _require(token, _MAIL_READ)
                message = self.mail.get(message_id)
                return json_response(200, self.mail.render(message, prefs, _select(query)))
            case ("PATCH", ["messages", message_id]):
                _require(token, _MAIL_WRITE)
                updated = self.mail.update(
                    message_id, _json_body(request.body), headers.get("If-Match")
                )
                return json_response(200, self.mail.render(updated, prefs))
            case ("DELETE", ["messages", message_id]):
                _require(token, _MAIL_WRITE)
                self.mail.delete(message_id, headers.get("If-Match"))
                return Response(204)
            case ("POST", ["messages", message_id, ("createReply" | "createReplyAll") as action]):
                _require(token, _MAIL_WRITE)
                payload = _json_body(request.body) if request.body.strip() else {}
                draft = self.mail.create_reply(
                    message_id, payload, reply_all=action == "createReplyAll"
                )
                return json_response(201, self.mail.render(draft, prefs))
            case ("GET", ["mailFolders"]):
                _require(token, _MAIL_READ)
                folders = [self.mail.folder_resource(k) for k in self.mail.folder_ids]
                return json_response(200, {"value": folders})
            case ("GET", ["mailFolders", folder_ref]):
                _require(token, _MAIL_READ)
                folder = self.mail.folder_key(folder_ref)
                return json_response(200, self.mail.folder_resource(folder))
            case ("GET", ["mailFolders", folder_ref, "messages"]):
                _require(token, _MAIL_READ)
                folder = self.mail.folder_key(folder_ref)
                link = f"{graph}/me/mailFolders/{folder_ref}/messages"
                return json_response(200, self.mail.list_messages(folder, query, prefs, link))
            case ("GET", ["mailFolders", folder_ref, "messages", "delta"]):
                _require(token, _MAIL_READ)
                folder = self.mail.folder_key(folder_ref)
                link = f"{graph}/me/mailFolders('{self.mail.folder_ids[folder]}')/messages/delta"
                return json_response(200, self.mail.delta(folder, query, prefs, link))
            case ("GET", ["mailFolders", folder_ref, "messages", message_id]):
                _require(token, _MAIL_READ)
                folder = self.mail.folder_key(folder_ref)
                message = self.mail.get(message_id)
                if message.folder != folder:
                    raise GraphError(
                        404, "ErrorItemNotFound", "The specified object was not found in the store."
                    )
                return json_response(200, self.mail.render(message, prefs, _select(query)))
        return None

    def _me(self, query: Query) -> dict[str, Any]:
        given, _, surname = self.display_name.partition(" ")
        resource: dict[str, Any] = {
            "@odata.context": f"{self.graph_endpoint}/$metadata#users/$entity",
            "businessPhones": [],
            "displayName": self.display_name,
            "givenName": given,
            "jobTitle": None,
            "mail": self.user_email,
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": "en-US",
            "surname": surname or None,
            "userPrincipalName": self.user_email,
            "id": self.user_id,
        }
        wanted = _select(query)
        if wanted:
            names = {n.strip() for n in wanted.split(",")}
            resource = {k: v for k, v in resource.items() if k in names or k.startswith("@")}
        return resource

    def _unknown_route(self, request: Request) -> Response:
        self._unknown.append(request)
        segment = request.path.rstrip("/").rsplit("/", 1)[-1]
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    def stored_message(self, message_id: str) -> StoredMessage:
        """The fake's own record of a message (for white-box tests)."""
        with self._lock:
            return self._user(lambda: self.mail.get(message_id))


# ============================================================== helpers


def _segments(raw: list[str]) -> list[str]:
    """Split OData key segments: ``mailFolders('inbox')`` → ``mailFolders``, ``inbox``."""
    result: list[str] = []
    for segment in raw:
        if not segment:
            continue
        match = _KEY_SEGMENT.match(segment)
        if match:
            result += [match.group(1), match.group(2)]
        else:
            result.append(segment)
    return result


def _form(body: bytes) -> Query:
    return urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def _select(query: Query) -> str | None:
    values = query.get("$select")
    return values[0] if values else None


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
    if not isinstance(value, dict):
        raise GraphError(400, "BadRequest", "The request payload must be a JSON object.")
    return value


def _require(token: AccessToken, accepted: frozenset[str], *, user: bool = False) -> None:
    if token.scopes & accepted:
        return
    if user:
        raise GraphError(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
    raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")


class _FormReader(html.parser.HTMLParser):
    """Reads the auto-submitting form of a ``response_mode=form_post`` answer."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action")
        elif tag == "input" and values.get("type") == "hidden" and "name" in values:
            self.fields[values["name"]] = values.get("value", "")

    @classmethod
    def read(cls, page: str) -> tuple[str, dict[str, str]] | None:
        reader = cls()
        reader.feed(page)
        reader.close()
        return (reader.action, reader.fields) if reader.action else None


__all__ = ["FakeMicrosoft", "Request"]
