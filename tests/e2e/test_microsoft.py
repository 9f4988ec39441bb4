"""A Microsoft account end to end through real msal and Graph calls against the fake:
`auth` (device code) → `once` → draft → the user sends it → reply or not → follow-up
or not → thank-you."""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
import msal
import pytest

import interview_outreach.providers.microsoft.graph as graph_module
from interview_outreach.daemon.cli import main
from tests import configs
from tests.fakes.clock import Clock
from tests.fakes.keyring_memory import MemoryKeyring
from tests.fakes.microsoft import FakeMicrosoft

USER = "ada@contoso.example"
START = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)  # Thursday, GMT
WINDOW_OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class MicrosoftWorld:
    """A user with a Microsoft account and the CLI at a chosen moment."""

    def __init__(
        self, root: Path, fake: FakeMicrosoft, clock: Clock, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.root = root
        self.fake = fake
        self.clock = clock
        self.capsys = capsys
        self.waits: list[float] = []
        self.config = root / "config.toml"
        account = configs.microsoft_account(
            "work", fake.client_id, fake.authority, fake.graph_endpoint
        )
        configs.write_config(
            self.config, storage=f"sqlite:///{root / 'state.db'}", accounts=[account]
        )

    def run(self, *args: str, at: datetime) -> tuple[int, str, str]:
        self.clock.at = at
        self.capsys.readouterr()
        code = main(["--config", str(self.config), *args], clock=self.clock)
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def status(self) -> dict[str, Any]:
        code, out, err = self.run("status", "--json", at=self.clock.at)
        assert code == 0, err
        (item,) = json.loads(out)["interviews"]
        return item  # type: ignore[no-any-return]

    def interview(
        self, event_id: str = "evt1", cancelled: bool = False, start: datetime = START
    ) -> None:
        self.fake.put_event(
            {
                "id": event_id,
                "iCalUId": f"{event_id}@acme.com",
                "subject": "Acme – Technical interview (Senior Backend Engineer)",
                "body": {"contentType": "html", "content": "<p>Interview for the <b>Senior Backend Engineer</b> position at Acme.</p>"},
                "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
                "end": {"dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
                "isCancelled": cancelled,
                "isOrganizer": False,
                "responseStatus": {"response": "accepted"},
                "organizer": {"emailAddress": {"name": "Jane Doe", "address": "jane.doe@acme.com"}},
                "attendees": [
                    {"type": "required", "status": {"response": "accepted"}, "emailAddress": {"name": "Jane Doe", "address": "jane.doe@acme.com"}},
                    {"type": "required", "status": {"response": "accepted"}, "emailAddress": {"name": "Raj Patel", "address": "raj@acme.com"}},
                    {"type": "resource", "status": {"response": "accepted"}, "emailAddress": {"name": "Room 4", "address": "room4@acme.com"}},
                ],
                "onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/meetup-join/abc"},
            }
        )  # fmt: skip


@contextmanager
def microsoft_world(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[MicrosoftWorld]:
    """A ``MicrosoftWorld`` in ``root`` with its fake running (other tests' fixtures)."""
    clock = Clock(WINDOW_OPENS - timedelta(days=1))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        with FakeMicrosoft(user_email=USER, display_name="Ada Lovelace", clock=clock) as fake:
            fake.trust(monkeypatch)
            world = MicrosoftWorld(root, fake, clock, capsys)
            monkeypatch.setattr(graph_module, "pause", world.waits.append)
            original = msal.PublicClientApplication.initiate_device_flow

            def initiate_and_complete(
                self: msal.PublicClientApplication, *args: Any, **kwargs: Any
            ) -> Any:
                flow = original(self, *args, **kwargs)
                fake.complete_device_flow(flow["user_code"])  # the user enters the code at once
                return flow

            monkeypatch.setattr(
                msal.PublicClientApplication, "initiate_device_flow", initiate_and_complete
            )
            yield world
            assert fake.forbidden_calls == [], "the product called a send endpoint"
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[MicrosoftWorld]:
    with microsoft_world(tmp_path, monkeypatch, capsys) as world:
        yield world


def test_device_code_sign_in_keeps_the_cache_in_the_keyring(world: MicrosoftWorld) -> None:
    code, out, err = world.run("auth", "work", at=WINDOW_OPENS)
    assert code == 0, err
    assert f"authorized as {USER}" in out
    assert world.fake.pending_user_codes == []
    requested = {s.rsplit("/", 1)[-1] for s in world.fake.granted_scopes}
    assert {"Mail.ReadWrite", "Calendars.Read", "User.Read"} <= requested
    assert "Mail.Send" not in requested
    entry = json.loads(keyring.get_password("interview-outreach", "work") or "{}")
    assert entry["address"] == USER and "RefreshToken" in entry["cache"]
    assert b"RefreshToken" not in (world.root / "state.db").read_bytes()


def test_the_whole_lifecycle_against_graph(world: MicrosoftWorld) -> None:
    assert world.run("auth", "work", at=WINDOW_OPENS)[0] == 0
    world.interview()
    code, _, err = world.run("once", at=WINDOW_OPENS - timedelta(minutes=1))
    assert code == 0, err
    assert world.fake.drafts() == []
    code, _, err = world.run("once", at=WINDOW_OPENS)
    assert code == 0, err
    (draft,) = world.fake.drafts()
    assert [r["emailAddress"]["address"] for r in draft["toRecipients"]] == ["jane.doe@acme.com"]
    assert "Thursday, 10 December 2026 at 14:00 GMT" in draft["body"]["content"]

    world.run("once", at=WINDOW_OPENS + timedelta(minutes=5))
    world.fake.clear_log()
    world.run("once", at=WINDOW_OPENS + timedelta(minutes=10))
    assert world.fake.count("me/calendarView/delta") == 1  # nothing new: one calendar delta...
    assert world.fake.count("me/mailFolders") == 3  # ...and one delta per watched folder
    assert world.fake.count("v1.0/") == 4  # (MSAL reads the sign-in metadata once per process)
    graph_requests = [r for r in world.fake.requests if r.path.startswith("/v1.0/")]
    assert all('IdType="ImmutableId"' in (r.header("Prefer") or "") for r in graph_requests)

    world.fake.user_sends_draft(draft["id"])
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert world.status()["actions"]["outreach"]["state"] == "sent"
    world.run("once", at=WINDOW_OPENS + timedelta(hours=25))
    (followup,) = world.fake.drafts()
    (sent,) = world.fake.sent()
    assert followup["conversationId"] == sent["conversationId"]
    assert followup["subject"].lower().startswith("re:")

    world.clock.at = WINDOW_OPENS + timedelta(hours=26)
    world.fake.deliver(
        "Jane Doe <jane.doe@acme.com>",
        "RE: " + sent["subject"],
        "See you then!",
        conversation_of=sent["id"],
    )
    world.run("once", at=WINDOW_OPENS + timedelta(hours=26))
    assert world.fake.drafts() == []
    followup_state = world.status()["actions"]["followup"]
    assert (followup_state["state"], followup_state["reason"]) == ("cancelled", "replied")

    world.run("once", at=START + timedelta(hours=2))
    recipients = sorted(
        d["toRecipients"][0]["emailAddress"]["address"] for d in world.fake.drafts()
    )
    assert recipients == ["jane.doe@acme.com", "raj@acme.com"]


def test_an_auto_reply_does_not_stop_the_followup(world: MicrosoftWorld) -> None:
    assert world.run("auth", "work", at=WINDOW_OPENS)[0] == 0
    world.interview()
    world.run("once", at=WINDOW_OPENS)
    (draft,) = world.fake.drafts()
    world.fake.user_sends_draft(draft["id"])
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    (sent,) = world.fake.sent()
    world.clock.at = WINDOW_OPENS + timedelta(hours=2)
    world.fake.deliver(
        "Jane Doe <jane.doe@acme.com>", "Automatic reply: " + sent["subject"], "I am away.",
        conversation_of=sent["id"], headers={"Auto-Submitted": "auto-replied"},
    )  # fmt: skip
    world.run("once", at=WINDOW_OPENS + timedelta(hours=25))
    assert len(world.fake.drafts()) == 1
    assert world.status()["actions"]["followup"]["state"] == "drafted"


def test_a_revoked_grant_asks_for_auth_in_one_line(world: MicrosoftWorld) -> None:
    assert world.run("auth", "work", at=WINDOW_OPENS)[0] == 0
    world.fake.revoke_grant()
    code, _, err = world.run("once", at=WINDOW_OPENS)
    assert code == 1
    assert err.count("\n") == 1 and "interview-outreach auth work" in err


def test_throttling_and_an_expired_delta_are_survived(world: MicrosoftWorld) -> None:
    assert world.run("auth", "work", at=WINDOW_OPENS)[0] == 0
    world.interview()
    world.fake.fail_next("v1.0/me/calendarView", 429, {"Retry-After": "9"})
    assert world.run("once", at=WINDOW_OPENS - timedelta(hours=1))[0] == 0
    assert 9.0 in world.waits
    world.fake.expire_delta_tokens()
    code, _, err = world.run("once", at=WINDOW_OPENS)
    assert code == 0, err
    assert len(world.fake.drafts()) == 1
    assert world.fake.peak_concurrency <= 4


def test_a_rotated_refresh_token_is_saved(world: MicrosoftWorld) -> None:
    assert world.run("auth", "work", at=WINDOW_OPENS)[0] == 0
    before = keyring.get_password("interview-outreach", "work")
    world.fake.expire_access_tokens()
    assert world.run("once", at=WINDOW_OPENS)[0] == 0
    assert world.run("once", at=WINDOW_OPENS + timedelta(minutes=5))[0] == 0
    assert keyring.get_password("interview-outreach", "work") != before
    assert world.fake.refresh_count >= 1


def test_browser_sign_in_with_a_loopback_redirect(
    world: MicrosoftWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The "browser" is the fake's user, who signs in and consents at once.
    monkeypatch.setattr(msal.application, "_preferred_browser", lambda: None)
    monkeypatch.setattr(webbrowser, "open", world.fake.open_browser)
    code, out, err = world.run("auth", "work", "--browser", at=WINDOW_OPENS)
    assert code == 0, err
    assert f"authorized as {USER}" in out
    assert world.fake.browser_errors == []
    visit = world.fake.authorizations[-1]
    assert visit["redirect_uri"].startswith("http://localhost:")
    assert world.fake.pending_user_codes == []  # no device code was involved


def test_an_unreachable_sign_in_service_fails_that_account_only(world: MicrosoftWorld) -> None:
    calendar, maildir = world.root / "cal", world.root / "Mail"
    calendar.mkdir()
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    text = world.config.read_text().replace(world.fake.authority, "https://127.0.0.1:9/common")
    world.config.write_text(text)
    configs.append_account(
        world.config, configs.local_account("home", "ada@example.org", calendar, maildir)
    )
    code, out, err = world.run("once", at=WINDOW_OPENS)
    assert code == 1
    assert "work: failed: cannot reach the Microsoft sign-in service" in err
    assert "home: 0 events" in out
    assert "Traceback" not in err


def test_a_draft_deleted_before_the_next_pass_is_noticed(world: MicrosoftWorld) -> None:
    """Graph's delta need not report an item created and moved out between two rounds."""
    assert world.run("auth", "work", at=WINDOW_OPENS)[0] == 0
    world.interview()
    world.run("once", at=WINDOW_OPENS - timedelta(minutes=10))  # delta links are taken
    world.run("once", at=WINDOW_OPENS)  # the outreach is drafted after this pass's round
    (draft,) = world.fake.drafts()
    world.fake.user_deletes_draft(draft["id"])
    world.run("once", at=WINDOW_OPENS + timedelta(minutes=5))
    outreach = world.status()["actions"]["outreach"]
    assert outreach["state"] == "dismissed"
    world.run("once", at=WINDOW_OPENS + timedelta(minutes=10))
    assert world.fake.drafts() == []  # and it never comes back


def test_a_token_a_service_echoes_back_is_never_stored_nor_printed(
    world: MicrosoftWorld,
) -> None:
    assert world.run("auth", "work", at=WINDOW_OPENS)[0] == 0
    secret = "eyJ0eXAiOiJKV1QiLCJub25jZSI6.echoed-access-token.signature"
    world.fake.fail_next(
        "me/mailFolders",
        400,
        body={"error": {"code": "BadRequest", "message": f"Authorization: Bearer {secret}"}},
    )
    code, out, err = world.run("once", at=WINDOW_OPENS)
    assert code == 1
    assert "work: failed: Microsoft Graph answered 400: Authorization: Bearer [redacted]" in err
    assert secret not in out + err
    code, out, err = world.run("accounts", at=WINDOW_OPENS)
    assert secret not in out + err and "Bearer [redacted]" in out
    for stored in world.root.glob("state.db*"):  # the database and its write-ahead log
        assert secret.encode() not in stored.read_bytes()


def test_the_sign_in_service_busy_is_waited_for_then_a_transient_failure(
    world: MicrosoftWorld,
) -> None:
    assert world.run("auth", "work", at=WINDOW_OPENS)[0] == 0
    world.interview()
    token_path = world.fake.token_endpoint
    # A refresh is needed; the sign-in service answers 503 then 429, each with Retry-After.
    world.fake.expire_access_tokens()
    world.fake.fail_next(token_path, 503, headers={"Retry-After": "3"}, method="POST")
    world.fake.fail_next(token_path, 429, headers={"Retry-After": "7"}, method="POST")
    code, _, err = world.run("once", at=WINDOW_OPENS)
    assert code == 0, err
    assert world.waits[:2] == [3.0, 7.0]  # waited as asked, not for real
    assert len(world.fake.drafts()) == 1
    # Busy for good: that account fails in one line, never an internal error.
    world.fake.expire_access_tokens()
    world.fake.clear_log()
    world.fake.fail_next(token_path, 503, headers={"Retry-After": "1"}, times=20, method="POST")
    code, _, err = world.run("once", at=WINDOW_OPENS + timedelta(minutes=5))
    assert code == 1
    assert "work: failed: the Microsoft sign-in service stayed busy" in err
    assert "internal error" not in err and "Traceback" not in err
    assert world.fake.count(token_path, "POST") == 5  # the policy's attempts, no more
