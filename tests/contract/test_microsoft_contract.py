"""What only the Microsoft provider has: delta links, conversations, immutable ids, createReply.

Run against the fake Microsoft through the product's ``GraphHttp`` (``microsoft_harness``);
the ``microsoft`` fixture fails a test whose provider tried to send mail or write the
calendar, called what Graph lacks, ran more than four requests at once or asked for
mutable ids. Events here get Graph-shaped ids (``AAMkAG…``).
"""

from __future__ import annotations

import dataclasses
import json
import threading
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
from interview_outreach.daemon.errors import CursorExpired, DraftChanged, ProviderError
from interview_outreach.daemon.ports import CalendarChanges, DraftCheck, DraftRemoval
from tests.contract.conftest import LONDON
from tests.contract.microsoft_harness import MicrosoftHarness
from tests.contract.test_calendar_contract import RECRUITER, USER, WINDOW_END, WINDOW_START, event
from tests.contract.test_mailbox_contract import NOW, draft, mail

OUTREACH_ID = "<outreach-1@example.org>"


def listed(microsoft: MicrosoftHarness, cursor: str | None = None) -> CalendarChanges:
    """``calendar.changes`` over the suite's window."""
    changes = microsoft.calendar.changes(cursor, WINDOW_START, WINDOW_END)
    assert changes.problems == ()
    assert changes.cursor is not None
    return changes


def by_id(changes: CalendarChanges) -> dict[str, CalendarEvent]:
    return {e.source_id: e for e in changes.events}


def delta_requests(microsoft: MicrosoftHarness) -> list[dict[str, list[str]]]:
    return [r.query for r in microsoft.fake.requests if r.path == "/v1.0/me/calendarView/delta"]


# --- Calendar: delta links ------------------------------------------------------------------


def test_microsoft_calendar_delta_reports_only_changes_and_removals(
    microsoft: MicrosoftHarness,
) -> None:
    microsoft.put(event("keep@acme", datetime(2025, 3, 20, 10, tzinfo=LONDON)), "AAMkAGkeep")
    microsoft.put(event("move@acme", datetime(2025, 3, 21, 10, tzinfo=LONDON)), "AAMkAGmove")
    microsoft.put(event("drop@acme", datetime(2025, 3, 24, 10, tzinfo=LONDON)), "AAMkAGdrop")
    microsoft.put(event("off@acme", datetime(2025, 3, 25, 10, tzinfo=LONDON)), "AAMkAGoff")
    first = listed(microsoft)
    assert first.complete and first.removed == ()
    assert set(by_id(first)) == {"AAMkAGkeep", "AAMkAGmove", "AAMkAGdrop", "AAMkAGoff"}
    assert by_id(first)["AAMkAGmove"].uid == "move@acme"

    quiet = listed(microsoft, first.cursor)
    assert (quiet.complete, quiet.events, quiet.removed) == (False, (), ())

    moved = datetime(2025, 3, 25, 15, tzinfo=LONDON)
    microsoft.put(event("move@acme", moved, title="Interview (moved)"), "AAMkAGmove")
    microsoft.fake.delete_event("AAMkAGdrop")
    microsoft.put(
        event("off@acme", datetime(2025, 3, 25, 10, tzinfo=LONDON), status=EventStatus.CANCELLED),
        "AAMkAGoff",
    )  # the organizer cancels: the event stays, with isCancelled
    microsoft.put(event("new@acme", datetime(2025, 3, 26, 10, tzinfo=LONDON)), "AAMkAGnew")
    changes = listed(microsoft, quiet.cursor)
    assert not changes.complete
    got = by_id(changes)
    assert set(got) == {"AAMkAGmove", "AAMkAGoff", "AAMkAGnew"}
    assert (got["AAMkAGmove"].start, got["AAMkAGmove"].title) == (moved, "Interview (moved)")
    assert got["AAMkAGoff"].status is EventStatus.CANCELLED
    assert changes.removed == ("AAMkAGdrop",)
    assert listed(microsoft, changes.cursor).events == ()

    first_query, *incremental = delta_requests(microsoft)
    assert set(first_query) == {"startDateTime", "endDateTime"}
    assert first_query["startDateTime"] == ["2025-03-10T00:00:00Z"]
    assert incremental and all(set(q) == {"$deltatoken"} for q in incremental)


