"""What only the Google provider has: sync tokens, Gmail history, threads and draft versions.

Run against the fake Google through the real client libraries (``google_harness``); the
``google`` fixture fails a test whose provider tried to send mail or write the calendar.
Events here get Google-shaped ids (base32hex; ``master_20250310T100000Z`` for instances).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    DraftContent,
    DraftRef,
    EventStatus,
    Participant,
    ParticipantKind,
    Response,
)
from interview_outreach.daemon.errors import CursorExpired, DraftChanged
from interview_outreach.daemon.ports import CalendarChanges, DraftCheck, DraftRemoval
from tests.contract.conftest import LONDON
from tests.contract.google_harness import GoogleHarness
from tests.contract.test_calendar_contract import RECRUITER, USER, WINDOW_END, WINDOW_START, event
from tests.contract.test_mailbox_contract import CONTENTS, NOW, draft, mail

OUTREACH_ID = "<outreach-1@example.org>"


def listed(google: GoogleHarness, cursor: str | None = None, days: int = 0) -> CalendarChanges:
    """``calendar.changes`` over the suite's window, moved on by ``days``."""
    shift = timedelta(days=days)
    changes = google.calendar.changes(cursor, WINDOW_START + shift, WINDOW_END + shift)
    assert changes.problems == ()
    assert changes.cursor is not None
    return changes


def by_id(changes: CalendarChanges) -> dict[str, CalendarEvent]:
    return {e.source_id: e for e in changes.events}


def events_requests(google: GoogleHarness) -> list[dict[str, list[str]]]:
    return [r.query for r in google.fake.requests if r.path == "/calendars/primary/events"]


# --- Calendar: sync tokens ------------------------------------------------------------------


def test_google_incremental_sync_reports_only_changes_and_removals(google: GoogleHarness) -> None:
    google.put(event("keep@acme", datetime(2025, 3, 20, 10, tzinfo=LONDON)), "kp0001")
    google.put(event("move@acme", datetime(2025, 3, 21, 10, tzinfo=LONDON)), "mv0001")
    google.put(event("drop@acme", datetime(2025, 3, 24, 10, tzinfo=LONDON)), "dr0001")
    first = listed(google)
    assert first.complete and set(by_id(first)) == {"kp0001", "mv0001", "dr0001"}
    assert by_id(first)["mv0001"].uid == "move@acme"

    quiet = listed(google, first.cursor)
    assert (quiet.complete, quiet.events, quiet.removed) == (False, (), ())

    moved = datetime(2025, 3, 25, 15, tzinfo=LONDON)
    google.put(event("move@acme", moved, title="Interview (moved)"), "mv0001")
    google.fake.delete_event("primary", "dr0001")
    google.put(event("new@acme", datetime(2025, 3, 26, 10, tzinfo=LONDON)), "nw0001")
    changes = listed(google, quiet.cursor)
    assert not changes.complete
    assert set(by_id(changes)) == {"mv0001", "nw0001"}
    assert by_id(changes)["mv0001"].start == moved
    assert by_id(changes)["mv0001"].title == "Interview (moved)"
    assert changes.removed == ("dr0001",)
    assert listed(google, changes.cursor).events == ()

    first_query, *incremental = events_requests(google)
    assert "timeMin" in first_query and "syncToken" not in first_query
    assert incremental and all("syncToken" in q and "timeMin" not in q for q in incremental)


def test_google_an_expired_sync_token_raises_cursor_expired(google: GoogleHarness) -> None:
    google.put(event("one@acme", datetime(2025, 3, 20, 10, tzinfo=LONDON)), "on0001")
    first = listed(google)
    google.fake.expire_sync_tokens()
    with pytest.raises(CursorExpired):
        google.calendar.changes(first.cursor, WINDOW_START, WINDOW_END)
    again = listed(google)
    assert again.complete and set(by_id(again)) == {"on0001"}
    assert listed(google, again.cursor).events == ()


