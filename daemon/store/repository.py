"""The store: everything the program remembers, behind an API of domain objects.

Each public method of :class:`Store` is one short transaction, committed before it
returns, so a crash between two calls never loses a step that was reported done. Group
several calls atomically with :meth:`Store.transaction`. Datetimes going in must be
timezone-aware; datetimes coming out are aware UTC.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Select, Table, delete, func, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from interview_outreach.daemon.domain.model import ActionKind, ActionRecord, ActionState, Interview
from interview_outreach.daemon.errors import LeaseLost, StorageError
from interview_outreach.daemon.store.codec import interview_to_json
from interview_outreach.daemon.store.db import SQLITE_IMMEDIATE, error_line, open_engine
from interview_outreach.daemon.store.message_index import StoreMessageIndex
from interview_outreach.daemon.store.records import (
    AccountState,
    AuditEntry,
    Claimant,
    Lease,
    LeaseHeld,
    TrackedInterview,
    account_state_from_row,
    action_from_row,
    action_order,
    reason_to_row,
    tracked_from_rows,
)
from interview_outreach.daemon.store.schema import accounts, actions, audit_log, interviews, leases

# Bound parameters per IN (...) query: SQLite allows 32,766, older builds 999.
_IDS_PER_QUERY = 900
_OPEN_STATES = (
    ActionState.PLANNED.value,
    ActionState.BLOCKED.value,
    ActionState.DRAFTING.value,
)


ProcessAlive = Callable[[int], bool]
_Row = Row[*tuple[Any, ...]]


class Store:
    """The program's persistent state in a SQLite or PostgreSQL database.

    Opening applies pending migrations. Safe to share between threads; a
    :meth:`transaction` belongs to the thread that opened it.
    """

    def __init__(self, url: str) -> None:
        """Open (creating and migrating as needed) the database at ``url``."""
        self._engine: Engine = open_engine(url)
        self._writer: Engine = self._engine.execution_options(**{SQLITE_IMMEDIATE: True})
        self._location = self._engine.url.render_as_string(hide_password=True)
        self._local = threading.local()
        self._action_writes = 0

    @classmethod
    def open(cls, url: str) -> Self:
        """Same as ``Store(url)``."""
        return cls(url)

    @property
    def action_writes(self) -> int:
        """How many times this ``Store`` wrote an action or marked an interview gone.

        When to wake up next (:meth:`next_due`) can only have changed, as far as this
        process knows, when this count grew: a daemon asks the database again only then.
        """
        return self._action_writes

    @property
    def location(self) -> str:
        """The database URL with any password hidden, for messages."""
        return self._location

    def close(self) -> None:
        """Release every connection. The store must not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Self]:
        """Run the calls made inside the block in one transaction, committed at its end.

        Nested blocks join the outer one. An exception rolls everything back.
        """
        if self._current() is not None:
            yield self
            return
        with self._connection(write=True) as connection:
            self._local.connection = connection
            try:
                yield self
            finally:
                self._local.connection = None

    # -- interviews ----------------------------------------------------------------

    def save_interview(self, interview: Interview, now: datetime) -> None:
        """Insert or update ``interview`` by id; a saved interview is no longer gone.

        ``first_seen_at`` is set on insert only; ``updated_at`` becomes ``now``.
        """
        with self._connection(write=True) as connection:
            _upsert(
                connection,
                interviews,
                _interview_values(interview, now),
                keys=("id",),
                keep=("first_seen_at",),
            )

    def claim_interview(self, interview: Interview, now: datetime) -> bool:
        """Save ``interview`` unless another account already tracks it; whether it was saved.

        The same invitation in two accounts is one interview, owned by the account that
        saved it first (or again, once the owner's copy is gone). Decided in one statement,
        so two processes working on two accounts at once cannot both own it.
        """
        with self._connection(write=True) as connection:
            return _upsert(
                connection,
                interviews,
                _interview_values(interview, now),
                keys=("id",),
                keep=("first_seen_at",),
                only_if=lambda table, new: (table.c.account == new.account) | table.c.gone,
            )

    def mark_gone(self, interview_id: str, now: datetime) -> None:
        """Record that the interview's event disappeared from the calendar."""
        _aware(now, "now")
        with self._connection(write=True) as connection:
            connection.execute(
                update(interviews)
                .where(interviews.c.id == interview_id)
                .values(gone=True, updated_at=now)
            )
        self._action_writes += 1

    def get(self, interview_id: str) -> TrackedInterview | None:
        """The interview with exactly this id, or ``None``."""
        query = select(interviews).where(interviews.c.id == interview_id)
        with self._connection(write=False) as connection:
            row = connection.execute(query).one_or_none()
            if row is None:
                return None
            return self._tracked(row, self._action_rows(connection, [row.id]))

    def find(self, prefix: str) -> list[TrackedInterview]:
        """Interviews whose id starts with ``prefix`` (case-insensitive), ordered by start.

        ``explain`` accepts an id prefix; more than one result means it is ambiguous.
        An empty prefix matches nothing.
        """
        prefix = prefix.strip().lower()
        if not prefix:
            return []
        query = select(interviews).where(interviews.c.id.startswith(prefix, autoescape=True))
        return self._select_tracked(query)

    def interviews(
        self, include_gone: bool = True, account: str | None = None
    ) -> list[TrackedInterview]:
        """Every tracked interview (of ``account`` only, when given), ordered by start time.

        A pass loads each account's own interviews once: the work of a pass grows with
        that account's interviews, not with every account's.
        """
        query = select(interviews)
        if not include_gone:
            query = query.where(interviews.c.gone.is_(False))
        if account is not None:
            query = query.where(interviews.c.account == account)
        return self._select_tracked(query)

    def interviews_with_ids(self, interview_ids: Iterable[str]) -> list[TrackedInterview]:
        """The tracked interviews among ``interview_ids``, ordered by start time."""
        wanted = sorted(set(interview_ids))
        found: list[TrackedInterview] = []
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start : start + _IDS_PER_QUERY]
            found += self._select_tracked(select(interviews).where(interviews.c.id.in_(chunk)))
        return sorted(found, key=lambda t: (t.interview.start, t.interview.id))

    def holds_message_id(self, message_id: str) -> bool:
        """Whether an action of any account made or meant to make a draft with ``message_id``.

        One index seek: asked per message in question, never by loading every action.
        """
        bare = message_id.strip().strip("<>")
        if not bare:
            return False
        query = select(actions.c.id).where(actions.c.message_id.in_([f"<{bare}>", bare])).limit(1)
        with self._connection(write=False) as connection:
            return connection.scalar(query) is not None

    # -- actions -------------------------------------------------------------------

    def save_action(self, interview_id: str, record: ActionRecord, now: datetime) -> None:
        """Insert or update the action in slot (interview, kind, recipient).

        Raises :class:`StorageError` when the interview is not stored.
        """
        _aware(now, "now")
        for name in ("due_at", "drafted_at", "sent_at", "drafted_for", "written_at"):
            value = getattr(record, name)
            if value is not None:
                _aware(value, name)
        values = {
            "interview_id": interview_id,
            "kind": record.kind.value,
            "recipient": record.recipient,
            "state": record.state.value,
            "due_at": record.due_at,
            "reason": reason_to_row(record.reason),
            "detail": record.detail,
            "draft_id": record.draft_id,
            "message_id": record.message_id,
            "thread_id": record.thread_id,
            "content_hash": record.content_hash,
            "drafted_at": record.drafted_at,
            "sent_at": record.sent_at,
            "drafted_for": record.drafted_for,
            "edited": record.edited,
            "updated_at": now,
            "draft_version": record.draft_version,
            "written_at": record.written_at,
            "pending_hash": record.pending_hash,
            "removing": record.removing,
        }
        try:
            with self._connection(write=True) as connection:
                _upsert(connection, actions, values, keys=("interview_id", "kind", "recipient"))
            self._action_writes += 1
        except StorageError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise StorageError(
                    f"cannot save the {record.kind.value} action: interview {interview_id} "
                    "is not stored"
                ) from exc.__cause__
            raise

    def actions(self, interview_id: str) -> tuple[ActionRecord, ...]:
        """The actions of one interview (outreach, follow-up, thank-yous in saved order)."""
        with self._connection(write=False) as connection:
            rows = self._action_rows(connection, [interview_id])
            return tuple(action_from_row(row) for row in rows)

    def next_due(self, now: datetime, after: datetime | None = None) -> datetime | None:
        """When the scheduler should wake for a planned (or drafting) action.

        The earliest ``due_at`` of such actions of interviews not gone (only those due
        later than ``after``, when given), but never earlier than ``now`` (overdue work is
        due now); ``None`` when nothing is planned.
        """
        _aware(now, "now")
        query = (
            select(func.min(actions.c.due_at))
            .select_from(actions.join(interviews, interviews.c.id == actions.c.interview_id))
            .where(
                actions.c.state.in_(_OPEN_STATES),
                actions.c.due_at.is_not(None),
                interviews.c.gone.is_(False),
            )
        )
        if after is not None:
            query = query.where(actions.c.due_at > _aware(after, "after"))
        with self._connection(write=False) as connection:
            earliest: datetime | None = connection.scalar(query)
        if earliest is None:
            return None
        return max(earliest, now.astimezone(UTC))

    # -- audit ---------------------------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> None:
        """Append ``entry`` to the audit log. Entries are never changed or removed."""
        _aware(entry.at, "at")
        with self._connection(write=True) as connection:
            connection.execute(
                audit_log.insert().values(
                    at=entry.at,
                    account=entry.account,
                    interview_id=entry.interview_id,
                    action_kind=None if entry.action_kind is None else entry.action_kind.value,
                    recipient=entry.recipient,
                    operation=entry.operation,
                    draft_id=entry.draft_id,
                    message_id=entry.message_id,
                    detail=entry.detail,
                )
            )

    def audit(self, interview_id: str | None = None) -> list[AuditEntry]:
        """The audit log (of one interview, when given), oldest first."""
        query = select(audit_log).order_by(audit_log.c.id)
        if interview_id is not None:
            query = query.where(audit_log.c.interview_id == interview_id)
        with self._connection(write=False) as connection:
            return [
                AuditEntry(
                    at=row.at,
                    account=row.account,
                    interview_id=row.interview_id,
                    action_kind=None if row.action_kind is None else ActionKind(row.action_kind),
                    recipient=row.recipient,
                    operation=row.operation,
                    draft_id=row.draft_id,
                    message_id=row.message_id,
                    detail=row.detail,
                )
                for row in connection.execute(query)
            ]

    # -- accounts ------------------------------------------------------------------

    def account_states(self) -> list[AccountState]:
        """The stored state of every account, in one query."""
        with self._connection(write=False) as connection:
            return [account_state_from_row(row) for row in connection.execute(select(accounts))]

    def account_addresses(self) -> dict[str, str]:
        """Each account's address as last seen (name → address): two short columns only."""
        with self._connection(write=False) as connection:
            rows = connection.execute(select(accounts.c.name, accounts.c.address))
            return {name: address for name, address in rows if address}

    def passed_or_held(
        self, name: str, since: datetime, now: datetime, claimant: Claimant, alive: ProcessAlive
    ) -> bool:
        """Whether a pass of account ``name`` began after ``since``, or another process holds
        its lease at ``now`` (it is being passed): one short read, for a scheduled round to
        leave the account to whoever has it. A lease :meth:`acquire_lease` would take from
        its holder (expired, or left by a dead process on this host) does not count."""
        _aware(since, "since")
        _aware(now, "now")
        last_pass = select(accounts.c.last_pass_at).where(accounts.c.name == name)
        lease = select(leases.c.holder_id, leases.c.host, leases.c.pid, leases.c.expires_at)
        with self._connection(write=False) as connection:
            last_pass_at = connection.scalar(last_pass)
            holder = connection.execute(lease.where(leases.c.account == name)).one_or_none()
        if last_pass_at is not None and last_pass_at > since:
            return True
        return holder is not None and not _lease_is_free(holder, claimant, now, alive)

    def account_state(self, name: str) -> AccountState | None:
        """The stored state of account ``name``, or ``None`` before its first pass."""
        with self._connection(write=False) as connection:
            row = connection.execute(select(accounts).where(accounts.c.name == name)).one_or_none()
            if row is None:
                return None
            return account_state_from_row(row)

    def save_account_state(self, state: AccountState) -> None:
        """Insert or replace the state of account ``state.name``."""
        for name in ("last_pass_at", "last_success_at"):
            value = getattr(state, name)
            if value is not None:
                _aware(value, name)
        values = {
            "name": state.name,
            "provider": state.provider,
            "address": state.address,
            "calendar_cursor": state.calendar_cursor,
            "mail_cursor": state.mail_cursor,
            "last_pass_at": state.last_pass_at,
            "last_success_at": state.last_success_at,
            "last_error": state.last_error,
            "needs_auth": state.needs_auth,
        }
        with self._connection(write=True) as connection:
            _upsert(connection, accounts, values, keys=("name",))

    # -- leases --------------------------------------------------------------------

    def acquire_lease(
        self,
        account: str,
        claimant: Claimant,
        now: datetime,
        ttl: timedelta,
        alive: ProcessAlive,
    ) -> Lease | LeaseHeld:
        """Take the lease of ``account`` for ``claimant`` until ``now + ttl``, if free.

        Free means: nobody holds it, or its holder let it expire, or the holder is a
        process on this host that no longer runs (``alive(pid)`` is false). Otherwise the
        holder is returned. One transaction (``BEGIN IMMEDIATE`` on SQLite, a row lock on
        PostgreSQL), so two processes never both get it.
        """
        _aware(now, "now")
        expires = now + ttl
        ours = {
            "holder_id": claimant.holder_id,
            "host": claimant.host,
            "pid": claimant.pid,
            "acquired_at": now,
            "renewed_at": now,
            "expires_at": expires,
        }
        locked = select(leases).where(leases.c.account == account).with_for_update()
        with self._connection(write=True) as connection:
            # Nobody's row yet: insert ours, unless another process inserted its own first
            # (a row lock cannot cover a row that does not exist yet).
            row = None
            while row is None:
                if _insert_if_absent(connection, leases, {"account": account, **ours}, "account"):
                    return Lease(account, claimant, now, expires)
                # Its holder may give it back (delete the row) before we lock it: try again.
                row = connection.execute(locked).one_or_none()
            if not _lease_is_free(row, claimant, now, alive):
                return LeaseHeld(account, row.host, row.pid, row.acquired_at, row.expires_at)
            connection.execute(update(leases).where(leases.c.account == account).values(ours))
            return Lease(account, claimant, now, expires)

    def renew_lease(self, lease: Lease, now: datetime, ttl: timedelta) -> Lease:
        """Extend ``lease`` to ``now + ttl``; raises :class:`LeaseLost` if it is not ours.

        Called before every mailbox write: a process whose lease was taken over stops.
        """
        _aware(now, "now")
        expires = max(lease.expires_at, now + ttl)
        with self._connection(write=True) as connection:
            result = connection.execute(
                update(leases)
                .where(
                    leases.c.account == lease.account,
                    leases.c.holder_id == lease.claimant.holder_id,
                )
                .values(renewed_at=now, expires_at=expires)
            )
            if result.rowcount != 1:
                raise LeaseLost(
                    f"account {lease.account}: another process took over this account; "
                    "this pass stopped working on it"
                )
        return Lease(lease.account, lease.claimant, lease.acquired_at, expires)

    def release_lease(self, lease: Lease) -> None:
        """Give the lease back (nothing happens if it is no longer ours)."""
        with self._connection(write=True) as connection:
            connection.execute(
                delete(leases).where(
                    leases.c.account == lease.account,
                    leases.c.holder_id == lease.claimant.holder_id,
                )
            )

    def lease_holder(self, account: str, now: datetime) -> LeaseHeld | None:
        """Who holds the unexpired lease of ``account``, if anyone (for ``accounts``)."""
        query = select(leases).where(leases.c.account == account)
        with self._connection(write=False) as connection:
            row = connection.execute(query).one_or_none()
            if row is None or row.expires_at <= now:
                return None
            return LeaseHeld(account, row.host, row.pid, row.acquired_at, row.expires_at)

    # -- internals -----------------------------------------------------------------

    def _current(self) -> Connection | None:
        connection: Connection | None = getattr(self._local, "connection", None)
        return connection

    @contextmanager
    def _connection(self, *, write: bool) -> Iterator[Connection]:
        """The open :meth:`transaction`'s connection, or a new one committed at the end."""
        outer = self._current()
        if outer is not None:
            yield outer
            return
        try:
            with (self._writer if write else self._engine).begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StorageError(f"database {self._location}: {error_line(exc)}") from exc

    def _select_tracked(self, query: Select[*tuple[Any, ...]]) -> list[TrackedInterview]:
        query = query.order_by(interviews.c.start_at, interviews.c.id)
        with self._connection(write=False) as connection:
            rows = connection.execute(query).all()
            by_interview: dict[str, list[_Row]] = {row.id: [] for row in rows}
            for action in self._action_rows(connection, list(by_interview)):
                by_interview[action.interview_id].append(action)
            return [self._tracked(row, by_interview[row.id]) for row in rows]

    @staticmethod
    def _action_rows(connection: Connection, interview_ids: list[str]) -> list[_Row]:
        rows: list[_Row] = []
        for start in range(0, len(interview_ids), _IDS_PER_QUERY):
            chunk = interview_ids[start : start + _IDS_PER_QUERY]
            rows += connection.execute(select(actions).where(actions.c.interview_id.in_(chunk)))
        return sorted(rows, key=action_order)

    def _tracked(self, row: _Row, action_rows: list[_Row]) -> TrackedInterview:
        try:
            return tracked_from_rows(row, action_rows)
        except ValueError as exc:
            raise StorageError(
                f"database {self._location}: interview {row.id} cannot be read ({exc})"
            ) from exc

    # -- message index (issue 11) --------------------------------------------------

    def message_index(self, account: str) -> StoreMessageIndex:
        """The index of ``account``'s Maildir headers kept in this database (a
        ``daemon.ports.MessageIndex``); each of its calls is one transaction."""
        return StoreMessageIndex(self._connection, account)