def test_microsoft_delta_pages_are_followed(microsoft: MicrosoftHarness) -> None:
    start = datetime(2025, 3, 11, 9, tzinfo=UTC)
    for n in range(57):  # the provider asks for pages of 50
        microsoft.put(event(f"e{n}@acme", start + timedelta(hours=5 * n)), f"AAMkAG{n:03}")
    first = listed(microsoft)
    assert len(by_id(first)) == 57
    pages = delta_requests(microsoft)
    assert len(pages) == 2 and set(pages[1]) == {"$skiptoken"}
    assert listed(microsoft, first.cursor).events == ()


@pytest.mark.parametrize(
    ("status", "code", "location"),
    [(410, "SyncStateNotFound", False), (410, "resyncRequired", True), (400, "syncStateInvalid", False)],
)  # fmt: skip
def test_microsoft_an_expired_delta_link_raises_cursor_expired(
    microsoft: MicrosoftHarness, status: int, code: str, location: bool
) -> None:
    microsoft.put(event("one@acme", datetime(2025, 3, 20, 10, tzinfo=LONDON)), "AAMkAGone")
    first = listed(microsoft)
    microsoft.fake.expire_delta_tokens(status, code, location=location)
    with pytest.raises(CursorExpired):
        microsoft.calendar.changes(first.cursor, WINDOW_START, WINDOW_END)
    again = listed(microsoft)
    assert again.complete and set(by_id(again)) == {"AAMkAGone"}
    assert listed(microsoft, again.cursor).events == ()


def test_microsoft_a_retried_request_does_not_really_sleep(microsoft: MicrosoftHarness) -> None:
    microsoft.fake.fail_next("me/calendarView/delta", 503)
    microsoft.fake.fail_next("me/calendarView/delta", 429, {"Retry-After": "7"})
    assert listed(microsoft).complete
    assert microsoft.slept == [1.0, 7.0]


def test_microsoft_an_expired_token_is_refreshed_once(microsoft: MicrosoftHarness) -> None:
    assert microsoft.mailbox.find_draft("<none@example.org>") is None
    microsoft.fake.expire_access_tokens()
    assert microsoft.mailbox.find_draft("<none@example.org>") is None
    assert microsoft.token_requests == [False, True]


# --- Calendar: what Graph says differently ----------------------------------------------------


def test_microsoft_occurrences_have_graphs_ids_and_the_shared_instance_key(
    microsoft: MicrosoftHarness,
) -> None:
    series = event("series@acme.example", datetime(2025, 3, 3, 10, tzinfo=LONDON))
    ids = microsoft.add_weekly(series, 6, master_id="AAMkAGser")
    first = listed(microsoft)
    got = by_id(first)
    assert sorted(got) == ids[1:]  # the master is not listed, nor the week before the window
    assert sorted(e.instance for e in got.values()) == [
        "2025-03-10T10:00:00Z",
        "2025-03-17T10:00:00Z",
        "2025-03-24T10:00:00Z",
        "2025-03-31T09:00:00Z",
        "2025-04-07T09:00:00Z",
    ]
    assert {e.uid for e in got.values()} == {"series@acme.example"}
    assert all(e.start.astimezone(LONDON).hour == 10 for e in got.values())

    # One occurrence moves (it becomes an exception; its key stays), another is deleted.
    moved_id, deleted_id = "AAMkAGser_occ20250317", "AAMkAGser_occ20250324"
    moved = dataclasses.replace(
        got[moved_id],
        start=datetime(2025, 3, 18, 15, tzinfo=LONDON),
        end=datetime(2025, 3, 18, 16, tzinfo=LONDON),
    )
    microsoft.put(
        moved, moved_id, type="exception", seriesMasterId="AAMkAGser",
        originalStart="2025-03-17T10:00:00Z", originalStartTimeZone="Europe/London",
    )  # fmt: skip
    microsoft.fake.delete_event(deleted_id)
    changes = listed(microsoft, first.cursor)
    assert [(e.source_id, e.instance, e.start) for e in changes.events] == [
        (moved_id, "2025-03-17T10:00:00Z", moved.start)
    ]
    assert changes.events[0].key == got[moved_id].key
    assert changes.removed == (deleted_id,)