def test_google_events_the_sliding_window_reaches_are_reported(google: GoogleHarness) -> None:
    google.put(event("later@acme", WINDOW_END + timedelta(days=2, hours=10)), "lt0001")
    google.put(event("a-day-on@acme", WINDOW_END + timedelta(days=5, hours=20)), "dn0001")
    google.put(event("far@acme", WINDOW_END + timedelta(days=7)), "fr0001")
    first = listed(google)
    assert set(by_id(first)) == set()
    # Five days on: nothing changed, but the window now reaches "later", and a day beyond.
    moved_on = listed(google, first.cursor, days=5)
    assert not moved_on.complete and set(by_id(moved_on)) == {"lt0001", "dn0001"}
    google.fake.clear_log()
    assert listed(google, moved_on.cursor, days=5).events == ()
    assert listed(google, moved_on.cursor, days=6).events == ()
    assert len(events_requests(google)) == 2  # the sync token alone, while within that day
    assert set(by_id(listed(google, moved_on.cursor, days=7))) == {"fr0001"}
    assert set(by_id(listed(google, None, days=5))) == {"lt0001"}


def test_google_a_retried_request_does_not_really_sleep(google: GoogleHarness) -> None:
    google.fake.fail_next("calendars/primary/events", 503)
    google.fake.fail_next("calendars/primary/events", 429, headers={"Retry-After": "7"})
    assert listed(google).complete
    assert google.slept == [1.0, 7.0]


# --- Calendar: what Google says differently ---------------------------------------------------


def test_google_recurring_instances_have_googles_ids_and_the_shared_instance_key(
    google: GoogleHarness,
) -> None:
    series = event("series@acme.example", datetime(2025, 3, 3, 10, tzinfo=LONDON))
    google.add_weekly(series, 6, master_id="ser001")
    first = listed(google)
    got = by_id(first)
    assert sorted(got) == [
        "ser001_20250310T100000Z",
        "ser001_20250317T100000Z",
        "ser001_20250324T100000Z",
        "ser001_20250331T090000Z",
        "ser001_20250407T090000Z",
    ]
    assert sorted(e.instance for e in got.values()) == [
        "2025-03-10T10:00:00Z",
        "2025-03-17T10:00:00Z",
        "2025-03-24T10:00:00Z",
        "2025-03-31T09:00:00Z",
        "2025-04-07T09:00:00Z",
    ]
    assert {e.uid for e in got.values()} == {"series@acme.example"}
    assert all(e.start.astimezone(LONDON).hour == 10 for e in got.values())

    # One occurrence moves (its instance key stays), another is cancelled.
    moved = dataclasses.replace(
        got["ser001_20250317T100000Z"],
        start=datetime(2025, 3, 18, 15, tzinfo=LONDON),
        end=datetime(2025, 3, 18, 16, tzinfo=LONDON),
    )
    original = {"dateTime": "2025-03-17T10:00:00+00:00", "timeZone": "Europe/London"}
    google.put(
        moved, "ser001_20250317T100000Z", recurringEventId="ser001", originalStartTime=original
    )
    google.fake.delete_event("primary", "ser001_20250324T100000Z")
    changes = listed(google, first.cursor)
    assert [(e.source_id, e.instance, e.start) for e in changes.events] == [
        ("ser001_20250317T100000Z", "2025-03-17T10:00:00Z", moved.start)
    ]
    assert changes.events[0].key == got["ser001_20250317T100000Z"].key
    assert changes.removed == ("ser001_20250324T100000Z",)


