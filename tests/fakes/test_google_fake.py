"""The fake Google (``tests.fakes.google``) driven by the real client libraries.

google-api-python-client (static discovery, ``api_endpoint`` = the fake), google-auth with
google-auth-httplib2, and google-auth-oauthlib's ``InstalledAppFlow`` for the browser round
trip. Raw HTTP (``requests``) only where no library call exists.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, MediaIoBaseUpload

from tests.fakes.google import CALENDAR_READONLY, PRODUCT_SCOPES, FakeGoogle

ME = "me@example.com"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    """A running fake whose CA the HTTP libraries trust through the environment."""
    with FakeGoogle(user_email=ME, seed=7) as google:
        google.trust(monkeypatch)
        yield google


_OPEN: list[Any] = []


@pytest.fixture(autouse=True)
def _close_services() -> Iterator[None]:
    """httplib2 keeps sockets open: close every service a test built (ResourceWarning)."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def _service(fake: FakeGoogle, name: str, version: str, creds: Credentials) -> Any:
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(ca_certs=fake.ca_path))
    service = build(
        name,
        version,
        http=http,
        client_options={"api_endpoint": fake.root},
        static_discovery=True,
    )
    _OPEN.append(service)
    return service


def _creds(fake: FakeGoogle, scopes: tuple[str, ...] = PRODUCT_SCOPES) -> Credentials:
    return Credentials(**fake.issue_credentials(scopes))