def test_microsoft_all_day_occurrences_are_keyed_by_their_dates(
    microsoft: MicrosoftHarness,
) -> None:
    day = datetime(2025, 3, 26, tzinfo=LONDON)  # in London: GMT, then BST from 30 March
    microsoft.add_weekly(event("offsite@acme", day, 24 * 60, all_day=True), 3, "AAMkAGday")
    got = sorted(listed(microsoft).events, key=lambda e: e.start)
    assert [e.instance for e in got] == ["2025-03-26", "2025-04-02", "2025-04-09"]
    assert all(e.all_day and e.start.astimezone(LONDON).hour == 0 for e in got)


def test_microsoft_participants_roles_resources_and_responses(
    microsoft: MicrosoftHarness,
) -> None:
    attendees = (
        Participant("ivan@acme.example", "Ivan, Interviewer", response=Response.TENTATIVE),
        Participant("olga@acme.example", "Olga Optional", required=False),
        Participant(
            "room-4@acme.example",
            "Room 4",
            kind=ParticipantKind.RESOURCE,
            response=Response.ACCEPTED,
        ),
        # Graph has no group type: a group's address reads as a person.
        Participant("eng-team@acme.example", "Engineering", response=Response.DECLINED),
    )
    # Graph usually leaves the user out of the attendees: their answer is responseStatus.
    microsoft.put(
        event(
            "panel@acme",
            datetime(2025, 3, 21, 10, tzinfo=LONDON),
            attendees=attendees,
            user_response=Response.TENTATIVE,
            conference_url="https://teams.microsoft.com/l/meetup-join/19%3ameeting",
        ),
        "AAMkAGpanel",
    )
    got = by_id(listed(microsoft))["AAMkAGpanel"]
    assert got.organizer == RECRUITER  # the organizer counts as accepted, as in iCalendar
    assert got.attendees == attendees
    assert got.user_response is Response.TENTATIVE and not got.user_is_organizer
    assert got.conference_url == "https://teams.microsoft.com/l/meetup-join/19%3ameeting"
    assert got.calendar == "calendar"


def test_microsoft_the_user_organizing_is_isorganizer(microsoft: MicrosoftHarness) -> None:
    candidate = Participant("cand@mail.example", "Carl Candidate")
    microsoft.put(
        event("hiring", datetime(2025, 3, 21, 10, tzinfo=LONDON), organizer=USER,
              attendees=(candidate,), user_response=Response.NEEDS_ACTION),
        "AAMkAGhire",
    )  # fmt: skip
    got = by_id(listed(microsoft))["AAMkAGhire"]
    assert got.user_is_organizer and got.user_response is Response.ACCEPTED
    assert got.organizer == USER


# --- Mail: folder delta -----------------------------------------------------------------------


def test_microsoft_mailbox_changes_follow_the_folder_deltas(microsoft: MicrosoftHarness) -> None:
    fake = microsoft.fake
    fake.deliver("rita@acme.example", "Old news", "Before we started watching.")
    start = microsoft.mailbox.changes(None)
    assert start.threads is None and start.cursor
    assert set(json.loads(start.cursor)) == {"inbox", "sentitems", "drafts"}

    quiet = microsoft.mailbox.changes(start.cursor)
    assert quiet.threads == frozenset() and quiet.cursor

    ref = microsoft.mailbox.create_draft(draft())
    assert ref.thread_id
    drafted = microsoft.mailbox.changes(quiet.cursor)
    assert drafted.threads is not None and {ref.draft_id, ref.thread_id} <= drafted.threads
    assert microsoft.mailbox.changes(drafted.cursor).threads == frozenset()

    # Sent: it leaves Drafts (``@removed``, by its id) and lands in Sent Items.
    microsoft.user_sends_draft(ref, datetime.now(UTC))
    sent = microsoft.mailbox.changes(drafted.cursor)
    assert sent.threads == frozenset({ref.draft_id, ref.thread_id})

    arrived = fake.deliver("Ivan <ivan@acme.example>", "RE: Our interview", "Thanks!",
                           conversation_of=ref.draft_id)  # fmt: skip
    replied = microsoft.mailbox.changes(sent.cursor)
    assert replied.threads == frozenset({str(arrived["id"]), ref.thread_id})

    fake.expire_delta_tokens()
    expired = microsoft.mailbox.changes(replied.cursor)
    assert expired.threads is None and expired.cursor
    assert microsoft.mailbox.changes(expired.cursor).threads == frozenset()


