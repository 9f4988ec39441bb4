"""The store's value types, and how a row becomes one: no SQLAlchemy here.

:mod:`daemon.store.repository` reads rows with SQLAlchemy Core; :mod:`daemon.store.sqlite_reader`
reads the same rows with the standard library (for `status`, which must start fast). Both
turn them into these types through the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from interview_outreach.daemon.domain.model import (
    ActionKind,
    ActionReason,
    ActionRecord,
    ActionState,
    Interview,
    Reason,
    SkipReason,
)
from interview_outreach.daemon.store.codec import interview_from_json

_KIND_ORDER = {kind.value: rank for rank, kind in enumerate(ActionKind)}


@dataclass(frozen=True)
class TrackedInterview:
    """A stored interview with its actions and bookkeeping times."""

    interview: Interview
    actions: tuple[ActionRecord, ...]
    first_seen_at: datetime
    updated_at: datetime
    gone: bool

    def action(self, kind: ActionKind, recipient: str | None = None) -> ActionRecord | None:
        """The action of ``kind`` (for ``recipient``, when given), if there is one."""
        for record in self.actions:
            if record.kind is kind and (recipient is None or record.recipient == recipient):
                return record
        return None


@dataclass(frozen=True)
class AccountState:
    """Sync cursors and health of one configured account. Never holds a secret."""

    name: str
    provider: str
    address: str
    calendar_cursor: str | None = None
    mail_cursor: str | None = None
    last_pass_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    needs_auth: bool = False


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log.

    ``operation`` names what happened: ``create_draft``, ``update_draft``,
    ``delete_draft`` for mailbox calls; ``adopt_draft`` and ``found_sent`` when a draft
    or sent message with the action's Message-ID was found already in the mailbox (made
    before an interruption, by another process, or before the database was lost);
    ``state`` for a change of an action's state.
    """

    at: datetime
    account: str
    interview_id: str | None
    action_kind: ActionKind | None
    recipient: str | None
    operation: str
    draft_id: str | None = None
    message_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Claimant:
    """A process asking for an account's lease: its host, its pid and an id of its own."""

    host: str
    pid: int
    holder_id: str


@dataclass(frozen=True)
class Lease:
    """An account's lease as held by one process (``claimant``) until ``expires_at``."""

    account: str
    claimant: Claimant
    acquired_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class LeaseHeld:
    """The lease is another process's: who holds it, since when, until when."""

    account: str
    host: str
    pid: int
    since: datetime
    expires_at: datetime


def account_state_from_row(row: Any) -> AccountState:
    """The ``AccountState`` of an ``accounts`` row (any object with its columns as attributes)."""
    return AccountState(
        name=row.name,
        provider=row.provider,
        address=row.address,
        calendar_cursor=row.calendar_cursor,
        mail_cursor=row.mail_cursor,
        last_pass_at=row.last_pass_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        needs_auth=row.needs_auth,
    )


_REASONS: dict[str, ActionReason] = {member.value: member for member in (*SkipReason, *Reason)}


def reason_from_row(code: str | None, detail: str) -> tuple[ActionReason | None, str]:
    """The reason and detail of an ``actions`` row's ``reason`` and ``detail`` columns.

    A code this version does not know (written by a newer one) is not a reason here: it
    reads as no reason, and stays in sight at the front of the detail. Never raises.
    """
    if not code:
        return None, detail
    reason = _REASONS.get(code)
    if reason is not None:
        return reason, detail
    return None, f"{code}: {detail}" if detail else code


def reason_to_row(reason: ActionReason | None) -> str | None:
    """The ``reason`` column's value for ``reason``."""
    return None if reason is None else reason.value


def action_from_row(row: Any) -> ActionRecord:
    """The ``ActionRecord`` of an ``actions`` row (any object with its columns as attributes)."""
    reason, detail = reason_from_row(row.reason, row.detail)
    return ActionRecord(
        kind=ActionKind(row.kind),
        recipient=row.recipient,
        state=ActionState(row.state),
        due_at=row.due_at,
        reason=reason,
        detail=detail,
        draft_id=row.draft_id,
        message_id=row.message_id,
        thread_id=row.thread_id,
        content_hash=row.content_hash,
        drafted_at=row.drafted_at,
        sent_at=row.sent_at,
        drafted_for=row.drafted_for,
        edited=row.edited,
        draft_version=row.draft_version,
        written_at=row.written_at,
        pending_hash=row.pending_hash,
        removing=row.removing,
    )


def action_order(row: Any) -> tuple[int, int]:
    """Where an ``actions`` row comes among its interview's: by kind, then as made."""
    return _KIND_ORDER.get(row.kind, len(_KIND_ORDER)), row.id


def tracked_from_rows(row: Any, actions: list[Any]) -> TrackedInterview:
    """The ``TrackedInterview`` of an ``interviews`` row and its ``actions`` rows (in
    ``action_order``). Raises ``ValueError`` when the stored snapshot cannot be read."""
    return TrackedInterview(
        interview=interview_from_json(row.snapshot),
        actions=tuple(action_from_row(a) for a in actions),
        first_seen_at=row.first_seen_at,
        updated_at=row.updated_at,
        gone=row.gone,
    )
