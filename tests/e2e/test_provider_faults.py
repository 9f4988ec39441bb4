"""A fault is never a fact, against the fake Google and Graph through the real client libraries.

* A busy token endpoint during a refresh is waited out as it asks (time is injected) and,
  busy for good, ends that account's pass in one line while the other accounts go on.
* A calendar that could not be read completely (a page that failed for good, a token that
  cannot be refreshed mid-listing) changes nothing: no removal, no cancellation, the
  untouched draft stays, and the sync cursor is not advanced past pages never applied.
* Removal needs positive evidence: a deleted event seen in a complete resync after the sync
  state expired is removed; a resync that itself fails removes nothing.
* A malformed event is skipped and reported; the listing that held it proves no removal.

Each calendar holds two ordinary events before the interview and serves one event a page,
so the interview is on a page the broken listings never reach.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest

import interview_outreach.providers.google.http as google_http
import interview_outreach.providers.microsoft.graph as graph_module
from tests.e2e.test_google import START, WINDOW_OPENS, GoogleWorld, google_world
from tests.e2e.test_microsoft import MicrosoftWorld, microsoft_world

World = GoogleWorld | MicrosoftWorld
LATER = WINDOW_OPENS + timedelta(minutes=5)
LATER_STILL = WINDOW_OPENS + timedelta(minutes=10)
LOCAL_INTERVIEW = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:loc1\r\n"
    "DTSTAMP:20261101T000000Z\r\nDTSTART:20261210T100000Z\r\nDTEND:20261210T110000Z\r\n"
    "SUMMARY:Interview with Globex\r\nORGANIZER;CN=Hank:mailto:hank@globex.com\r\n"
    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ada@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def google(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[GoogleWorld]:
    with google_world(tmp_path, monkeypatch, capsys) as world:
        code, _, err = world.authorize()
        assert code == 0, err
        yield world
        assert world.fake.server_errors == []


@pytest.fixture
def microsoft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[MicrosoftWorld]:
    with microsoft_world(tmp_path, monkeypatch, capsys) as world:
        code, _, err = world.run("auth", "work", at=WINDOW_OPENS - timedelta(days=1))
        assert code == 0, err
        yield world
        assert world.fake.server_errors == []


def interviews(world: World) -> list[dict[str, Any]]:
    """``status --json``'s interviews, earliest first."""
    code, out, err = world.run("status", "--json", at=world.clock.at)
    assert code == 0, err
    items: list[dict[str, Any]] = json.loads(out)["interviews"]
    return sorted(items, key=lambda item: str(item["start"]))


def interview(world: World) -> dict[str, Any]:
    """The one interview tracked."""
    (item,) = interviews(world)
    return item


def draft_ids(world: World) -> list[str]:
    """The ids of the drafts in the fake mailbox."""
    if isinstance(world, GoogleWorld):
        return list(world.fake.drafts())
    return [str(d["id"]) for d in world.fake.drafts()]


# ============================================================ Google: the token endpoint


def _google_expired_token_then(world: GoogleWorld, *faults: tuple[int, str]) -> None:
    """The saved access token is dead; the token endpoint answers each fault once."""
    world.fake.expire_access_tokens()
    for status, retry_after in faults:
        world.fake.fail_next("token", status, {"Retry-After": retry_after}, method="POST")


@pytest.mark.parametrize(("status", "retry_after"), [(503, "3"), (429, "7")])
def test_a_busy_google_token_endpoint_is_waited_out(
    google: GoogleWorld, status: int, retry_after: str
) -> None:
    google.interview()
    before = json.loads(keyring.get_password("interview-outreach", "personal") or "{}")["token"]
    _google_expired_token_then(google, (status, retry_after))
    google.fake.clear_log()
    code, _, err = google.run("once", at=WINDOW_OPENS)
    assert code == 0, err
    assert google.waits == [float(retry_after)]  # as asked, and not for real
    assert google.fake.count("token", "POST") == 2
    assert len(draft_ids(google)) == 1
    after = json.loads(keyring.get_password("interview-outreach", "personal") or "{}")["token"]
    assert after != before  # the refreshed token was kept


