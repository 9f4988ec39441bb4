"""The ``CalendarSource`` contract, run against every provider; then local-only behaviour."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    EventStatus,
    Participant,
    ParticipantKind,
    Response,
    UserIdentity,
)
from interview_outreach.daemon.errors import SourceUnreadable
from interview_outreach.providers.local.calendar import MAX_VDIR_FILE_BYTES, LocalCalendar
from interview_outreach.providers.local.ics import events_from_ics
from tests.contract.conftest import LONDON
from tests.contract.harness import Harness, LocalHarness, ics_document, vevent

WINDOW_START = datetime(2025, 3, 10, tzinfo=UTC)
WINDOW_END = datetime(2025, 4, 10, tzinfo=UTC)
USER = Participant("ada@example.org", "Ada Lovelace", response=Response.ACCEPTED)
RECRUITER = Participant("rita@acme.example", "Rita Recruiter", response=Response.ACCEPTED)


def event(uid: str, start: datetime, minutes: int = 60, **fields: object) -> CalendarEvent:
    """A timed invitation from Acme's recruiter to the user, accepted by the user."""
    values: dict[str, object] = {
        "title": f"Interview {uid}",
        "organizer": RECRUITER,
        "attendees": (USER,),
        "user_response": Response.ACCEPTED,
        **fields,
    }
    return CalendarEvent(uid=uid, start=start, end=start + timedelta(minutes=minutes), **values)  # type: ignore[arg-type]


def fetch(harness: Harness) -> dict[str, CalendarEvent]:
    changes = harness.calendar.changes(None, WINDOW_START, WINDOW_END)
    assert changes.complete
    assert changes.problems == ()
    return {e.source_id: e for e in changes.events}


def test_only_events_overlapping_the_window_are_reported(harness: Harness) -> None:
    harness.add_event(event("before", WINDOW_START - timedelta(hours=2)))
    harness.add_event(event("ends-at-start", WINDOW_START - timedelta(hours=1)))
    harness.add_event(event("straddles-start", WINDOW_START - timedelta(minutes=30)))
    harness.add_event(event("inside", datetime(2025, 3, 20, 14, tzinfo=LONDON)))
    harness.add_event(event("straddles-end", WINDOW_END - timedelta(minutes=30)))
    harness.add_event(event("starts-at-end", WINDOW_END))
    assert set(fetch(harness)) == {"straddles-start", "inside", "straddles-end"}


def test_a_timed_event_keeps_its_fields_and_zone(harness: Harness) -> None:
    start = datetime(2025, 3, 20, 14, 30, tzinfo=LONDON)
    harness.add_event(
        event(
            "acme-1",
            start,
            45,
            title="Entretien — Ingénieur, Acme SA",
            description="Panel with the team.\nJoin: https://acme.zoom.us/j/123",
            location="Acme HQ, Room 4",
            conference_url="https://meet.google.com/abc-defg-hij",
        )
    )
    got = fetch(harness)["acme-1"]
    assert (got.uid, got.instance, got.source_id) == ("acme-1", "", "acme-1")
    assert got.title == "Entretien — Ingénieur, Acme SA"
    assert got.description == "Panel with the team.\nJoin: https://acme.zoom.us/j/123"
    assert got.location == "Acme HQ, Room 4"
    assert got.conference_url == "https://meet.google.com/abc-defg-hij"
    assert got.start == start and got.end == start + timedelta(minutes=45)
    assert got.start.tzinfo is not None and got.duration_minutes == 45
    assert not got.all_day and got.status is EventStatus.CONFIRMED


def test_all_day_events_are_midnights_in_the_users_zone(harness: Harness) -> None:
    day = datetime(2025, 3, 12, tzinfo=LONDON)
    harness.add_event(event("offsite", day, 24 * 60, all_day=True))
    got = fetch(harness)["offsite"]
    assert got.all_day
    assert got.start == day and got.end == datetime(2025, 3, 13, tzinfo=LONDON)
    assert got.start.utcoffset() == timedelta(0)


def test_cancelled_events_are_reported_as_cancelled(harness: Harness) -> None:
    harness.add_event(
        event("gone", datetime(2025, 3, 21, 10, tzinfo=LONDON), status=EventStatus.CANCELLED)
    )
    assert fetch(harness)["gone"].status is EventStatus.CANCELLED


