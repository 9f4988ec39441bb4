"""Carry out planned decisions against one mailbox, recording intent before each change.

Order matters for crash safety: a draft's Message-ID and content hash are committed (state
``drafting``) before the provider is asked to create it. If the process dies in between,
the next pass finds the draft by that Message-ID instead of creating a second one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import make_msgid

from daemon.domain.model import (
    ActionRecord,
    ActionState,
    Address,
    DraftContent,
    DraftMessage,
    Interview,
)
from daemon.domain.planning import CreateDraft, Decision, DeleteDraft, Record, UpdateDraft
from daemon.ports import Mailbox
from daemon.store.repository import AuditEntry, Store


@dataclass
class ExecutionTally:
    """How many mailbox changes one pass made, for the pass report."""

    created: int = 0
    updated: int = 0
    deleted: int = 0


class Executor:
    """Applies decisions for the interviews of one account to its mailbox and the store."""

    def __init__(
        self, store: Store, mailbox: Mailbox, account: str, sender: Address, now: datetime
    ) -> None:
        self._store = store
        self._mailbox = mailbox
        self._account = account
        self._sender = sender
        self._now = now
        self.tally = ExecutionTally()

    def apply(self, interview: Interview, decision: Decision) -> None:
        """Perform one decision; provider errors propagate after intent was recorded."""
        if isinstance(decision, Record):
            self._store.save_action(interview.id, decision.record, self._now)
        elif isinstance(decision, CreateDraft):
            self._create(interview, decision)
        elif isinstance(decision, UpdateDraft):
            self._update(interview, decision)
        else:
            self._delete(interview, decision)

    def _create(self, interview: Interview, decision: CreateDraft) -> None:
        domain = self._sender.email.rpartition("@")[2] or "localhost"
        message_id = decision.record.message_id or make_msgid(domain=domain)
        intent = replace(
            decision.record,
            state=ActionState.DRAFTING,
            message_id=message_id,
            content_hash=decision.content.fingerprint,
            drafted_for=interview.start,
        )
        self._store.save_action(interview.id, intent, self._now)
        draft = self._message(decision.content, message_id, decision.reply_to)
        ref = self._mailbox.create_draft(draft)
        done = replace(
            intent,
            state=ActionState.DRAFTED,
            draft_id=ref.draft_id,
            thread_id=ref.thread_id or intent.thread_id,
            drafted_at=self._now,
            detail=f"draft ready for you to review and send to {_recipients(decision.content)}",
        )
        self._store.save_action(interview.id, done, self._now)
        self._audit(interview, done, "create_draft", f"subject: {decision.content.subject}")
        self.tally.created += 1

    def _update(self, interview: Interview, decision: UpdateDraft) -> None:
        record = decision.record
        message_id = record.message_id or make_msgid()
        draft = self._message(decision.content, message_id, decision.reply_to)
        ref = self._mailbox.update_draft(record.ref, draft)
        updated = replace(
            record,
            draft_id=ref.draft_id,
            thread_id=ref.thread_id or record.thread_id,
            content_hash=decision.content.fingerprint,
            drafted_for=interview.start,
            detail="draft updated to match the invitation's new details",
        )
        self._store.save_action(interview.id, updated, self._now)
        self._audit(interview, updated, "update_draft", f"subject: {decision.content.subject}")
        self.tally.updated += 1

    def _delete(self, interview: Interview, decision: DeleteDraft) -> None:
        self._mailbox.delete_draft(decision.record.ref)
        self._store.save_action(interview.id, decision.then, self._now)
        self._audit(interview, decision.record, "delete_draft", decision.then.detail)
        self.tally.deleted += 1

    def _message(
        self, content: DraftContent, message_id: str, reply_to: ActionRecord | None
    ) -> DraftMessage:
        parent = reply_to.message_id if reply_to else None
        return DraftMessage(
            content=content,
            sender=self._sender,
            message_id=message_id,
            date=self._now,
            in_reply_to=parent,
            references=(parent,) if parent else (),
            thread_id=reply_to.thread_id if reply_to else None,
        )

    def _audit(
        self, interview: Interview, record: ActionRecord, operation: str, detail: str
    ) -> None:
        self._store.append_audit(
            AuditEntry(
                at=self._now,
                account=self._account,
                interview_id=interview.id,
                action_kind=record.kind,
                recipient=record.recipient,
                operation=operation,
                draft_id=record.draft_id,
                message_id=record.message_id,
                detail=detail,
            )
        )


def _recipients(content: DraftContent) -> str:
    return ", ".join(a.email for a in content.to)