def test_microsoft_an_unreadable_mail_cursor_starts_over(microsoft: MicrosoftHarness) -> None:
    for cursor in ("not json", json.dumps({"inbox": "x"}), "[]"):
        changes = microsoft.mailbox.changes(cursor)
        assert changes.threads is None
        assert microsoft.mailbox.changes(changes.cursor).threads == frozenset()


# --- Mail: immutable ids ----------------------------------------------------------------------


def test_microsoft_the_immutable_id_survives_the_users_send(microsoft: MicrosoftHarness) -> None:
    fake = microsoft.fake
    ref = microsoft.mailbox.create_draft(draft())
    rest_id = fake.message(ref.draft_id)["_restId"]
    assert ref.draft_id != rest_id  # the provider asked for immutable ids
    sent_at = NOW + timedelta(hours=3)
    microsoft.user_sends_draft(ref, sent_at)
    assert fake.message(ref.draft_id)["_restId"] != rest_id  # moving gave a new REST id

    fake.clear_log()
    sent = microsoft.mailbox.find_sent(ref)
    assert sent is not None and (sent.message_id, sent.date) == (OUTREACH_ID, sent_at)
    assert [r.path for r in fake.requests] == [f"/v1.0/me/messages/{ref.draft_id}"]

    # Gone from Drafts, so no longer a draft: never edited or deleted by the provider.
    assert microsoft.mailbox.read_draft(ref) is None
    fingerprint = draft().content.fingerprint
    assert microsoft.mailbox.check_draft(ref, fingerprint) is DraftCheck.GONE
    with pytest.raises(DraftChanged):
        microsoft.mailbox.update_draft(ref, draft("Changed my mind."), fingerprint)
    assert microsoft.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.GONE
    assert [m["id"] for m in fake.sent()] == [ref.draft_id]
    assert fake.count("me/messages", method="PATCH") == fake.count("me/", method="DELETE") == 0


def test_microsoft_a_draft_the_user_deleted_stays_in_deleted_items(
    microsoft: MicrosoftHarness,
) -> None:
    ref = microsoft.mailbox.create_draft(draft())
    microsoft.user_deletes_draft(ref)
    # Already gone: not purged from the user's trash.
    assert microsoft.mailbox.delete_draft(ref, draft().content.fingerprint) is DraftRemoval.GONE
    assert [m["id"] for m in microsoft.fake.deleted()] == [ref.draft_id]
    assert microsoft.mailbox.find_draft(OUTREACH_ID) is None


# --- Mail: versions (changeKey) and If-Match -------------------------------------------------


def if_matches(microsoft: MicrosoftHarness, method: str) -> list[str | None]:
    """The ``If-Match`` of every ``method`` request to a message."""
    return [
        r.header("If-Match")
        for r in microsoft.fake.requests
        if r.method == method and r.path.startswith("/v1.0/me/messages/")
    ]