def test_participants_roles_resources_and_responses(harness: Harness) -> None:
    attendees = (
        USER,
        Participant("ivan@acme.example", "Ivan, Interviewer", response=Response.TENTATIVE),
        Participant("olga@acme.example", "Olga Optional", required=False),
        Participant(
            "room-4@acme.example",
            "Room 4",
            kind=ParticipantKind.RESOURCE,
            response=Response.ACCEPTED,
        ),
        Participant("eng-team@acme.example", "Engineering", kind=ParticipantKind.GROUP),
    )
    harness.add_event(event("panel", datetime(2025, 3, 21, 10, tzinfo=LONDON), attendees=attendees))
    got = fetch(harness)["panel"]
    assert got.organizer == RECRUITER
    assert got.attendees == attendees
    assert got.user_response is Response.ACCEPTED
    assert not got.user_is_organizer


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("jane@northwind.com?bcc=attacker@evil.com", "contains a query string"),
        ("jane@x.com>, attacker@evil.com", "holds more than one address"),
        ("jane\x1b[2J@x.com", "contains control characters"),
    ],
)
def test_an_invalid_address_never_becomes_a_participant(
    harness: Harness, raw: str, why: str
) -> None:
    organizer = Participant(raw, "Jane Doe", response=Response.ACCEPTED)
    attendee = Participant(raw.replace("jane", "raj"), "Raj Patel")
    start = datetime(2025, 3, 20, 14, tzinfo=LONDON)
    harness.add_event(event("evil-1", start, organizer=organizer, attendees=(USER, attendee)))
    got = fetch(harness)["evil-1"]
    assert got.organizer is None
    assert [p.email for p in got.attendees] == [USER.email]
    assert len(got.invalid_contacts) == 2
    assert all(x.reason == f"not a valid address: {why}" for x in got.invalid_contacts)
    assert all("\x1b" not in x.email for x in got.invalid_contacts)


def test_the_users_own_answer_is_reported(harness: Harness) -> None:
    declined = Participant("ada@example.org", "Ada Lovelace", response=Response.DECLINED)
    harness.add_event(
        event(
            "no",
            datetime(2025, 3, 21, 10, tzinfo=LONDON),
            attendees=(declined,),
            user_response=Response.DECLINED,
        )
    )
    assert fetch(harness)["no"].user_response is Response.DECLINED


def test_events_the_user_organizes_are_marked(harness: Harness) -> None:
    candidate = Participant("cand@mail.example", "Carl Candidate")
    harness.add_event(
        event(
            "hiring",
            datetime(2025, 3, 21, 10, tzinfo=LONDON),
            organizer=USER,
            attendees=(candidate,),
            user_is_organizer=True,
        )
    )
    got = fetch(harness)["hiring"]
    assert got.user_is_organizer
    assert got.user_response is Response.ACCEPTED


def test_recurring_events_are_expanded_into_occurrences_across_dst(harness: Harness) -> None:
    harness.add_weekly(event("weekly", datetime(2025, 3, 3, 10, tzinfo=LONDON)), count=6)
    got = fetch(harness)
    assert sorted(got) == [
        "weekly/2025-03-10T10:00:00Z",
        "weekly/2025-03-17T10:00:00Z",
        "weekly/2025-03-24T10:00:00Z",
        "weekly/2025-03-31T09:00:00Z",
        "weekly/2025-04-07T09:00:00Z",
    ]
    for occurrence in got.values():
        assert occurrence.uid == "weekly"
        assert occurrence.start.astimezone(LONDON).hour == 10
        assert occurrence.source_id == f"weekly/{occurrence.instance}"
    assert len({o.key for o in got.values()}) == 5


def test_removed_events_disappear_from_a_complete_listing(harness: Harness) -> None:
    harness.add_event(event("keep", datetime(2025, 3, 20, 10, tzinfo=LONDON)))
    harness.add_event(event("drop", datetime(2025, 3, 21, 10, tzinfo=LONDON)))
    harness.remove_event("drop")
    assert set(fetch(harness)) == {"keep"}


# --- local provider only ------------------------------------------------------------------


def ics(body: str) -> bytes:
    """A VCALENDAR around ``body`` (VEVENT lines), with CRLF line ends."""
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body.strip()}\nEND:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def parse(user: UserIdentity, body: str) -> list[CalendarEvent]:
    return events_from_ics(ics(body), user, WINDOW_START, WINDOW_END)


def test_local_events_carry_the_collection_name(local: LocalHarness) -> None:
    local.add_event(event("acme", datetime(2025, 3, 20, 10, tzinfo=LONDON)))
    sub = local.vdir / "work"
    sub.mkdir()
    (sub / "displayname").write_text("Work calendar\n")
    (sub / "globex.ics").write_bytes(
        ics_document(vevent(event("globex", datetime(2025, 3, 21, 10, tzinfo=LONDON))))
    )
    got = fetch(local)
    assert got["acme"].calendar == "personal"
    assert got["globex"].calendar == "Work calendar"