def test_a_google_token_endpoint_busy_for_good_fails_that_account_only(
    google: GoogleWorld,
) -> None:
    calendar = google.add_local_account()
    (calendar / "loc1.ics").write_text(LOCAL_INTERVIEW)
    google.interview()
    google.fake.expire_access_tokens()
    google.fake.fail_next(
        "token", 503, {"Retry-After": "2"}, times=google_http.MAX_ATTEMPTS, method="POST"
    )
    google.fake.clear_log()
    code, out, err = google.run("once", at=WINDOW_OPENS)
    assert code == 1
    assert err.splitlines() == [
        "personal: failed: the Google sign-in service stayed busy; the next pass tries again"
    ]
    assert google.fake.count("token", "POST") == google_http.MAX_ATTEMPTS  # the policy's, once
    assert google.waits == [2.0] * (google_http.MAX_ATTEMPTS - 1)
    assert "home: " in out
    assert len(list((google.root / "Mail" / ".Drafts" / "cur").iterdir())) == 1
    code, out, _ = google.run("status", at=WINDOW_OPENS)
    assert "needs authorization" not in out  # busy is not revoked
    code, _, err = google.run("once", at=LATER)  # the endpoint is back
    assert code == 0, err
    assert len(draft_ids(google)) == 1


def test_a_revoked_google_grant_still_asks_for_auth(google: GoogleWorld) -> None:
    google.interview()
    google.fake.expire_access_tokens()
    google.fake.revoke_grant()
    google.fake.clear_log()
    code, _, err = google.run("once", at=WINDOW_OPENS)
    assert code == 1
    assert err.splitlines() == [
        "personal: failed: the Google authorization was revoked or has expired; "
        "run `interview-outreach auth personal`"
    ]
    assert google.fake.count("token", "POST") == 1  # invalid_grant is not retried
    assert google.waits == []


# ======================================================== calendars: setting the scene


def _google_scene(world: GoogleWorld) -> str:
    """Two ordinary events, then the interview; one event a page; drafted. The draft id."""
    for number in (1, 2):
        _google_ordinary(world, number)
    world.interview()
    world.fake.calendar_page_limit = 1
    code, _, err = world.run("once", at=WINDOW_OPENS)
    assert code == 0, err
    (draft,) = draft_ids(world)
    return draft


def _google_ordinary(world: GoogleWorld, number: int, summary: str = "Dentist") -> None:
    begins = START - timedelta(hours=number + 2)
    world.fake.put_event(
        "primary",
        {
            "id": f"plain{number}",
            "summary": f"{summary} {number}",
            "start": {"dateTime": begins.isoformat()},
            "end": {"dateTime": (begins + timedelta(minutes=30)).isoformat()},
        },
    )


def _graph_scene(world: MicrosoftWorld) -> str:
    """As ``_google_scene``: delta pages in start order, so the ordinary events go first."""
    for number in (1, 2):
        _graph_ordinary(world, number)
    world.interview()
    world.fake.calendar_page_limit = 1
    code, _, err = world.run("once", at=WINDOW_OPENS)
    assert code == 0, err
    (draft,) = draft_ids(world)
    return draft