def test_microsoft_the_version_is_the_changekey(microsoft: MicrosoftHarness) -> None:
    fake = microsoft.fake
    original = draft()
    ref = microsoft.mailbox.create_draft(original)
    assert ref.version and ref.version == fake.message(ref.draft_id)["changeKey"]
    assert microsoft.mailbox.find_draft(OUTREACH_ID) == ref

    new_ref = microsoft.mailbox.update_draft(
        ref, draft("Friday then."), original.content.fingerprint
    )
    assert new_ref.version == fake.message(ref.draft_id)["changeKey"] != ref.version
    assert if_matches(microsoft, "PATCH") == [f'W/"{ref.version}"']
    found = microsoft.mailbox.find_draft(OUTREACH_ID)
    assert found is not None and found.version == new_ref.version
    # The old version is not ours any more, whatever the text says.
    assert microsoft.mailbox.check_draft(ref, original.content.fingerprint) is DraftCheck.EDITED
    assert microsoft.mailbox.check_draft(new_ref, "any") is DraftCheck.UNTOUCHED

    sent = microsoft.mailbox.create_draft(draft(message_id="<sent-1@example.org>"))
    microsoft.user_sends_draft(sent, NOW)
    reply = microsoft.mailbox.create_draft(
        draft(message_id="<followup-1@example.org>", in_reply_to="<sent-1@example.org>")
    )
    assert reply.version and reply.version == fake.message(reply.draft_id)["changeKey"]


def test_microsoft_a_body_exchange_rewrote_is_still_untouched(microsoft: MicrosoftHarness) -> None:
    fake = microsoft.fake
    assert fake.rewrite_text_bodies
    body = "Dear Ivan,  \n\nThank you for the invitation.\n\nBest regards,\nAda\n\n\n"
    original = draft(body)
    ref = microsoft.mailbox.create_draft(original)
    content = microsoft.mailbox.read_draft(ref)
    assert content is not None and content.body != body  # CRLFs, no trailing blanks
    assert (
        content.body
        == "Dear Ivan,\r\n\r\nThank you for the invitation.\r\n\r\nBest regards,\r\nAda\r\n"
    )
    assert fake.message(ref.draft_id)["changeKey"] == ref.version  # not a new version
    assert microsoft.mailbox.check_draft(ref, original.content.fingerprint) is DraftCheck.UNTOUCHED
    # The version decides: not even a fingerprint of the body read back is needed.
    assert microsoft.mailbox.check_draft(ref, "not-the-fingerprint") is DraftCheck.UNTOUCHED
    # Without a version the fingerprint decides, and it does not see the rewrite either.
    unversioned = dataclasses.replace(ref, version=None)
    fingerprint = original.content.fingerprint
    assert microsoft.mailbox.check_draft(unversioned, fingerprint) is DraftCheck.UNTOUCHED
    assert microsoft.mailbox.check_draft(unversioned, "other") is DraftCheck.EDITED
    new_ref = microsoft.mailbox.update_draft(ref, draft("Friday.  \n"), fingerprint)
    assert microsoft.mailbox.delete_draft(new_ref, "whatever") is DraftRemoval.REMOVED


def test_microsoft_a_patch_racing_a_users_edit_is_refused(microsoft: MicrosoftHarness) -> None:
    fake = microsoft.fake
    original = draft()
    ref = microsoft.mailbox.create_draft(original)
    # The user saves an edit in Outlook after the provider checked the draft, before it writes.
    fake.before_next(
        f"me/messages/{ref.draft_id}",
        lambda: fake.user_edits_draft(ref.draft_id, "My own words."),
        method="PATCH",
    )
    with pytest.raises(DraftChanged):
        microsoft.mailbox.update_draft(ref, draft("new text"), original.content.fingerprint)
    assert if_matches(microsoft, "PATCH") == [f'W/"{ref.version}"']  # answered 412
    assert fake.message(ref.draft_id)["body"]["content"].strip() == "My own words."
    assert microsoft.mailbox.check_draft(ref, original.content.fingerprint) is DraftCheck.EDITED


