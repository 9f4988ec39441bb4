"""The fake Microsoft (``tests.fakes.microsoft``) driven by the real MSAL and plain ``requests``.

MSAL Python 1.39 signs in (device code, interactive with a loopback redirect, auth code by
hand) and refreshes against ``fake.authority``; Graph v1.0 is called with ``requests``.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
import webbrowser
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msal
import msal.application
import pytest
import requests

from tests.fakes.microsoft import PRODUCT_SCOPES, FakeMicrosoft

ME = "megan@contoso.example"
SCOPES = list(PRODUCT_SCOPES)
IMMUTABLE = 'IdType="ImmutableId"'


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMicrosoft]:
    """A running fake whose CA ``requests`` trusts through the environment."""
    with FakeMicrosoft(user_email=ME, display_name="Megan Bowen") as microsoft:
        microsoft.trust(monkeypatch)
        yield microsoft


@pytest.fixture
def http(fake: FakeMicrosoft) -> Iterator[requests.Session]:
    """A session verifying the fake's CA (also MSAL's ``http_client``)."""
    with requests.Session() as session:
        session.verify = fake.ca_path
        yield session


def _app(
    fake: FakeMicrosoft, http: requests.Session, cache: msal.SerializableTokenCache
) -> msal.PublicClientApplication:
    return msal.PublicClientApplication(
        fake.client_id,
        authority=fake.authority,
        instance_discovery=False,
        http_client=http,
        token_cache=cache,
    )


class Graph:
    """Plain ``requests`` calls to the fake Graph with one token and one set of preferences."""

    def __init__(
        self, fake: FakeMicrosoft, http: requests.Session, token: str, *prefer: str
    ) -> None:
        self.fake, self.http, self.token = fake, http, token
        self.prefer = ", ".join(prefer)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("https://") else self.fake.graph_endpoint + path
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        if self.prefer:
            headers["Prefer"] = self.prefer
        return self.http.request(method, url, headers=headers, timeout=10, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def pages(self, path: str, **kwargs: Any) -> tuple[list[dict[str, Any]], str]:
        """Follow ``@odata.nextLink`` verbatim; returns the items and the delta link."""
        items: list[dict[str, Any]] = []
        url = path
        while True:
            page = self.ok("GET", url, **kwargs)
            kwargs = {}
            items += page["value"]
            if "@odata.nextLink" in page:
                url = page["@odata.nextLink"]
                continue
            return items, page["@odata.deltaLink"]


def _graph(fake: FakeMicrosoft, http: requests.Session, *prefer: str) -> Graph:
    return Graph(fake, http, fake.issue_token()["access_token"], *prefer)


def _error(response: requests.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"code", "message", "innerError"}
    return error


def _refresh_secret(cache: msal.SerializableTokenCache) -> str:
    (entry,) = json.loads(cache.serialize())["RefreshToken"].values()
    return str(entry["secret"])


# ------------------------------------------------------------------------- identity


def test_device_flow_silent_refresh_rotation_and_revocation(
    fake: FakeMicrosoft, http: requests.Session
) -> None:
    cache = msal.SerializableTokenCache()
    app = _app(fake, http, cache)
    flow = app.initiate_device_flow(SCOPES)
    assert fake.pending_user_codes == [flow["user_code"]]
    assert fake.root + "devicelogin" in flow["message"]
    assert flow["interval"] == 1

    # One poll while the user has not entered the code yet.
    pending = app.acquire_token_by_device_flow(flow, exit_condition=lambda flow: True)
    assert pending["error"] == "authorization_pending"
    assert pending["error_codes"] == [70016]

    assert fake.complete_device_flow() == flow["user_code"]
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    assert sorted(fake.granted_scopes) == sorted(SCOPES)  # MSAL sorts scopes
    assert set(fake.scope_requests[0]) == {*SCOPES, "openid", "profile", "offline_access"}
    claims = result["id_token_claims"]
    assert claims["aud"] == fake.client_id
    assert claims["preferred_username"] == ME
    assert (claims["oid"], claims["tid"]) == (fake.user_id, fake.tenant_id)
    assert cache.has_state_changed
    (account,) = app.get_accounts()
    assert account["username"] == ME
    assert account["home_account_id"] == f"{fake.user_id}.{fake.tenant_id}"

    graph = Graph(fake, http, result["access_token"])
    me = graph.ok("GET", "/me")
    assert (me["mail"], me["userPrincipalName"], me["displayName"]) == (ME, ME, "Megan Bowen")

    # Graph refuses an expired token; MSAL does not know and still serves it from its cache.
    cache.has_state_changed = False
    fake.expire_access_tokens()
    refused = graph.call("GET", "/me")
    assert refused.status_code == 401
    assert _error(refused)["code"] == "InvalidAuthenticationToken"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    cached = app.acquire_token_silent(SCOPES, account=account)
    assert cached is not None
    assert cached["access_token"] == result["access_token"]
    assert cached["token_source"] == "cache"
    assert not cache.has_state_changed

    # force_refresh redeems the refresh token, which rotates.
    old_refresh = _refresh_secret(cache)
    fresh = app.acquire_token_silent(SCOPES, account=account, force_refresh=True)
    assert fresh is not None
    assert fresh["token_source"] == "identity_provider"
    assert fake.refresh_count == 1
    assert cache.has_state_changed
    assert _refresh_secret(cache) != old_refresh
    assert Graph(fake, http, fresh["access_token"]).ok("GET", "/me")["mail"] == ME

    # The rotated-out refresh token is dead (an unsaved cache loses the grant).
    reused = app.acquire_token_by_refresh_token(old_refresh, SCOPES)
    assert reused["error"] == "invalid_grant"
    assert reused["error_codes"] == [70008]

    # Access tokens with under 5 minutes to live count as expired for MSAL: every silent
    # call refreshes.
    fake.set_token_lifetimes(access_token=120)
    app.acquire_token_silent(SCOPES, account=account, force_refresh=True)
    again = app.acquire_token_silent(SCOPES, account=account)
    assert again is not None
    assert again["token_source"] == "identity_provider"
    assert fake.refresh_count == 3

    fake.revoke_grant()
    before = fake.count("common/oauth2/v2.0/token")
    assert app.acquire_token_silent(SCOPES, account=account, force_refresh=True) is None
    error = app.acquire_token_silent_with_error(SCOPES, account=account, force_refresh=True)
    assert error is not None
    assert error["error"] == "invalid_grant"
    assert error["error_codes"] == [50173]
    assert "revoked" in error["error_description"]
    # MSAL caches an HTTP 400 from the token endpoint for 60 s: the second try never left.
    assert fake.count("common/oauth2/v2.0/token") == before + 1
    assert Graph(fake, http, again["access_token"]).call("GET", "/me").status_code == 401


def test_device_flow_declined(fake: FakeMicrosoft, http: requests.Session) -> None:
    app = _app(fake, http, msal.SerializableTokenCache())
    flow = app.initiate_device_flow(SCOPES)
    fake.deny_device_flow(flow["user_code"])
    result = app.acquire_token_by_device_flow(flow)
    assert result["error"] == "authorization_declined"
    assert fake.pending_user_codes == []
    assert app.get_accounts() == []


def test_interactive_flow_with_a_loopback_redirect(
    fake: FakeMicrosoft, http: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(msal.application, "_preferred_browser", lambda: None)
    monkeypatch.setattr(webbrowser, "open", fake.open_browser)
    cache = msal.SerializableTokenCache()
    app = _app(fake, http, cache)

    result = app.acquire_token_interactive(SCOPES, timeout=10, login_hint=ME)
    assert "access_token" in result, result
    assert fake.browser_errors == []
    visit = fake.authorizations[-1]
    assert visit["response_mode"] == "form_post"  # MSAL 1.39's loopback server accepts POST only
    assert visit["code_challenge_method"] == "S256"
    assert visit["redirect_uri"].startswith("http://localhost:")
    assert visit["client_info"] == "1"
    assert result["id_token_claims"]["nonce"] == visit["nonce"]
    assert app.get_accounts()[0]["username"] == ME
    assert sorted(fake.granted_scopes) == sorted(SCOPES)  # MSAL sorts scopes

    fake.deny_next_authorization()
    denied = app.acquire_token_interactive(SCOPES, timeout=10)
    assert denied["error"] == "access_denied"


def test_auth_code_flow_by_hand_checks_pkce_and_single_use(
    fake: FakeMicrosoft, http: requests.Session
) -> None:
    app = _app(fake, http, msal.SerializableTokenCache())
    with pytest.warns(UserWarning, match="form_post"):
        flow = app.initiate_auth_code_flow(
            SCOPES, redirect_uri="http://localhost:8765", response_mode="query"
        )
    answer = http.get(flow["auth_uri"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    location = urllib.parse.urlsplit(answer.headers["Location"])
    assert location.netloc == "localhost:8765"
    auth_response = {k: v[0] for k, v in urllib.parse.parse_qs(location.query).items()}
    client_info = json.loads(base64.urlsafe_b64decode(auth_response["client_info"] + "=="))
    assert client_info == {"uid": fake.user_id, "utid": fake.tenant_id}

    form = {
        "client_id": fake.client_id,
        "grant_type": "authorization_code",
        "code": auth_response["code"],
        "redirect_uri": "http://localhost:8765",
        "code_verifier": "x" * 43,
        "scope": " ".join(SCOPES),
    }
    wrong = http.post(fake.token_endpoint, data=form, timeout=5)
    assert wrong.status_code == 400
    assert wrong.json()["error_codes"] == [501481]

    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    assert "access_token" in result, result
    assert "refresh_token" in result
    replay = http.post(fake.token_endpoint, data=form, timeout=5).json()
    assert (replay["error"], replay["error_codes"]) == ("invalid_grant", [54005])


# ------------------------------------------------------------------------- calendar


def _event(subject: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "start": {"dateTime": start, "timeZone": "UTC"},
        "end": {"dateTime": end, "timeZone": "UTC"},
        **extra,
    }


def test_calendar_delta_paging_removed_and_410(fake: FakeMicrosoft, http: requests.Session) -> None:
    ids = {
        day: fake.put_event(
            _event(f"Interview {day}", f"2024-05-0{day}T10:00:00", f"2024-05-0{day}T11:00:00")
        )["id"]
        for day in range(1, 6)
    }
    outside = fake.put_event(_event("Later", "2024-06-20T10:00:00", "2024-06-20T11:00:00"))["id"]
    fake.put_event(
        {
            **_event("Weekly", "2024-05-03T08:00:00", "2024-05-03T08:30:00"),
            "start": {"dateTime": "2024-05-03T10:00:00", "timeZone": "Romance Standard Time"},
            "end": {"dateTime": "2024-05-03T10:30:00", "timeZone": "Romance Standard Time"},
            "type": "occurrence",
            "seriesMasterId": "AAMkSeries=",
            "originalStart": "2024-05-03T08:00:00Z",
            "isOrganizer": False,
            "responseStatus": {"response": "tentativelyAccepted", "time": "2024-04-01T00:00:00Z"},
            "attendees": [
                {
                    "type": "required",
                    "status": {"response": "accepted", "time": "2024-04-01T00:00:00Z"},
                    "emailAddress": {"name": "Rita", "address": "rita@acme.example"},
                }
            ],
            "onlineMeeting": {"joinUrl": "https://teams.example/join/1"},
        }
    )
    graph = _graph(fake, http, 'outlook.timezone="Europe/Paris"', "odata.maxpagesize=2")
    window = {"startDateTime": "2024-05-01T00:00:00Z", "endDateTime": "2024-05-08T00:00:00Z"}

    first = graph.call("GET", "/me/calendarView/delta", params=window)
    assert first.status_code == 200
    assert 'outlook.timezone="Europe/Paris"' in first.headers["Preference-Applied"]
    assert "odata.maxpagesize=2" in first.headers["Preference-Applied"]
    page = first.json()
    assert len(page["value"]) == 2
    assert page["value"][0]["start"] == {
        "dateTime": "2024-05-01T12:00:00.0000000",
        "timeZone": "Europe/Paris",
    }
    items, delta_link = graph.pages(page["@odata.nextLink"])
    items = page["value"] + items
    assert len(items) == 6
    weekly = next(e for e in items if e["subject"] == "Weekly")
    assert weekly["start"]["dateTime"] == "2024-05-03T10:00:00.0000000"  # 08:00Z in Paris
    assert (weekly["type"], weekly["seriesMasterId"]) == ("occurrence", "AAMkSeries=")
    assert weekly["onlineMeeting"]["joinUrl"] == "https://teams.example/join/1"
    assert weekly["responseStatus"]["response"] == "tentativelyAccepted"

    fake.put_event(
        _event("Interview 2 moved", "2024-05-02T14:00:00", "2024-05-02T15:00:00", id=ids[2])
    )
    fake.delete_event(ids[3])
    fake.put_event(_event("Interview 4", "2024-07-01T10:00:00", "2024-07-01T11:00:00", id=ids[4]))
    fake.delete_event(outside)  # never seen by the client, still reported
    new = fake.put_event(
        _event("New", "2024-05-06T09:00:00", "2024-05-06T09:30:00", isCancelled=True)
    )

    changes, next_delta = graph.pages(delta_link)
    removed = {c["id"] for c in changes if "@removed" in c}
    updated = {c["id"]: c for c in changes if "@removed" not in c}
    assert removed == {ids[3], ids[4], outside}
    assert all(c["@removed"] == {"reason": "deleted"} for c in changes if "@removed" in c)
    assert set(updated) == {ids[2], new["id"]}
    assert updated[new["id"]]["isCancelled"] is True
    assert graph.pages(next_delta)[0] == []

    with_params = graph.call("GET", delta_link, params=window)
    assert with_params.status_code == 400
    assert graph.call("GET", "/me/calendarView/delta").status_code == 400  # no window

    fake.expire_delta_tokens()
    gone = graph.call("GET", next_delta)
    assert gone.status_code == 410
    assert _error(gone)["code"] == "SyncStateNotFound"
    restarted, _ = graph.pages("/me/calendarView/delta", params=window)
    assert len(restarted) == 5

    utc = _graph(fake, http)
    event = utc.ok("GET", f"/me/events/{ids[1]}", params={"$select": "subject,start"})
    assert set(event) == {"@odata.etag", "id", "subject", "start"}
    assert event["start"] == {"dateTime": "2024-05-01T10:00:00.0000000", "timeZone": "UTC"}
    assert utc.call("POST", "/me/events", json={"subject": "x"}).status_code == 403
    assert len(fake.forbidden_calls) == 1


# ----------------------------------------------------------------------------- mail


def test_drafts_create_update_delete_and_validation(
    fake: FakeMicrosoft, http: requests.Session
) -> None:
    graph = _graph(fake, http, IMMUTABLE)
    draft = graph.ok(
        "POST",
        "/me/messages",
        json={
            "subject": "Looking forward to Tuesday",
            "body": {"contentType": "text", "content": "Hi Rita,\nsee you soon."},
            "toRecipients": [{"emailAddress": {"address": "rita@acme.example", "name": "Rita"}}],
            "internetMessageHeaders": [{"name": "X-Interview-Outreach", "value": "ev1/pre"}],
        },
    )
    assert draft["isDraft"] is True
    assert draft["parentFolderId"] == graph.ok("GET", "/me/mailFolders/drafts")["id"]
    assert draft["internetMessageId"].startswith("<")
    assert draft["conversationId"]
    assert "internetMessageHeaders" not in draft
    assert [d["id"] for d in fake.drafts()] == [draft["id"]]

    selected = graph.ok(
        "GET", f"/me/messages/{draft['id']}", params={"$select": "subject,internetMessageHeaders"}
    )
    assert selected["internetMessageHeaders"] == [
        {"name": "X-Interview-Outreach", "value": "ev1/pre"}
    ]
    assert "body" not in selected

    updated = graph.ok(
        "PATCH",
        f"/me/messages/{draft['id']}",
        json={"body": {"contentType": "html", "content": "<p>Hi Rita!</p>"}},
    )
    assert updated["bodyPreview"] == "Hi Rita!"
    assert updated["changeKey"] != draft["changeKey"]
    stale = graph.call(
        "PATCH",
        f"/me/messages/{draft['id']}",
        json={"subject": "x"},
        headers={"If-Match": draft["@odata.etag"]},
    )
    assert stale.status_code == 412

    bad_header = graph.call(
        "POST",
        "/me/messages",
        json={"internetMessageHeaders": [{"name": "In-Reply-To", "value": "<a@b>"}]},
    )
    assert bad_header.status_code == 400
    assert _error(bad_header)["code"] == "InvalidInternetMessageHeader"
    late_header = graph.call(
        "PATCH",
        f"/me/messages/{draft['id']}",
        json={"internetMessageHeaders": [{"name": "X-A", "value": "1"}]},
    )
    assert late_header.status_code == 400
    typo = graph.call("POST", "/me/messages", json={"subjet": "typo"})
    assert _error(typo)["code"] == "RequestBodyRead"

    assert graph.call("POST", f"/me/messages/{draft['id']}/send").status_code == 403
    denied = graph.call("POST", "/me/sendMail", json={"message": {}})
    assert _error(denied)["code"] == "ErrorAccessDenied"
    assert [r.path.rsplit("/", 1)[-1] for r in fake.forbidden_calls] == ["send", "sendMail"]
    assert fake.sent() == []

    stale_delete = graph.call(
        "DELETE", f"/me/messages/{draft['id']}", headers={"If-Match": draft["@odata.etag"]}
    )
    assert stale_delete.status_code == 412
    assert _error(stale_delete)["code"] == "ErrorIrresolvableConflict"
    assert [d["id"] for d in fake.drafts()] == [draft["id"]]
    current = graph.ok("GET", f"/me/messages/{draft['id']}", params={"$select": "changeKey"})
    assert current["@odata.etag"] == f'W/"{current["changeKey"]}"'
    deleted = graph.call(
        "DELETE", f"/me/messages/{draft['id']}", headers={"If-Match": current["@odata.etag"]}
    )
    assert deleted.status_code == 204
    assert fake.drafts() == []
    assert fake.deleted()[0]["id"] == draft["id"]

    plain = _graph(fake, http)
    fake.user_sends_draft(graph.ok("POST", "/me/messages", json={"subject": "Sent"})["id"])
    (sent,) = plain.ok("GET", "/me/mailFolders/sentitems/messages")["value"]
    refused = plain.call("PATCH", f"/me/messages/{sent['id']}", json={"subject": "Edited"})
    assert _error(refused)["code"] == "ErrorInvalidPropertyUpdateSentMessage"
    assert plain.call("PATCH", f"/me/messages/{sent['id']}", json={"isRead": False}).ok


def test_create_reply_search_and_filter(fake: FakeMicrosoft, http: requests.Session) -> None:
    graph = _graph(fake, http, IMMUTABLE)
    invite = fake.deliver(
        "Rita Recruiter <rita@acme.example>",
        "Interview on Tuesday",
        "Please confirm.",
        internet_message_id="<invite-1@acme.example>",
    )
    fake.deliver(
        "Rita Recruiter <rita@acme.example>",
        "Automatic reply: Interview",
        "I am away.",
        conversation_of=invite["id"],
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
    fake.deliver("news@example.org", "Weekly digest", "Nothing about rita.")

    reply = graph.ok(
        "POST", f"/me/messages/{invite['id']}/createReply", json={"comment": "Confirmed!"}
    )
    assert reply["isDraft"] is True
    assert reply["subject"] == "RE: Interview on Tuesday"
    assert reply["conversationId"] == invite["conversationId"]
    assert reply["toRecipients"][0]["emailAddress"]["address"] == "rita@acme.example"
    assert "Confirmed!" in reply["body"]["content"]
    assert fake.message(reply["id"])["_inReplyTo"] == "<invite-1@acme.example>"
    assert fake.message(invite["id"])["isRead"] is False  # the original is untouched

    # Replying to one's own sent message: to its recipients, original stays as it was.
    sent = fake.user_sends_draft(
        graph.ok(
            "POST",
            "/me/messages",
            json={
                "subject": "Thank you",
                "toRecipients": [{"emailAddress": {"address": "rita@acme.example"}}],
            },
        )["id"]
    )
    follow_up = graph.ok("POST", f"/me/messages/{sent['id']}/createReply")
    assert follow_up["toRecipients"][0]["emailAddress"]["address"] == "rita@acme.example"
    assert follow_up["conversationId"] == sent["conversationId"]
    assert fake.message(sent["id"])["isRead"] is sent["isRead"]
    both = graph.call(
        "POST",
        f"/me/messages/{invite['id']}/createReply",
        json={"comment": "a", "message": {"body": {"contentType": "text", "content": "b"}}},
    )
    assert both.status_code == 400

    auto = graph.ok(
        "GET",
        "/me/messages",
        params={
            "$filter": f"conversationId eq '{invite['conversationId']}' and isDraft eq false",
            "$select": "subject,internetMessageHeaders",
        },
    )["value"]
    assert {m["subject"] for m in auto} == {"Interview on Tuesday", "Automatic reply: Interview"}
    headers = next(m for m in auto if m["subject"].startswith("Automatic"))[
        "internetMessageHeaders"
    ]
    assert {"name": "Auto-Submitted", "value": "auto-replied"} in headers
    assert {"name": "In-Reply-To", "value": "<invite-1@acme.example>"} in headers

    found = graph.ok("GET", "/me/messages", params={"$search": '"participants:rita@acme.example"'})[
        "value"
    ]
    assert len(found) == 5  # two received, one sent, two reply drafts
    from_rita = graph.ok(
        "GET",
        "/me/messages",
        params={
            "$filter": "receivedDateTime ge 2000-01-01T00:00:00Z and "
            "from/emailAddress/address eq 'RITA@acme.example'",
            "$orderby": "receivedDateTime desc",
        },
    )["value"]
    assert len(from_rita) == 2
    inefficient = graph.call(
        "GET",
        "/me/messages",
        params={
            "$filter": "from/emailAddress/address eq 'rita@acme.example'",
            "$orderby": "receivedDateTime desc",
        },
    )
    assert _error(inefficient)["code"] == "InefficientFilter"
    paged = graph.ok("GET", "/me/messages", params={"$top": "2"})
    assert len(paged["value"]) == 2
    assert len(graph.ok("GET", paged["@odata.nextLink"])["value"]) == 2


def test_immutable_ids_survive_the_users_send_rest_ids_do_not(
    fake: FakeMicrosoft, http: requests.Session
) -> None:
    immutable, rest = _graph(fake, http, IMMUTABLE), _graph(fake, http)
    body = {"subject": "Hello", "toRecipients": [{"emailAddress": {"address": "a@b.example"}}]}
    kept = immutable.ok("POST", "/me/messages", json=body)
    moved = rest.ok("POST", "/me/messages", json=body)
    assert rest.call("GET", f"/me/messages/{kept['id']}").ok  # both id kinds are accepted
    immutable_ids = {fake.message(m["id"])["id"] for m in (kept, moved)}
    rest_before = {fake.message(m["id"])["_restId"] for m in (kept, moved)}
    assert kept["id"] in immutable_ids
    assert moved["id"] in rest_before
    drafts_delta = {
        g: g.pages("/me/mailFolders/drafts/messages/delta")[1] for g in (immutable, rest)
    }
    sent_delta = {
        g: g.pages("/me/mailFolders('SentItems')/messages/delta")[1] for g in (immutable, rest)
    }

    fake.user_sends_draft(kept["id"])
    fake.user_sends_draft(moved["id"])
    rest_after = {fake.message(m)["_restId"] for m in immutable_ids}
    assert not rest_after & rest_before

    after = immutable.ok("GET", f"/me/messages/{kept['id']}")
    assert (after["id"], after["isDraft"]) == (kept["id"], False)
    assert after["parentFolderId"] == immutable.ok("GET", "/me/mailFolders/sentitems")["id"]
    assert after["sentDateTime"]
    gone = rest.call("GET", f"/me/messages/{moved['id']}")
    assert gone.status_code == 404
    assert _error(gone)["code"] == "ErrorItemNotFound"

    for graph, before, now in (
        (immutable, immutable_ids, immutable_ids),
        (rest, rest_before, rest_after),
    ):
        removed, _ = graph.pages(drafts_delta[graph])
        assert {r["id"] for r in removed if "@removed" in r} == before
        added, _ = graph.pages(sent_delta[graph])
        assert {a["id"] for a in added} == now
    assert rest.call("GET", "/me").headers.get("Preference-Applied") is None
    assert immutable.call("GET", "/me").headers["Preference-Applied"] == IMMUTABLE
    assert any(r.header("prefer") == IMMUTABLE for r in fake.requests)


def test_mail_delta_removed_select_and_410(fake: FakeMicrosoft, http: requests.Session) -> None:
    graph = _graph(fake, http, IMMUTABLE, "odata.maxpagesize=2")
    first = fake.deliver("a@x.example", "One", "1")
    fake.deliver("b@x.example", "Two", "2")
    fake.deliver("c@x.example", "Three", "3")
    items, delta = graph.pages(
        "/me/mailFolders/inbox/messages/delta", params={"$select": "subject,from"}
    )
    assert len(items) == 3
    assert all(set(i) <= {"@odata.etag", "id", "subject", "from"} for i in items)
    assert fake.count("me/mailFolders/inbox/messages/delta") == 1
    assert fake.count("me/mailFolders(") == 1  # the rest followed mailFolders('…') links

    fake.user_moves_message(first["id"], "deleteditems")
    fourth = fake.deliver("d@x.example", "Four", "4")
    changes, next_delta = graph.pages(delta)
    assert {
        "id": first["id"],
        "@odata.type": "#microsoft.graph.message",
        "@removed": {"reason": "deleted"},
    } in changes
    (four,) = [c for c in changes if "@removed" not in c]
    assert set(four) == {"@odata.etag", "id", "subject", "from"}  # $select is kept
    assert four["subject"] == "Four"

    fake.expire_delta_tokens(location=True)
    gone = graph.call("GET", next_delta)
    assert gone.status_code == 410
    assert _error(gone)["code"] == "SyncStateNotFound"
    assert gone.headers["Location"].endswith("/messages/delta")
    assert fourth["id"] in {m["id"] for m in graph.pages(gone.headers["Location"])[0]}


def test_mail_delta_omits_what_came_and_went_between_rounds(
    fake: FakeMicrosoft, http: requests.Session
) -> None:
    graph = _graph(fake, http, IMMUTABLE)
    body = {"subject": "Draft", "body": {"contentType": "text", "content": "x"}}
    returned = graph.ok("POST", "/me/messages", json=body)
    _, delta = graph.pages("/me/mailFolders/drafts/messages/delta")

    # Created after that round's state and discarded, sent or purged before the next one.
    discarded = graph.ok("POST", "/me/messages", json=body)
    fake.user_deletes_draft(discarded["id"])
    sent = graph.ok("POST", "/me/messages", json=body)
    fake.user_sends_draft(sent["id"])
    purged = graph.ok("POST", "/me/messages", json=body)
    assert graph.call("DELETE", f"/me/messages/{purged['id']}").ok
    assert graph.call("DELETE", f"/me/messages/{purged['id']}").ok  # from Deleted Items
    edited_then_moved = graph.ok("POST", "/me/messages", json=body)
    fake.user_edits_draft(edited_then_moved["id"], "changed")
    fake.user_moves_message(edited_then_moved["id"], "inbox")
    # The draft the previous round returned leaves too: that one is reported.
    fake.user_deletes_draft(returned["id"])

    changes, next_delta = graph.pages(delta)
    assert changes == [
        {
            "@odata.type": "#microsoft.graph.message",
            "id": returned["id"],
            "@removed": {"reason": "deleted"},
        }
    ]
    assert graph.pages(next_delta)[0] == []

    # An item the previous round did return is reported as removed, however it left.
    kept = graph.ok("POST", "/me/messages", json=body)
    items, delta = graph.pages(next_delta)
    assert [i["id"] for i in items] == [kept["id"]]
    fake.user_sends_draft(kept["id"])
    changes, _ = graph.pages(delta)
    assert [(c["id"], "@removed" in c) for c in changes] == [(kept["id"], True)]


def test_text_bodies_can_come_back_as_exchange_stores_them(
    fake: FakeMicrosoft, http: requests.Session
) -> None:
    graph = _graph(fake, http, IMMUTABLE, 'outlook.body-content-type="text"')
    body = {"subject": "S", "body": {"contentType": "text", "content": "Hi  \nthere\n\n"}}
    plain = graph.ok("POST", "/me/messages", json=body)
    assert plain["body"]["content"] == "Hi  \nthere\n\n"  # stored as given by default

    fake.rewrite_text_bodies = True
    fake.reset()
    assert fake.rewrite_text_bodies  # kept across reset
    graph = _graph(fake, http, IMMUTABLE, 'outlook.body-content-type="text"')
    created = graph.ok("POST", "/me/messages", json=body)
    assert created["body"]["content"] == "Hi\r\nthere\r\n"
    read = graph.ok("GET", f"/me/messages/{created['id']}")
    assert read["body"]["content"] == "Hi\r\nthere\r\n"
    assert read["changeKey"] == created["changeKey"]  # a rewrite is not a new version
    patched = graph.ok(
        "PATCH",
        f"/me/messages/{created['id']}",
        json={"body": {"contentType": "text", "content": "Bye \r\n"}},
    )
    assert patched["body"]["content"] == "Bye\r\n"
    html_body = {"contentType": "html", "content": "<p>Hi </p>\n"}
    html_draft = graph.ok("POST", "/me/messages", json={"body": html_body})
    assert fake.message(html_draft["id"])["body"] == html_body  # HTML is left alone


def test_an_action_runs_just_before_the_next_matching_request(
    fake: FakeMicrosoft, http: requests.Session
) -> None:
    graph = _graph(fake, http, IMMUTABLE)
    draft = graph.ok("POST", "/me/messages", json={"subject": "S"})
    fake.before_next(
        f"me/messages/{draft['id']}",
        lambda: fake.user_edits_draft(draft["id"], "the user's words"),
        method="PATCH",
    )
    assert graph.ok("GET", f"/me/messages/{draft['id']}")["changeKey"] == draft["changeKey"]
    raced = graph.call(
        "PATCH",
        f"/me/messages/{draft['id']}",
        json={"subject": "ours"},
        headers={"If-Match": draft["@odata.etag"]},
    )
    assert raced.status_code == 412
    after = fake.message(draft["id"])
    assert (after["subject"], after["body"]["content"]) == ("S", "the user's words")
    again = graph.ok("PATCH", f"/me/messages/{draft['id']}", json={"subject": "ours"})
    assert again["subject"] == "ours"  # once only


# ----------------------------------------------------------------- throttling, scopes


def test_throttling_retry_after_and_concurrency(
    fake: FakeMicrosoft, http: requests.Session
) -> None:
    graph = _graph(fake, http)
    fake.fail_next("me/messages", 429, {"Retry-After": "2"}, times=2)
    for _ in range(2):
        throttled = graph.call("GET", "/me/messages")
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "2"
        assert _error(throttled)["code"] == "ApplicationThrottled"
    assert graph.call("GET", "/me/messages").status_code == 200
    assert fake.count("me/messages", "GET") == 3

    fake.max_concurrent = 4
    fake.response_delay = 0.3
    barrier = threading.Barrier(6)

    def call(_: int) -> int:
        with requests.Session() as session:
            session.verify = fake.ca_path
            barrier.wait()
            return Graph(fake, session, graph.token).call("GET", "/me").status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(call, range(6)))
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert fake.peak_concurrency == 4


def test_scopes_are_enforced(fake: FakeMicrosoft, http: requests.Session) -> None:
    calendar_only = Graph(fake, http, fake.issue_token(["Calendars.Read"])["access_token"])
    assert (
        _error(calendar_only.call("POST", "/me/messages", json={}))["code"] == "ErrorAccessDenied"
    )
    assert _error(calendar_only.call("GET", "/me"))["code"] == "Authorization_RequestDenied"
    window = {"startDateTime": "2024-05-01T00:00:00Z", "endDateTime": "2024-05-02T00:00:00Z"}
    assert calendar_only.ok("GET", "/me/calendarView/delta", params=window)["value"] == []
    assert Graph(fake, http, "garbage").call("GET", "/me").status_code == 401
    assert fake.server_errors == []
