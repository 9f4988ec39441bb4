"""End to end through the CLI on a real vdir + Maildir + SQLite, with an injected clock."""

from __future__ import annotations

import email
import email.policy
import shutil
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.model import ActionState
from interview_outreach.daemon.store.repository import Store
from tests import configs
from tests.databases import postgres_url
from tests.e2e.conftest import USER as USER_ADDRESS
from tests.e2e.conftest import World

# Thursday 10 December 2026, 14:00 London (GMT = UTC in winter).
START = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
WINDOW_OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 09:00, three days before
TITLE = "Acme – Technical interview (Senior Backend Engineer)"


def interview(world: World, uid: str = "acme-1", **kwargs: Any) -> None:
    world.add_event(uid, "Acme – Technical interview (Senior Backend Engineer)", START, **kwargs)


def only(data: dict[str, Any]) -> dict[str, Any]:
    interviews = data["interviews"]
    assert len(interviews) == 1
    result: dict[str, Any] = interviews[0]
    return result


def body_of(message: email.message.Message) -> str:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    part = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert part is not None
    text: str = part.get_content()
    return text


def test_outreach_is_drafted_at_its_due_time_not_before_and_never_twice(world: World) -> None:
    interview(world)
    early = world.run("once", at=WINDOW_OPENS - timedelta(minutes=1))
    assert early.code == 0, early.err
    assert world.draft_paths() == []
    planned = only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]
    assert planned == {"state": "planned", "due_at": "2026-12-07T09:00:00+00:00", "reason": None}

    for minutes in (0, 5, 60, 600):
        assert world.run("once", at=WINDOW_OPENS + timedelta(minutes=minutes)).code == 0
    drafts = world.drafts()
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft["To"] == "Jane Doe <jane.doe@acme.com>"
    assert draft["From"] == "Ada Lovelace <ada.lovelace@example.org>"
    assert draft["Message-ID"].endswith("@example.org>")
    assert "D" in draft.get_flags()
    text = body_of(draft)
    assert "Thursday, 10 December 2026 at 14:00 GMT" in text
    assert "Senior Backend Engineer" in text and "Acme" in text
    assert only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]["state"] == "drafted"


def test_status_json_has_the_spec_shape(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    item = only(world.status(at=WINDOW_OPENS))
    assert set(item) == {
        "id", "account", "title", "company", "role", "start", "end",
        "interviewers", "skip_reason", "actions",
    }  # fmt: skip
    assert item["start"] == "2026-12-10T14:00:00+00:00"
    assert item["company"] == "Acme"
    assert item["role"] == "Senior Backend Engineer"
    assert sorted(item["interviewers"]) == ["jane.doe@acme.com", "raj@acme.com"]
    assert item["skip_reason"] is None
    assert set(item["actions"]) == {"outreach", "followup", "thankyou"}
    for entry in item["actions"]["thankyou"]:
        assert set(entry) == {"recipient", "state", "due_at", "reason"}


def test_a_draft_the_user_deleted_never_comes_back(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    path.unlink()
    for hours in (1, 2, 24):
        world.run("once", at=WINDOW_OPENS + timedelta(hours=hours))
    assert world.draft_paths() == []
    outreach = only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]
    assert outreach["state"] == "dismissed"


@pytest.mark.parametrize("away", ["cancelled", "removed", "moved out of the sync window"])
def test_a_draft_deleted_before_a_cancellation_never_comes_back(world: World, away: str) -> None:
    # The user deletes the draft; before a pass notices, the interview is called off.
    # The deletion is the user's: dismissed, not cancelled, so that when the interview
    # comes back (re-confirmed, re-added) the note is not planned and drafted again.
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    path.unlink()
    if away == "cancelled":
        interview(world, status="CANCELLED")
    elif away == "removed":
        world.remove_event("acme-1")
    else:  # ends more than the look-back before the next pass: not listed, looks removed
        world.add_event("acme-1", TITLE, START - timedelta(days=8))
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]["state"] == "dismissed"
    world.add_event("acme-1", TITLE, START + timedelta(hours=2))  # on again, rescheduled
    for hours in (2, 3, 24):
        world.run("once", at=WINDOW_OPENS + timedelta(hours=hours))
    assert world.draft_paths() == []
    item = only(world.status(at=WINDOW_OPENS))
    assert item["skip_reason"] is None
    assert item["actions"]["outreach"]["state"] == "dismissed"
    assert (item["actions"]["followup"]["state"], item["actions"]["followup"]["reason"]) == (
        "skipped",
        "not_sent",
    )