def test_an_unreadable_file_is_reported_and_the_others_still_read(local: LocalHarness) -> None:
    local.add_event(event("good", datetime(2025, 3, 20, 10, tzinfo=LONDON)))
    (local.vdir / "broken.ics").write_bytes(b"BEGIN:VCALENDAR\r\nthis is not\r\n")
    changes = local.calendar.changes(None, WINDOW_START, WINDOW_END)
    assert [e.uid for e in changes.events] == ["good"]
    assert len(changes.problems) == 1
    assert "broken.ics" in changes.problems[0] and "\n" not in changes.problems[0]


def test_only_regular_files_within_the_vdir_are_read(local: LocalHarness, tmp_path: Path) -> None:
    local.add_event(event("good", datetime(2025, 3, 20, 10, tzinfo=LONDON)))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.ics").write_bytes(
        ics_document(vevent(event("outside", datetime(2025, 3, 21, 10, tzinfo=LONDON))))
    )
    (local.vdir / "folder.ics").mkdir()  # a directory named like an event
    os.mkfifo(local.vdir / "fifo.ics")  # reading it would block for ever
    (local.vdir / "zero.ics").symlink_to("/dev/zero")  # endless
    (local.vdir / "out.ics").symlink_to(outside / "secret.ics")  # leaves the folder
    (local.vdir / "loop.ics").symlink_to(local.vdir / "loop.ics")  # a link loop
    (local.vdir / "linked").symlink_to(outside)  # a collection outside the vdir
    changes = local.calendar.changes(None, WINDOW_START, WINDOW_END)
    assert [e.uid for e in changes.events] == ["good"]
    assert changes.problems == ()


def test_a_file_too_large_for_one_event_is_a_problem_not_a_removal(local: LocalHarness) -> None:
    local.add_event(event("good", datetime(2025, 3, 20, 10, tzinfo=LONDON)))
    with (local.vdir / "huge.ics").open("wb") as huge:
        huge.truncate(MAX_VDIR_FILE_BYTES + 1)  # sparse: costs no disk, and is never read
    changes = local.calendar.changes(None, WINDOW_START, WINDOW_END)
    assert [e.uid for e in changes.events] == ["good"]
    assert len(changes.problems) == 1
    assert "huge.ics" in changes.problems[0] and "larger than 4 MiB" in changes.problems[0]


def test_a_single_ics_file_is_a_calendar(tmp_path: Path, user: UserIdentity) -> None:
    path = tmp_path / "one.ics"
    path.write_bytes(ics_document(vevent(event("solo", datetime(2025, 3, 20, 9, tzinfo=LONDON)))))
    changes = LocalCalendar(path, user, name="mine").changes(None, WINDOW_START, WINDOW_END)
    assert [(e.uid, e.calendar) for e in changes.events] == [("solo", "mine")]


def test_a_missing_calendar_path_raises(tmp_path: Path, user: UserIdentity) -> None:
    with pytest.raises(SourceUnreadable, match="does not exist"):
        LocalCalendar(tmp_path / "nowhere", user).changes(None, WINDOW_START, WINDOW_END)


def test_an_unreadable_single_file_raises(tmp_path: Path, user: UserIdentity) -> None:
    path = tmp_path / "bad.ics"
    path.write_bytes(b"\x00\x01 not a calendar")
    with pytest.raises(SourceUnreadable, match=r"bad\.ics"):
        LocalCalendar(path, user).changes(None, WINDOW_START, WINDOW_END)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        ics("BEGIN:VEVENT\nUID:x\nDTSTART:2025xx01\nEND:VEVENT"),
        ics("BEGIN:VEVENT\nUID:x\nSUMMARY:no start\nEND:VEVENT"),
        ics("BEGIN:VEVENT\nUID:x\nDTSTART:20250320T100000Z\nRRULE:FREQ=SOMETIMES\nEND:VEVENT"),
    ],
)
def test_bad_data_raises_one_line(user: UserIdentity, data: bytes) -> None:
    with pytest.raises(SourceUnreadable) as raised:
        events_from_ics(data, user, WINDOW_START, WINDOW_END)
    assert "\n" not in str(raised.value) and str(raised.value)


def test_floating_times_and_dates_are_read_in_the_users_zone(user: UserIdentity) -> None:
    floating, day = parse(
        user,
        """
BEGIN:VEVENT
UID:floating
DTSTART:20250401T100000
DURATION:PT30M
END:VEVENT
BEGIN:VEVENT
UID:day
DTSTART;VALUE=DATE:20250402
END:VEVENT
""",
    )
    assert floating.start == datetime(2025, 4, 1, 10, tzinfo=LONDON)
    assert floating.end == datetime(2025, 4, 1, 10, 30, tzinfo=LONDON)
    assert day.all_day and day.start == datetime(2025, 4, 2, tzinfo=LONDON)
    assert day.end == datetime(2025, 4, 3, tzinfo=LONDON)