def test_microsoft_a_patch_without_a_known_version_is_guarded_too(
    microsoft: MicrosoftHarness,
) -> None:
    fake = microsoft.fake
    original = draft()
    created = microsoft.mailbox.create_draft(original)
    ref = dataclasses.replace(created, version=None)  # e.g. written before versions were kept
    fake.before_next(
        f"me/messages/{ref.draft_id}",
        lambda: fake.user_edits_draft(ref.draft_id, "My own words."),
        method="PATCH",
    )
    with pytest.raises(DraftChanged):
        microsoft.mailbox.update_draft(ref, draft("new text"), original.content.fingerprint)
    assert if_matches(microsoft, "PATCH") == [f'W/"{created.version}"']
    assert fake.message(ref.draft_id)["body"]["content"].strip() == "My own words."

    again = microsoft.mailbox.find_draft(OUTREACH_ID)
    assert again is not None
    user_fingerprint = microsoft.mailbox.read_draft(again)
    assert user_fingerprint is not None
    updated = microsoft.mailbox.update_draft(
        dataclasses.replace(again, version=None), draft("new text"), user_fingerprint.fingerprint
    )
    assert updated.version == fake.message(ref.draft_id)["changeKey"]


def test_microsoft_a_patch_whose_answer_was_lost_is_taken_as_done(
    microsoft: MicrosoftHarness,
) -> None:
    fake = microsoft.fake
    original, wanted = draft(), draft("Friday then.")
    ref = microsoft.mailbox.create_draft(original)
    # The PATCH landed but its answer was lost: the retry finds the changeKey moved on (412).
    payload = {"body": {"contentType": "Text", "content": "Friday then."}}
    fake.before_next(
        f"me/messages/{ref.draft_id}",
        lambda: fake.mail.update(ref.draft_id, payload, None),
        method="PATCH",
    )
    new_ref = microsoft.mailbox.update_draft(ref, wanted, original.content.fingerprint)
    assert new_ref.version == fake.message(ref.draft_id)["changeKey"] != ref.version
    assert (
        microsoft.mailbox.check_draft(new_ref, wanted.content.fingerprint) is DraftCheck.UNTOUCHED
    )


def test_microsoft_a_delete_racing_a_users_edit_keeps_the_draft(
    microsoft: MicrosoftHarness,
) -> None:
    fake = microsoft.fake
    original = draft()
    ref = microsoft.mailbox.create_draft(original)
    fake.before_next(
        f"me/messages/{ref.draft_id}",
        lambda: fake.user_edits_draft(ref.draft_id, "My own words."),
        method="DELETE",
    )
    assert microsoft.mailbox.delete_draft(ref, original.content.fingerprint) is DraftRemoval.KEPT
    assert if_matches(microsoft, "DELETE") == [f'W/"{ref.version}"']  # answered 412
    assert [d["id"] for d in fake.drafts()] == [ref.draft_id]
    assert fake.deleted() == []


def test_microsoft_a_delete_racing_the_users_discard_never_purges_the_trash(
    microsoft: MicrosoftHarness,
) -> None:
    fake = microsoft.fake
    original = draft()
    ref = microsoft.mailbox.create_draft(original)
    # Discarded between check and DELETE: by id, the DELETE would empty it from the trash.
    fake.before_next(
        f"me/messages/{ref.draft_id}",
        lambda: fake.user_deletes_draft(ref.draft_id),
        method="DELETE",
    )
    assert microsoft.mailbox.delete_draft(ref, original.content.fingerprint) is DraftRemoval.GONE
    assert [m["id"] for m in fake.deleted()] == [ref.draft_id]


def test_microsoft_a_draft_saved_again_under_a_new_id_is_edited(
    microsoft: MicrosoftHarness,
) -> None:
    fake = microsoft.fake
    original = draft()
    fingerprint = original.content.fingerprint
    ref = microsoft.mailbox.create_draft(original)
    # A client (IMAP) saves the user's edit as a new item with the same Message-ID.
    microsoft.http.request(
        "POST", "/me/messages",
        json_body={"subject": "Edited", "internetMessageId": OUTREACH_ID,
                   "body": {"contentType": "Text", "content": "My own words."}},
    )  # fmt: skip
    assert microsoft.mailbox.check_draft(ref, fingerprint) is DraftCheck.EDITED
    assert microsoft.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.KEPT
    microsoft.user_deletes_draft(ref)
    assert microsoft.mailbox.check_draft(ref, fingerprint) is DraftCheck.EDITED
    with pytest.raises(DraftChanged):
        microsoft.mailbox.update_draft(ref, draft("new text"), fingerprint)
    assert microsoft.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.KEPT
    assert [d["subject"] for d in fake.drafts()] == ["Edited"]
    assert fake.count("me/messages", method="PATCH") == fake.count("me/", method="DELETE") == 0


