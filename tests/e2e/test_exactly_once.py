"""Never twice, never the user's work lost: a lost database, copies of a draft, leases.

Through the CLI on a real vdir + Maildir + SQLite with an injected clock. Concurrent
processes and killed ones are in test_concurrency.py and test_crash_points.py.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

from interview_outreach.daemon.store.records import Claimant
from interview_outreach.daemon.store.repository import Store
from tests.e2e.conftest import World
from tests.e2e.test_lifecycle import (
    START,
    WINDOW_OPENS,
    body_of,
    interview,
    only,
    send_outreach,
)


def database(world: World) -> Store:
    return Store(f"sqlite:///{world.root / 'state.db'}")


def lose_the_database(world: World) -> None:
    for suffix in ("", "-wal", "-shm"):
        (world.root / f"state.db{suffix}").unlink(missing_ok=True)


def message_ids(world: World) -> list[str]:
    return sorted(str(m["Message-ID"]) for m in world.drafts())


def test_a_lost_database_drafts_nothing_already_drafted(world: World) -> None:
    interview(world)
    assert world.run("once", at=WINDOW_OPENS).code == 0
    before = message_ids(world)
    assert len(before) == 1
    lose_the_database(world)
    result = world.run("once", at=WINDOW_OPENS + timedelta(hours=2))
    assert result.code == 0, result.err
    assert message_ids(world) == before
    outreach = only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]
    assert outreach["state"] == "drafted"
    with database(world) as store:
        assert [(e.operation, e.message_id) for e in store.audit()] == [("adopt_draft", before[0])]
    # Adopted as the untouched draft it is: a reschedule still updates it in place.
    world.add_event(
        "acme-1", "Acme – Technical interview (Senior Backend Engineer)", START + timedelta(hours=2)
    )
    world.run("once", at=WINDOW_OPENS + timedelta(hours=3))
    assert message_ids(world) == before
    (draft,) = world.drafts()
    assert "16:00 GMT" in body_of(draft)


def test_a_lost_database_redrafts_nothing_already_sent(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    sent_id = send_outreach(world)
    lose_the_database(world)
    world.run("once", at=WINDOW_OPENS + timedelta(hours=2))
    assert world.draft_paths() == []
    actions = only(world.status(at=WINDOW_OPENS))["actions"]
    assert actions["outreach"]["state"] == "sent"
    # The follow-up is planned from the sent note, 24 h later, in its thread.
    assert actions["followup"]["state"] == "planned"
    world.run("once", at=WINDOW_OPENS + timedelta(hours=25))
    (followup,) = world.drafts()
    assert followup["In-Reply-To"] == sent_id
    with database(world) as store:
        operations = [e.operation for e in store.audit()]
    assert operations.count("found_sent") + operations.count("create_draft") <= 2


def test_a_lost_database_after_the_window_closed_still_finds_the_sent_note(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    send_outreach(world)
    lose_the_database(world)
    # Found again only after the outreach window closed: sent, not too_late.
    late = START - timedelta(hours=20)
    world.run("once", at=late)
    actions = only(world.status(at=late))["actions"]
    assert actions["outreach"]["state"] == "sent"
    assert actions["followup"]["reason"] != "not_sent"


def test_a_lost_database_keeps_the_users_edit_of_a_found_draft(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    path.write_text(path.read_text().replace("Hi Jane,", "Hello Jane,"))
    lose_the_database(world)
    interview(world, status="CANCELLED")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert len(world.draft_paths()) == 1  # the user's words stay
    outreach = only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]
    assert (outreach["state"], outreach["reason"]) == ("cancelled", "edited_kept")


def test_an_edited_copy_with_the_same_message_id_is_never_deleted(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    # A mail client saves the edit as a new file and keeps the original, same Message-ID.
    copy = path.parent / "1796547600.M1P1.client:2,DS"
    copy.write_text(path.read_text().replace("Hi Jane,", "Hello Jane,"))
    interview(world, status="CANCELLED")
    result = world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert result.code == 0, result.err
    assert copy.exists() and "Hello Jane" in copy.read_text()
    outreach = only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]
    assert (outreach["state"], outreach["reason"]) == ("cancelled", "edited_kept")
    explained = world.run("explain", only(world.status(at=WINDOW_OPENS))["id"], at=WINDOW_OPENS)
    assert "left in your mailbox" in explained.out


def test_the_message_id_is_derived_from_the_invitation(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (first,) = message_ids(world)
    (world.root / "elsewhere").mkdir()
    other = World(world.root / "elsewhere", world.capsys)
    interview(other)
    other.run("once", at=WINDOW_OPENS)
    assert message_ids(other) == [first]  # another machine, another database: the same
    assert first.endswith("@example.org>") and first.startswith("<io.outreach.")


def test_an_account_another_process_works_on_is_passed_over(world: World) -> None:
    interview(world)
    with database(world) as store:
        held = store.acquire_lease(
            "home", Claimant("build-box", 4242, "f" * 32), WINDOW_OPENS, timedelta(minutes=5),
            lambda pid: True,
        )  # fmt: skip
    assert held is not None
    result = world.run("once", at=WINDOW_OPENS + timedelta(minutes=1))
    assert result.code == 0, result.err
    assert "home: passed over: another interview-outreach process is working on it" in result.out
    assert "pid 4242 on build-box since 09:00:00" in result.out
    assert world.draft_paths() == []
    accounts = world.run("accounts", at=WINDOW_OPENS + timedelta(minutes=1))
    assert "in use by: pid 4242 on build-box since 09:00:00" in accounts.out
    # Its holder never came back: once the lease expires, the account is served.
    later = world.run("once", at=WINDOW_OPENS + timedelta(minutes=6))
    assert "passed over" not in later.out
    assert len(world.draft_paths()) == 1


def test_a_draft_moved_to_trash_counts_as_deleted(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    trash = world.maildir / ".Trash" / "cur"
    trash.mkdir(parents=True)
    shutil.move(path, trash / path.name)
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    outreach = only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]
    assert outreach["state"] == "dismissed"
    world.run("once", at=WINDOW_OPENS + timedelta(hours=2))
    assert world.draft_paths() == []


def test_a_lost_database_reads_the_reply_before_any_followup(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    message_id = send_outreach(world)
    (world.maildir / "new" / "reply.eml").write_text(
        "From: Jane Doe <jane.doe@acme.com>\nTo: ada.lovelace@example.org\n"
        f"Subject: Re: our interview\nIn-Reply-To: {message_id}\n"
        "Date: Mon, 07 Dec 2026 15:00:00 +0000\nMessage-ID: <r1@acme.com>\n\nSee you then!\n"
    )
    lose_the_database(world)
    # The first pass with the new database is past the follow-up's due time.
    world.run("once", at=WINDOW_OPENS + timedelta(hours=25))
    assert world.draft_paths() == []
    followup = only(world.status(at=WINDOW_OPENS))["actions"]["followup"]
    assert (followup["state"], followup["reason"]) == ("skipped", "replied")


# -- a fault is never a fact; a cancelled interview that comes back ------------------------


def test_a_half_written_calendar_file_cancels_nothing(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (draft,) = world.draft_paths()
    path = world.calendar / "acme-1.ics"
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # a sync tool is halfway through writing it
    result = world.run("once", at=WINDOW_OPENS + timedelta(minutes=5))
    assert "skipped:" in result.err
    assert world.draft_paths() == [draft]
    item = only(world.status(at=WINDOW_OPENS))
    assert item["skip_reason"] is None
    assert item["actions"]["outreach"]["state"] == "drafted"
    path.write_bytes(whole)
    world.run("once", at=WINDOW_OPENS + timedelta(minutes=10))
    assert world.draft_paths() == [draft]
    assert only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]["state"] == "drafted"


def test_a_cancelled_interview_that_comes_back_is_drafted_again(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (first,) = message_ids(world)
    interview(world, status="CANCELLED")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    assert world.draft_paths() == []
    assert only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]["state"] == "cancelled"
    interview(world)  # re-confirmed
    world.run("once", at=WINDOW_OPENS + timedelta(hours=2))
    item = only(world.status(at=WINDOW_OPENS))
    assert item["skip_reason"] is None
    assert item["actions"]["outreach"]["state"] == "drafted"
    assert message_ids(world) == [first]  # the same action, the same Message-ID


def test_an_interview_removed_and_added_back_keeps_the_users_edited_draft(world: World) -> None:
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    (path,) = world.draft_paths()
    path.write_text(path.read_text().replace("Hi Jane,", "Hello Jane,"))
    saved = (world.calendar / "acme-1.ics").read_bytes()
    world.remove_event("acme-1")
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    outreach = only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]
    assert (outreach["state"], outreach["reason"]) == ("cancelled", "edited_kept")
    (world.calendar / "acme-1.ics").write_bytes(saved)
    world.run("once", at=WINDOW_OPENS + timedelta(hours=2))
    (kept,) = world.draft_paths()
    assert "Hello Jane" in kept.read_text()  # found again as the user's, not redrafted
    outreach = only(world.status(at=WINDOW_OPENS))["actions"]["outreach"]
    assert outreach["state"] == "drafted"
