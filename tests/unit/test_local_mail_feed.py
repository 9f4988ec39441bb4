"""The Maildir change feed: quiet when nothing changed, the draft's key when a draft did,
"anything may have changed" when mail arrived or left, and never a fact from a fault.

Folder times are set an hour back, as a synced Maildir has them: a folder changed in the
last two seconds is not trusted to be unchanged (see ``mail_feed``).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interview_outreach.daemon.domain.model import Address, DraftContent, DraftMessage
from interview_outreach.daemon.ports import MailChanges
from interview_outreach.providers.local.mailbox import LocalMailbox

ADA = "ada@example.org"


def draft(message_id: str = "<outreach-1@example.org>") -> DraftMessage:
    content = DraftContent(
        to=(Address("ivan@acme.com", "Ivan"),),
        subject="Our interview",
        body="Dear Ivan,\n\nThank you.\n\nAda",
    )
    sender = Address(ADA, "Ada Lovelace")
    return DraftMessage(content, sender, message_id, datetime(2026, 12, 7, 9, tzinfo=UTC))


def settle(maildir: Path) -> None:
    """Every folder's time an hour back."""
    an_hour_ago = time.time() - 3600
    for path in [maildir, *(p for p in maildir.rglob("*") if p.is_dir())]:
        os.utime(path, (an_hour_ago, an_hour_ago))


def deliver(folder: Path, name: str) -> None:
    (folder / "new").mkdir(parents=True, exist_ok=True)
    (folder / "new" / name).write_bytes(
        b"From: ivan@acme.com\r\nTo: ada@example.org\r\nSubject: Re: hi\r\n"
        b"Message-ID: <reply-1@acme.com>\r\n\r\nSee you.\r\n"
    )


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = tmp_path / "Mail"
    for folder in (root, root / ".Sent", root / ".Drafts"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True)
    settle(root)
    return root


def quiet_cursor(mailbox: LocalMailbox) -> MailChanges:
    first = mailbox.changes(None)
    assert first.threads is None and first.cursor
    quiet = mailbox.changes(first.cursor)
    assert quiet.threads == frozenset()
    return quiet


def test_nothing_changed_is_quiet_and_a_new_draft_is_named(maildir: Path) -> None:
    mailbox = LocalMailbox(ADA, maildir)
    start = quiet_cursor(mailbox)
    ref = mailbox.create_draft(draft())
    drafted = mailbox.changes(start.cursor)
    assert drafted.threads == frozenset({ref.draft_id})
    assert mailbox.changes(drafted.cursor).threads == frozenset()


def test_an_edited_renamed_or_removed_draft_is_named(maildir: Path) -> None:
    mailbox = LocalMailbox(ADA, maildir)
    ref = mailbox.create_draft(draft())
    cursor = quiet_cursor(mailbox).cursor
    (path,) = (maildir / ".Drafts" / "cur").iterdir()
    path.write_bytes(path.read_bytes().replace(b"Thank you.", b"Thanks!"))  # edited in place
    edited = mailbox.changes(cursor)
    assert edited.threads == frozenset({ref.draft_id})
    path.rename(path.with_name(path.name + "S"))  # a flag added: the file is renamed
    renamed = mailbox.changes(edited.cursor)
    assert renamed.threads == frozenset({ref.draft_id})
    path.with_name(path.name + "S").unlink()
    assert mailbox.changes(renamed.cursor).threads == frozenset({ref.draft_id})


@pytest.mark.parametrize("folder", ["", ".Sent", ".Archive"])
def test_mail_arriving_or_sent_means_anything_may_have_changed(maildir: Path, folder: str) -> None:
    if folder == ".Archive":
        for sub in ("cur", "new", "tmp"):
            (maildir / folder / sub).mkdir(parents=True)
        settle(maildir)
    mailbox = LocalMailbox(ADA, maildir)
    cursor = quiet_cursor(mailbox).cursor
    deliver(maildir / folder, "1765000000.M1P1.host")
    assert mailbox.changes(cursor).threads is None


def test_a_folder_that_just_changed_is_not_trusted_until_it_has_settled(maildir: Path) -> None:
    mailbox = LocalMailbox(ADA, maildir)
    cursor = quiet_cursor(mailbox).cursor
    deliver(maildir, "1765000000.M1P1.host")
    fresh = mailbox.changes(cursor)
    assert fresh.threads is None
    # Unchanged since, but it had not settled when looked at: still nothing to trust.
    assert mailbox.changes(fresh.cursor).threads is None
    settle(maildir)
    settled = mailbox.changes(mailbox.changes(fresh.cursor).cursor)
    assert settled.threads == frozenset()


@pytest.mark.parametrize("cursor", ["", "{", '{"v": 2}', '{"v": 1, "f": 3}', "null"])
def test_a_cursor_that_cannot_be_read_means_anything_may_have_changed(
    maildir: Path, cursor: str
) -> None:
    assert LocalMailbox(ADA, maildir).changes(cursor).threads is None


def test_a_missing_maildir_means_anything_may_have_changed(tmp_path: Path) -> None:
    mailbox = LocalMailbox(ADA, tmp_path / "nowhere")
    assert mailbox.changes(None) == MailChanges(threads=None)