def test_google_cancelled_invitations_leave_listings_and_are_removed_incrementally(
    google: GoogleHarness,
) -> None:
    google.put(event("gone@acme", datetime(2025, 3, 21, 10, tzinfo=LONDON)), "gn0001")
    google.add_event(
        event("born-cancelled@acme", datetime(2025, 3, 22, 10, tzinfo=LONDON)),
    )
    google.add_event(
        event(
            "cancelled@acme",
            datetime(2025, 3, 23, 10, tzinfo=LONDON),
            status=EventStatus.CANCELLED,
        )
    )
    first = listed(google)
    assert set(by_id(first)) == {"gn0001", "born-cancelled@acme"}
    google.fake.delete_event("primary", "gn0001")  # the organizer cancels the interview
    changes = listed(google, first.cursor)
    assert (changes.events, changes.removed) == ((), ("gn0001",))
    assert set(by_id(listed(google))) == {"born-cancelled@acme"}


def test_google_participants_roles_resources_and_responses(google: GoogleHarness) -> None:
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
        # Calendar v3 has no group type: a group's address reads as a person.
        Participant("eng-team@acme.example", "Engineering", response=Response.DECLINED),
    )
    google.put(
        event("panel@acme", datetime(2025, 3, 21, 10, tzinfo=LONDON), attendees=attendees),
        "pn0001",
    )
    got = by_id(listed(google))["pn0001"]
    assert got.organizer == RECRUITER  # the organizer counts as accepted, as in iCalendar
    assert got.attendees == attendees
    assert got.user_response is Response.ACCEPTED and not got.user_is_organizer
    assert got.conference_url == "" and got.calendar == "primary"


# --- Gmail: history -------------------------------------------------------------------------


def test_google_mailbox_changes_follow_gmail_history(google: GoogleHarness) -> None:
    start = google.mailbox.changes(None)
    assert start.threads is None and start.cursor

    quiet = google.mailbox.changes(start.cursor)
    assert quiet.threads == frozenset() and quiet.cursor

    ref = google.mailbox.create_draft(draft())
    assert ref.thread_id
    drafted = google.mailbox.changes(quiet.cursor)
    assert drafted.threads == frozenset({ref.thread_id})
    assert google.mailbox.changes(drafted.cursor).threads == frozenset()

    arrived = google.deliver(mail("rita@acme.example", "ada@example.org", NOW, "<r@acme>"))
    assert isinstance(arrived, str)
    thread = google.fake.message_info(arrived).thread_id
    assert google.mailbox.changes(drafted.cursor).threads == frozenset({thread})

    google.fake.expire_history()
    expired = google.mailbox.changes(drafted.cursor)
    assert expired.threads is None and expired.cursor
    assert google.mailbox.changes(expired.cursor).threads == frozenset()


# --- Gmail: threads -------------------------------------------------------------------------


def test_google_a_followup_lands_in_the_thread_of_the_sent_outreach(
    google: GoogleHarness,
) -> None:
    ref = google.mailbox.create_draft(draft())
    google.user_sends_draft(ref, NOW)
    sent = google.mailbox.find_sent(ref)
    assert sent is not None and sent.thread_id is not None

    followup = draft(
        "Dear Ivan,\n\nI wanted to follow up on my message.\n\nAda",
        subject="Re: Our interview on Thursday",
        message_id="<followup-1@example.org>",
        in_reply_to=OUTREACH_ID,
        references=(OUTREACH_ID,),
        thread_id=sent.thread_id,
    )
    followup_ref = google.mailbox.create_draft(followup)
    assert followup_ref.thread_id == sent.thread_id
    message_id = google.fake.draft_message_id(followup_ref.draft_id)
    assert message_id is not None
    assert google.fake.message_info(message_id).thread_id == sent.thread_id

    reworded = dataclasses.replace(
        followup,
        content=DraftContent(followup.content.to, followup.content.subject, "Dear Ivan, again."),
    )
    updated = google.mailbox.update_draft(followup_ref, reworded, followup.content.fingerprint)
    assert updated.draft_id == followup_ref.draft_id and updated.thread_id == sent.thread_id
    assert updated.version == google.fake.draft_message_id(followup_ref.draft_id)
    assert updated.version != followup_ref.version

    # The draft is not a message of the thread; the outreach is.
    found = google.mailbox.thread_messages(OUTREACH_ID, sent.thread_id, NOW)
    assert [(m.message_id, m.folder) for m in found] == [(OUTREACH_ID, "sent")]