def _mail(
    subject: str,
    *,
    sender: str = "recruiter@acme.example",
    to: str = ME,
    cc: str | None = None,
    message_id: str | None = None,
    replying_to: str | None = None,
    body: str = "Hello!",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if replying_to:
        message["In-Reply-To"] = replying_to
        message["References"] = replying_to
    message.set_content(body)
    return message


def _raw(message: EmailMessage) -> str:
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def _reason(error: HttpError) -> str:
    return str(json.loads(error.content)["error"]["errors"][0]["reason"])


def _event(event_id: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "summary": f"Interview {event_id}",
        "start": {"dateTime": start, "timeZone": "UTC"},
        "end": {"dateTime": end, "timeZone": "UTC"},
        **extra,
    }


# --------------------------------------------------------------------------- OAuth


def test_installed_app_flow_round_trip_refresh_and_revocation(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    secrets_file = fake.client_secrets(tmp_path / "client_secret.json")
    flow = InstalledAppFlow.from_client_secrets_file(str(secrets_file), scopes=PRODUCT_SCOPES)
    browser_pages: list[int] = []

    # With open_browser=False the flow only prints the URL and waits: act as the browser.
    authorization_url = flow.authorization_url

    def open_in_browser(**kwargs: Any) -> tuple[str, str]:
        url, state = authorization_url(**kwargs)

        def browse() -> None:
            page = requests.get(url, timeout=10)  # follows the 302 to the loopback server
            browser_pages.append(page.status_code)

        threading.Thread(target=browse, daemon=True).start()
        return url, state

    flow.authorization_url = open_in_browser
    with flow.oauth2session:
        creds = flow.run_local_server(
            port=0, open_browser=False, authorization_prompt_message="", timeout_seconds=10
        )

    assert browser_pages == [200]
    assert fake.granted_scopes == list(PRODUCT_SCOPES)
    visit = fake.authorizations[-1]
    assert visit["code_challenge_method"] == "S256"
    assert visit["redirect_uri"].startswith("http://localhost:")
    assert creds.refresh_token and creds.token

    # Rebuild credentials as the product does: token_uri from the secrets file, not Google's.
    installed = json.loads(secrets_file.read_text())["installed"]
    stored = Credentials(
        token=creds.token,
        refresh_token=creds.refresh_token,
        token_uri=installed["token_uri"],
        client_id=installed["client_id"],
        client_secret=installed["client_secret"],
        scopes=list(PRODUCT_SCOPES),
    )
    gmail = _service(fake, "gmail", "v1", stored)
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == ME

    fake.expire_access_tokens()  # → 401, AuthorizedHttp refreshes and retries
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == ME
    assert fake.refresh_count == 1
    assert fake.count("token", "POST") == 2  # code exchange + one refresh

    fake.revoke_grant()
    with requests.Session() as session, pytest.raises(RefreshError) as raised:
        stored.refresh(AuthRequest(session))
    assert "invalid_grant" in str(raised.value)
    assert "Token has been expired or revoked." in str(raised.value)


def test_token_endpoint_checks_pkce_and_api_answers_401_in_googles_shape(
    fake: FakeGoogle,
) -> None:
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": fake.client_id,
        "redirect_uri": "http://127.0.0.1:9/",
        "response_type": "code",
        "scope": CALENDAR_READONLY,
        "state": "s1",
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    answer = requests.get(fake.auth_uri, params=params, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)
    assert redirect["state"] == ["s1"]
    form = {
        "grant_type": "authorization_code",
        "code": redirect["code"][0],
        "redirect_uri": "http://127.0.0.1:9/",
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "code_verifier": "w" * 64,
    }
    wrong = requests.post(fake.token_uri, data=form, timeout=5)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"

    answer = requests.get(fake.auth_uri, params=params, allow_redirects=False, timeout=5)
    redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)
    form |= {"code": redirect["code"][0], "code_verifier": verifier}
    token = requests.post(fake.token_uri, data=form, timeout=5).json()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == CALENDAR_READONLY
    assert {"access_token", "expires_in", "refresh_token"} <= token.keys()

    unauthorized = requests.get(
        fake.root + "calendars/primary/events",
        headers={"Authorization": "Bearer not-a-token"},
        timeout=5,
    )
    assert unauthorized.status_code == 401
    error = unauthorized.json()["error"]
    assert error["code"] == 401
    assert error["status"] == "UNAUTHENTICATED"
    assert error["errors"][0]["domain"] == "global"
    plain = httplib2.Http()  # no ca_certs: trusts the fake through fake.trust(monkeypatch)
    response, _ = plain.request(fake.root + "gmail/v1/users/me/profile")
    plain.close()
    assert response.status == 401
    assert response["www-authenticate"].startswith("Bearer")

    # A token without Gmail scopes cannot write drafts.
    calendar_only = _service(fake, "gmail", "v1", _creds(fake, (CALENDAR_READONLY,)))
    with pytest.raises(HttpError) as raised:
        calendar_only.users().drafts().list(userId="me").execute()
    assert raised.value.status_code == 403
    assert _reason(raised.value) == "insufficientPermissions"


# ------------------------------------------------------------------------ Calendar


def test_calendar_paging_sync_tokens_deletions_and_410(fake: FakeGoogle) -> None:
    for day in range(1, 6):
        fake.put_event(
            "primary", _event(f"ev{day}", f"2024-05-0{day}T10:00:00Z", f"2024-05-0{day}T11:00:00Z")
        )
    fake.put_event("primary", _event("before", "2024-04-30T09:00:00Z", "2024-05-01T00:00:00Z"))
    fake.put_event("primary", _event("span", "2024-04-30T09:00:00Z", "2024-05-01T01:00:00Z"))
    all_day = {"id": "allday", "start": {"date": "2024-05-02"}, "end": {"date": "2024-05-03"}}
    fake.put_event("primary", all_day)
    fake.put_event(
        "primary",
        _event(
            "weekly_20240503T100000Z",
            "2024-05-03T10:00:00Z",
            "2024-05-03T10:30:00Z",
            recurringEventId="weekly",
            originalStartTime={"dateTime": "2024-05-03T10:00:00Z"},
        ),
    )
    events = _service(fake, "calendar", "v3", _creds(fake)).events()

    request = events.list(
        calendarId="primary",
        singleEvents=True,
        timeMin="2024-05-01T00:00:00Z",
        timeMax="2024-05-06T00:00:00Z",
        maxResults=3,
    )
    pages: list[dict[str, Any]] = []
    while request is not None:
        page = request.execute()
        pages.append(page)
        request = events.list_next(request, page)
    ids = [item["id"] for page in pages for item in page["items"]]
    assert sorted(ids) == sorted(
        ["ev1", "ev2", "ev3", "ev4", "ev5", "span", "allday", "weekly_20240503T100000Z"]
    )
    assert [len(p["items"]) for p in pages] == [3, 3, 2]
    assert all("nextSyncToken" not in p for p in pages[:-1])
    assert "nextPageToken" not in pages[-1]
    sync_token = pages[-1]["nextSyncToken"]

    fake.put_event("primary", _event("ev2", "2024-05-02T12:00:00Z", "2024-05-02T13:00:00Z"))
    fake.delete_event("primary", "ev3")
    fake.delete_event("primary", "weekly_20240503T100000Z")
    fake.put_event("primary", _event("ev9", "2024-05-04T15:00:00Z", "2024-05-04T16:00:00Z"))

    changes = events.list(calendarId="primary", singleEvents=True, syncToken=sync_token).execute()
    by_id = {item["id"]: item for item in changes["items"]}
    assert set(by_id) == {"ev2", "ev3", "weekly_20240503T100000Z", "ev9"}
    assert by_id["ev3"] == {
        "kind": "calendar#event",
        "etag": by_id["ev3"]["etag"],
        "id": "ev3",
        "status": "cancelled",
    }
    instance = by_id["weekly_20240503T100000Z"]
    assert instance["status"] == "cancelled"
    assert instance["recurringEventId"] == "weekly"
    assert instance["originalStartTime"] == {"dateTime": "2024-05-03T10:00:00Z"}
    assert by_id["ev2"]["start"]["dateTime"] == "2024-05-02T12:00:00Z"
    assert "nextSyncToken" in changes

    nothing = events.list(
        calendarId="primary", singleEvents=True, syncToken=changes["nextSyncToken"]
    ).execute()
    assert nothing["items"] == []

    with pytest.raises(HttpError) as raised:
        events.list(
            calendarId="primary", syncToken=sync_token, timeMin="2024-05-01T00:00:00Z"
        ).execute()
    assert raised.value.status_code == 400

    fake.expire_sync_tokens()
    with pytest.raises(HttpError) as raised:
        events.list(calendarId="primary", singleEvents=True, syncToken=sync_token).execute()
    assert raised.value.status_code == 410
    assert _reason(raised.value) == "fullSyncRequired"
    assert json.loads(raised.value.content)["error"]["message"] == (
        "Sync token is no longer valid, a full sync is required."
    )


# --------------------------------------------------------------------------- Gmail


def test_drafts_create_update_get_list_delete(fake: FakeGoogle) -> None:
    gmail = _service(fake, "gmail", "v1", _creds(fake)).users()
    first = _mail("Thanks", to="alice@acme.example", sender=ME, message_id="<d1@me.example>")
    created = gmail.drafts().create(userId="me", body={"message": {"raw": _raw(first)}}).execute()
    draft_id, message_id = created["id"], created["message"]["id"]
    assert created["message"]["labelIds"] == ["DRAFT"]

    raw = gmail.drafts().get(userId="me", id=draft_id, format="raw").execute()
    assert base64.urlsafe_b64decode(raw["message"]["raw"]) == first.as_bytes()

    second = _mail("Thanks", to="alice@acme.example", sender=ME, message_id="<d2@me.example>")
    updated = (
        gmail.drafts()
        .update(userId="me", id=draft_id, body={"message": {"raw": _raw(second)}})
        .execute()
    )
    assert updated["id"] == draft_id
    assert updated["message"]["id"] != message_id
    with pytest.raises(HttpError) as raised:
        gmail.messages().get(userId="me", id=message_id).execute()
    assert raised.value.status_code == 404

    metadata = (
        gmail.drafts()
        .get(userId="me", id=draft_id, format="metadata")
        .execute()["message"]["payload"]["headers"]
    )
    assert {"name": "Message-ID", "value": "<d2@me.example>"} in metadata
    found = gmail.drafts().list(userId="me", q="rfc822msgid:<d2@me.example>").execute()
    assert [d["id"] for d in found["drafts"]] == [draft_id]
    assert "drafts" not in gmail.drafts().list(userId="me", q="rfc822msgid:d1@me.example").execute()

    # The media-upload form of drafts.create lands on upload/gmail/v1/... and works too.
    media = MediaIoBaseUpload(
        io.BytesIO(_mail("Other", sender=ME).as_bytes()), mimetype="message/rfc822"
    )
    uploaded = gmail.drafts().create(userId="me", media_body=media).execute()
    assert fake.count("upload/gmail/v1/users/me/drafts", "POST") == 1
    assert set(fake.drafts()) == {draft_id, uploaded["id"]}
    assert fake.drafts()[draft_id]["Message-ID"] == "<d2@me.example>"

    gmail.drafts().delete(userId="me", id=draft_id).execute()
    for call in (
        gmail.drafts().get(userId="me", id=draft_id),
        gmail.drafts().delete(userId="me", id=draft_id),
    ):
        with pytest.raises(HttpError) as raised:
            call.execute()
        assert raised.value.status_code == 404
        assert json.loads(raised.value.content)["error"]["status"] == "NOT_FOUND"


def test_threading_rules_for_drafts_and_delivered_replies(fake: FakeGoogle) -> None:
    gmail = _service(fake, "gmail", "v1", _creds(fake)).users()
    inbound = fake.deliver(_mail("Interview on Monday", message_id="<in1@acme.example>"))
    thread_id = fake.message_info(inbound).thread_id

    def draft(message: EmailMessage, thread: str | None) -> str:
        body: dict[str, Any] = {"message": {"raw": _raw(message)}}
        if thread:
            body["message"]["threadId"] = thread
        return str(gmail.drafts().create(userId="me", body=body).execute()["message"]["threadId"])

    reply = _mail("Re: Interview on Monday", sender=ME, replying_to="<in1@acme.example>")
    assert draft(reply, thread_id) == thread_id
    assert draft(reply, None) != thread_id  # no threadId
    unrelated = _mail("Re: Interview on Monday", sender=ME)
    assert draft(unrelated, thread_id) != thread_id  # no In-Reply-To/References
    other_subject = _mail("Quick question", sender=ME, replying_to="<in1@acme.example>")
    assert draft(other_subject, thread_id) != thread_id  # subject differs

    their_reply = _mail(
        "RE: Interview on Monday", replying_to="<in1@acme.example>", message_id="<in2@acme>"
    )
    assert fake.message_info(fake.deliver(their_reply)).thread_id == thread_id
    new_topic = _mail("Offer", replying_to="<in1@acme.example>")
    assert fake.message_info(fake.deliver(new_topic)).thread_id != thread_id

    thread = gmail.threads().get(userId="me", id=thread_id, format="metadata").execute()
    assert [m["id"] for m in thread["messages"]] == fake.thread(thread_id)
    assert len(thread["messages"]) == 3  # inbound, the joined draft, their reply


def test_user_sends_draft_history_and_expiry(fake: FakeGoogle) -> None:
    gmail = _service(fake, "gmail", "v1", _creds(fake)).users()
    start = gmail.getProfile(userId="me").execute()["historyId"]
    inbound = fake.deliver(_mail("Interview", message_id="<in@acme.example>"))
    thread_id = fake.message_info(inbound).thread_id
    reply = _mail(
        "Re: Interview", sender=ME, message_id="<out@me.example>", replying_to="<in@acme.example>"
    )
    created = (
        gmail.drafts()
        .create(userId="me", body={"message": {"raw": _raw(reply), "threadId": thread_id}})
        .execute()
    )

    sent_id = fake.user_sends_draft(created["id"])
    with pytest.raises(HttpError) as raised:
        gmail.drafts().get(userId="me", id=created["id"]).execute()
    assert raised.value.status_code == 404
    found = gmail.messages().list(userId="me", q="rfc822msgid:out@me.example in:sent").execute()
    assert found["messages"] == [{"id": sent_id, "threadId": thread_id}]
    sent = gmail.messages().get(userId="me", id=sent_id, format="minimal").execute()
    assert sent["labelIds"] == ["SENT"]
    assert sent_id != created["message"]["id"]

    history = gmail.history().list(userId="me", startHistoryId=start).execute()
    ids = [int(record["id"]) for record in history["history"]]
    assert ids == sorted(ids) and len(ids) == 4  # inbound, draft, draft deleted, sent
    assert any(b - a > 1 for a, b in itertools.pairwise(ids))  # not contiguous
    assert int(history["historyId"]) == ids[-1]
    kinds = [next(k for k in r if k not in ("id", "messages")) for r in history["history"]]
    assert kinds == ["messagesAdded", "messagesAdded", "messagesDeleted", "messagesAdded"]
    assert history["history"][-1]["messages"] == [{"id": sent_id, "threadId": thread_id}]

    sent_only = (
        gmail.history()
        .list(userId="me", startHistoryId=start, historyTypes="messageAdded", labelId="SENT")
        .execute()
    )
    assert [r["messages"][0]["id"] for r in sent_only["history"]] == [sent_id]

    pages = 0
    request = gmail.history().list(userId="me", startHistoryId=start, maxResults=3)
    while request is not None:
        page = request.execute()
        pages += 1
        request = gmail.history().list_next(request, page)
    assert pages == 2

    fake.expire_history()
    with pytest.raises(HttpError) as raised:
        gmail.history().list(userId="me", startHistoryId=start).execute()
    assert raised.value.status_code == 404
    latest = gmail.getProfile(userId="me").execute()["historyId"]
    assert "history" not in gmail.history().list(userId="me", startHistoryId=latest).execute()


def test_message_search_and_paging(fake: FakeGoogle) -> None:
    now = datetime.now(UTC)
    alice = fake.deliver(
        _mail("Hi", sender="Alice <alice@acme.example>"), at=now - timedelta(days=1)
    )
    bob = fake.deliver(
        _mail("Hello", sender="bob@other.example", cc="carol@acme.example"),
        at=now - timedelta(days=5),
    )
    sent = fake.deliver(
        _mail("Re: Hi", sender=ME, to="alice@acme.example"), labels=("SENT",), at=now
    )
    gmail = _service(fake, "gmail", "v1", _creds(fake)).users()
    draft = (
        gmail.drafts()
        .create(
            userId="me",
            body={"message": {"raw": _raw(_mail("Draft", sender=ME, to="dan@x.example"))}},
        )
        .execute()["message"]["id"]
    )

    def search(q: str, **params: Any) -> list[str]:
        found = gmail.messages().list(userId="me", q=q, **params).execute()
        return [m["id"] for m in found.get("messages", [])]

    assert search("from:alice@acme.example") == [alice]
    assert search("from:alice@acme.example OR to:alice@acme.example") == [sent, alice]
    assert search("(from:alice@acme.example OR cc:carol@acme.example) in:inbox") == [alice, bob]
    assert search("to:(alice@acme.example OR dan@x.example)") == [draft, sent]
    assert search("in:sent") == [sent]
    assert search("in:drafts") == [draft]
    assert set(search("-in:drafts")) == {alice, bob, sent}
    assert search("newer_than:3d -in:drafts -in:sent") == [alice]
    epoch = int((now - timedelta(days=2)).timestamp())
    assert search(f"after:{epoch} in:inbox") == [alice]
    assert search("", labelIds=["INBOX"]) == [alice, bob]
    with pytest.raises(HttpError) as raised:
        search("frmo:typo")
    assert raised.value.status_code == 400

    first_page = gmail.messages().list(userId="me", maxResults=3).execute()
    assert first_page["resultSizeEstimate"] == 4
    assert len(first_page["messages"]) == 3
    first_request = gmail.messages().list(userId="me", maxResults=3)
    second_page = gmail.messages().list_next(first_request, first_page).execute()
    assert len(second_page["messages"]) == 1
    assert "nextPageToken" not in second_page

    full = gmail.messages().get(userId="me", id=alice, format="full").execute()
    assert full["payload"]["mimeType"] == "text/plain"
    assert base64.urlsafe_b64decode(full["payload"]["body"]["data"]).strip() == b"Hello!"
    assert full["snippet"] == "Hello!"
    metadata = (
        gmail.messages()
        .get(userId="me", id=alice, format="metadata", metadataHeaders=["From", "Subject"])
        .execute()
    )
    assert [h["name"] for h in metadata["payload"]["headers"]] == ["From", "Subject"]
    assert int(metadata["internalDate"]) == int((now - timedelta(days=1)).timestamp() * 1000)


def test_sending_is_forbidden(fake: FakeGoogle) -> None:
    gmail = _service(fake, "gmail", "v1", _creds(fake)).users()
    raw = _raw(_mail("Hi", sender=ME, to="x@y.example"))
    created = gmail.drafts().create(userId="me", body={"message": {"raw": raw}}).execute()
    for call in (
        gmail.messages().send(userId="me", body={"raw": raw}),
        gmail.drafts().send(userId="me", body={"id": created["id"]}),
    ):
        with pytest.raises(HttpError) as raised:
            call.execute()
        assert raised.value.status_code == 403
    assert [r.path for r in fake.forbidden_calls] == [
        "/gmail/v1/users/me/messages/send",
        "/gmail/v1/users/me/drafts/send",
    ]
    assert fake.messages(label="SENT") == {}


def test_injected_faults_surface_through_the_client(fake: FakeGoogle) -> None:
    gmail = _service(fake, "gmail", "v1", _creds(fake)).users()
    fake.fail_next("gmail/v1/users/me/profile", 429, headers={"Retry-After": "2"})
    with pytest.raises(HttpError) as raised:
        gmail.getProfile(userId="me").execute()
    assert raised.value.status_code == 429
    assert raised.value.resp["retry-after"] == "2"
    assert _reason(raised.value) == "rateLimitExceeded"

    fake.fail_next(
        "/gmail/v1/users/me/messages",
        403,
        body={"error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded"}]}},
        times=2,
    )
    fake.fail_next("calendars/", 503)
    for _ in range(2):
        with pytest.raises(HttpError) as raised:
            gmail.messages().list(userId="me").execute()
        assert _reason(raised.value) == "userRateLimitExceeded"
    assert gmail.messages().list(userId="me").execute()["resultSizeEstimate"] == 0
    calendar = _service(fake, "calendar", "v3", _creds(fake))
    with pytest.raises(HttpError) as raised:
        calendar.events().list(calendarId="primary").execute()
    assert raised.value.status_code == 503
    assert calendar.events().list(calendarId="primary").execute()["items"] == []
    assert gmail.getProfile(userId="me").execute()["emailAddress"] == ME
    assert fake.count("gmail/v1/users/me/profile") == 2


