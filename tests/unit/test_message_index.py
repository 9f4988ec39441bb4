"""The index of Maildir headers (issue 11): only new or changed files are read, in memory
and in a store (SQLite, PostgreSQL when available), and a fault is never a fact."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import interview_outreach.providers.local.mailbox as local_mailbox
from interview_outreach.daemon.domain.model import DraftRef, MailMessage
from interview_outreach.daemon.errors import SourceUnreadable
from interview_outreach.daemon.ports import FolderChanges, IndexedFile, IndexEntry, MessageIndex
from interview_outreach.daemon.store.repository import Store
from interview_outreach.providers.local.mailbox import LocalMailbox
from interview_outreach.providers.local.message_index import MemoryMessageIndex
from tests.databases import postgres_url

NOW = datetime(2025, 3, 18, 9, 0, tzinfo=UTC)
SINCE = datetime(2025, 3, 1, tzinfo=UTC)
DATE = "Tue, 18 Mar 2025 09:00:00 +0000"
ACCOUNT = "personal"


def raw(
    message_id: str,
    sender: str = "ivan@acme.example",
    to: str = "ada@example.org",
    date: str = DATE,
    *extra: str,
) -> bytes:
    head = [f"From: {sender}", f"To: {to}", f"Date: {date}", f"Message-ID: {message_id}", *extra]
    text = "\n".join(head) + "\n\nHello, a body that is never indexed.\n"
    return text.encode("utf-8", "surrogateescape")


def make_maildir(root: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def deliver(folder: Path, name: str, data: bytes, sub: str = "cur", flags: str = "S") -> Path:
    make_maildir(folder)
    path = folder / sub / (f"{name}:2,{flags}" if sub == "cur" else name)
    path.write_bytes(data)
    return path


class Index:
    """Opens the index of one kind, again and again (a new process, a new pass)."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.url = (
            postgres_url() if kind == "postgresql" else f"sqlite:///{tmp_path / 'db' / 'state.db'}"
        )
        self.memory = MemoryMessageIndex()
        self.stores: list[Store] = []

    def open(self) -> MessageIndex:
        if self.kind == "memory":
            return self.memory
        store = Store(self.url)
        self.stores.append(store)
        return store.message_index(ACCOUNT)

    def close(self) -> None:
        for store in self.stores:
            store.close()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Index]:
    opened = Index(request.param, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every message file whose header is read, in order."""
    seen: list[Path] = []
    original = local_mailbox._read_headers

    def counting(path: Path) -> Any:
        seen.append(path)
        return original(path)

    monkeypatch.setattr(local_mailbox, "_read_headers", counting)
    return seen


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_maildir(tmp_path / "Mail")


def mailbox(root: Path, index: Index) -> LocalMailbox:
    return LocalMailbox("ada@example.org", root, index=index.open())


def ids(messages: list[MailMessage]) -> list[str]:
    return sorted(m.message_id for m in messages)


def test_unchanged_files_are_read_once_across_passes(
    root: Path, index: Index, reads: list[Path]
) -> None:
    for n in range(5):
        deliver(root, f"17422884{n:02d}.M1P1.in", raw(f"<in-{n}@acme>"))
    deliver(
        root / ".Sent",
        "1742288500.M1P1.out",
        raw("<out@example.org>", "ada@example.org", "ivan@acme.example"),
    )
    first = mailbox(root, index)
    assert len(ids(first.messages_with("ivan@acme.example", SINCE))) == 6
    assert len(reads) == 6
    # Lookups of the same pass, then the next passes (a new mailbox, or ``changes``).
    first.messages_with("ada@example.org", SINCE)
    first.thread_messages("<out@example.org>", None, SINCE)
    assert first.find_sent(DraftRef("", "<out@example.org>")) is not None
    first.changes(None)
    assert len(ids(first.messages_with("ivan@acme.example", SINCE))) == 6
    second = mailbox(root, index)
    assert len(ids(second.messages_with("ivan@acme.example", SINCE))) == 6
    assert len(reads) == 6
    deliver(root, "1742288600.M1P1.late", raw("<late@acme>"), sub="new")
    assert "<late@acme>" in ids(second.messages_with("ivan@acme.example", SINCE))
    assert [p.name for p in reads[6:]] == ["1742288600.M1P1.late"]


def test_renamed_files_are_not_read_again_and_trash_counts_as_gone(
    root: Path, index: Index, reads: list[Path]
) -> None:
    fresh = deliver(root, "1742288400.M1P1.a", raw("<a@acme>"), sub="new")
    seen = deliver(root, "1742288401.M1P1.b", raw("<b@acme>"))
    box = mailbox(root, index)
    assert ids(box.messages_with("ivan@acme.example", SINCE)) == ["<a@acme>", "<b@acme>"]
    fresh.rename(root / "cur" / "1742288400.M1P1.a:2,S")  # read by a mail client
    seen.rename(seen.with_name("1742288401.M1P1.b:2,ST"))  # moved to the trash
    box = mailbox(root, index)
    assert ids(box.messages_with("ivan@acme.example", SINCE)) == ["<a@acme>"]
    (root / "cur" / "1742288401.M1P1.b:2,ST").rename(seen)  # taken out of the trash
    assert ids(box.messages_with("ivan@acme.example", SINCE)) == ["<a@acme>", "<b@acme>"]
    assert len(reads) == 2


def test_vanished_and_rewritten_files(root: Path, index: Index, reads: list[Path]) -> None:
    gone = deliver(root, "1742288400.M1P1.a", raw("<a@acme>"))
    changed = deliver(root, "1742288401.M1P1.b", raw("<b@acme>"))
    box = mailbox(root, index)
    assert ids(box.messages_with("ivan@acme.example", SINCE)) == ["<a@acme>", "<b@acme>"]
    gone.unlink()
    changed.write_bytes(raw("<b@acme>", "rita@acme.example"))  # same name, other content
    box = mailbox(root, index)
    assert box.messages_with("ivan@acme.example", SINCE) == []
    assert ids(box.messages_with("rita@acme.example", SINCE)) == ["<b@acme>"]
    assert len(reads) == 3


def test_an_unreadable_file_warns_once_and_is_read_again_when_it_changes(
    root: Path,
    index: Index,
    reads: list[Path],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = deliver(root, "1742288400.M1P1.bad", raw("<bad@acme>"))
    deliver(root, "1742288401.M1P1.good", raw("<good@acme>"))
    original = local_mailbox.to_mail_message
    broken = {"<bad@acme>"}

    def fails(msg: Any, folder: str, fallback: datetime) -> Any:
        if msg["Message-ID"] in broken:
            raise RuntimeError("boom")
        return original(msg, folder, fallback)

    monkeypatch.setattr(local_mailbox, "to_mail_message", fails)
    with caplog.at_level(logging.WARNING, logger="interview_outreach.providers.local.mailbox"):
        assert ids(mailbox(root, index).messages_with("ivan@acme.example", SINCE)) == [
            "<good@acme>"
        ]
        assert ids(mailbox(root, index).messages_with("ivan@acme.example", SINCE)) == [
            "<good@acme>"
        ]
    (warning,) = caplog.records
    assert str(bad) in warning.getMessage() and "boom" in warning.getMessage()
    assert len(reads) == 2
    broken.clear()
    bad.write_bytes(raw("<bad@acme>", date="Wed, 19 Mar 2025 09:00:00 +0000"))
    found = ids(mailbox(root, index).messages_with("ivan@acme.example", SINCE))
    assert found == ["<bad@acme>", "<good@acme>"]


def test_a_lost_database_rebuilds_the_index(tmp_path: Path, root: Path, reads: list[Path]) -> None:
    deliver(root, "1742288400.M1P1.a", raw("<a@acme>"))
    deliver(
        root / ".Sent",
        "1742288401.M1P1.s",
        raw("<s@example.org>", "ada@example.org", "ivan@acme.example"),
    )
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with Store(url) as store:
        box = LocalMailbox("ada@example.org", root, index=store.message_index(ACCOUNT))
        assert len(box.messages_with("ivan@acme.example", SINCE)) == 2
    for path in tmp_path.glob("state.db*"):
        path.unlink()
    with Store(url) as store:
        box = LocalMailbox("ada@example.org", root, index=store.message_index(ACCOUNT))
        assert box.find_sent(DraftRef("", "<s@example.org>")) is not None
        assert len(box.messages_with("ivan@acme.example", SINCE)) == 2
    assert len(reads) == 4  # every file read again, once


def test_a_failing_read_raises_and_leaves_no_half_built_index(
    root: Path, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(root, "1742288400.M1P1.a", raw("<a@acme>"))
    deliver(root, "1742288401.M1P1.b", raw("<b@acme>"))
    original = local_mailbox._read_headers
    calls = 0

    def second_fails(path: Path) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise PermissionError(13, "Permission denied")
        return original(path)

    monkeypatch.setattr(local_mailbox, "_read_headers", second_fails)
    with pytest.raises(SourceUnreadable, match="Permission denied"):
        mailbox(root, index).messages_with("ivan@acme.example", SINCE)
    box = mailbox(root, index)
    assert box.find_sent(DraftRef("", "<a@acme>")) is None  # not sent mail, whatever the index
    assert ids(box.messages_with("ivan@acme.example", SINCE)) == ["<a@acme>", "<b@acme>"]


def test_a_file_that_vanishes_mid_refresh_is_passed_over(
    root: Path, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    doomed = deliver(root, "1742288400.M1P1.a", raw("<a@acme>"))
    deliver(root, "1742288401.M1P1.b", raw("<b@acme>"))
    original = local_mailbox._read_headers

    def vanishing(path: Path) -> Any:
        if path == doomed:
            path.unlink()
        return original(path)

    monkeypatch.setattr(local_mailbox, "_read_headers", vanishing)
    assert ids(mailbox(root, index).messages_with("ivan@acme.example", SINCE)) == ["<b@acme>"]


def test_folders_no_longer_read_are_forgotten(root: Path, index: Index) -> None:
    archive = root / ".Archive"
    deliver(archive, "1742288400.M1P1.a", raw("<archived@acme>"))
    assert ids(mailbox(root, index).messages_with("ivan@acme.example", SINCE)) == [
        "<archived@acme>"
    ]
    archive.rename(root / ".Trash")
    assert mailbox(root, index).messages_with("ivan@acme.example", SINCE) == []


def test_lookups_by_address_reference_and_message_id(root: Path, index: Index) -> None:
    reply = raw(
        "<r@acme>",
        "Ivan <IVAN@acme.example>",
        "ada@example.org, rita@acme.example",
        DATE,
        "In-Reply-To: <out@example.org>",
        "References: <invite@acme> <out@example.org>",
        "Auto-Submitted: auto-replied",
        "X-Spam-Score: 12",
    )
    deliver(root, "1742288400.M1P1.r", reply)
    early = raw("<early@acme>", date="Fri, 28 Feb 2025 23:59:59 +0000")
    deliver(root, "1742288401.M1P1.e", early)
    box = mailbox(root, index)
    (found,) = box.messages_with("rita@acme.example", SINCE)
    assert found.sender == "ivan@acme.example"
    assert found.recipients == ("ada@example.org", "rita@acme.example")
    assert found.references == ("<invite@acme>", "<out@example.org>")
    assert ("Auto-Submitted", "auto-replied") in found.headers
    assert all(name != "X-Spam-Score" for name, _ in found.headers)  # not a header that matters
    assert [m.message_id for m in box.thread_messages("<invite@acme>", None, SINCE)] == ["<r@acme>"]
    assert box.thread_messages("<r@acme>", None, SINCE) == []
    assert ids(box.messages_with("ivan@acme.example", SINCE - timedelta(days=1))) == [
        "<early@acme>",
        "<r@acme>",
    ]


def test_hostile_names_ids_and_addresses_read_back_exactly(root: Path, index: Index) -> None:
    name = os.fsdecode(b"1742288400.M1P1.h\xff\xfe%41")  # not UTF-8, and a literal %
    long_id = "<" + "x" * 5000 + "@acme>"
    deliver(root, name, raw(long_id))
    deliver(
        root,
        "1742288401.M1P1.n",
        raw("<n@acme>", "ivan@acme.example", "ada@example.org", DATE, "Subject: a\x00b \udcff"),
    )
    box = mailbox(root, index)
    found = box.messages_with("ivan@acme.example", SINCE)
    assert ids(found) == sorted([long_id, "<n@acme>"])
    # The same from a second mailbox over the same index (read back, not re-read).
    assert ids(mailbox(root, index).messages_with("ivan@acme.example", SINCE)) == ids(found)
    other = "<" + "x" * 5000 + "@other>"  # the same first 250 characters: never confused
    assert mailbox(root, index).find_sent(DraftRef("", other)) is None


def test_renames_in_a_ring_apply_in_one_step(index: Index) -> None:
    opened = index.open()
    message = MailMessage("<a@x>", "ivan@acme.example", (), "", NOW, "inbox")
    other = MailMessage("<b@x>", "rita@acme.example", (), "", NOW, "inbox")
    a, b = IndexedFile("cur/a", 1, 1, 1), IndexedFile("cur/b", 2, 2, 2)
    opened.apply(
        "/m",
        "inbox",
        FolderChanges(added=(IndexEntry(a, False, message), IndexEntry(b, False, other))),
    )
    swapped = (
        ("cur/a", IndexedFile("cur/b", 1, 1, 1), False),
        ("cur/b", IndexedFile("cur/a", 2, 2, 2), True),
    )
    opened.apply("/m", "inbox", FolderChanges(moved=swapped))
    assert opened.files("/m") == {
        "cur/b": IndexedFile("cur/b", 1, 1, 1),
        "cur/a": IndexedFile("cur/a", 2, 2, 2),
    }
    assert [h.name for h in opened.with_address("ivan@acme.example", SINCE)] == ["cur/b"]
    assert opened.with_address("rita@acme.example", SINCE) == []  # trashed now
    opened.retain([])
    assert opened.files("/m") == {}


def test_within_a_pass_only_changed_folders_are_listed_again(
    root: Path, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(root, "1742288400.M1P1.a", raw("<a@acme>"))
    deliver(
        root / ".Sent", "1742288401.M1P1.s", raw("<s@x>", "ada@example.org", "ivan@acme.example")
    )
    past = NOW.timestamp()
    for directory in (
        root,
        root / "new",
        root / "cur",
        root / ".Sent" / "new",
        root / ".Sent" / "cur",
    ):
        os.utime(directory, (past, past))  # settled long ago
    listed: list[Path] = []
    original = local_mailbox._listing

    def counting(folder: Path) -> Any:
        listed.append(folder)
        return original(folder)

    monkeypatch.setattr(local_mailbox, "_listing", counting)
    box = mailbox(root, index)
    for _ in range(3):
        assert len(box.messages_with("ivan@acme.example", SINCE)) == 2
        assert box.find_sent(DraftRef("", "<s@x>")) is not None
    assert sorted(listed) == sorted([root, root / ".Sent"])
    deliver(root, "1742288402.M1P1.b", raw("<b@acme>"), sub="new")  # new/ changes
    assert len(box.messages_with("ivan@acme.example", SINCE)) == 3
    assert listed[2:] == [root]
    box.changes(None)  # a new pass: everything is listed again
    assert listed[3:] == [root / ".Drafts"]  # the change feed lists the drafts themselves
    assert len(box.messages_with("ivan@acme.example", SINCE)) == 3
    assert sorted(listed[4:]) == sorted([root, root / ".Sent"])
