"""A Google account end to end: `auth` → `once` → draft → the user sends it → reply or not →
follow-up or not → thank-you, through the real Google client libraries against the fake."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
import requests
from google_auth_oauthlib.flow import InstalledAppFlow

import interview_outreach.providers.google.http as google_http
from interview_outreach.daemon.cli import main
from tests import configs
from tests.fakes.clock import Clock
from tests.fakes.google import FakeGoogle
from tests.fakes.keyring_memory import MemoryKeyring

USER = "ada.lovelace@gmail.com"
START = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)  # Thursday, GMT
WINDOW_OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SCOPES = {
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/calendar.readonly",
}


class GoogleWorld:
    """A user with a Google account (and optionally a local one) and the CLI at a given time."""

    def __init__(
        self, root: Path, fake: FakeGoogle, clock: Clock, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.root = root
        self.fake = fake
        self.clock = clock
        self.capsys = capsys
        self.config = root / "config.toml"
        self.waits: list[float] = []
        secrets_file = fake.client_secrets(root / "google-client.json")
        configs.write_config(
            self.config,
            storage=f"sqlite:///{root / 'state.db'}",
            accounts=[configs.google_account("personal", secrets_file, fake.root)],
        )

    def add_local_account(self) -> Path:
        calendar, maildir = self.root / "cal", self.root / "Mail"
        calendar.mkdir()
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True)
        configs.append_account(
            self.config, configs.local_account("home", "ada@example.org", calendar, maildir)
        )
        return calendar

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

    def authorize(self) -> tuple[int, str, str]:
        return self.run("auth", "personal", "--no-browser", at=self.clock.at)

    def interview(
        self, start: datetime = START, event_id: str = "evt1", status: str = "confirmed"
    ) -> None:
        self.fake.put_event(
            "primary",
            {
                "id": event_id,
                "iCalUID": f"{event_id}@acme.com",
                "status": status,
                "summary": "Acme – Technical interview (Senior Backend Engineer)",
                "description": "Interview for the Senior Backend Engineer position at Acme.",
                "start": {"dateTime": start.isoformat(), "timeZone": "Europe/London"},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "Europe/London"},
                "organizer": {"email": "jane.doe@acme.com", "displayName": "Jane Doe"},
                "attendees": [
                    {"email": "jane.doe@acme.com", "displayName": "Jane Doe", "organizer": True, "responseStatus": "accepted"},
                    {"email": "raj@acme.com", "displayName": "Raj Patel", "responseStatus": "accepted"},
                    {"email": USER, "self": True, "responseStatus": "accepted"},
                    {"email": "c-room-4@resource.calendar.google.com", "displayName": "Room 4", "resource": True, "responseStatus": "accepted"},
                ],
                "conferenceData": {"entryPoints": [{"entryPointType": "video", "uri": "https://meet.google.com/abc-defg-hij"}]},
            },
        )  # fmt: skip

    def drafts(self) -> dict[str, Any]:
        return self.fake.drafts()


@contextmanager
def google_world(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[GoogleWorld]:
    """A ``GoogleWorld`` in ``root`` with its fake Google running (other tests' fixtures)."""
    clock = Clock(WINDOW_OPENS - timedelta(days=1))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        with FakeGoogle(user_email=USER, time_zone="Europe/London", clock=clock) as fake:
            fake.trust(monkeypatch)
            world = GoogleWorld(root, fake, clock, capsys)
            monkeypatch.setattr(google_http, "pause", world.waits.append)
            _act_as_browser(monkeypatch)
            yield world
            assert fake.forbidden_calls == [], "the product called a send endpoint"
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[GoogleWorld]:
    with google_world(tmp_path, monkeypatch, capsys) as world:
        yield world


def _act_as_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """With --no-browser the flow prints the address and waits: a 'user' opens it."""
    original = InstalledAppFlow.authorization_url

    def authorization_url(self: InstalledAppFlow, **kwargs: Any) -> tuple[str, str]:
        url, state = original(self, **kwargs)
        threading.Thread(target=lambda: requests.get(url, timeout=10), daemon=True).start()
        return url, state

    monkeypatch.setattr(InstalledAppFlow, "authorization_url", authorization_url)


def test_auth_stores_tokens_in_the_keyring_only(world: GoogleWorld) -> None:
    code, out, err = world.authorize()
    assert code == 0, err
    assert f"authorized as {USER}" in out
    assert set(world.fake.granted_scopes) == SCOPES
    entry = json.loads(keyring.get_password("interview-outreach", "personal") or "{}")
    assert entry["refresh_token"] and entry["address"] == USER
    assert "client_secret" not in entry
    database = (world.root / "state.db").read_bytes()
    assert entry["refresh_token"].encode() not in database
    assert entry["token"].encode() not in database


def test_the_whole_lifecycle_against_google(world: GoogleWorld) -> None:
    assert world.authorize()[0] == 0
    world.interview()
    code, _, err = world.run("once", at=WINDOW_OPENS - timedelta(minutes=1))
    assert code == 0, err
    assert world.drafts() == {}
    assert world.run("once", at=WINDOW_OPENS)[0] == 0
    ((draft_id, draft),) = world.drafts().items()
    assert draft["To"] == "Jane Doe <jane.doe@acme.com>"
    assert "Thursday, 10 December 2026 at 14:00 GMT" in draft.get_body().get_content()

    world.run("once", at=WINDOW_OPENS + timedelta(minutes=5))
    world.fake.clear_log()
    world.run("once", at=WINDOW_OPENS + timedelta(minutes=10))
    assert world.fake.count("calendars/") == 1  # nothing new: one Calendar request...
    assert world.fake.count("gmail/v1/users/me/history") == 1  # ...and one history request
    assert world.fake.count() == 2
    assert len(world.drafts()) == 1

    sent_id = world.fake.user_sends_draft(draft_id)
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert world.status()["actions"]["outreach"]["state"] == "sent"
    world.run("once", at=WINDOW_OPENS + timedelta(hours=25))
    ((followup_id, followup),) = world.drafts().items()
    sent = world.fake.messages()[sent_id]
    assert followup["In-Reply-To"] == sent["Message-ID"]
    thread = world.fake.message_info(sent_id).thread_id
    assert (
        world.fake.message_info(world.fake.draft_message_id(followup_id) or "").thread_id == thread
    )

    reply = sent.__class__()
    reply["From"] = "Jane Doe <jane.doe@acme.com>"
    reply["To"] = USER
    reply["Subject"] = "Re: " + str(sent["Subject"])
    reply["In-Reply-To"] = sent["Message-ID"]
    reply["References"] = sent["Message-ID"]
    reply["Message-ID"] = "<jane-reply@acme.com>"
    reply["Date"] = "Tue, 08 Dec 2026 11:00:00 +0000"
    reply.set_content("Looking forward to it!")
    world.clock.at = WINDOW_OPENS + timedelta(hours=26)
    world.fake.deliver(reply)
    world.run("once", at=WINDOW_OPENS + timedelta(hours=26))
    assert world.drafts() == {}
    followup_state = world.status()["actions"]["followup"]
    assert (followup_state["state"], followup_state["reason"]) == ("cancelled", "replied")

    world.run("once", at=START + timedelta(hours=2))
    recipients = sorted(str(d["To"]) for d in world.drafts().values())
    assert recipients == ["Jane Doe <jane.doe@acme.com>", "Raj Patel <raj@acme.com>"]


def test_a_revoked_grant_marks_the_account_and_the_others_go_on(world: GoogleWorld) -> None:
    calendar = world.add_local_account()
    assert world.authorize()[0] == 0
    world.interview()
    (calendar / "x.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:loc1\r\n"
        "DTSTAMP:20261101T000000Z\r\nDTSTART:20261210T100000Z\r\nDTEND:20261210T110000Z\r\n"
        "SUMMARY:Interview with Globex\r\nORGANIZER;CN=Hank:mailto:hank@globex.com\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ada@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    world.fake.revoke_grant()
    code, _, err = world.run("once", at=WINDOW_OPENS)
    assert code == 1
    assert err.count("\n") == 1 and "interview-outreach auth personal" in err
    assert "Traceback" not in err
    assert (world.root / "Mail" / ".Drafts" / "cur").exists()  # the local account was served
    assert len(list((world.root / "Mail" / ".Drafts" / "cur").iterdir())) == 1
    code, out, _ = world.run("status", at=WINDOW_OPENS)
    assert "needs authorization: run `interview-outreach auth personal`" in out


def test_never_authorized_says_which_command_to_run(world: GoogleWorld) -> None:
    code, _, err = world.run("once", at=WINDOW_OPENS)
    assert code == 1
    assert "not authorized yet; run `interview-outreach auth personal`" in err


def test_throttling_and_expired_cursors_are_survived(world: GoogleWorld) -> None:
    assert world.authorize()[0] == 0
    world.interview()
    world.fake.fail_next("calendars", 429, {"Retry-After": "7"})
    world.fake.fail_next("gmail/v1/users/me/profile", 503)
    assert world.run("once", at=WINDOW_OPENS - timedelta(hours=1))[0] == 0
    assert 7.0 in world.waits
    world.fake.expire_sync_tokens()
    world.fake.expire_history()
    code, _, err = world.run("once", at=WINDOW_OPENS)
    assert code == 0, err
    assert len(world.drafts()) == 1
    world.run("once", at=WINDOW_OPENS + timedelta(minutes=5))
    assert len(world.drafts()) == 1


def test_a_cancelled_event_removes_the_untouched_draft(world: GoogleWorld) -> None:
    assert world.authorize()[0] == 0
    world.interview()
    world.run("once", at=WINDOW_OPENS)
    assert len(world.drafts()) == 1
    world.fake.delete_event("primary", "evt1")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert world.drafts() == {}
    assert world.status()["skip_reason"] == "cancelled"


def test_an_access_token_that_expired_is_refreshed_and_saved(world: GoogleWorld) -> None:
    assert world.authorize()[0] == 0
    before = json.loads(keyring.get_password("interview-outreach", "personal") or "{}")["token"]
    world.fake.expire_access_tokens()
    assert world.run("once", at=WINDOW_OPENS)[0] == 0
    after = json.loads(keyring.get_password("interview-outreach", "personal") or "{}")["token"]
    assert after != before