def test_batch_requests(fake: FakeGoogle) -> None:
    creds = _creds(fake)
    gmail = _service(fake, "gmail", "v1", creds).users()
    ids = [fake.deliver(_mail(f"Note {i}")) for i in range(3)]
    answers: dict[str, Any] = {}

    def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
        answers[request_id] = exception.status_code if exception else response["id"]

    batch = BatchHttpRequest(callback=collect, batch_uri=fake.root + "batch/gmail/v1")
    for message_id in [*ids, "0000000000000000"]:
        batch.add(gmail.messages().get(userId="me", id=message_id, format="minimal"))
    batch.execute()
    assert sorted(answers.values(), key=str) == sorted([*ids, 404], key=str)
    assert fake.count("gmail/v1/users/me/messages/") == 4


def test_upload_forms_and_user_edits_or_discards(fake: FakeGoogle) -> None:
    gmail = _service(fake, "gmail", "v1", _creds(fake)).users()
    inbound = fake.deliver(_mail("Interview", message_id="<in@acme.example>"))
    thread_id = fake.message_info(inbound).thread_id
    reply = _mail("Re: Interview", sender=ME, replying_to="<in@acme.example>")
    ids = []
    for resumable in (False, True):  # multipart/related and resumable uploads
        media = MediaIoBaseUpload(
            io.BytesIO(reply.as_bytes()), mimetype="message/rfc822", resumable=resumable
        )
        body = {"message": {"threadId": thread_id}}
        created = gmail.drafts().create(userId="me", body=body, media_body=media).execute()
        assert created["message"]["threadId"] == thread_id
        ids.append(created["id"])
    assert fake.count("upload/gmail/v1/users/me/drafts") == 3  # multipart + 2 resumable legs

    before = fake.draft_message_id(ids[0])
    after = fake.user_edits_draft(ids[0], "Looking forward to it.")
    assert after != before
    edited = gmail.drafts().get(userId="me", id=ids[0], format="full").execute()
    assert edited["message"]["id"] == after
    assert edited["message"]["threadId"] == thread_id
    assert fake.drafts()[ids[0]].get_content().strip() == "Looking forward to it."

    fake.user_deletes_draft(ids[1])
    with pytest.raises(HttpError) as raised:
        gmail.drafts().get(userId="me", id=ids[1]).execute()
    assert raised.value.status_code == 404
    assert fake.messages(label="SENT") == {}
    with pytest.raises(KeyError):
        fake.user_sends_draft(ids[1])