def test_microsoft_a_sent_message_is_found_by_message_id_in_sent_items(
    microsoft: MicrosoftHarness,
) -> None:
    fake = microsoft.fake
    ref = microsoft.mailbox.create_draft(draft())
    lost = DraftRef("", OUTREACH_ID)  # the database was lost: only the Message-ID is known
    fake.clear_log()
    assert microsoft.mailbox.find_sent(lost) is None  # still a draft
    microsoft.user_sends_draft(ref, NOW)
    sent = microsoft.mailbox.find_sent(lost)
    assert sent is not None and (sent.message_id, sent.folder, sent.date) == (
        OUTREACH_ID,
        "sent",
        NOW,
    )
    assert {r.path for r in fake.requests} == {"/v1.0/me/mailFolders/sentitems/messages"}
    assert all(r.param("$filter") == f"internetMessageId eq '{OUTREACH_ID}'" for r in fake.requests)
    assert microsoft.mailbox.find_sent(DraftRef("", "")) is None


# --- Mail: conversations ----------------------------------------------------------------------


def test_microsoft_a_followup_lands_in_the_conversation_of_the_sent_outreach(
    microsoft: MicrosoftHarness,
) -> None:
    fake = microsoft.fake
    ref = microsoft.mailbox.create_draft(draft())
    microsoft.user_sends_draft(ref, NOW)
    sent = microsoft.mailbox.find_sent(ref)
    assert sent is not None and sent.thread_id is not None

    body = "Dear Ivan,\n\nI wanted to follow up on my message.\n\nAda"
    followup = draft(
        body,
        subject="Re: Our interview on Thursday",
        message_id="<followup-1@example.org>",
        in_reply_to=OUTREACH_ID,
        references=(OUTREACH_ID,),
        thread_id=sent.thread_id,
    )
    followup_ref = microsoft.mailbox.create_draft(followup)
    assert fake.count(f"me/messages/{ref.draft_id}/createReply", method="POST") == 1
    assert followup_ref.thread_id == sent.thread_id
    assert followup_ref.message_id == "<followup-1@example.org>"
    stored = fake.message(followup_ref.draft_id)
    assert (stored["_folder"], stored["conversationId"]) == ("drafts", sent.thread_id)
    assert stored["subject"].lower().startswith("re:")
    assert (stored["_inReplyTo"], stored["_references"]) == (OUTREACH_ID, [OUTREACH_ID])
    content = microsoft.mailbox.read_draft(followup_ref)
    assert content is not None and content.fingerprint == followup.content.fingerprint
    # Ours, without Outlook's quote of the outreach (Exchange hands it back with CRLFs).
    assert content.body.replace("\r\n", "\n").strip() == body
    found = microsoft.mailbox.find_draft("<followup-1@example.org>")
    assert found is not None and found.draft_id == followup_ref.draft_id

    reworded = dataclasses.replace(
        followup,
        content=DraftContent(followup.content.to, followup.content.subject, "Dear Ivan, again."),
    )
    updated = microsoft.mailbox.update_draft(followup_ref, reworded, followup.content.fingerprint)
    assert updated.draft_id == followup_ref.draft_id and updated.thread_id == sent.thread_id
    assert updated.version == fake.message(updated.draft_id)["changeKey"] != followup_ref.version

    # The draft is not a message of the conversation; the outreach is.
    found_messages = microsoft.mailbox.thread_messages(OUTREACH_ID, sent.thread_id, NOW)
    assert [(m.message_id, m.folder) for m in found_messages] == [(OUTREACH_ID, "sent")]

    microsoft.user_sends_draft(updated, NOW + timedelta(days=2))
    sent_followup = microsoft.mailbox.find_sent(updated)
    assert sent_followup is not None and sent_followup.thread_id == sent.thread_id
    assert sent_followup.in_reply_to == OUTREACH_ID
    assert sent_followup.references == (OUTREACH_ID,)
    assert sent_followup.subject == "Re: Our interview on Thursday"