def test_google_replies_in_the_thread_or_naming_the_outreach_are_found(
    google: GoogleHarness,
) -> None:
    ref = google.mailbox.create_draft(draft())
    google.user_sends_draft(ref, NOW)
    sent = google.mailbox.find_sent(ref)
    assert sent is not None and sent.thread_id is not None

    def reply(sender: str, hours: int, message_id: str, subject: str, **headers: str) -> str:
        message = mail(sender, "ada@example.org", NOW + timedelta(hours=hours), message_id)
        message.replace_header("Subject", subject)
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        delivered = google.deliver(message)
        assert isinstance(delivered, str)
        return google.fake.message_info(delivered).thread_id

    # Gmail threads a reply only when its subject still matches the outreach's.
    same = reply("ivan@acme.example", 1, "<r1@acme>", "Re: Our interview on Thursday",
                 In_Reply_To=OUTREACH_ID, References=OUTREACH_ID)  # fmt: skip
    other = reply("rita@acme.example", 2, "<r2@acme>", "Scheduling", In_Reply_To=OUTREACH_ID)
    reply("rita@acme.example", 3, "<r3@acme>", "Unrelated")
    assert same == sent.thread_id and other != sent.thread_id

    found = google.mailbox.thread_messages(OUTREACH_ID, sent.thread_id, NOW)
    assert [m.message_id for m in found] == [OUTREACH_ID, "<r1@acme>", "<r2@acme>"]
    assert [m.thread_id for m in found] == [sent.thread_id, sent.thread_id, other]
    later = NOW + timedelta(hours=1, minutes=30)
    assert [m.message_id for m in google.mailbox.thread_messages(OUTREACH_ID, None, later)] == [
        "<r2@acme>"
    ]
    assert google.mailbox.thread_messages("<nothing@x>", None, NOW - timedelta(days=1)) == []
    assert found[1].date == NOW + timedelta(hours=1) and found[1].date.tzinfo is UTC


# --- Gmail: draft versions (the draft's message id) -------------------------------------------

DRAFTS = "/gmail/v1/users/me/drafts"


def gmail_requests(google: GoogleHarness) -> list[tuple[str, str, dict[str, list[str]]]]:
    """``(method, path, query)`` of the Gmail requests logged since the last ``clear_log``."""
    return [
        (r.method, r.path, {k: v for k, v in r.query.items() if k != "alt"})
        for r in google.fake.requests
        if r.path.startswith("/gmail/")
    ]


def test_google_a_drafts_version_is_its_current_message_id(google: GoogleHarness) -> None:
    original = draft()
    ref = google.mailbox.create_draft(original)
    assert ref.version is not None
    assert ref.version == google.fake.draft_message_id(ref.draft_id)
    found = google.mailbox.find_draft(original.message_id)
    assert found == ref

    updated = google.mailbox.update_draft(
        ref, draft("Dear Ivan, again."), original.content.fingerprint
    )
    assert updated.draft_id == ref.draft_id and updated.version != ref.version
    assert updated.version == google.fake.draft_message_id(ref.draft_id)
    assert google.mailbox.find_draft(original.message_id) == updated
    # The ref of before the update names a version that no longer exists.
    assert google.mailbox.check_draft(ref, original.content.fingerprint) is DraftCheck.EDITED

    edited = google.fake.user_edits_draft(ref.draft_id, "My own words.")  # Gmail's editor saves
    assert edited != updated.version
    found = google.mailbox.find_draft(original.message_id)
    assert found is not None and found.version == edited


