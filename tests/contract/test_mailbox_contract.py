"""The ``Mailbox`` contract, run against every provider; then local-only behaviour."""

from __future__ import annotations

import email.policy
import email.utils
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import interview_outreach.providers.local.mailbox as local_mailbox
from interview_outreach.daemon.domain.mime import build_email, draft_bytes, parse_draft_content
from interview_outreach.daemon.domain.model import Address, DraftContent, DraftMessage, DraftRef
from interview_outreach.daemon.errors import DraftChanged, ProviderError, SourceUnreadable
from interview_outreach.daemon.ports import DraftCheck, DraftRemoval
from interview_outreach.providers.local.mailbox import LocalMailbox
from tests.contract.harness import Harness, LocalHarness

NOW = datetime(2025, 3, 18, 9, 0, tzinfo=UTC)
ADA = Address("ada@example.org", "Ada Lovelace")
IVAN = Address("ivan@acme.example", "Ivan Petrov")


def draft(
    body: str = "Dear Ivan,\n\nThank you for the invitation.\n\nBest regards,\nAda",
    *,
    to: tuple[Address, ...] = (IVAN,),
    subject: str = "Our interview on Thursday",
    message_id: str = "<outreach-1@example.org>",
    **headers: object,
) -> DraftMessage:
    content = DraftContent(to=to, subject=subject, body=body)
    return DraftMessage(content, ADA, message_id, NOW, **headers)  # type: ignore[arg-type]


def mail(sender: str, to: str, at: datetime, message_id: str, cc: str = "") -> EmailMessage:
    message = EmailMessage(policy=email.policy.default)
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = "Re: interview"
    message["Date"] = email.utils.format_datetime(at)
    message["Message-ID"] = message_id
    message.set_content("Looking forward to it.")
    return message


CONTENTS = {
    "plain": draft(),
    "non-ascii": draft(
        "Sehr geehrter Herr Groß,\n\nvielen Dank für die Einladung — ich freue mich. 日本語\n",
        to=(Address("jurgen@acme.example", "Jürgen Groß"),),
        subject="Vorstellungsgespräch am Donnerstag – Entwickler:in (m/w/d)",
    ),
    "long lines": draft("word " * 400 + "\n\n" + "x" * 1200 + "\n  indented line  \n"),
    "names with commas and quotes": draft(
        to=(
            Address("ivan@acme.example", 'Petrov, Ivan "Vanya"'),
            Address("o.brien@acme.example", "O'Brien, Siobhán"),
        ),
        subject='Re: "Senior Engineer", Platform; team = core',
    ),
}


@pytest.mark.parametrize("name", list(CONTENTS))
def test_a_draft_reads_back_with_the_same_fingerprint(harness: Harness, name: str) -> None:
    original = CONTENTS[name]
    ref = harness.mailbox.create_draft(original)
    assert ref.message_id == original.message_id
    content = harness.mailbox.read_draft(ref)
    assert content is not None
    assert content.fingerprint == original.content.fingerprint
    assert [a.email for a in content.to] == [a.email for a in original.content.to]
    assert content.subject == original.content.subject


def test_the_address_is_lower_case(harness: Harness) -> None:
    assert harness.mailbox.address() == "ada@example.org"


def test_find_draft_by_message_id(harness: Harness) -> None:
    ref = harness.mailbox.create_draft(draft())
    harness.mailbox.create_draft(draft(message_id="<other@example.org>"))
    found = harness.mailbox.find_draft("<outreach-1@example.org>")
    assert found is not None and found.draft_id == ref.draft_id
    assert harness.mailbox.find_draft("<unknown@example.org>") is None


def test_update_replaces_what_the_draft_says(harness: Harness) -> None:
    original = draft()
    ref = harness.mailbox.create_draft(original)
    updated = draft("Dear Ivan,\n\nSee you on Friday instead.\n\nAda", subject="Friday")
    new_ref = harness.mailbox.update_draft(ref, updated, original.content.fingerprint)
    content = harness.mailbox.read_draft(new_ref)
    assert content is not None and content.fingerprint == updated.content.fingerprint
    found = harness.mailbox.find_draft(updated.message_id)
    assert found is not None and found.draft_id == new_ref.draft_id
    fingerprint = updated.content.fingerprint
    assert harness.mailbox.check_draft(new_ref, fingerprint) is DraftCheck.UNTOUCHED
    assert harness.mailbox.check_draft(found, fingerprint) is DraftCheck.UNTOUCHED


