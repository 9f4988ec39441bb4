"""The local mailbox's one tolerant read of a message file (``_read_entry``), used by every
reader of a file a mail client may rename or a stranger may have written: a file that
vanished reads as ``None``, one the parser fails on as the caller's fallback (with a warning
naming it), and a failing file system is raised, never taken for a bad message."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest

import interview_outreach.providers.local.mailbox as local_mailbox


def test_a_file_that_reads_gives_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "message"
    path.write_text("Subject: hello\n\nbody\n")
    assert local_mailbox._read_entry(path, Path.read_text, "fallback") == path.read_text()


def test_a_file_that_vanished_reads_as_none(tmp_path: Path) -> None:
    assert local_mailbox._read_entry(tmp_path / "gone", Path.read_bytes, "fallback") is None


def test_a_file_the_reader_fails_on_gives_the_fallback_and_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "hostile"

    def fails(_path: Path) -> str:
        raise RecursionError("parts nested a thousand deep")

    with caplog.at_level(logging.WARNING, logger=local_mailbox.__name__):
        assert local_mailbox._read_entry(path, fails, "fallback") == "fallback"
    assert str(path) in caplog.text and "passed over" in caplog.text


def test_a_failing_file_system_is_raised(tmp_path: Path) -> None:
    def disk_fails(_path: Path) -> str:
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(OSError, match="Input/output error"):
        local_mailbox._read_entry(tmp_path / "message", disk_fails, "fallback")
