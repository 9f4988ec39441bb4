"""Logging: journald priority prefixes under systemd, timestamps elsewhere, secrets masked."""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from interview_outreach.daemon.errors import TransientError
from interview_outreach.daemon.logging_setup import (
    JournalFormatter,
    RedactingFilter,
    ShortNameFormatter,
    exception_text,
    redact,
    setup_logging,
    syslog_priority,
)


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def journal_stream(path: Path) -> tuple[io.TextIOWrapper, str]:
    stream = path.open("w", encoding="utf-8")
    stat = os.fstat(stream.fileno())
    return stream, f"{stat.st_dev}:{stat.st_ino}"


def test_under_systemd_lines_carry_syslog_priorities_and_no_time(
    tmp_path: Path, restore_root: None
) -> None:
    stream, value = journal_stream(tmp_path / "journal")
    with stream:
        setup_logging(logging.DEBUG, {"JOURNAL_STREAM": value}, stream)
        log = logging.getLogger("daemon.test")
        log.debug("debug")
        log.info("info")
        log.warning("warning")
        log.error("two\nlines")
        log.critical("critical")
        try:
            raise ValueError("broken")
        except ValueError:
            log.exception("failed")
    lines = (tmp_path / "journal").read_text().splitlines()
    assert lines[:7] == [
        "<7>daemon.test: debug",
        "<6>daemon.test: info",
        "<4>daemon.test: warning",
        "<3>daemon.test: two lines",  # a message never spans lines
        "<2>daemon.test: critical",
        "<3>daemon.test: failed",
        "<3>Traceback (most recent call last):",
    ]
    # The traceback keeps its lines, each with the record's priority.
    assert len(lines) > 8
    assert all(line.startswith("<3>") for line in lines[5:])
    assert lines[-1] == "<3>ValueError: broken"


def test_a_journal_stream_inherited_by_another_stream_is_not_used(
    tmp_path: Path, restore_root: None
) -> None:
    journal, value = journal_stream(tmp_path / "journal")
    journal.close()
    terminal = (tmp_path / "terminal").open("w", encoding="utf-8")
    with terminal:
        setup_logging(logging.INFO, {"JOURNAL_STREAM": value}, terminal)
        logging.getLogger("daemon.test").info("hello")
    line = (tmp_path / "terminal").read_text().strip()
    assert not line.startswith("<")
    assert line.endswith("INFO daemon.test: hello")
    assert line[:4].isdigit()  # starts with the date and time


def test_setting_up_twice_does_not_double_lines(restore_root: None) -> None:
    first, second = io.StringIO(), io.StringIO()
    setup_logging(logging.INFO, {}, first)
    setup_logging(logging.INFO, {}, second)
    logging.getLogger("daemon.test").info("once")
    assert first.getvalue() == ""
    assert second.getvalue().count("once") == 1


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: Bearer ya29.a0AfH6SMBx-abc_def", "a0AfH6SMBx"),
        ("token endpoint said refresh_token=1//0gLx-secret-value&scope=x", "0gLx-secret"),
        ('{"access_token": "eyJhbGciOi.payload.sig", "expires_in": 3599}', "eyJhbGciOi"),
        ("{'refresh_token': 'M.R3_BAY.secret!'}", "M.R3_BAY"),
        ("GET /callback?state=abc&code=4/0AX4XfWh-secret-code HTTP/1.1", "0AX4XfWh"),
        ("client_secret=GOCSPX-abcdef123", "GOCSPX"),
        ("saw 1//0gVeryLongRefreshTokenValue in a repr", "VeryLongRefresh"),
    ],
)
def test_secrets_are_masked(text: str, hidden: str) -> None:
    masked = redact(text)
    assert hidden not in masked
    assert "[redacted]" in masked


def test_ordinary_text_is_left_alone() -> None:
    text = "account home: 3 events, exit code 2, sync token stored, HTTP status code: 503"
    assert redact(text) == text


def test_the_filter_masks_arguments_and_tracebacks(restore_root: None) -> None:
    stream = io.StringIO()
    setup_logging(logging.INFO, {}, stream)
    log = logging.getLogger("daemon.test")
    log.warning("request failed: %s", "Bearer abc.def.ghi")
    try:
        raise ValueError("refresh_token=1//secret-in-exception")
    except ValueError:
        log.exception("boom")
    output = stream.getvalue()
    assert "abc.def.ghi" not in output
    assert "secret-in-exception" not in output
    assert output.count("[redacted]") >= 2


def test_the_filter_never_drops_a_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "bad %d", ("x",), None)
    assert RedactingFilter().filter(record)
    assert "bad" in record.getMessage()