def test_a_reschedule_updates_an_untouched_draft(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    world.add_event(
        "acme-1",
        "Acme – Technical interview (Senior Backend Engineer)",
        START + timedelta(days=1, hours=1),
    )
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    (draft,) = world.drafts()
    text = body_of(draft)
    assert "Friday, 11 December 2026 at 15:00 GMT" in text
    assert "Thursday" not in text


def test_a_reschedule_never_overwrites_an_edited_draft(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    edited = path.read_text().replace("Thank you for arranging", "Many thanks for arranging")
    path.write_text(edited)
    world.add_event(
        "acme-1", "Acme – Technical interview (Senior Backend Engineer)", START + timedelta(days=1)
    )
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    (again,) = world.draft_paths()
    assert again.read_text() == edited
    interview_id = only(world.status(at=WINDOW_OPENS))["id"]
    explained = world.run("explain", interview_id, at=WINDOW_OPENS + timedelta(hours=1))
    assert "mentions the old time Thu 10 Dec 14:00 GMT" in explained.out


def test_a_cancelled_interview_loses_its_untouched_draft(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    assert len(world.draft_paths()) == 1
    interview(world, status="CANCELLED")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert world.draft_paths() == []
    item = only(world.status(at=WINDOW_OPENS))
    assert item["skip_reason"] == "cancelled"
    assert item["actions"]["outreach"] == {
        "state": "cancelled",
        "due_at": None,
        "reason": "cancelled",
    }
    assert all(t["state"] == "cancelled" for t in item["actions"]["thankyou"])


def test_an_event_removed_from_the_calendar_counts_as_cancelled(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    world.remove_event("acme-1")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert world.draft_paths() == []
    assert only(world.status(at=WINDOW_OPENS))["skip_reason"] == "cancelled"


def test_an_edited_draft_of_a_cancelled_interview_is_kept(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    path.write_text(path.read_text().replace("Hi Jane,", "Dear Jane,"))
    interview(world, partstat="DECLINED")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert len(world.draft_paths()) == 1
    item = only(world.status(at=WINDOW_OPENS))
    assert item["skip_reason"] == "declined"
    assert item["actions"]["outreach"]["reason"] == "edited_kept"


@pytest.mark.parametrize("away", ["removed", "moved out of the sync window"])
def test_a_removed_interview_back_in_the_calendar_declined_ends_as_declined(
    world: World, away: str
) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    assert len(world.draft_paths()) == 1
    if away == "removed":
        world.remove_event("acme-1")
    else:  # ends more than the look-back before the next pass: not listed, looks removed
        world.add_event("acme-1", TITLE, START - timedelta(days=8))
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert world.draft_paths() == []
    assert only(world.status(at=WINDOW_OPENS))["skip_reason"] == "cancelled"
    # Back in the calendar, moved and declined: it was not removed after all.
    world.add_event("acme-1", TITLE, START + timedelta(days=1), partstat="DECLINED")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=2))
    item = only(world.status(at=WINDOW_OPENS))
    assert item["skip_reason"] == "declined"
    actions = item["actions"]
    every = [actions["outreach"], actions["followup"], *actions["thankyou"]]
    assert [(a["state"], a["reason"]) for a in every] == [("cancelled", "declined")] * len(every)
    explained = world.run("explain", item["id"], at=WINDOW_OPENS + timedelta(hours=2))
    assert "outreach: cancelled (declined) — you declined the invitation" in explained.out


def test_a_removed_interview_back_declined_keeps_the_users_edited_draft(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    path.write_text(path.read_text().replace("Hi Jane,", "Hello Jane,"))
    world.remove_event("acme-1")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    world.add_event("acme-1", TITLE, START + timedelta(days=1), partstat="DECLINED")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=2))
    (kept,) = world.draft_paths()
    assert "Hello Jane" in kept.read_text()
    actions = only(world.status(at=WINDOW_OPENS))["actions"]
    assert (actions["outreach"]["state"], actions["outreach"]["reason"]) == (
        "cancelled",
        "edited_kept",
    )
    assert actions["followup"]["reason"] == "declined"


def test_found_after_the_window_closed_is_too_late_but_still_thanked(world: World) -> None:
    interview(world)
    world.run("once", at=START - timedelta(hours=23))
    assert world.draft_paths() == []
    item = only(world.status(at=START))
    assert item["skip_reason"] == "too_late"
    assert item["actions"]["outreach"]["reason"] == "too_late"
    world.run("once", at=START + timedelta(hours=2))
    recipients = sorted(str(d["To"]) for d in world.drafts())
    assert recipients == ["Jane Doe <jane.doe@acme.com>", "Raj Patel <raj@acme.com>"]


def test_thankyou_waits_for_working_hours_and_is_missed_after_72h(world: World) -> None:
    late = datetime(2026, 12, 11, 17, 30, tzinfo=UTC)  # Friday, ends 18:30: thanks due Monday
    world.add_event("late", "Acme – Final round interview", late)
    world.run("once", at=late + timedelta(hours=3))
    assert world.draft_paths() == []
    thankyou = only(world.status(at=late))["actions"]["thankyou"][0]
    assert thankyou["due_at"] == "2026-12-14T09:00:00+00:00"
    world.run("once", at=late + timedelta(hours=80))
    assert world.draft_paths() == []
    thankyou = only(world.status(at=late))["actions"]["thankyou"][0]
    assert (thankyou["state"], thankyou["reason"]) == ("skipped", "missed")


def test_an_untouched_outreach_is_removed_when_the_interview_starts(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    world.run("once", at=START + timedelta(minutes=1))
    assert world.draft_paths() == []
    outreach = only(world.status(at=START))["actions"]["outreach"]
    assert (outreach["state"], outreach["reason"]) == ("cancelled", "interview_started")


def test_sent_outreach_gets_a_threaded_followup_only_without_reply(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    sent_dir = world.maildir / ".Sent" / "cur"
    shutil.move(path, sent_dir / path.name.replace(":2,D", ":2,S"))
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    item = only(world.status(at=WINDOW_OPENS))
    assert item["actions"]["outreach"]["state"] == "sent"
    assert item["actions"]["followup"]["state"] == "planned"
    world.run("once", at=WINDOW_OPENS + timedelta(hours=25))
    (followup,) = world.drafts()
    sent = email.message_from_bytes((sent_dir / path.name.replace(":2,D", ":2,S")).read_bytes())
    assert followup["In-Reply-To"] == sent["Message-ID"]
    assert str(followup["Subject"]).startswith("Re: ")


def test_a_reply_cancels_the_followup(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    sent_dir = world.maildir / ".Sent" / "cur"
    shutil.move(path, sent_dir / path.name.replace(":2,D", ":2,S"))
    message_id = email.message_from_bytes(
        (sent_dir / path.name.replace(":2,D", ":2,S")).read_bytes()
    )["Message-ID"]
    reply = (
        "From: Jane Doe <jane.doe@acme.com>\nTo: ada.lovelace@example.org\n"
        f"Subject: Re: our interview\nIn-Reply-To: {message_id}\n"
        "Date: Mon, 07 Dec 2026 15:00:00 +0000\nMessage-ID: <r1@acme.com>\n\nSee you then!\n"
    )
    (world.maildir / "new" / "reply.eml").write_text(reply)
    world.run("once", at=WINDOW_OPENS + timedelta(hours=25))
    assert world.draft_paths() == []
    followup = only(world.status(at=WINDOW_OPENS))["actions"]["followup"]
    assert (followup["state"], followup["reason"]) == ("skipped", "replied")


@pytest.mark.parametrize(
    ("title", "minutes", "description", "code"),
    [
        ("Recruiter screen", 20, "A quick intro call about the role.", "brief_screening"),
        (
            "Interview: Backend Engineer",
            60,
            "Please do not contact the interviewers directly.",
            "employer_policy",
        ),
    ],
)
def test_skip_rules_from_the_invitation(
    world: World, title: str, minutes: int, description: str, code: str
) -> None:
    world.add_event("skip", title, START, minutes, description=description)
    world.run("once", at=WINDOW_OPENS)
    assert world.draft_paths() == []
    item = only(world.status(at=WINDOW_OPENS))
    assert item["skip_reason"] == code
    assert item["actions"]["outreach"] == {"state": "skipped", "due_at": None, "reason": code}


def test_not_an_interview_is_not_tracked(world: World) -> None:
    world.add_event(
        "lunch",
        "Lunch with Sam",
        START,
        description="Usual place",
        organizer=("Sam", "sam@gmail.com"),
        attendees=(),
    )
    world.run("once", at=WINDOW_OPENS)
    assert world.status(at=WINDOW_OPENS) == {"interviews": []}


def test_explain_says_why(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    interview_id = only(world.status(at=WINDOW_OPENS))["id"]
    result = world.run("explain", interview_id[:4], at=WINDOW_OPENS)
    assert result.code == 0
    assert 'interview wording in title: "interview"' in result.out
    assert "Outreach goes to Jane Doe <jane.doe@acme.com>: " in result.out
    assert "ada.lovelace@example.org: that is you" in result.out
    assert "create_draft outreach" in result.out
    unknown = world.run("explain", "zzzz", at=WINDOW_OPENS)
    assert unknown.code == 1
    assert unknown.err.count("\n") == 1 and "status" in unknown.err


class Killed(BaseException):
    """Stands for the process being killed: nothing in the program catches it."""


def test_a_crash_between_creating_a_draft_and_recording_it_never_duplicates(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    interview(world)
    real_save = Store.save_action

    def save_then_die(self: Store, interview_id: str, record: Any, now: datetime) -> None:
        if record.state is ActionState.DRAFTED:
            raise Killed
        real_save(self, interview_id, record, now)

    monkeypatch.setattr(Store, "save_action", save_then_die)
    with pytest.raises(Killed):
        world.run("once", at=WINDOW_OPENS)
    assert len(world.draft_paths()) == 1  # the draft exists, the database says "drafting"
    monkeypatch.setattr(Store, "save_action", real_save)
    for minutes in (5, 10):
        assert world.run("once", at=WINDOW_OPENS + timedelta(minutes=minutes)).code == 0
    assert len(world.draft_paths()) == 1
    assert only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]["state"] == "drafted"


def send_outreach(world: World, *, new_message_id: str | None = None) -> str:
    """Move the outreach draft to Sent as a mail client does; returns the sent Message-ID."""
    (path,) = world.draft_paths()
    raw = path.read_text()
    if new_message_id:
        old = email.message_from_string(raw)["Message-ID"]
        raw = raw.replace(old, new_message_id)
    target = world.maildir / ".Sent" / "cur" / path.name.replace(":2,D", ":2,S")
    target.write_text(raw)
    path.unlink()
    message_id: str = email.message_from_string(raw)["Message-ID"]
    return message_id


def deliver(world: World, name: str, headers: str, body: str = "Thanks!\n") -> None:
    (world.maildir / "new" / name).write_text(headers.strip() + "\n\n" + body)


def test_a_draft_sent_under_a_new_message_id_counts_as_sent(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    send_outreach(world, new_message_id="<rewritten-by-client@example.org>")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    outreach = only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]
    assert outreach["state"] == "sent"


@pytest.mark.parametrize(
    ("headers", "counts"),
    [
        ("From: Lee <lee@acme.com>\nSubject: Re: Our interview", True),  # someone else, in thread
        ("From: Jane Doe <jane.doe@acme.com>\nSubject: Automatic reply: Our interview", False),
        ("From: Jane Doe <jane.doe@acme.com>\nSubject: Re: x\nAuto-Submitted: auto-replied", False),
        ("From: Jane Doe <jane.doe@acme.com>\nSubject: Re: x\nX-Autoreply: yes", False),
        ("From: Jane Doe <jane.doe@acme.com>\nSubject: Re: x\nPrecedence: bulk", False),
        ("From: MAILER-DAEMON@mx.acme.com\nSubject: Undelivered Mail Returned to Sender", False),
    ],
)
def test_only_human_replies_stop_the_followup(world: World, headers: str, counts: bool) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    message_id = send_outreach(world)
    deliver(
        world,
        "incoming.eml",
        f"{headers}\nTo: {USER_ADDRESS}\nIn-Reply-To: {message_id}\n"
        "Date: Mon, 07 Dec 2026 12:00:00 +0000\nMessage-ID: <in1@acme.com>",
    )
    if not counts:  # explain says what was passed over, and keeps saying it
        for hours in (3, 4):
            world.run("once", at=WINDOW_OPENS + timedelta(hours=hours))
            explained = world.run("explain", only(world.status(at=START))["id"], at=START).out
            assert "not counted as replies" in explained
    world.run("once", at=WINDOW_OPENS + timedelta(hours=25))
    followup = only(world.status(at=WINDOW_OPENS))["actions"]["followup"]
    if counts:
        assert (followup["state"], followup["reason"]) == ("skipped", "replied")
        assert world.draft_paths() == []
    else:
        assert followup["state"] == "drafted"
        assert len(world.draft_paths()) == 1


def test_a_reply_in_a_new_thread_from_the_interviewer_counts(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    send_outreach(world)
    deliver(
        world,
        "fresh.eml",
        f"From: Raj Patel <raj@acme.com>\nTo: {USER_ADDRESS}\nSubject: Tomorrow\n"
        "Date: Mon, 07 Dec 2026 16:00:00 +0000\nMessage-ID: <fresh@acme.com>",
    )
    world.run("once", at=WINDOW_OPENS + timedelta(hours=25))
    assert world.draft_paths() == []
    explained = world.run("explain", only(world.status(at=START))["id"], at=START)
    assert "raj@acme.com wrote in a new thread" in explained.out


def test_already_in_touch_skips_the_outreach_but_not_the_thanks(world: World) -> None:
    interview(world)
    for day in range(4):
        deliver(
            world,
            f"earlier{day}.eml",
            f"From: Jane Doe <jane.doe@acme.com>\nTo: {USER_ADDRESS}\nSubject: Scheduling\n"
            f"Date: Mon, 0{day + 1} Dec 2026 10:00:00 +0000\nMessage-ID: <e{day}@acme.com>",
        )
    world.run("once", at=WINDOW_OPENS)
    assert world.draft_paths() == []
    item = only(world.status(at=WINDOW_OPENS))
    assert item["skip_reason"] == "already_in_touch"
    explained = world.run("explain", item["id"], at=WINDOW_OPENS)
    assert "4 messages with the interviewers in the last 30 days" in explained.out
    world.run("once", at=START + timedelta(hours=2))
    assert len(world.draft_paths()) == 2


def test_the_same_invitation_in_two_accounts_is_one_interview(world: World) -> None:
    second_calendar = world.root / "work-calendar"
    second_mail = world.root / "WorkMail"
    second_calendar.mkdir()
    for sub in ("cur", "new", "tmp"):
        (second_mail / sub).mkdir(parents=True)
    configs.append_account(
        world.config,
        configs.local_account("work", "ada@work.example", second_calendar, second_mail),
    )
    interview(world)
    (second_calendar / "acme-1.ics").write_bytes((world.calendar / "acme-1.ics").read_bytes())
    world.run("once", at=WINDOW_OPENS)
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert len(world.status(at=WINDOW_OPENS)["interviews"]) == 1
    assert len(world.draft_paths()) == 1
    assert not (second_mail / ".Drafts" / "cur").exists() or not list(
        (second_mail / ".Drafts" / "cur").iterdir()
    )


def test_an_all_day_interview_day_is_not_a_timed_interview(world: World) -> None:
    cal = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:allday\r\n"
        "DTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:20261210\r\nDTEND;VALUE=DATE:20261211\r\n"
        "SUMMARY:Interview with Acme\r\nORGANIZER;CN=Jane:mailto:jane.doe@acme.com\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (world.calendar / "allday.ics").write_text(cal)
    world.run("once", at=WINDOW_OPENS)
    assert world.status(at=WINDOW_OPENS) == {"interviews": []}


def test_an_invitation_in_another_zone_is_drafted_in_the_users_zone(world: World) -> None:
    new_york = ZoneInfo("America/New_York")
    world.add_event(
        "ny", "Acme – Technical interview (Senior Backend Engineer)",
        datetime(2026, 12, 10, 9, 0, tzinfo=new_york),
    )  # fmt: skip
    world.run("once", at=WINDOW_OPENS)
    (draft,) = world.drafts()
    assert "Thursday, 10 December 2026 at 14:00 GMT" in body_of(draft)


def test_an_interview_across_midnight_and_a_dst_change(world: World) -> None:
    # Saturday 24 October 2026 23:30 BST, ending after midnight; clocks go back on the 25th.
    start = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    world.add_event("late", "Acme – Final round interview", start, minutes=90)
    world.run("once", at=datetime(2026, 10, 21, 8, 0, tzinfo=UTC))  # Wednesday 09:00 BST
    (draft,) = world.drafts()
    assert "Saturday, 24 October 2026 at 23:30 BST" in body_of(draft)
    world.run("once", at=datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
    thankyou = only(world.status(at=start))["actions"]["thankyou"][0]
    assert thankyou["due_at"] == "2026-10-26T09:00:00+00:00"  # Monday 09:00 GMT


def test_the_same_pass_works_on_postgresql(world: World) -> None:
    url = postgres_url()
    world.config.write_text(
        world.config.read_text().replace(
            f'url = "sqlite:///{world.root / "state.db"}"', f'url = "{url}"'
        )
    )
    assert url in world.config.read_text()
    interview(world)
    for minutes in (0, 5):
        assert world.run("once", at=WINDOW_OPENS + timedelta(minutes=minutes)).code == 0
    assert len(world.draft_paths()) == 1
    assert only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]["state"] == "drafted"