def test_google_check_draft_with_a_known_version_is_one_minimal_drafts_get(
    google: GoogleHarness,
) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = google.mailbox.create_draft(original)
    google.fake.clear_log()
    sent_before = google.http.requests_sent
    assert google.mailbox.check_draft(ref, fingerprint) is DraftCheck.UNTOUCHED
    assert google.http.requests_sent == sent_before + 1
    assert gmail_requests(google) == [("GET", f"{DRAFTS}/{ref.draft_id}", {"format": ["minimal"]})]

    # Without a version the content decides: the raw message is needed.
    google.fake.clear_log()
    unversioned = dataclasses.replace(ref, version=None)
    assert google.mailbox.check_draft(unversioned, fingerprint) is DraftCheck.UNTOUCHED
    assert gmail_requests(google) == [("GET", f"{DRAFTS}/{ref.draft_id}", {"format": ["raw"]})]

    # Update and delete check right before they write, and do nothing else.
    google.fake.clear_log()
    new_ref = google.mailbox.update_draft(ref, draft("changed"), fingerprint)
    assert [(m, p) for m, p, _ in gmail_requests(google)] == [
        ("GET", f"{DRAFTS}/{ref.draft_id}"),
        ("PUT", f"{DRAFTS}/{ref.draft_id}"),
    ]
    google.fake.clear_log()
    assert google.mailbox.delete_draft(new_ref, "") is DraftRemoval.REMOVED
    assert [(m, p) for m, p, _ in gmail_requests(google)] == [
        ("GET", f"{DRAFTS}/{ref.draft_id}"),
        ("DELETE", f"{DRAFTS}/{ref.draft_id}"),
    ]


def test_google_a_service_side_rewrite_is_not_an_edit(google: GoogleHarness) -> None:
    """Gmail may store a draft anew (header folding, transfer encoding, line wrapping)
    without giving it a new message id: the version decides, not the bytes read back."""
    original = CONTENTS["long lines"]
    fingerprint = original.content.fingerprint
    ref = google.mailbox.create_draft(original)
    before = google.fake.drafts()[ref.draft_id].as_bytes()
    raw = google.service_rewrites_draft(ref)
    assert raw != before and b"Content-Transfer-Encoding: base64" in raw
    assert google.fake.draft_message_id(ref.draft_id) == ref.version

    content = google.mailbox.read_draft(ref)
    assert content is not None and content.body != original.content.body
    assert content.fingerprint != fingerprint  # the body now reads differently …
    assert google.mailbox.check_draft(ref, fingerprint) is DraftCheck.UNTOUCHED  # … yet untouched
    # (The content alone would have taken it for the user's edit.)
    unversioned = dataclasses.replace(ref, version=None)
    assert google.mailbox.check_draft(unversioned, fingerprint) is DraftCheck.EDITED

    updated = draft("Dear Ivan,\n\nSee you on Friday instead.\n\nAda", subject="Friday")
    new_ref = google.mailbox.update_draft(ref, updated, fingerprint)
    content = google.mailbox.read_draft(new_ref)
    assert content is not None and content.fingerprint == updated.content.fingerprint
    google.service_rewrites_draft(new_ref)
    assert google.mailbox.delete_draft(new_ref, "") is DraftRemoval.REMOVED
    assert google.fake.drafts() == {}


def test_google_an_edit_after_our_check_is_neither_overwritten_nor_deleted(
    google: GoogleHarness,
) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = google.mailbox.create_draft(original)
    assert google.mailbox.check_draft(ref, fingerprint) is DraftCheck.UNTOUCHED
    google.user_edits_draft(ref, "Hi Ivan, my own words. Ada")  # after our check
    google.fake.clear_log()

    with pytest.raises(DraftChanged):
        google.mailbox.update_draft(ref, draft("new text"), fingerprint)
    assert google.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.KEPT
    methods = [m for m, _, _ in gmail_requests(google)]
    assert methods == ["GET", "GET"]  # nothing written
    stored = google.fake.drafts()[ref.draft_id]
    assert stored.get_content().strip() == "Hi Ivan, my own words. Ada"
    # The user's edit keeps its content even when the fingerprint alone would decide.
    unversioned = dataclasses.replace(ref, version=None)
    assert google.mailbox.check_draft(unversioned, fingerprint) is DraftCheck.EDITED


