"""Logging to stderr: journald-friendly under systemd, timestamped in a terminal, never secrets.

Under systemd (``$JOURNAL_STREAM`` names our stderr) each line starts with a ``<N>`` syslog
priority prefix, which journald turns into the entry's priority, and carries no timestamp
(journald adds its own). Elsewhere lines carry the local time.

:class:`RedactingFilter` applies :func:`~daemon.scrub.scrub` to every record before any
handler sees it: no code logs a token on purpose, but an exception text or a URL from a
library might carry one, and a calendar title or a service's error may carry terminal
escape sequences or line breaks meant to forge a log line.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import TextIO, TypeAlias

from interview_outreach.daemon.scrub import REDACTED, redact, scrub

__all__ = [
    "REDACTED",
    "RedactingFilter",
    "exception_text",
    "redact",
    "setup_logging",
    "syslog_priority",
]

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None]

# Python's levels as syslog priorities (sd-daemon(3)): what journald reads from "<N>".
_SYSLOG_PRIORITY = (
    (logging.CRITICAL, 2),
    (logging.ERROR, 3),
    (logging.WARNING, 4),
    (logging.INFO, 6),
)
_DEBUG_PRIORITY = 7


class RedactingFilter(logging.Filter):
    """Scrubs a record's message, exception and stack text in place; never drops a record.

    The message (after its ``%s`` arguments are put in) becomes one line with secrets
    masked and control characters shown as ``\\xNN``. A traceback keeps its lines, which
    the formatter writes, but each exception's own message in it is scrubbed to one line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place with its secrets masked and control characters shown."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep what can be shown
            message = f"{record.msg} {record.args}"
        record.msg, record.args = scrub(message), None
        exc_info = record.exc_info
        if exc_info and exc_info[0] is not None and exc_info[1] is not None:
            # Computed afresh: a text another handler cached may not have been scrubbed.
            record.exc_text = exception_text((exc_info[0], exc_info[1], exc_info[2]))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text, keep_newlines=True)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, keep_newlines=True)
        return True


def exception_text(exc_info: ExcInfo) -> str:
    """The traceback logging would show, scrubbed: each exception's message on one line.

    A service may echo a token (or a line break and a fake log line) in an error message;
    the traceback's other lines are the program's own and keep their line breaks.
    """
    text = logging.Formatter().formatException(exc_info)
    messages = ["".join(traceback.format_exception_only(type(e), e)) for e in _chain(exc_info[1])]
    # The longest first: one message may begin like another.
    for message in sorted(messages, key=len, reverse=True):
        text = _one_line(text, message.splitlines())
    return scrub(text, keep_newlines=True)


def _one_line(text: str, lines: list[str]) -> str:
    """``text`` with the message of ``lines`` (wherever it is shown) scrubbed to one line."""
    if not lines:
        return text
    # Inside an exception group every line after the first carries a "    | " margin.
    shown = re.escape(lines[0]) + "".join(rf"\n[ |]*{re.escape(line)}" for line in lines[1:])
    replacement = scrub("\n".join(lines))
    return re.sub(shown, lambda _match: replacement, text)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception a traceback of it shows (causes, contexts, groups)."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        if current.__context__ is not None and not current.__suppress_context__:
            pending.append(current.__context__)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)


def syslog_priority(levelno: int) -> int:
    """The syslog priority of a logging level (DEBUG → 7 … CRITICAL → 2)."""
    for threshold, priority in _SYSLOG_PRIORITY:
        if levelno >= threshold:
            return priority
    return _DEBUG_PRIORITY


_PACKAGE_PREFIX = "interview_outreach."


class ShortNameFormatter(logging.Formatter):
    """Names the program's own loggers as their folders do (``daemon.cli``, not
    ``interview_outreach.daemon.cli``); other libraries' loggers keep their names."""

    def format(self, record: logging.LogRecord) -> str:
        """The record formatted with the short logger name (the record itself is unchanged:
        other handlers see the full name)."""
        if record.name.startswith(_PACKAGE_PREFIX):
            record = copy.copy(record)
            record.name = record.name.removeprefix(_PACKAGE_PREFIX)
        return super().format(record)


class JournalFormatter(ShortNameFormatter):
    """``<N>logger: message`` with the syslog priority prefix on every line of a record."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The record, each of its lines prefixed so journald keeps its priority."""
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def under_journald(env: Mapping[str, str], stream: TextIO) -> bool:
    """Whether ``stream`` is the journal stream systemd connected (``$JOURNAL_STREAM``).

    systemd sets ``JOURNAL_STREAM=device:inode`` of the stream it connected; comparing it
    with the stream's own tells a service's stderr from a terminal a child inherited it in.
    """
    value = env.get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        stat = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (stat.st_dev, stat.st_ino) == (int(device), int(inode))


def setup_logging(
    level: int,
    env: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log record at ``level`` or above to stderr; returns the handler installed.

    Replaces any handler installed before, so calling it again (tests) does not double lines.
    """
    env = os.environ if env is None else env
    stream = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(stream)
    if under_journald(env, stream):
        handler.setFormatter(JournalFormatter())
    else:
        handler.setFormatter(
            ShortNameFormatter(
                "%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"
            )
        )
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_interview_outreach", False):
            root.removeHandler(old)
    handler._interview_outreach = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # The scheduler says "Running job …" every few minutes: worth seeing only when debugging.
    # Alembic announces its SQLite dialect on every start: noise unless debugging.
    for name in ("apscheduler", "alembic"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