def test_updating_a_deleted_draft_fails_instead_of_recreating_it(harness: Harness) -> None:
    original = draft()
    ref = harness.mailbox.create_draft(original)
    harness.user_deletes_draft(ref)
    with pytest.raises(DraftChanged):
        harness.mailbox.update_draft(ref, draft("new text"), original.content.fingerprint)
    assert harness.mailbox.find_draft(ref.message_id) is None


def test_an_edited_draft_is_never_overwritten(harness: Harness) -> None:
    original = draft()
    ref = harness.mailbox.create_draft(original)
    harness.user_edits_draft(ref, "Hi Ivan, my own words. Ada")
    with pytest.raises(DraftChanged):
        harness.mailbox.update_draft(ref, draft("new text"), original.content.fingerprint)
    content = harness.mailbox.read_draft(ref)
    assert content is not None and content.body.strip() == "Hi Ivan, my own words. Ada"


def test_delete_removes_the_untouched_draft_once(harness: Harness) -> None:
    original = draft()
    ref = harness.mailbox.create_draft(original)
    fingerprint = original.content.fingerprint
    assert harness.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.REMOVED
    assert harness.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.GONE
    assert harness.mailbox.read_draft(ref) is None
    assert harness.mailbox.find_draft(ref.message_id) is None
    assert harness.mailbox.check_draft(ref, fingerprint) is DraftCheck.GONE


def test_an_edited_draft_is_never_deleted(harness: Harness) -> None:
    original = draft()
    ref = harness.mailbox.create_draft(original)
    harness.user_edits_draft(ref, "Hi Ivan, my own words. Ada")
    assert harness.mailbox.delete_draft(ref, original.content.fingerprint) is DraftRemoval.KEPT
    content = harness.mailbox.read_draft(ref)
    assert content is not None and content.body.strip() == "Hi Ivan, my own words. Ada"


def test_check_draft_tells_untouched_edited_and_gone(harness: Harness) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = harness.mailbox.create_draft(original)
    assert harness.mailbox.check_draft(ref, fingerprint) is DraftCheck.UNTOUCHED
    found = harness.mailbox.find_draft(ref.message_id)
    assert found is not None
    assert harness.mailbox.check_draft(found, fingerprint) is DraftCheck.UNTOUCHED
    harness.user_edits_draft(ref, "Hi Ivan, my own words. Ada")
    assert harness.mailbox.check_draft(ref, fingerprint) is DraftCheck.EDITED
    sent = harness.mailbox.create_draft(draft(message_id="<sent-1@example.org>"))
    harness.user_sends_draft(sent, NOW)
    assert harness.mailbox.check_draft(sent, fingerprint) is DraftCheck.GONE
    deleted = harness.mailbox.create_draft(draft(message_id="<deleted-1@example.org>"))
    harness.user_deletes_draft(deleted)
    assert harness.mailbox.check_draft(deleted, fingerprint) is DraftCheck.GONE


def test_a_sent_message_is_found_by_its_message_id_alone(harness: Harness) -> None:
    ref = harness.mailbox.create_draft(draft())
    assert harness.mailbox.find_sent(DraftRef("", ref.message_id)) is None
    harness.user_sends_draft(ref, NOW + timedelta(hours=1))
    sent = harness.mailbox.find_sent(DraftRef("", ref.message_id))
    assert sent is not None and sent.message_id == ref.message_id and sent.folder == "sent"


def test_an_edited_draft_has_another_fingerprint(harness: Harness) -> None:
    original = draft()
    ref = harness.mailbox.create_draft(original)
    harness.user_edits_draft(ref, "Hi Ivan, quick note from me. Ada")
    content = harness.mailbox.read_draft(ref)
    assert content is not None
    assert content.body.strip() == "Hi Ivan, quick note from me. Ada"
    assert content.fingerprint != original.content.fingerprint


def test_a_draft_the_user_deleted_reads_as_none(harness: Harness) -> None:
    original = draft()
    ref = harness.mailbox.create_draft(original)
    harness.user_deletes_draft(ref)
    assert harness.mailbox.read_draft(ref) is None
    assert harness.mailbox.delete_draft(ref, original.content.fingerprint) is DraftRemoval.GONE