def test_microsoft_a_reply_draft_needs_the_sent_message(microsoft: MicrosoftHarness) -> None:
    orphan = draft(message_id="<followup-1@example.org>", in_reply_to="<never-sent@example.org>")
    with pytest.raises(ProviderError):
        microsoft.mailbox.create_draft(orphan)
    assert microsoft.fake.drafts() == []


def test_microsoft_replies_in_the_conversation_or_naming_the_outreach_are_found(
    microsoft: MicrosoftHarness,
) -> None:
    fake = microsoft.fake
    ref = microsoft.mailbox.create_draft(draft())
    microsoft.user_sends_draft(ref, NOW)
    sent = microsoft.mailbox.find_sent(ref)
    assert sent is not None and sent.thread_id is not None

    # Outlook threads a reply by its conversation; one may also only name the outreach.
    fake.deliver("Ivan Petrov <ivan@acme.example>", "RE: Our interview on Thursday", "Yes!",
                 conversation_of=ref.draft_id, internet_message_id="<r1@acme>",
                 at=NOW + timedelta(hours=1))  # fmt: skip
    fake.deliver("rita@acme.example", "Scheduling", "Moved to Friday?",
                 headers={"In-Reply-To": OUTREACH_ID, "References": OUTREACH_ID},
                 internet_message_id="<r2@acme>", at=NOW + timedelta(hours=2))  # fmt: skip
    away = mail("ivan@acme.example", "ada@example.org", NOW + timedelta(hours=3), "<r3@acme>")
    away.replace_header("Subject", "Automatic reply: Our interview on Thursday")
    away["In-Reply-To"] = OUTREACH_ID
    away["Auto-Submitted"] = "auto-replied"
    microsoft.deliver(away)  # In-Reply-To names the outreach: into its conversation
    microsoft.deliver(mail("rita@acme.example", "ada@example.org", NOW, "<unrelated@acme>"))

    found = microsoft.mailbox.thread_messages(OUTREACH_ID, sent.thread_id, NOW)
    assert [m.message_id for m in found] == [OUTREACH_ID, "<r1@acme>", "<r2@acme>", "<r3@acme>"]
    assert [m.thread_id == sent.thread_id for m in found] == [True, True, False, True]
    assert found[1].in_reply_to == OUTREACH_ID and found[2].references == (OUTREACH_ID,)
    assert ("Auto-Submitted", "auto-replied") in found[3].headers
    assert found[1].date == NOW + timedelta(hours=1) and found[1].date.tzinfo is not None
    later = NOW + timedelta(hours=1, minutes=30)
    assert [m.message_id for m in microsoft.mailbox.thread_messages(OUTREACH_ID, None, later)] == [
        "<r2@acme>",
        "<r3@acme>",
    ]
    assert microsoft.mailbox.thread_messages("<nothing@x>", None, NOW - timedelta(days=1)) == []


# --- Throttling ---------------------------------------------------------------------------------


def test_microsoft_at_most_four_requests_run_at_once(microsoft: MicrosoftHarness) -> None:
    microsoft.fake.response_delay = 0.05  # every Graph request takes a while
    errors: list[BaseException] = []

    def work() -> None:
        try:
            microsoft.mailbox.find_draft("<none@example.org>")
            microsoft.calendar.changes(None, WINDOW_START, WINDOW_END)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert microsoft.fake.peak_concurrency == 4  # ... and never throttled for more:
    assert microsoft.slept == []


def test_microsoft_a_create_whose_answer_was_lost_is_not_made_twice(
    microsoft: MicrosoftHarness,
) -> None:
    microsoft.fake.lose_next_answer("me/messages", "POST")
    ref = microsoft.mailbox.create_draft(draft())
    assert [d["id"] for d in microsoft.fake.drafts()] == [ref.draft_id]
    assert ref.version == microsoft.fake.drafts()[0]["changeKey"]
