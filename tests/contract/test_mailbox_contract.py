"""The ``Mailbox`` contract, run against every provider; then local-only behaviour."""

from __future__ import annotations

import email.policy
import email.utils
import os
import shutil
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.domain.mime import build_email, draft_bytes, parse_draft_content
from daemon.domain.model import Address, DraftContent, DraftMessage, DraftRef
from daemon.errors import ProviderError, SourceUnreadable
from providers.local import LocalMailbox
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
    ref = harness.mailbox.create_draft(draft())
    updated = draft("Dear Ivan,\n\nSee you on Friday instead.\n\nAda", subject="Friday")
    new_ref = harness.mailbox.update_draft(ref, updated)
    content = harness.mailbox.read_draft(new_ref)
    assert content is not None and content.fingerprint == updated.content.fingerprint
    found = harness.mailbox.find_draft(updated.message_id)
    assert found is not None and found.draft_id == new_ref.draft_id


def test_updating_a_deleted_draft_fails_instead_of_recreating_it(harness: Harness) -> None:
    ref = harness.mailbox.create_draft(draft())
    harness.user_deletes_draft(ref)
    with pytest.raises(ProviderError):
        harness.mailbox.update_draft(ref, draft("new text"))
    assert harness.mailbox.find_draft(ref.message_id) is None


def test_delete_is_idempotent(harness: Harness) -> None:
    ref = harness.mailbox.create_draft(draft())
    harness.mailbox.delete_draft(ref)
    harness.mailbox.delete_draft(ref)
    assert harness.mailbox.read_draft(ref) is None
    assert harness.mailbox.find_draft(ref.message_id) is None


def test_an_edited_draft_has_another_fingerprint(harness: Harness) -> None:
    original = draft()
    ref = harness.mailbox.create_draft(original)
    harness.user_edits_draft(ref, "Hi Ivan, quick note from me. Ada")
    content = harness.mailbox.read_draft(ref)
    assert content is not None
    assert content.body.strip() == "Hi Ivan, quick note from me. Ada"
    assert content.fingerprint != original.content.fingerprint


def test_a_draft_the_user_deleted_reads_as_none(harness: Harness) -> None:
    ref = harness.mailbox.create_draft(draft())
    harness.user_deletes_draft(ref)
    assert harness.mailbox.read_draft(ref) is None
    harness.mailbox.delete_draft(ref)


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
    new_ref = local.mailbox.update_draft(ref, draft("changed"))
    assert [p.name for p in drafts_files(local)] == [f"{new_ref.draft_id}:2,DS"]


def test_a_draft_saved_under_a_new_name_is_found_by_message_id(local: LocalHarness) -> None:
    ref = local.mailbox.create_draft(draft())
    (path,) = drafts_files(local)
    shutil.move(path, path.parent.parent / "new" / "1742288400.client-rewrite.host")
    content = local.mailbox.read_draft(ref)
    assert content is not None and content.fingerprint == draft().content.fingerprint
    local.mailbox.delete_draft(ref)
    assert drafts_files(local) == []


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
