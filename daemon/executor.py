"""Carry out planned decisions against one mailbox, recording intent before each change.

Order matters for crash safety, and every mailbox write assumes another process, a crash
or a lost database:

* Before a draft is created, the mailbox is asked for the action's Message-ID (derived
  from the invitation, so every process computes the same one): a draft or sent message
  that already carries it is adopted instead of drafting twice.
* The intent (state ``drafting`` with the Message-ID and content hash; ``pending_hash``
  for an update; ``removing`` for a deletion) is committed before the provider is asked,
  and the outcome with its audit line is committed in one transaction after it. A process
  killed in between leaves an intent that :meth:`Executor.reconcile` resolves next time.
* The account's lease is renewed right before each write (``guard``), so a process that
  lost the account to another one stops before writing.
* A draft is updated or deleted only while the mailbox says it is the untouched one we
  wrote; otherwise it is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from interview_outreach.daemon.domain.identity import action_message_id
from interview_outreach.daemon.domain.model import (
    CANCELLING,
    ActionRecord,
    ActionState,
    Address,
    DraftContent,
    DraftMessage,
    DraftRef,
    Interview,
    Reason,
)
from interview_outreach.daemon.domain.planning import (
    AdoptDraft,
    CreateDraft,
    Decision,
    DeleteDraft,
    Record,
    Slot,
    UpdateDraft,
    adopted,
    already_sent,
)
from interview_outreach.daemon.errors import DraftChanged
from interview_outreach.daemon.ports import DraftCheck, DraftRemoval, Mailbox
from interview_outreach.daemon.scrub import scrub
from interview_outreach.daemon.store.records import AuditEntry
from interview_outreach.daemon.store.repository import Store


@dataclass
class ExecutionTally:
    """How many mailbox changes one pass made, for the pass report."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    adopted: int = 0  # drafts or sent messages found already in the mailbox


def recipient_of(interview: Interview, record: ActionRecord) -> str:
    """The address an action writes to: one interviewer per thank-you, else the recipient."""
    if record.recipient:
        return record.recipient
    return interview.recipient.email if interview.recipient else ""


def message_id_for(interview: Interview, record: ActionRecord, user_address: str) -> str:
    """The Message-ID of ``record``'s draft: the one recorded, else the derived one."""
    if record.message_id:
        return record.message_id
    return action_message_id(
        interview.event.uid,
        interview.event.instance,
        record.kind,
        recipient_of(interview, record),
        user_address,
    )