def test_google_an_edit_saved_with_unchanged_text_still_counts_as_edited(
    google: GoogleHarness,
) -> None:
    """A new message id is a new version, whatever it says: the version decides."""
    original = draft()
    ref = google.mailbox.create_draft(original)
    google.user_edits_draft(ref, original.content.body)
    content = google.mailbox.read_draft(ref)
    assert content is not None and content.fingerprint == original.content.fingerprint
    assert google.mailbox.check_draft(ref, original.content.fingerprint) is DraftCheck.EDITED
    assert google.mailbox.delete_draft(ref, original.content.fingerprint) is DraftRemoval.KEPT


def test_google_a_draft_gone_between_our_check_and_our_write_is_not_recreated(
    google: GoogleHarness,
) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = google.mailbox.create_draft(original)
    path = f"{DRAFTS}/{ref.draft_id}"
    # The user sends it just after our check, before our drafts.update arrives: 404.
    google.fake.before_next(path, lambda: google.user_sends_draft(ref, NOW), method="PUT")
    with pytest.raises(DraftChanged):
        google.mailbox.update_draft(ref, draft("new text"), fingerprint)
    assert google.fake.drafts() == {}
    assert google.mailbox.find_sent(ref) is not None
    (sent,) = google.fake.messages(label="SENT").values()
    # What was sent is what we had written, not the update.
    assert sent.get_content().replace("\r\n", "\n").strip() == original.content.body

    second = google.mailbox.create_draft(draft(message_id="<outreach-2@example.org>"))
    path = f"{DRAFTS}/{second.draft_id}"
    google.fake.before_next(path, lambda: google.user_deletes_draft(second), method="DELETE")
    assert google.mailbox.delete_draft(second, fingerprint) is DraftRemoval.GONE
    assert google.fake.drafts() == {}


def test_google_drafts_known_by_message_id_alone(google: GoogleHarness) -> None:
    """After the database was lost only the Message-ID is known: no drafts.get with an empty
    id (Gmail would take it for drafts.list); drafts.list and messages.list find them."""
    original = draft()
    fingerprint = original.content.fingerprint
    ref = google.mailbox.create_draft(original)
    bare = DraftRef("", ref.message_id)
    google.fake.clear_log()
    assert google.mailbox.check_draft(bare, fingerprint) is DraftCheck.UNTOUCHED
    versioned = dataclasses.replace(bare, version=ref.version)
    assert google.mailbox.check_draft(versioned, fingerprint) is DraftCheck.UNTOUCHED
    assert google.mailbox.find_sent(bare) is None  # a draft is not sent mail
    assert all(not p.endswith("/drafts/") for _, p, _ in gmail_requests(google))

    google.user_sends_draft(ref, NOW + timedelta(hours=1))
    assert google.mailbox.check_draft(bare, fingerprint) is DraftCheck.GONE
    google.fake.clear_log()
    sent = google.mailbox.find_sent(bare)
    assert sent is not None and sent.message_id == ref.message_id and sent.folder == "sent"
    assert sent.thread_id == ref.thread_id
    assert gmail_requests(google)[0] == (
        "GET",
        "/gmail/v1/users/me/messages",
        {"q": ["rfc822msgid:outreach-1@example.org in:sent"], "maxResults": ["5"]},
    )
    with pytest.raises(DraftChanged):
        google.mailbox.update_draft(bare, draft("new text"), fingerprint)
    assert google.mailbox.delete_draft(bare, fingerprint) is DraftRemoval.GONE


def test_google_a_create_whose_answer_was_lost_is_not_made_twice(google: GoogleHarness) -> None:
    google.fake.lose_next_answer("gmail/v1/users/me/drafts", "POST")
    ref = google.mailbox.create_draft(draft())
    assert list(google.fake.drafts()) == [ref.draft_id]
    assert google.slept  # the failed answer was retried, by looking first