def _lease_is_free(holder: Any, claimant: Claimant, now: datetime, alive: ProcessAlive) -> bool:
    """Whether ``claimant`` may take a lease held as ``holder`` says (a ``leases`` row): it
    is its own, it expired, or its holder was a process on this host that no longer runs."""
    return bool(
        holder.holder_id == claimant.holder_id
        or holder.expires_at <= now
        or (holder.host == claimant.host and holder.pid != claimant.pid and not alive(holder.pid))
    )


def _interview_values(interview: Interview, now: datetime) -> dict[str, Any]:
    _aware(now, "now")
    _aware(interview.start, "interview start")
    _aware(interview.end, "interview end")
    return {
        "id": interview.id,
        "account": interview.account,
        "ical_uid": _text(interview.event.uid),
        "instance": _text(interview.event.instance),
        "title": _text(interview.event.title),
        "company": _text(interview.company),
        "role": _text(interview.role),
        "start_at": interview.start,
        "end_at": interview.end,
        "skip_reason": None if interview.skip_reason is None else interview.skip_reason.value,
        "skip_detail": _text(interview.skip_detail),
        "snapshot": interview_to_json(interview),
        "first_seen_at": now,
        "updated_at": now,
        "gone": False,
    }


def _text(value: str) -> str:
    """``value`` made storable: lone surrogates (from odd calendar data) become "?".

    Only the query columns are affected; the snapshot keeps the text exactly.
    """
    return value.encode("utf-8", "replace").decode("utf-8")


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value