def _graph_ordinary(world: MicrosoftWorld, number: int, subject: str = "Dentist") -> None:
    begins = START - timedelta(hours=3 - number)
    world.fake.put_event(
        {
            "id": f"plain{number}",
            "subject": f"{subject} {number}",
            "start": {"dateTime": begins.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {
                "dateTime": (begins + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
        }
    )


# ============================================== (a) a full listing that breaks off


def _google_page_busy(world: GoogleWorld) -> None:
    world.fake.fail_next("calendars", 503, times=google_http.MAX_ATTEMPTS, with_param="pageToken")


def _google_revoked_mid_listing(world: GoogleWorld) -> None:
    world.fake.before_next("calendars", world.fake.revoke_grant, with_param="pageToken")


def _google_token_busy_mid_listing(world: GoogleWorld) -> None:
    def expire() -> None:
        world.fake.expire_access_tokens()
        world.fake.fail_next("token", 503, times=google_http.MAX_ATTEMPTS, method="POST")

    world.fake.before_next("calendars", expire, with_param="pageToken")


GOOGLE_FAULTS: dict[str, tuple[Callable[[GoogleWorld], None], str]] = {
    "503 until the retries are spent": (_google_page_busy, "Google is busy (503)"),
    "a token that cannot be refreshed": (
        _google_revoked_mid_listing,
        "run `interview-outreach auth personal`",
    ),
    "an expired token, the token endpoint busy": (
        _google_token_busy_mid_listing,
        "the Google sign-in service stayed busy",
    ),
}


@pytest.mark.parametrize("fault", GOOGLE_FAULTS)
def test_a_google_full_listing_that_breaks_off_removes_nothing(
    google: GoogleWorld, fault: str
) -> None:
    draft = _google_scene(google)
    before = interview(google)
    google.fake.expire_sync_tokens()  # the next pass lists the whole window again...
    inject, message = GOOGLE_FAULTS[fault]
    inject(google)  # ...and its second page fails for good
    code, _, err = google.run("once", at=LATER)
    assert code == 1
    assert len(err.splitlines()) == 1 and err.startswith("personal: failed: ")
    assert message in err and "Traceback" not in err
    assert draft_ids(google) == [draft]
    assert interview(google) == before

    if fault == "a token that cannot be refreshed":
        code, _, err = google.authorize()
        assert code == 0, err
    code, _, err = google.run("once", at=LATER_STILL)  # the fault has cleared
    assert code == 0, err
    assert draft_ids(google) == [draft]
    assert interview(google) == before


def _graph_page_busy(world: MicrosoftWorld) -> None:
    world.fake.fail_next(
        "me/calendarView/delta", 503, times=graph_module.MAX_ATTEMPTS, with_param="$skiptoken"
    )


def _graph_revoked_mid_listing(world: MicrosoftWorld) -> None:
    world.fake.before_next(
        "me/calendarView/delta", world.fake.revoke_grant, with_param="$skiptoken"
    )


def _graph_token_busy_mid_listing(world: MicrosoftWorld) -> None:
    def expire() -> None:
        world.fake.expire_access_tokens()
        world.fake.fail_next(
            world.fake.token_endpoint, 503, times=graph_module.MAX_ATTEMPTS, method="POST"
        )

    world.fake.before_next("me/calendarView/delta", expire, with_param="$skiptoken")


GRAPH_FAULTS: dict[str, tuple[Callable[[MicrosoftWorld], None], str]] = {
    "503 until the retries are spent": (_graph_page_busy, "Microsoft Graph is busy (503)"),
    "a token that cannot be refreshed": (
        _graph_revoked_mid_listing,
        "run `interview-outreach auth work`",
    ),
    "an expired token, the sign-in service busy": (
        _graph_token_busy_mid_listing,
        "the Microsoft sign-in service stayed busy",
    ),
}


@pytest.mark.parametrize("fault", GRAPH_FAULTS)
def test_a_graph_full_listing_that_breaks_off_removes_nothing(
    microsoft: MicrosoftWorld, fault: str
) -> None:
    draft = _graph_scene(microsoft)
    before = interview(microsoft)
    microsoft.fake.expire_delta_tokens()  # the next pass starts a round from the window...
    inject, message = GRAPH_FAULTS[fault]
    inject(microsoft)  # ...and its second page fails for good
    code, _, err = microsoft.run("once", at=LATER)
    assert code == 1
    assert len(err.splitlines()) == 1 and err.startswith("work: failed: ")
    assert message in err and "Traceback" not in err
    assert draft_ids(microsoft) == [draft]
    assert interview(microsoft) == before

    if fault == "a token that cannot be refreshed":
        code, _, err = microsoft.run("auth", "work", at=LATER)
        assert code == 0, err
    code, _, err = microsoft.run("once", at=LATER_STILL)
    assert code == 0, err
    assert draft_ids(microsoft) == [draft]
    assert interview(microsoft) == before


# ====================================== (b) an incremental round that breaks off


def _sync_tokens(world: GoogleWorld) -> list[str]:
    return [r.param("syncToken") or "" for r in world.fake.requests if r.param("syncToken")]


def test_a_google_incremental_round_that_breaks_off_loses_no_change(
    google: GoogleWorld,
) -> None:
    draft = _google_scene(google)
    before = interview(google)
    moved = START + timedelta(days=1)
    _google_ordinary(google, 1, "Dentist, moved")  # page 1 of the next round...
    google.interview(start=moved)  # ...and the interview's change on page 2
    _google_page_busy(google)
    google.fake.clear_log()
    code, _, err = google.run("once", at=LATER)
    assert code == 1
    assert "Google is busy (503)" in err
    assert interview(google) == before
    assert draft_ids(google) == [draft]
    (broken_off,) = set(_sync_tokens(google))

    google.fake.clear_log()
    code, _, err = google.run("once", at=LATER_STILL)
    assert code == 0, err
    assert set(_sync_tokens(google)) == {broken_off}  # the cursor had not moved on
    after = interview(google)
    assert datetime.fromisoformat(after["start"]) == moved
    assert after["skip_reason"] is None


def test_a_graph_incremental_round_that_breaks_off_loses_no_change(
    microsoft: MicrosoftWorld,
) -> None:
    draft = _graph_scene(microsoft)
    before = interview(microsoft)
    moved = START + timedelta(days=1)
    _graph_ordinary(microsoft, 1, "Dentist, moved")  # page 1 of the next round...
    microsoft.interview(start=moved)  # ...and the interview's change on page 2
    _graph_page_busy(microsoft)
    microsoft.fake.clear_log()
    code, _, err = microsoft.run("once", at=LATER)
    assert code == 1
    assert "Microsoft Graph is busy (503)" in err
    assert interview(microsoft) == before
    assert draft_ids(microsoft) == [draft]
    first_calls = [
        r.param("$deltatoken")
        for r in microsoft.fake.requests
        if r.path.endswith("calendarView/delta") and r.param("$deltatoken")
    ]

    microsoft.fake.clear_log()
    code, _, err = microsoft.run("once", at=LATER_STILL)
    assert code == 0, err
    again = [
        r.param("$deltatoken")
        for r in microsoft.fake.requests
        if r.path.endswith("calendarView/delta") and r.param("$deltatoken")
    ]
    assert again == first_calls and len(again) == 1  # the same delta link: nothing skipped
    after = interview(microsoft)
    assert datetime.fromisoformat(after["start"]) == moved
    assert after["skip_reason"] is None


# ================================ (c) an expired sync state: removal needs a complete resync


def test_a_google_complete_resync_after_410_removes_a_deleted_event(
    google: GoogleWorld,
) -> None:
    _google_scene(google)
    google.fake.delete_event("primary", "evt1")
    google.fake.expire_sync_tokens()
    code, _, err = google.run("once", at=LATER)
    assert code == 0, err
    assert draft_ids(google) == []
    assert interview(google)["skip_reason"] == "cancelled"


def test_a_google_resync_after_410_that_fails_removes_nothing(google: GoogleWorld) -> None:
    draft = _google_scene(google)
    before = interview(google)
    google.fake.delete_event("primary", "evt1")
    google.fake.expire_sync_tokens()
    _google_page_busy(google)
    code, _, err = google.run("once", at=LATER)
    assert code == 1, err
    assert draft_ids(google) == [draft]
    assert interview(google) == before
    code, _, err = google.run("once", at=LATER_STILL)  # a resync that completes: evidence
    assert code == 0, err
    assert draft_ids(google) == []
    assert interview(google)["skip_reason"] == "cancelled"


@pytest.mark.parametrize(
    ("status", "code"), [(410, "SyncStateNotFound"), (400, "syncStateNotFound")]
)
def test_a_graph_complete_resync_after_an_expired_delta_removes_a_deleted_event(
    microsoft: MicrosoftWorld, status: int, code: str
) -> None:
    _graph_scene(microsoft)
    microsoft.fake.delete_event("evt1")
    microsoft.fake.expire_delta_tokens(status, code)
    exit_code, _, err = microsoft.run("once", at=LATER)
    assert exit_code == 0, err
    assert draft_ids(microsoft) == []
    assert interview(microsoft)["skip_reason"] == "cancelled"


def test_a_graph_resync_after_an_expired_delta_that_fails_removes_nothing(
    microsoft: MicrosoftWorld,
) -> None:
    draft = _graph_scene(microsoft)
    before = interview(microsoft)
    microsoft.fake.delete_event("evt1")
    microsoft.fake.expire_delta_tokens()
    _graph_page_busy(microsoft)
    code, _, err = microsoft.run("once", at=LATER)
    assert code == 1, err
    assert draft_ids(microsoft) == [draft]
    assert interview(microsoft) == before
    code, _, err = microsoft.run("once", at=LATER_STILL)
    assert code == 0, err
    assert draft_ids(microsoft) == []
    assert interview(microsoft)["skip_reason"] == "cancelled"


def test_a_graph_removal_of_an_event_never_seen_changes_nothing(
    microsoft: MicrosoftWorld,
) -> None:
    """Created and deleted between two rounds: whether or not Graph reports it, no harm."""
    draft = _graph_scene(microsoft)
    before = interview(microsoft)
    microsoft.interview(event_id="fleeting", start=START + timedelta(days=2))
    microsoft.fake.delete_event("fleeting")
    code, _, err = microsoft.run("once", at=LATER)
    assert code == 0, err
    assert draft_ids(microsoft) == [draft]
    assert interview(microsoft) == before


def test_a_google_cancelled_stub_of_an_event_never_seen_changes_nothing(
    google: GoogleWorld,
) -> None:
    draft = _google_scene(google)
    before = interview(google)
    google.interview(event_id="fleeting", start=START + timedelta(days=2))
    google.fake.delete_event("primary", "fleeting")
    code, _, err = google.run("once", at=LATER)
    assert code == 0, err
    assert draft_ids(google) == [draft]
    assert interview(google) == before


# ============================================== (d) a malformed event in a listing


def _garbled_google_interview(world: GoogleWorld, **fields: Any) -> None:
    (stored,) = [e for e in world.fake.events() if e["id"] == "evt1"]
    for name, value in fields.items():
        if value is None:
            stored.pop(name, None)
        else:
            stored[name] = value
    world.fake.put_event("primary", stored)


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full listing"])
def test_a_malformed_google_event_is_skipped_and_proves_no_removal(
    google: GoogleWorld, full: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="interview_outreach.providers.google.calendar")
    draft = _google_scene(google)
    before = interview(google)
    if full:  # a start of the wrong type, in a listing of the whole window
        _garbled_google_interview(google, start="2026-12-10T14:00:00Z")
        google.fake.expire_sync_tokens()
    else:  # no start at all, among the changes
        _garbled_google_interview(google, start=None)
    other = START + timedelta(days=1, hours=2)
    google.interview(event_id="evt2", start=other)  # listed after it, read all the same
    code, _, err = google.run("once", at=LATER)
    assert code == 0, err
    (line,) = [line for line in err.splitlines() if line.startswith("personal: ")]
    assert line.startswith("personal: skipped: primary: event evt1: ")
    (warning,) = [
        r for r in caplog.records if r.name == "interview_outreach.providers.google.calendar"
    ]
    assert warning.levelname == "WARNING" and "evt1" in warning.getMessage()
    tracked = interviews(google)
    assert tracked[0] == before  # not taken as removed
    assert datetime.fromisoformat(tracked[1]["start"]) == other
    assert draft in draft_ids(google)


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full listing"])
def test_a_malformed_graph_event_is_skipped_and_proves_no_removal(
    microsoft: MicrosoftWorld, full: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="interview_outreach.providers.microsoft.calendar")
    draft = _graph_scene(microsoft)
    before = interview(microsoft)
    if full:  # a start of the wrong type, in a round from the window
        microsoft.fake.garble_event("evt1", replace={"start": "2026-12-10T14:00:00"})
        microsoft.fake.expire_delta_tokens()
    else:  # no start at all, among the changes
        microsoft.fake.garble_event("evt1", drop=["start"])
    other = START + timedelta(days=1, hours=2)
    microsoft.interview(event_id="evt2", start=other)
    code, _, err = microsoft.run("once", at=LATER)
    assert code == 0, err
    (line,) = [line for line in err.splitlines() if line.startswith("work: ")]
    assert line.startswith("work: skipped: calendar: event evt1: ")
    (warning,) = [
        r for r in caplog.records if r.name == "interview_outreach.providers.microsoft.calendar"
    ]
    assert warning.levelname == "WARNING" and "evt1" in warning.getMessage()
    tracked = interviews(microsoft)
    assert tracked[0] == before
    assert datetime.fromisoformat(tracked[1]["start"]) == other
    assert draft in draft_ids(microsoft)


def test_a_graph_round_cut_short_without_a_delta_link_removes_nothing(
    microsoft: MicrosoftWorld,
) -> None:
    draft = _graph_scene(microsoft)
    before = interview(microsoft)
    microsoft.fake.expire_delta_tokens()
    # The new round's first page answers 200 with no events, no next link and no delta
    # link: an answer cut short.
    microsoft.fake.fail_next(
        "me/calendarView/delta", 200, body={"value": []}, with_param="startDateTime"
    )
    code, _, err = microsoft.run("once", at=LATER)
    assert code == 0, err
    assert "ended without a delta link" in err
    assert draft_ids(microsoft) == [draft]
    assert interview(microsoft) == before
