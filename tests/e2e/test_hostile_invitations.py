"""Invitations written to hurt: bad addresses, huge guest lists, items a bug trips on.

Each test reproduces a report as it was written: one odd invitation stopped every account
(exit 70) or became a recipient; 5,000 attendees made 5,001 thank-you drafts.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import interview_outreach.daemon.passes
from interview_outreach.daemon.domain.model import CalendarEvent, interview_id
from tests import configs
from tests.e2e.conftest import USER, World
from tests.e2e.test_lifecycle import START, WINDOW_OPENS, interview

_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//tests//EN\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20261101T000000Z\r
DTSTART:{start}\r
DTEND:{end}\r
SUMMARY:{title}\r
DESCRIPTION:Interview for the Data Engineer position at Northwind.\r
{people}END:VEVENT\r
END:VCALENDAR\r
"""


def raw_event(
    folder: Path, uid: str, organizer: str, attendees: list[str], *, hours_from_start: int = 0
) -> None:
    """An invitation written as raw text, so that its addresses are exactly as given."""
    start = START + timedelta(hours=hours_from_start)
    people = f"ORGANIZER;CN=Jane Doe:mailto:{organizer}\r\n" + "".join(
        f"ATTENDEE;CN=Guest {n};PARTSTAT=ACCEPTED:mailto:{a}\r\n" for n, a in enumerate(attendees)
    )
    people += f"ATTENDEE;CN=Ada Lovelace;PARTSTAT=ACCEPTED:mailto:{USER}\r\n"
    text = _ICS.format(
        uid=uid,
        start=start.strftime("%Y%m%dT%H%M%SZ"),
        end=(start + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ"),
        title="Northwind interview: Data Engineer",
        people=people,
    )
    (folder / f"{uid}.ics").write_text(text, encoding="utf-8")


def with_second_account(world: World) -> Path:
    """Adds a local account ``work`` with a calendar of its own; returns that calendar."""
    calendar = world.root / "work-calendar"
    maildir = world.root / "WorkMail"
    calendar.mkdir()
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    configs.append_account(
        world.config,
        configs.local_account("work", "ada@lovelace-consulting.example", calendar, maildir),
    )
    return calendar


def all_drafts(world: World) -> list[str]:
    folders = [world.root / m / ".Drafts" / s for m in ("Mail", "WorkMail") for s in ("cur", "new")]
    return [p.read_text() for f in folders if f.exists() for p in sorted(f.iterdir())]


def by_uid(world: World, uid: str) -> dict[str, Any]:
    interviews: list[dict[str, Any]] = world.status(at=WINDOW_OPENS)["interviews"]  # type: ignore[assignment]
    return next(i for i in interviews if i["id"] == interview_id(uid))


@pytest.mark.parametrize(
    ("organizer", "why"),
    [
        ("jane@northwind.com?bcc=attacker@evil.com", "contains a query string"),
        ("jane@x.com>, attacker@evil.com", "holds more than one address"),
    ],
)
def test_one_bad_organizer_address_stops_nothing_and_is_never_written_to(
    world: World, organizer: str, why: str
) -> None:
    work_calendar = with_second_account(world)
    raw_event(world.calendar, "evil-1", organizer, [])
    interview(world)  # a good interview in the same account
    raw_event(work_calendar, "work-1", "jane.doe@northwind.com", [])

    result = world.run("once", at=WINDOW_OPENS)

    assert result.code == 0, result.err
    assert "internal error" not in result.err
    drafts = all_drafts(world)
    assert len(drafts) == 2  # the good interview of each account
    assert not any("evil.com" in d or "x.com" in d for d in drafts)
    evil = by_uid(world, "evil-1")
    assert evil["skip_reason"] == "no_interviewer_contact"
    explained = world.run("explain", str(evil["id"]), at=WINDOW_OPENS)
    assert f"not a valid address: {why}" in explained.out
    accounts = world.run("accounts", at=WINDOW_OPENS)
    assert accounts.code == 0 and "last error: none" in accounts.out
    assert "failed" not in accounts.out


def test_a_bad_address_next_to_a_good_one_leaves_the_good_one(world: World) -> None:
    raw_event(
        world.calendar,
        "mixed-1",
        "jane@northwind.com?bcc=attacker@evil.com",
        ["raj.patel@northwind.com"],
    )
    result = world.run("once", at=WINDOW_OPENS)
    assert result.code == 0, result.err
    [draft] = all_drafts(world)
    assert "To: Guest 0 <raj.patel@northwind.com>" in draft
    assert "evil.com" not in draft


def test_five_thousand_attendees_make_no_flood_of_thank_yous(world: World) -> None:
    guests = [f"guest{n}@northwind.com" for n in range(5000)]
    raw_event(world.calendar, "crowd-1", "jane.doe@northwind.com", guests)
    interview(world)  # ends at the same time: its thank-yous are due too
    ended_two_hours_ago = START + timedelta(hours=3)
    began = time.monotonic()
    result = world.run("once", at=ended_two_hours_ago)
    elapsed = time.monotonic() - began
    assert result.code == 0, result.err
    assert len(all_drafts(world)) == 2  # the ordinary interview's two interviewers, no more
    assert elapsed < 30  # generous; bench/generated_input.py measures for real
    ids = [i["id"] for i in world.status(at=ended_two_hours_ago)["interviews"]]  # type: ignore[union-attr]
    assert ids == [interview_id("acme-1")]  # a meeting of 5,001 people is not an interview


def test_an_unexpected_error_in_one_event_skips_only_that_event(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    interview(world, "acme-1")
    interview(world, "acme-2")
    world.run("once", at=WINDOW_OPENS - timedelta(days=1))  # both tracked, nothing due yet
    real = interview_outreach.daemon.passes.recognize

    def trips_on_acme_2(event: CalendarEvent, **kwargs: Any) -> Any:
        if event.uid == "acme-2":
            raise KeyError("a bug this invitation trips on")
        return real(event, **kwargs)

    monkeypatch.setattr(interview_outreach.daemon.passes, "recognize", trips_on_acme_2)
    result = world.run("once", at=WINDOW_OPENS)
    assert result.code == 0, result.err
    assert "home: skipped: event 'acme-2': unexpected error, skipped this pass (KeyError" in (
        result.err
    )
    # acme-1 is drafted; acme-2, which could not be read this pass, is not taken as removed.
    first, second = by_uid(world, "acme-1"), by_uid(world, "acme-2")
    assert (first["skip_reason"], first["actions"]["outreach"]["state"]) == (None, "drafted")
    assert second["skip_reason"] is None
    monkeypatch.setattr(interview_outreach.daemon.passes, "recognize", real)
    again = world.run("once", at=WINDOW_OPENS + timedelta(minutes=5))
    assert again.code == 0, again.err
    assert len(all_drafts(world)) == 2


def test_an_unexpected_error_in_one_interview_skips_only_that_interview(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    interview(world, "acme-1")
    interview(world, "acme-2")
    real = interview_outreach.daemon.passes.plan

    def trips_on_acme_2(interview: Any, *args: Any) -> Any:
        if interview.event.uid == "acme-2":
            raise ValueError("a bug this interview trips on")
        return real(interview, *args)

    monkeypatch.setattr(interview_outreach.daemon.passes, "plan", trips_on_acme_2)
    result = world.run("once", at=WINDOW_OPENS)
    assert result.code == 0, result.err
    assert "unexpected error, skipped this pass (ValueError: a bug this interview trips on)" in (
        result.err
    )
    assert len(all_drafts(world)) == 1


def test_an_unexpected_error_in_one_account_leaves_the_others(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    work_calendar = with_second_account(world)
    interview(world)
    raw_event(work_calendar, "work-1", "jane.doe@northwind.com", [])
    real = interview_outreach.daemon.passes._act

    def trips_on_home(store: Any, account: Any, *args: Any) -> Any:
        if account.name == "home":
            raise AttributeError("a bug this account trips on")
        return real(store, account, *args)

    monkeypatch.setattr(interview_outreach.daemon.passes, "_act", trips_on_home)
    result = world.run("once", at=WINDOW_OPENS)
    assert result.code == 1
    assert "home: failed: unexpected error, see the log (AttributeError" in result.err
    assert "Traceback" not in result.err
    assert len(all_drafts(world)) == 1  # the work account's
    accounts = world.run("accounts", at=WINDOW_OPENS)
    assert "AttributeError" in accounts.out


def test_status_json_never_prints_a_token_or_an_escape_a_terminal_obeys(world: World) -> None:
    title = "Interview \x9b2J at Acme (Authorization: Bearer ya29.SECRETSECRET)"
    world.add_event("evil-2", title, START)
    world.run("once", at=WINDOW_OPENS)
    result = world.run("status", "--json", at=WINDOW_OPENS)
    assert result.code == 0
    assert "ya29.SECRET" not in result.out and "\x9b" not in result.out
    data = json.loads(result.out)  # still valid JSON, with the same text where safe
    assert data["interviews"][0]["title"] == (
        "Interview \x9b2J at Acme (Authorization: Bearer [redacted])"
    )


def test_control_characters_in_an_invitation_never_reach_a_draft(world: World) -> None:
    world.add_event("ctl-1", "Interview at Acme del\x7fete \x9f\x1b[2J(Senior Engineer)", START)
    result = world.run("once", at=WINDOW_OPENS)
    assert result.code == 0, result.err
    [draft] = all_drafts(world)
    assert not any(c in draft for c in "\x7f\x9f\x1b")