def _dialect_insert(dialect: str, table: Table) -> Any:
    """The dialect's INSERT with ON CONFLICT. Imported here: the PostgreSQL dialect costs
    tens of milliseconds at start-up (asyncpg and ssl), which `status` has no use for."""
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite  # noqa: PLC0415

        return sqlite.insert(table)
    from sqlalchemy.dialects import postgresql  # noqa: PLC0415

    return postgresql.insert(table)


def _insert_if_absent(
    connection: Connection, table: Table, values: Mapping[str, Any], key: str
) -> bool:
    """Insert ``values`` unless a row with the same ``key`` exists; whether it was inserted."""
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = _dialect_insert(dialect, table).values(dict(values))
        statement = insert.on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])
        return connection.execute(statement).first() is not None
    # Other backends: read, then write, inside the caller's transaction.
    exists = connection.execute(select(table.c[key]).where(table.c[key] == values[key])).first()
    if exists is None:
        connection.execute(table.insert().values(dict(values)))
    return exists is None


def _upsert(
    connection: Connection,
    table: Table,
    values: Mapping[str, Any],
    keys: tuple[str, ...],
    keep: tuple[str, ...] = (),
    only_if: Callable[[Any, Any], Any] | None = None,
) -> bool:
    """Insert ``values``, or update the row with the same ``keys`` (except ``keep``).

    ``only_if(table, excluded)`` is a condition the existing row must meet to be updated.
    Returns whether a row was inserted or updated.
    """
    changed = [name for name in values if name not in keys and name not in keep]
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = _dialect_insert(dialect, table).values(dict(values))
        condition = None if only_if is None else only_if(table, insert.excluded)
        statement = insert.on_conflict_do_update(
            index_elements=list(keys),
            set_={n: insert.excluded[n] for n in changed},
            where=condition,
        )
        if condition is None:
            connection.execute(statement)
            return True
        # A row comes back only if it was inserted or its condition let it be updated.
        return connection.execute(statement.returning(table.c[keys[0]])).first() is not None
    # Other backends: read, then write, inside the caller's transaction.
    where = [table.c[k] == values[k] for k in keys]
    exists = connection.execute(select(*[table.c[k] for k in keys]).where(*where)).first()
    if exists is None:
        connection.execute(table.insert().values(dict(values)))
    else:
        connection.execute(table.update().where(*where).values({n: values[n] for n in changed}))
    return True