def test_a_sent_draft_is_found_in_sent_mail(harness: Harness) -> None:
    ref = harness.mailbox.create_draft(draft())
    assert harness.mailbox.find_sent(ref) is None
    sent_at = NOW + timedelta(hours=3)
    harness.user_sends_draft(ref, sent_at)
    sent = harness.mailbox.find_sent(ref)
    assert sent is not None
    assert (sent.message_id, sent.folder, sent.date) == (ref.message_id, "sent", sent_at)
    assert sent.sender == "ada@example.org" and sent.recipients == ("ivan@acme.example",)
    assert harness.mailbox.read_draft(ref) is None
    assert harness.mailbox.find_draft(ref.message_id) is None


def test_thread_headers_are_kept(harness: Harness) -> None:
    followup = draft(
        message_id="<followup-1@example.org>",
        in_reply_to="<outreach-1@example.org>",
        references=("<invite@acme.example>", "<outreach-1@example.org>"),
        subject="Re: Our interview on Thursday",
    )
    ref = harness.mailbox.create_draft(followup)
    harness.user_sends_draft(ref, NOW)
    sent = harness.mailbox.find_sent(ref)
    assert sent is not None
    assert sent.in_reply_to == "<outreach-1@example.org>"
    assert sent.references == ("<invite@acme.example>", "<outreach-1@example.org>")


def test_the_headers_of_a_draft(harness: Harness) -> None:
    ref = harness.mailbox.create_draft(draft())
    harness.user_sends_draft(ref, NOW)
    sent = harness.mailbox.find_sent(ref)
    assert sent is not None
    headers = {name.lower(): value for name, value in sent.headers}
    assert headers["from"] == "Ada Lovelace <ada@example.org>"
    assert headers["to"] == "Ivan Petrov <ivan@acme.example>"
    assert headers["subject"] == "Our interview on Thursday"
    assert headers["message-id"] == "<outreach-1@example.org>"
    assert headers["mime-version"] == "1.0"
    assert headers["content-type"].replace('"', "") == "text/plain; charset=utf-8"
    assert "bcc" not in headers and sent.content_type == "text/plain"


def test_line_breaks_in_subject_or_names_cannot_inject_headers(harness: Harness) -> None:
    evil = draft(
        to=(Address("ivan@acme.example", "Ivan\r\nBcc: spy@evil.example"),),
        subject="Interview\r\nBcc: spy@evil.example\nX-Evil: 1",
    )
    ref = harness.mailbox.create_draft(evil)
    content = harness.mailbox.read_draft(ref)
    assert content is not None and content.fingerprint == evil.content.fingerprint
    harness.user_sends_draft(ref, NOW)
    sent = harness.mailbox.find_sent(ref)
    assert sent is not None
    names = {name.lower() for name, _ in sent.headers}
    assert "bcc" not in names and "x-evil" not in names
    assert sent.subject == "Interview Bcc: spy@evil.example X-Evil: 1"
    assert sent.recipients == ("ivan@acme.example",)


def test_messages_with_filters_by_address_and_date(harness: Harness) -> None:
    since = datetime(2025, 3, 1, tzinfo=UTC)
    harness.deliver(mail("Ivan <IVAN@acme.example>", "ada@example.org", since, "<a@acme>"))
    harness.deliver(
        mail("rita@acme.example", "ada@example.org", since, "<b@acme>", cc="ivan@acme.example")
    )
    harness.deliver(
        mail("ivan@acme.example", "ada@example.org", since - timedelta(seconds=1), "<old@acme>")
    )
    harness.deliver(mail("other@acme.example", "ada@example.org", since, "<c@acme>"))
    harness.deliver(
        mail("ada@example.org", "ivan@acme.example", since + timedelta(days=1), "<d@example.org>"),
        folder="sent",
    )
    found = harness.mailbox.messages_with("Ivan@Acme.example", since)
    assert sorted((m.message_id, m.folder) for m in found) == [
        ("<a@acme>", "inbox"),
        ("<b@acme>", "inbox"),
        ("<d@example.org>", "sent"),
    ]
    reply = next(m for m in found if m.message_id == "<a@acme>")
    assert reply.sender == "ivan@acme.example" and reply.date == since
    assert reply.recipients == ("ada@example.org",) and reply.content_type == "text/plain"
    assert ("Subject", "Re: interview") in reply.headers