def test_draft_versions_service_rewrites_and_requests_in_between(fake: FakeGoogle) -> None:
    gmail = _service(fake, "gmail", "v1", _creds(fake)).users()
    message = _mail("Thanks", to="alice@acme.example", sender=ME, message_id="<v1@me.example>")
    message.set_content("word " * 40)
    created = gmail.drafts().create(userId="me", body={"message": {"raw": _raw(message)}}).execute()
    draft_id, version = created["id"], created["message"]["id"]
    assert set(created["message"]) == {"id", "threadId", "labelIds"}

    def current(**params: Any) -> dict[str, Any]:
        answer = gmail.drafts().get(userId="me", id=draft_id, **params).execute()
        return dict(answer["message"])

    minimal = current(format="minimal")
    assert minimal["id"] == version and "payload" not in minimal and "raw" not in minimal
    listed = gmail.drafts().list(userId="me", q="rfc822msgid:v1@me.example").execute()
    assert listed["drafts"] == [{"id": draft_id, "message": {"id": version, "threadId": version}}]

    # Gmail stores the draft anew: other bytes, same draft, message id and history.
    history_id = fake.history_id
    before = base64.urlsafe_b64decode(current(format="raw")["raw"])
    raw = fake.service_rewrites_draft(draft_id)
    after = base64.urlsafe_b64decode(current(format="raw")["raw"])
    assert after == raw != before
    assert b"Content-Transfer-Encoding: base64" in after
    assert max(len(line) for line in after.splitlines()) <= 76
    assert current(format="minimal")["id"] == version == fake.draft_message_id(draft_id)
    assert fake.history_id == history_id
    with pytest.raises(KeyError):
        fake.service_rewrites_draft("r0")

    # The user saves an edit: a new message id, which drafts.list reports too.
    edited = fake.user_edits_draft(draft_id, "My own words.")
    assert current(format="minimal")["id"] == edited != version
    listed = gmail.drafts().list(userId="me", q="rfc822msgid:v1@me.example").execute()
    assert listed["drafts"][0]["message"]["id"] == edited

    # Something happens between a client's two requests: just before the PUT is answered.
    fake.before_next(
        f"gmail/v1/users/me/drafts/{draft_id}",
        lambda: fake.user_deletes_draft(draft_id),
        method="PUT",
    )
    current(format="minimal")  # a GET: the action waits for the PUT
    assert fake.draft_message_id(draft_id) == edited
    with pytest.raises(HttpError) as raised:
        gmail.drafts().update(
            userId="me", id=draft_id, body={"message": {"raw": _raw(message)}}
        ).execute()
    assert raised.value.status_code == 404
    assert fake.drafts() == {}