def test_priorities() -> None:
    assert [syslog_priority(level) for level in (5, 10, 20, 30, 40, 50)] == [7, 7, 6, 4, 3, 2]


def test_a_token_echoed_in_a_provider_error_is_masked_in_every_form(restore_root: None) -> None:
    stream = io.StringIO()
    setup_logging(logging.INFO, {}, stream)
    log = logging.getLogger("daemon.test")
    try:
        try:
            raise OSError("sent Authorization: Bearer ya29.abc-cause-token")
        except OSError as cause:
            raise TransientError(
                'Graph answered 400: bad header "Authorization: Bearer ya29.abc-echoed-token"'
            ) from cause
    except TransientError as error:
        log.warning("account home: %s", error)
        log.error("pass failed", exc_info=True)
    output = stream.getvalue()
    assert "ya29.abc" not in output and "echoed-token" not in output
    assert "cause-token" not in output
    assert "account home: Graph answered 400: bad header " in output
    assert 'TransientError: Graph answered 400: bad header "Authorization: Bearer [redacted]"' in (
        output
    )
    assert "OSError: sent Authorization: Bearer [redacted]" in output


def test_a_title_with_an_escape_sequence_is_shown_escaped(restore_root: None) -> None:
    stream = io.StringIO()
    setup_logging(logging.INFO, {}, stream)
    title = "Interview\x1b]0;pwned\x07\x1b[2J at Acme\nERROR daemon.fake: forged"
    logging.getLogger("daemon.test").info("new interview %r: %s", "uid-1", title)
    (line,) = stream.getvalue().splitlines()
    assert "\x1b" not in line and "\x07" not in line
    assert line.endswith(
        "daemon.test: new interview 'uid-1': "
        "Interview\\x1b]0;pwned\\x07\\x1b[2J at Acme ERROR daemon.fake: forged"
    )


def test_an_exception_message_never_adds_a_line_to_a_traceback(restore_root: None) -> None:
    stream = io.StringIO()
    setup_logging(logging.INFO, {}, stream)
    try:
        raise ValueError("bad\n2026-01-01 00:00:00 INFO daemon: forged\x1b[2J")
    except ValueError:
        logging.getLogger("daemon.test").exception("boom")
    lines = stream.getvalue().splitlines()
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: bad 2026-01-01 00:00:00 INFO daemon: forged\\x1b[2J"
    assert not any(line.startswith("2026-01-01") for line in lines)


def test_a_traceback_text_cached_before_the_filter_is_scrubbed_again() -> None:
    try:
        raise ValueError("refresh_token=1//cached-secret-value")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    record.exc_text = logging.Formatter().formatException(record.exc_info)  # type: ignore[arg-type]
    record.stack_info = "Stack (most recent call last):\n  code=secret-code \x1b[0m"
    assert RedactingFilter().filter(record)
    assert record.exc_text is not None and "cached-secret" not in record.exc_text
    assert "ValueError: refresh_token=[redacted]" in record.exc_text
    assert record.stack_info == "Stack (most recent call last):\n  code=[redacted] \\x1b[0m"


def test_a_traceback_text_without_the_exception_is_scrubbed() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    record.exc_text = "Traceback:\n  x\nValueError: Bearer abc.def\x1b[2J"
    assert RedactingFilter().filter(record)
    assert record.exc_text == "Traceback:\n  x\nValueError: Bearer [redacted]\\x1b[2J"


def test_exception_groups_are_scrubbed() -> None:
    try:
        raise ExceptionGroup("two failed", [ValueError("Bearer ya29.grouped"), OSError("x\ny")])
    except ExceptionGroup as group:
        text = exception_text((type(group), group, group.__traceback__))
    assert "grouped" not in text
    assert "ValueError: Bearer [redacted]" in text
    assert "OSError: x y" in text


def test_the_programs_loggers_are_named_as_their_folders_and_the_record_is_left_alone() -> None:
    formatter = ShortNameFormatter("%(name)s: %(message)s")
    ours = logging.LogRecord("interview_outreach.daemon.cli", logging.INFO, "", 0, "hi", (), None)
    theirs = logging.LogRecord("apscheduler.scheduler", logging.INFO, "", 0, "hi", (), None)
    assert formatter.format(ours) == "daemon.cli: hi"
    assert ours.name == "interview_outreach.daemon.cli"  # other handlers see the full name
    assert formatter.format(theirs) == "apscheduler.scheduler: hi"
    assert JournalFormatter().format(ours) == "<6>daemon.cli: hi"