def test_thread_messages_follow_in_reply_to_and_references(harness: Harness) -> None:
    since = datetime(2025, 3, 1, tzinfo=UTC)
    direct = mail("rita@acme.example", "ada@example.org", since, "<r1@acme>")
    direct["In-Reply-To"] = "<root@example.org>"
    deeper = mail("sam@other.example", "ada@example.org", since + timedelta(hours=1), "<r2@acme>")
    deeper["In-Reply-To"] = "<r1@acme>"
    deeper["References"] = "<root@example.org> <r1@acme>"
    early = mail("rita@acme.example", "ada@example.org", since - timedelta(hours=1), "<r0@acme>")
    early["In-Reply-To"] = "<root@example.org>"
    unrelated = mail("rita@acme.example", "ada@example.org", since, "<x@acme>")
    for message in (direct, deeper, early, unrelated):
        harness.deliver(message)
    found = harness.mailbox.thread_messages("<root@example.org>", None, since)
    assert [m.message_id for m in found] == ["<r1@acme>", "<r2@acme>"]
    assert harness.mailbox.thread_messages("<nothing@example.org>", None, since) == []


def test_sent_drafts_count_among_messages_with(harness: Harness) -> None:
    ref = harness.mailbox.create_draft(draft())
    assert harness.mailbox.messages_with("ivan@acme.example", NOW) == []
    harness.user_sends_draft(ref, NOW + timedelta(minutes=5))
    found = harness.mailbox.messages_with("ivan@acme.example", NOW)
    assert [(m.message_id, m.folder) for m in found] == [(ref.message_id, "sent")]


# --- building and parsing messages ---------------------------------------------------------

# Rendered drafts hold no control characters besides line feeds. Subjects and names are
# words of natural length (Python's header folder mishandles words longer than a line);
# literal "=?...?=" text is left out, as every mail reader decodes it as an encoded word.
_CHAR = st.characters(blacklist_categories=("Cs", "Cc"))
_SPECIAL = st.sampled_from([",", '"', "'", "\\", "<", ">", "@", ":", ";", "(", ")", "."])
_WORDS = st.lists(st.lists(_CHAR | _SPECIAL, max_size=30).map("".join), max_size=15).map(" ".join)
_BODY = st.lists(_CHAR | _SPECIAL | st.sampled_from(["\n", " ", "From ", "x" * 90])).map("".join)


@given(body=_BODY, subject=_WORDS, name=_WORDS)
def test_any_draft_reads_back_with_the_same_fingerprint(body: str, subject: str, name: str) -> None:
    original = draft(body, subject=subject, to=(Address("ivan@acme.example", name),))
    stored = email.message_from_bytes(draft_bytes(original), policy=email.policy.compat32)
    content = parse_draft_content(stored)
    assert content.fingerprint == original.content.fingerprint
    assert [a.email for a in content.to] == ["ivan@acme.example"]


def test_serialised_drafts_keep_to_the_line_limits() -> None:
    raw = draft_bytes(draft("Grüße " * 300, subject="Vorstellungsgespräch " * 20))
    head, _, body = raw.partition(b"\n\n")
    assert b"Bcc" not in head
    assert all(len(line) <= 998 for line in head.splitlines())
    assert all(len(line) <= 78 for line in body.splitlines())