class Executor:
    """Applies decisions for the interviews of one account to its mailbox and the store."""

    def __init__(
        self,
        store: Store,
        mailbox: Mailbox,
        account: str,
        sender: Address,
        now: datetime,
        *,
        timezone: ZoneInfo,
        guard: Callable[[], None] = lambda: None,
        max_new_drafts: int | None = None,
    ) -> None:
        self._store = store
        self._timezone = timezone
        self._mailbox = mailbox
        self._account = account
        self._sender = sender
        self._now = now
        self._guard = guard
        self._written: dict[tuple[str, Slot], ActionRecord] = {}
        self._max_new_drafts = max_new_drafts
        self.tally = ExecutionTally()
        self.blocked: list[str] = []  # one line per action that could not be drafted
        self.capped = 0  # due actions left for the next pass by ``max_new_drafts``

    def apply(self, interview: Interview, decision: Decision) -> None:
        """Perform one decision; provider errors propagate after intent was recorded."""
        if isinstance(decision, Record):
            self._save(interview, self._current(interview, decision.record))
        elif isinstance(decision, AdoptDraft):
            self._finish(interview, decision.record, True, "adopt_draft", decision.record.detail)
            self.tally.adopted += 1
        elif isinstance(decision, CreateDraft):
            self._create(interview, decision)
        elif isinstance(decision, UpdateDraft):
            self._update(interview, decision)
        else:
            self._delete(interview, decision)

    # -- after a crash ----------------------------------------------------------------

    def reconcile(self, interview: Interview, record: ActionRecord) -> ActionRecord:
        """Resolve an update or deletion a previous process left half done."""
        if record.removing:
            return self._finish_removal(interview, record)
        if record.pending_hash and record.state is ActionState.DRAFTED:
            return self._finish_update(interview, record)
        return record

    def _finish_removal(self, interview: Interview, record: ActionRecord) -> ActionRecord:
        self._guard()
        outcome = self._mailbox.delete_draft(record.ref, record.content_hash or "")
        if outcome is DraftRemoval.KEPT:
            done = self._kept(record, replace(record, removing=False))
        else:
            # GONE too: the deletion asked for before the interruption went through.
            done = replace(record, removing=False)
        deleted = outcome is not DraftRemoval.KEPT
        self._finish(interview, done, deleted, "delete_draft", f"{done.detail} (reconciled)")
        return done

    def _finish_update(self, interview: Interview, record: ActionRecord) -> ActionRecord:
        pending = record.pending_hash or ""
        landed = False
        if self._mailbox.check_draft(record.ref, record.content_hash or "") is DraftCheck.UNTOUCHED:
            done = replace(record, pending_hash=None)  # the update never reached the mailbox
        elif (
            self._mailbox.check_draft(replace(record.ref, version=None), pending)
            is DraftCheck.UNTOUCHED
        ):
            # The update landed before the crash; its new version marker was never seen.
            done = replace(record, content_hash=pending, draft_version=None, pending_hash=None)
            landed = True
        else:
            done = replace(record, pending_hash=None)
        self._finish(interview, done, landed, "update_draft", "draft updated (reconciled)")
        return done

    # -- the three mailbox operations -------------------------------------------------

    def _create(self, interview: Interview, decision: CreateDraft) -> None:
        cap = self._max_new_drafts
        if cap is not None and self.tally.created >= cap:
            self.capped += 1
            detail = (
                f"waits for the next pass: this pass already made {cap} new drafts "
                "(max_new_drafts_per_pass)"
            )
            self._save(
                interview,
                replace(
                    decision.record,
                    state=ActionState.BLOCKED,
                    reason=Reason.DRAFT_CAP,
                    detail=detail,
                ),
            )
            return
        message_id = message_id_for(interview, decision.record, self._sender.email)
        fingerprint = decision.content.fingerprint
        found = self._already_in_mailbox(interview, decision.record, message_id, fingerprint)
        if found is not None:
            operation = "adopt_draft" if found.state is ActionState.DRAFTED else "found_sent"
            self._finish(interview, found, True, operation, found.detail)
            self.tally.adopted += 1
            return
        intent = replace(
            decision.record,
            state=ActionState.DRAFTING,
            message_id=message_id,
            content_hash=fingerprint,
            drafted_for=interview.start,
        )
        self._save(interview, intent)
        self._guard()
        ref = self._mailbox.create_draft(self._message(decision.content, message_id, decision))
        done = replace(
            intent,
            state=ActionState.DRAFTED,
            draft_id=ref.draft_id,
            thread_id=ref.thread_id or intent.thread_id,
            draft_version=ref.version,
            drafted_at=self._now,
            written_at=self._now,
            detail=f"draft ready for you to review and send to {_recipients(decision.content)}",
        )
        self._finish(interview, done, True, "create_draft", f"subject: {decision.content.subject}")
        self.tally.created += 1

    def _already_in_mailbox(
        self, interview: Interview, record: ActionRecord, message_id: str, fingerprint: str
    ) -> ActionRecord | None:
        """The action as the mailbox already holds it (a draft or a sent message), if so.

        Every process derives the same Message-ID, so this is what stops a second draft
        after a crash, beside a concurrent process, or with a new database.
        """
        ref = self._mailbox.find_draft(message_id)
        if ref is not None:
            # The version found is the current one: whether it is ours, only content says.
            check = self._mailbox.check_draft(replace(ref, version=None), fingerprint)
            return adopted(record, ref, fingerprint, check is not DraftCheck.UNTOUCHED, self._now)
        sent = self._mailbox.find_sent(DraftRef("", message_id))
        if sent is not None:
            return already_sent(record, sent, self._timezone)
        return None

    def _update(self, interview: Interview, decision: UpdateDraft) -> None:
        record = self._current(interview, decision.record)
        message_id = message_id_for(interview, record, self._sender.email)
        fingerprint = decision.content.fingerprint
        intent = replace(record, pending_hash=fingerprint)
        self._save(interview, intent)
        self._guard()
        draft = self._message(decision.content, message_id, decision)
        try:
            ref = self._mailbox.update_draft(record.ref, draft, record.content_hash or "")
        except DraftChanged:
            kept = replace(
                record,
                edited=True,
                detail="you changed this draft just now, so it was not updated",
            )
            self._save(interview, kept)
            return
        updated = replace(
            record,
            draft_id=ref.draft_id,
            thread_id=ref.thread_id or record.thread_id,
            draft_version=ref.version,
            content_hash=fingerprint,
            pending_hash=None,
            drafted_for=interview.start,
            written_at=self._now,
            detail="draft updated to match the invitation's new details",
        )
        self._finish(
            interview, updated, True, "update_draft", f"subject: {decision.content.subject}"
        )
        self.tally.updated += 1

    def _delete(self, interview: Interview, decision: DeleteDraft) -> None:
        record = self._current(interview, decision.record)
        decision = replace(decision, then=self._current(interview, decision.then))
        intent = replace(decision.then, removing=True)
        self._save(interview, intent)
        self._guard()
        outcome = self._mailbox.delete_draft(record.ref, record.content_hash or "")
        if outcome is DraftRemoval.REMOVED:
            done = decision.then
            self._finish(interview, done, True, "delete_draft", done.detail)
            self.tally.deleted += 1
        elif outcome is DraftRemoval.KEPT:
            done = self._kept(record, decision.then)
            self._save(interview, done)
        else:
            # It stopped being a draft since we looked: sent or deleted by the user. The
            # next pass tells which; the decision taken on an outdated view is dropped.
            self._save(interview, record)

    def _kept(self, record: ActionRecord, then: ActionRecord) -> ActionRecord:
        """The outcome when the draft to delete turned out to hold the user's changes."""
        if then.state is ActionState.CANCELLED and then.reason in CANCELLING:
            return replace(
                then,
                reason=Reason.EDITED_KEPT,
                removing=False,
                detail=f"{then.detail}; you edited the draft, so it was left in your mailbox",
            )
        # Otherwise the draft stays the user's, as an edited draft.
        return replace(
            record,
            state=ActionState.DRAFTED,
            edited=True,
            removing=False,
            detail="you edited this draft, so it was left as it is",
        )

    # -- helpers ----------------------------------------------------------------------

    def _current(self, interview: Interview, record: ActionRecord) -> ActionRecord:
        """``record`` with the draft as this pass last wrote it (an update earlier in the
        same plan changed its version and content hash)."""
        written = self._written.get((interview.id, record.slot))
        if written is None or written.draft_id is None:
            return record
        return replace(
            record,
            draft_id=written.draft_id,
            thread_id=written.thread_id,
            draft_version=written.draft_version,
            content_hash=written.content_hash,
            written_at=written.written_at,
            drafted_for=written.drafted_for,
        )

    def _save(self, interview: Interview, record: ActionRecord) -> None:
        self._store.save_action(interview.id, record, self._now)
        self._written[(interview.id, record.slot)] = record
        if record.state is ActionState.BLOCKED and record.reason is not Reason.DRAFT_CAP:
            to = f" to {record.recipient}" if record.recipient else ""
            self.blocked.append(
                scrub(
                    f"{record.kind.value}{to} for {interview.event.title!r} ({interview.id}) "
                    f"is blocked: {record.detail}"
                )
            )

    def _finish(
        self,
        interview: Interview,
        record: ActionRecord,
        audit: bool,
        operation: str,
        detail: str,
    ) -> None:
        """Record the outcome of a mailbox call, and its audit line, in one transaction."""
        with self._store.transaction():
            self._save(interview, record)
            if audit:
                self._store.append_audit(self._entry(interview, record, operation, detail))

    def _message(
        self,
        content: DraftContent,
        message_id: str,
        decision: CreateDraft | UpdateDraft,
    ) -> DraftMessage:
        reply_to = decision.reply_to
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

    def _entry(
        self, interview: Interview, record: ActionRecord, operation: str, detail: str
    ) -> AuditEntry:
        return AuditEntry(
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


def _recipients(content: DraftContent) -> str:
    return ", ".join(a.email for a in content.to)
