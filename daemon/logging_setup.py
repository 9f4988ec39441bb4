"""Logging to stderr: journald-friendly under systemd, timestamped in a terminal, never secrets.

Under systemd (``$JOURNAL_STREAM`` names our stderr) each line starts with a ``<N>`` syslog
priority prefix, which journald turns into the entry's priority, and carries no timestamp
(journald adds its own). Elsewhere lines carry the local time.

:class:`RedactingFilter` is defence in depth: no code logs a token on purpose, but an
exception text or a URL from a library might carry one, so tokens, ``Bearer`` values,
``refresh_token``/``access_token``/``client_secret``/``code=`` values are masked before any
handler sees the record.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import TextIO

from daemon.scrub import REDACTED, redact

__all__ = ["REDACTED", "RedactingFilter", "redact", "setup_logging", "syslog_priority"]

# Python's levels as syslog priorities (sd-daemon(3)): what journald reads from "<N>".
_SYSLOG_PRIORITY = (
    (logging.CRITICAL, 2),
    (logging.ERROR, 3),
    (logging.WARNING, 4),
    (logging.INFO, 6),
)
_DEBUG_PRIORITY = 7


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, exception and stack text; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place with its secrets masked."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep what can be shown
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def syslog_priority(levelno: int) -> int:
    """The syslog priority of a logging level (DEBUG → 7 … CRITICAL → 2)."""
    for threshold, priority in _SYSLOG_PRIORITY:
        if levelno >= threshold:
            return priority
    return _DEBUG_PRIORITY


class JournalFormatter(logging.Formatter):
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
            logging.Formatter(
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