def test_build_email_sets_the_headers() -> None:
    message = build_email(draft(in_reply_to="<a@x>", references=("<a@x>",)))
    assert message["From"] == "Ada Lovelace <ada@example.org>"
    assert message["Date"] == "Tue, 18 Mar 2025 09:00:00 +0000"
    assert (message["In-Reply-To"], message["References"]) == ("<a@x>", "<a@x>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"


# --- local provider only -------------------------------------------------------------------


def drafts_files(local: LocalHarness) -> list[Path]:
    return sorted((local.maildir / ".Drafts").glob("*/*"))


def test_drafts_are_written_to_drafts_cur_with_the_draft_flag(local: LocalHarness) -> None:
    ref = local.mailbox.create_draft(draft())
    (path,) = drafts_files(local)
    assert path.parent.name == "cur"
    assert path.name == f"{ref.draft_id}:2,D"
    assert not list((local.maildir / ".Drafts" / "tmp").iterdir())
    assert (local.maildir / ".Drafts" / "maildirfolder").is_file()


def test_a_draft_renamed_by_a_flag_change_is_still_found(local: LocalHarness) -> None:
    ref = local.mailbox.create_draft(draft())
    (path,) = drafts_files(local)
    path.rename(path.with_name(f"{ref.draft_id}:2,DS"))
    assert local.mailbox.read_draft(ref) is not None
    new_ref = local.mailbox.update_draft(ref, draft("changed"), draft().content.fingerprint)
    assert [p.name for p in drafts_files(local)] == [f"{new_ref.draft_id}:2,DS"]


def test_a_draft_saved_under_a_new_name_is_found_by_message_id(local: LocalHarness) -> None:
    ref = local.mailbox.create_draft(draft())
    (path,) = drafts_files(local)
    shutil.move(path, path.parent.parent / "new" / "1742288400.client-rewrite.host")
    content = local.mailbox.read_draft(ref)
    assert content is not None and content.fingerprint == draft().content.fingerprint
    # Not the exact file that was written: left alone, and the action keeps it.
    assert local.mailbox.delete_draft(ref, draft().content.fingerprint) is DraftRemoval.KEPT
    assert len(drafts_files(local)) == 1


def test_a_trashed_draft_counts_as_gone(local: LocalHarness) -> None:
    ref = local.mailbox.create_draft(draft())
    (path,) = drafts_files(local)
    path.rename(path.with_name(f"{ref.draft_id}:2,DT"))
    assert local.mailbox.read_draft(ref) is None
    assert local.mailbox.find_draft(ref.message_id) is None


def test_a_missing_maildir_root_raises(tmp_path: Path) -> None:
    mailbox = LocalMailbox("ada@example.org", tmp_path / "no-such-maildir")
    with pytest.raises(SourceUnreadable, match="does not exist"):
        mailbox.create_draft(draft())
    with pytest.raises(SourceUnreadable):
        mailbox.messages_with("ivan@acme.example", NOW)
    assert not (tmp_path / "no-such-maildir").exists()


def test_custom_drafts_and_sent_folders(local: LocalHarness, tmp_path: Path) -> None:
    drafts, sent = tmp_path / "elsewhere" / "Drafts", tmp_path / "elsewhere" / "Sent"
    mailbox = LocalMailbox("Ada@Example.org", local.maildir, drafts=drafts, sent=sent)
    ref = mailbox.create_draft(draft())
    assert (drafts / "cur" / f"{ref.draft_id}:2,D").is_file()
    assert not sent.exists()
    assert mailbox.messages_with("ivan@acme.example", NOW) == []
    assert (sent / "new").is_dir()


def test_received_mail_in_other_folders_counts_but_not_trash_or_junk(
    local: LocalHarness,
) -> None:
    since = datetime(2025, 3, 1, tzinfo=UTC)
    local.deliver(
        mail("ivan@acme.example", "ada@example.org", since, "<archived@acme>"),
        folder="Archive.2025",
    )
    local.deliver(
        mail("ivan@acme.example", "ada@example.org", since, "<trash@acme>"), folder="Trash"
    )
    local.deliver(mail("ivan@acme.example", "ada@example.org", since, "<junk@acme>"), folder="Junk")
    local.deliver(mail("ivan@acme.example", "ada@example.org", since, "<a@acme>"))
    local.deliver(mail("ivan@acme.example", "ada@example.org", since, "<a@acme>"), folder="Archive")
    found = local.mailbox.messages_with("ivan@acme.example", since)
    assert sorted(m.message_id for m in found) == ["<a@acme>", "<archived@acme>"]


def test_a_message_without_date_falls_back_to_the_file_time(local: LocalHarness) -> None:
    message = mail("ivan@acme.example", "ada@example.org", NOW, "<undated@acme>")
    del message["Date"]
    local.deliver(message)
    (path,) = (local.maildir / "new").iterdir()
    os.utime(path, (NOW.timestamp(), NOW.timestamp()))
    (found,) = local.mailbox.messages_with("ivan@acme.example", NOW)
    assert found.date == NOW and found.date.tzinfo is not None


def test_references_are_read_whatever_the_folding(local: LocalHarness) -> None:
    ref = local.mailbox.create_draft(draft(references=tuple(f"<r{i}@x>" for i in range(40))))
    local.user_sends_draft(ref, NOW)
    sent = local.mailbox.find_sent(DraftRef(ref.draft_id, ref.message_id))
    assert sent is not None and len(sent.references) == 40


# --- local provider only: the exact draft written, atomic updates, private files ------------


def rewrite_in_place(path: Path, body: str) -> None:
    """A mail client saves the draft at ``path`` under the very same file name."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message.set_content(body, charset="utf-8")
    temp = path.parent.parent / "tmp" / "client-save"
    temp.write_bytes(message.as_bytes())
    temp.replace(path)


def temp_files(local: LocalHarness) -> list[Path]:
    tmp = local.maildir / ".Drafts" / "tmp"
    return sorted(tmp.iterdir()) if tmp.is_dir() else []


def test_an_edited_copy_survives_delete_while_the_untouched_original_goes(
    local: LocalHarness,
) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = local.mailbox.create_draft(original)
    (ours,) = drafts_files(local)
    written = ours.read_bytes()
    copy = local.user_saves_copy(ref, "Hi Ivan, my own words. Ada")
    assert sorted(drafts_files(local)) == sorted([ours, copy])
    assert local.mailbox.check_draft(ref, fingerprint) is DraftCheck.EDITED
    content = local.mailbox.read_draft(ref)  # the newest copy: what the user saved
    assert content is not None and content.body.strip() == "Hi Ivan, my own words. Ada"
    with pytest.raises(DraftChanged):
        local.mailbox.update_draft(ref, draft("new text"), fingerprint)
    assert sorted(drafts_files(local)) == sorted([ours, copy]) and ours.read_bytes() == written
    # Our own untouched file goes; the user's copy stays, so the draft is kept.
    assert local.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.KEPT
    assert drafts_files(local) == [copy]
    content = local.mailbox.read_draft(ref)
    assert content is not None and content.body.strip() == "Hi Ivan, my own words. Ada"
    assert local.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.KEPT
    assert drafts_files(local) == [copy]
    assert local.mailbox.check_draft(ref, fingerprint) is DraftCheck.EDITED


def test_an_unchanged_copy_under_another_name_is_never_removed(local: LocalHarness) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = local.mailbox.create_draft(original)
    copy = local.user_saves_copy(ref)  # saved again without a change
    assert local.mailbox.check_draft(ref, fingerprint) is DraftCheck.UNTOUCHED
    assert local.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.KEPT
    assert drafts_files(local) == [copy]
    # Only a file under another name is left: it cannot be told from the user's own copy.
    assert local.mailbox.check_draft(ref, fingerprint) is DraftCheck.EDITED


def test_a_draft_rewritten_under_the_same_name_is_edited(local: LocalHarness) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = local.mailbox.create_draft(original)
    (path,) = drafts_files(local)
    rewrite_in_place(path, "Hi Ivan, my own words. Ada")
    edited = path.read_bytes()
    assert local.mailbox.check_draft(ref, fingerprint) is DraftCheck.EDITED
    with pytest.raises(DraftChanged):
        local.mailbox.update_draft(ref, draft("new text"), fingerprint)
    assert local.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.KEPT
    assert drafts_files(local) == [path] and path.read_bytes() == edited
    assert temp_files(local) == []


def test_check_draft_on_the_files_of_a_maildir(local: LocalHarness) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    check = local.mailbox.check_draft
    ref = local.mailbox.create_draft(original)
    (path,) = drafts_files(local)
    assert check(ref, fingerprint) is DraftCheck.UNTOUCHED
    assert check(ref, draft("other words").content.fingerprint) is DraftCheck.EDITED
    assert check(DraftRef(ref.draft_id, ""), fingerprint) is DraftCheck.UNTOUCHED
    assert check(DraftRef("", ref.message_id), fingerprint) is DraftCheck.EDITED  # not provable
    assert check(DraftRef("1.unknown.host", "<unknown@example.org>"), fingerprint) is (
        DraftCheck.GONE
    )
    path = path.rename(path.with_name(f"{ref.draft_id}:2,DS"))  # a flag change
    assert check(ref, fingerprint) is DraftCheck.UNTOUCHED
    path = path.rename(path.parent.parent / "new" / ref.draft_id)  # in new/, no flags
    assert check(ref, fingerprint) is DraftCheck.UNTOUCHED
    trashed = path.rename(path.parent.parent / "cur" / f"{ref.draft_id}:2,DT")
    assert check(ref, fingerprint) is DraftCheck.GONE
    assert local.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.GONE
    assert trashed.is_file()  # a trashed draft is the user's, not ours to remove
    trashed.rename(trashed.with_name(f"{ref.draft_id}:2,D"))
    local.user_saves_copy(ref)
    (trashed.parent / f"{ref.draft_id}:2,D").rename(trashed)
    assert check(ref, fingerprint) is DraftCheck.EDITED  # only a copy under another name


def test_an_update_is_one_rename_over_the_same_file(local: LocalHarness) -> None:
    original = draft()
    ref = local.mailbox.create_draft(original)
    (before,) = drafts_files(local)
    updated = draft("Dear Ivan,\n\nFriday instead.\n\nAda")
    new_ref = local.mailbox.update_draft(ref, updated, original.content.fingerprint)
    # Maildir has no threads: a draft's thread is known by its first Message-ID.
    assert new_ref == DraftRef(ref.draft_id, ref.message_id, ref.message_id, None)
    assert drafts_files(local) == [before]
    content = local.mailbox.read_draft(new_ref)
    assert content is not None and content.fingerprint == updated.content.fingerprint
    assert temp_files(local) == []
    fingerprint = updated.content.fingerprint
    assert local.mailbox.check_draft(new_ref, fingerprint) is DraftCheck.UNTOUCHED
    assert local.mailbox.delete_draft(new_ref, fingerprint) is DraftRemoval.REMOVED
    assert drafts_files(local) == []


class _Killed(BaseException):
    """The process dies here."""


def test_a_crash_before_the_rename_leaves_the_old_draft_alone(
    local: LocalHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = local.mailbox.create_draft(original)
    (before,) = drafts_files(local)
    written = before.read_bytes()
    renamed: list[tuple[object, object]] = []

    def crash(source: object, target: object) -> None:
        renamed.append((source, target))
        assert Path(str(source)).parent.name == "tmp" and Path(str(source)).stat().st_size
        raise _Killed

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(_Killed):
        local.mailbox.update_draft(ref, draft("new text"), fingerprint)
    monkeypatch.undo()
    assert renamed and Path(str(renamed[0][1])) == before
    assert drafts_files(local) == [before] and before.read_bytes() == written
    assert local.mailbox.check_draft(ref, fingerprint) is DraftCheck.UNTOUCHED
    local.mailbox.update_draft(ref, draft("new text"), fingerprint)
    assert drafts_files(local) == [before] and before.read_bytes() != written
    assert temp_files(local) == []


def test_a_killed_update_leaves_exactly_one_draft(local: LocalHarness) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = local.mailbox.create_draft(original)
    (before,) = drafts_files(local)
    written = before.read_bytes()
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from daemon.domain.model import DraftRef\n"
        "from providers.local.mailbox import LocalMailbox\n"
        "from tests.contract.test_mailbox_contract import draft\n"
        "os.replace = lambda *_: os.kill(os.getpid(), signal.SIGKILL)\n"
        "mailbox = LocalMailbox('ada@example.org', Path(sys.argv[1]))\n"
        "ref = DraftRef(sys.argv[2], sys.argv[3])\n"
        "mailbox.update_draft(ref, draft('new text'), sys.argv[4])\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script, local.maildir, ref.draft_id, ref.message_id, fingerprint],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    (leftover,) = temp_files(local)  # half-done work, where mail clients never look
    assert sorted(set(drafts_files(local)) - {leftover}) == [before]
    assert before.read_bytes() == written
    local.mailbox.update_draft(ref, draft("new text"), fingerprint)
    assert sorted(set(drafts_files(local)) - {leftover}) == [before]
    assert before.read_bytes() != written


def test_an_update_moves_a_draft_from_new_to_cur_with_the_draft_flag(local: LocalHarness) -> None:
    original = draft()
    ref = local.mailbox.create_draft(original)
    (path,) = drafts_files(local)
    path.rename(path.parent.parent / "new" / ref.draft_id)
    local.mailbox.update_draft(ref, draft("new text"), original.content.fingerprint)
    (path,) = drafts_files(local)
    assert (path.parent.name, path.name) == ("cur", f"{ref.draft_id}:2,D")


def test_draft_files_are_private_whatever_the_umask(local: LocalHarness) -> None:
    original = draft()
    previous = os.umask(0o022)
    try:
        ref = local.mailbox.create_draft(original)
        (path,) = drafts_files(local)
        assert path.stat().st_mode & 0o777 == 0o600
        local.mailbox.update_draft(ref, draft("new text"), original.content.fingerprint)
        (path,) = drafts_files(local)
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(previous)


def test_a_draft_changed_right_after_it_was_read_is_neither_deleted_nor_updated(
    local: LocalHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = draft()
    fingerprint = original.content.fingerprint
    ref = local.mailbox.create_draft(original)
    read = local_mailbox._read_with_stat
    saves = ["Hi Ivan, my own words. Ada"]

    def read_then_the_client_saves(target: Path) -> object:
        result = read(target)
        if saves:
            rewrite_in_place(target, saves.pop())
        return result

    monkeypatch.setattr(local_mailbox, "_read_with_stat", read_then_the_client_saves)
    assert local.mailbox.delete_draft(ref, fingerprint) is DraftRemoval.KEPT
    content = local.mailbox.read_draft(ref)
    assert content is not None and content.body.strip() == "Hi Ivan, my own words. Ada"

    second = local.mailbox.create_draft(draft(message_id="<outreach-2@example.org>"))
    saves.append("Hi Ivan, other words. Ada")
    with pytest.raises(DraftChanged):
        local.mailbox.update_draft(second, draft("new text"), fingerprint)
    content = local.mailbox.read_draft(second)
    assert content is not None and content.body.strip() == "Hi Ivan, other words. Ada"
    assert len(drafts_files(local)) == 2 and temp_files(local) == []


def test_stale_temporary_files_of_a_killed_write_are_swept(local: LocalHarness) -> None:
    tmp = local.maildir / ".Drafts" / "tmp"
    local.mailbox.create_draft(draft())
    old = int(time.time()) - 37 * 3600
    ours_stale = tmp / f"{old}.M000001P1Q0Rdeadbeef.host"
    ours_fresh = tmp / f"{int(time.time())}.M000001P1Q1Rdeadbeef.host"
    foreign = tmp / f"{old}.12345_1.client-host"
    for path in (ours_stale, ours_fresh, foreign):
        path.write_bytes(b"half a message")
    local.mailbox.create_draft(draft(message_id="<outreach-2@example.org>"))
    assert temp_files(local) == sorted([ours_fresh, foreign])


def test_a_sent_message_without_message_id_is_not_found_by_an_empty_one(
    local: LocalHarness,
) -> None:
    message = mail("ada@example.org", "ivan@acme.example", NOW, "<x@example.org>")
    del message["Message-ID"]
    local.deliver(message, folder="sent")
    assert local.mailbox.find_sent(DraftRef("", "")) is None


def test_a_draft_that_cannot_be_written_leaves_nothing_behind(local: LocalHarness) -> None:
    with pytest.raises(ProviderError, match="cannot write draft"):
        local.mailbox.create_draft(draft(to=(Address("not an address", "Ivan"),)))
    assert drafts_files(local) == [] and temp_files(local) == []


def test_only_regular_files_are_read_from_a_maildir(local: LocalHarness, tmp_path: Path) -> None:
    since = datetime(2025, 3, 1, tzinfo=UTC)
    local.deliver(mail("ivan@acme.example", "ada@example.org", since, "<a@acme>"))
    cur = local.maildir / "cur"
    (cur / "1741000000.M1P1.dir:2,S").mkdir()  # a directory where a message should be
    os.mkfifo(cur / "1741000001.M1P1.fifo:2,S")  # reading it would block for ever
    (cur / "1741000002.M1P1.zero:2,S").symlink_to("/dev/zero")  # endless
    outside = tmp_path / "elsewhere.eml"
    outside.write_bytes(bytes(mail("ivan@acme.example", "ada@example.org", since, "<o@x>")))
    (cur / "1741000003.M1P1.out:2,S").symlink_to(outside)  # leaves the folder
    (cur / "1741000004.M1P1.loop:2,S").symlink_to(cur / "1741000004.M1P1.loop:2,S")  # a loop
    found = local.mailbox.messages_with("ivan@acme.example", since)
    assert [m.message_id for m in found] == ["<a@acme>"]