def test_a_timed_event_without_end_has_zero_length(user: UserIdentity) -> None:
    (got,) = parse(user, "BEGIN:VEVENT\nUID:z\nDTSTART:20250320T100000Z\nEND:VEVENT")
    assert got.start == got.end == datetime(2025, 3, 20, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tzid", "utc_hour"),
    [("America/New_York", 14), ("W. Europe Standard Time", 9), ("Eastern Standard Time", 14)],
)
def test_zones_without_vtimezone_iana_and_windows(
    user: UserIdentity, tzid: str, utc_hour: int
) -> None:
    (got,) = parse(
        user,
        f"""
BEGIN:VEVENT
UID:tz
DTSTART;TZID={tzid}:20250320T100000
DTEND;TZID={tzid}:20250320T110000
END:VEVENT
""",
    )
    assert got.start.astimezone(UTC) == datetime(2025, 3, 20, utc_hour, tzinfo=UTC)
    assert got.duration_minutes == 60


def test_an_unknown_zone_with_its_vtimezone_is_used(user: UserIdentity) -> None:
    (got,) = parse(
        user,
        """
BEGIN:VTIMEZONE
TZID:Custom Plus Three
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0300
TZOFFSETTO:+0300
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:custom
DTSTART;TZID=Custom Plus Three:20250320T100000
DTEND;TZID=Custom Plus Three:20250320T110000
END:VEVENT
""",
    )
    assert got.start.astimezone(UTC) == datetime(2025, 3, 20, 7, tzinfo=UTC)


def test_method_cancel_cancels_and_participants_are_normalised(user: UserIdentity) -> None:
    data = ics("""
METHOD:CANCEL
BEGIN:VEVENT
UID:c
DTSTART:20250320T100000Z
DTEND:20250320T110000Z
ORGANIZER;CN="Rita R":MAILTO:Rita@ACME.example
ATTENDEE;CN=Ada;PARTSTAT=DECLINED:mailto:ADA@example.org
ATTENDEE;CUTYPE=ROOM;CN=Big Room:mailto:room@acme.example
ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=DELEGATED:mailto:opt@acme.example
X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/meetup-join/x
END:VEVENT
""")
    (got,) = events_from_ics(data, user, WINDOW_START, WINDOW_END)
    assert got.status is EventStatus.CANCELLED
    assert got.organizer == Participant("rita@acme.example", "Rita R", response=Response.ACCEPTED)
    assert [a.email for a in got.attendees] == [
        "ada@example.org",
        "room@acme.example",
        "opt@acme.example",
    ]
    assert got.attendees[1].kind is ParticipantKind.RESOURCE
    assert not got.attendees[2].required and got.attendees[2].response is Response.DECLINED
    assert got.user_response is Response.DECLINED and not got.user_is_organizer
    assert got.conference_url == "https://teams.microsoft.com/l/meetup-join/x"


def test_conference_links_are_found_in_the_description(user: UserIdentity) -> None:
    (got,) = parse(
        user,
        r"""
BEGIN:VEVENT
UID:c
DTSTART:20250320T100000Z
DESCRIPTION:Agenda at https://acme.example/agenda\nJoin https://acme.zoom.us/j/9?pwd=x.
END:VEVENT
""",
    )
    assert got.conference_url == "https://acme.zoom.us/j/9?pwd=x"


def test_moved_and_excluded_occurrences(user: UserIdentity) -> None:
    got = parse(
        user,
        """
BEGIN:VEVENT
UID:series
SUMMARY:Weekly sync
DTSTART;TZID=Europe/London:20250317T100000
DTEND;TZID=Europe/London:20250317T110000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/London:20250407T100000
END:VEVENT
BEGIN:VEVENT
UID:series
SUMMARY:Weekly sync (moved)
RECURRENCE-ID;TZID=Europe/London:20250324T100000
DTSTART;TZID=Europe/London:20250325T150000
DTEND;TZID=Europe/London:20250325T160000
END:VEVENT
""",
    )
    assert [(e.instance, e.title, e.start.astimezone(LONDON).hour) for e in got] == [
        ("2025-03-17T10:00:00Z", "Weekly sync", 10),
        ("2025-03-24T10:00:00Z", "Weekly sync (moved)", 15),
        ("2025-03-31T09:00:00Z", "Weekly sync", 10),
    ]


def test_recurring_all_day_instances_are_dates(user: UserIdentity) -> None:
    got = parse(
        user,
        """
BEGIN:VEVENT
UID:daily
DTSTART;VALUE=DATE:20250320
RRULE:FREQ=DAILY;COUNT=2
END:VEVENT
""",
    )
    assert [e.source_id for e in got] == ["daily/2025-03-20", "daily/2025-03-21"]
    assert all(e.all_day for e in got)
