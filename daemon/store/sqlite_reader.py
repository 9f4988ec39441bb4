"""`status` without SQLAlchemy: a SQLite store read with the standard library.

Importing SQLAlchemy costs more than everything else `status` does (about 30 MB and, on a
small machine, a hundred milliseconds or more). A SQLite store that is already at the
newest schema is read here instead, with plain queries whose rows become the store's value
types through the very functions :class:`daemon.store.repository.Store` uses
(:mod:`daemon.store.records`). Anything else — PostgreSQL, a new database, one that needs a
migration, an odd URL, any error — answers ``None``, and the caller opens the ``Store``,
which migrates, reports errors and reads as always. Nothing here writes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from interview_outreach.daemon.store.records import (
    AccountState,
    TrackedInterview,
    account_state_from_row,
    action_order,
    tracked_from_rows,
)
from interview_outreach.daemon.store.revision import HEAD_REVISION

_PREFIX = "sqlite:///"
# Columns of type UTCDateTime (daemon.store.schema): SQLite keeps them as naive UTC text.
_TIMES = frozenset(
    {
        "start_at",
        "end_at",
        "first_seen_at",
        "updated_at",
        "due_at",
        "drafted_at",
        "sent_at",
        "drafted_for",
        "written_at",
        "last_pass_at",
        "last_success_at",
    }
)
_FLAGS = frozenset({"gone", "edited", "removing", "needs_auth"})
_BUSY_SECONDS = 30.0  # as the Store's: another process may be writing


@dataclass(frozen=True)
class StatusView:
    """What `status` shows: every tracked interview, and the accounts' states by name."""

    interviews: list[TrackedInterview]
    accounts: dict[str, AccountState]


def read_status(url: str) -> StatusView | None:
    """The store at ``url`` read without SQLAlchemy, or ``None`` (see the module)."""
    path = _sqlite_file(url)
    if path is None:
        return None
    try:
        # mode=rw: never create a database that is not there (the Store says what to do).
        connection = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=_BUSY_SECONDS)
    except (sqlite3.Error, ValueError):
        return None
    try:
        connection.row_factory = sqlite3.Row
        return _read(connection)
    except (sqlite3.Error, ValueError, KeyError, TypeError):
        return None  # the Store reads it again and says what is wrong, if anything
    finally:
        connection.close()


def _sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///path`` URL (no query, no escapes), if it exists."""
    if not url.startswith(_PREFIX) or any(c in url for c in "?%#"):
        return None
    path = Path(url[len(_PREFIX) :])
    return path.resolve() if path.name and path.is_file() else None


def _read(connection: sqlite3.Connection) -> StatusView | None:
    with connection:  # one read transaction: interviews and actions seen at one moment
        connection.execute("BEGIN")
        revisions = {r[0] for r in connection.execute("SELECT version_num FROM alembic_version")}
        if revisions != {HEAD_REVISION}:
            return None  # a migration is due: the Store makes it
        interviews = [_row(r) for r in connection.execute("SELECT * FROM interviews")]
        actions = [_row(r) for r in connection.execute("SELECT * FROM actions")]
        accounts = [_row(r) for r in connection.execute("SELECT * FROM accounts")]
    by_interview: dict[str, list[Any]] = {}
    for action in sorted(actions, key=action_order):
        by_interview.setdefault(action.interview_id, []).append(action)
    tracked = [
        tracked_from_rows(row, by_interview.get(row.id, []))
        for row in sorted(interviews, key=lambda r: (r.start_at, r.id))
    ]
    return StatusView(tracked, {row.name: account_state_from_row(row) for row in accounts})


def _row(row: sqlite3.Row) -> SimpleNamespace:
    """A row as SQLAlchemy gives it to the repository: times aware UTC, flags bool."""
    values = dict(zip(row.keys(), tuple(row), strict=True))
    for name, value in values.items():
        if name in _TIMES and value is not None:
            values[name] = datetime.fromisoformat(value).replace(tzinfo=UTC)
        elif name in _FLAGS and value is not None:
            values[name] = bool(value)
    return SimpleNamespace(**values)
