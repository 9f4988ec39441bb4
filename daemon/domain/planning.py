"""Decide, for one interview at one moment, what should happen to each of its actions.

``plan`` is pure: it takes the interview, the persisted action records, what the mailbox
showed about existing drafts, the rules and ``now``, and returns decisions. The executor
(``daemon.executor``) carries them out. Nothing here talks to a provider or a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from interview_outreach.daemon.domain.language import (
    AUTO,
    Language,
    choose_language,
    highlights_for,
)
from interview_outreach.daemon.domain.model import (
    CANCELLING,
    THANKYOU_DESPITE,
    ActionKind,
    ActionReason,
    ActionRecord,
    ActionState,
    DraftContent,
    DraftRef,
    Interview,
    MailMessage,
    Participant,
    Reason,
    SkipReason,
)
from interview_outreach.daemon.domain.rendering import RenderContext, Renderer, TemplateProblem
from interview_outreach.daemon.domain.replies import ReplyFinding
from interview_outreach.daemon.domain.rules import Rules
from interview_outreach.daemon.domain.timing import (
    followup_due,
    format_short,
    outreach_window,
    thankyou_due,
)

Slot = tuple[ActionKind, str]


class DraftStatus(StrEnum):
    """What the mailbox showed about an action's draft this pass."""

    UNTOUCHED = "untouched"  # still a draft, as we wrote it
    EDITED = "edited"  # still a draft, changed by the user
    SENT = "sent"  # no longer a draft; the user sent it
    GONE = "gone"  # no longer a draft and nothing was sent: the user deleted it
    FOUND = "found"  # a draft with the action's Message-ID exists (crash, lost database)
    MISSING = "missing"  # a draft we meant to create (crash) does not exist


@dataclass(frozen=True)
class DraftObservation:
    """The mailbox's answer about one action's draft."""

    status: DraftStatus
    ref: DraftRef | None = None
    sent: MailMessage | None = None
    content_hash: str | None = None  # FOUND: the fingerprint of what the found draft says


@dataclass(frozen=True)
class InTouch:
    """How much the user already exchanged with the interviewers recently."""

    messages: int
    back_and_forth: bool
    detail: str


@dataclass(frozen=True)
class MailboxFacts:
    """Everything the mailbox told us about one interview this pass."""

    drafts: Mapping[Slot, DraftObservation] = field(default_factory=dict)
    reply: ReplyFinding | None = None
    in_touch: InTouch | None = None
    not_replies: tuple[str, ...] = ()  # automatic messages (auto-replies, bounces) passed over


@dataclass(frozen=True)
class PlanContext:
    """The fixed inputs of planning: rules, the user's zone and how drafts are written.

    ``language`` is the profile's setting ("auto" or a language code); ``account_languages``
    holds the accounts that set their own; ``translated_highlights`` the highlights written
    for one draft language.
    """

    rules: Rules
    timezone: ZoneInfo
    renderer: Renderer
    user_name: str
    signature: str
    highlights: tuple[str, ...]
    language: str = AUTO
    account_languages: tuple[tuple[str, str], ...] = ()
    translated_highlights: tuple[tuple[Language, tuple[str, ...]], ...] = ()

    def language_of(self, interview: Interview) -> Language:
        """The language of ``interview``'s drafts: its account's setting, else the profile's;
        "auto" follows the invitation."""
        setting = dict(self.account_languages).get(interview.account, self.language)
        return choose_language(setting, interview.event.title, interview.event.description)

    def highlights_in(self, language: Language) -> tuple[str, ...]:
        """The highlights a draft in ``language`` mentions."""
        return highlights_for(language, self.highlights, self.translated_highlights)


@dataclass(frozen=True)
class Record:
    """Persist ``record``; no mailbox change."""

    record: ActionRecord


@dataclass(frozen=True)
class AdoptDraft:
    """Persist ``record``, now drafted by a draft found in the mailbox by its Message-ID."""

    record: ActionRecord


@dataclass(frozen=True)
class CreateDraft:
    """Create a draft with ``content`` for ``record`` (which is planned or drafting)."""

    record: ActionRecord
    content: DraftContent
    reply_to: ActionRecord | None = None  # the sent outreach a follow-up replies to


@dataclass(frozen=True)
class UpdateDraft:
    """Rewrite the untouched draft of ``record`` with ``content``."""

    record: ActionRecord
    content: DraftContent
    reply_to: ActionRecord | None = None


@dataclass(frozen=True)
class DeleteDraft:
    """Delete the untouched draft of ``record``, then persist ``then``."""

    record: ActionRecord
    then: ActionRecord


Decision = Record | AdoptDraft | CreateDraft | UpdateDraft | DeleteDraft


@dataclass(frozen=True)
class Plan:
    """The decisions for one interview and its effective skip reason."""

    skip_reason: SkipReason | None
    skip_detail: str
    decisions: tuple[Decision, ...]


# Skip reasons that, once the outreach ended with them, hold for the whole interview.
_STICKY: frozenset[SkipReason] = frozenset({SkipReason.ALREADY_IN_TOUCH, SkipReason.TOO_LATE})


def effective_skip(
    interview: Interview, records: Sequence[ActionRecord]
) -> tuple[SkipReason | None, str]:
    """The interview's skip reason: from the invitation, else one the outreach ended with."""
    if interview.skip_reason is not None:
        return interview.skip_reason, interview.skip_detail
    for record in records:
        if record.kind is ActionKind.OUTREACH and record.state is ActionState.SKIPPED:
            reason = record.reason
            if isinstance(reason, SkipReason) and reason in _STICKY:
                return reason, record.detail
    return None, ""


def plan(
    interview: Interview,
    records: Sequence[ActionRecord],
    facts: MailboxFacts,
    context: PlanContext,
    now: datetime,
) -> Plan:
    """What should happen now to every action of ``interview``."""
    planner = _Planner(interview, {r.slot: r for r in records}, facts, context, now)
    decisions = planner.run()
    outcome = [d.then if isinstance(d, DeleteDraft) else d.record for d in decisions]
    skip, detail = effective_skip(interview, [*records, *outcome])
    return Plan(skip, detail, tuple(decisions))


class _Planner:
    def __init__(
        self,
        interview: Interview,
        records: dict[Slot, ActionRecord],
        facts: MailboxFacts,
        context: PlanContext,
        now: datetime,
    ) -> None:
        self.interview = interview
        self.records = records
        self.facts = facts
        self.context = context
        self.rules: Rules = context.rules
        self.now = now
        self.decisions: list[Decision] = []
        self.problem: str | None = None  # why the last render failed, if it did

    # ---- entry point -------------------------------------------------------------------

    def run(self) -> list[Decision]:
        self.skip, self.skip_detail = effective_skip(self.interview, list(self.records.values()))
        outreach = self._outreach(self._record(ActionKind.OUTREACH, ""))
        self._followup(self._record(ActionKind.FOLLOWUP, ""), outreach)
        for recipient in self._thankyou_recipients():
            self._thankyou(self._record(ActionKind.THANKYOU, recipient))
        self._retire_stale_thankyous()
        return self.decisions

    def _record(self, kind: ActionKind, recipient: str) -> ActionRecord:
        return self.records.get((kind, recipient)) or ActionRecord(kind=kind, recipient=recipient)

    def _thankyou_recipients(self) -> list[str]:
        return [p.email for p in self.interview.interviewers] or [""]

    # ---- the three actions ---------------------------------------------------------------

    def _outreach(self, record: ActionRecord) -> ActionRecord:
        if record.state.final:
            return record
        record = self._resolve_existing_draft(record)
        if record.state is not ActionState.PLANNED:
            return record
        if self.skip is not None:
            return self._close(record, ActionState.SKIPPED, self.skip, self.skip_detail)
        tz = self.context.timezone
        opens, closes = outreach_window(self.interview.start, self.rules, tz)
        if self.now >= closes:
            detail = f"the outreach window closed at {format_short(closes, tz)}"
            return self._close(record, ActionState.SKIPPED, SkipReason.TOO_LATE, detail)
        in_touch = self.facts.in_touch
        if in_touch is not None and self.now >= opens and self._already_in_touch(in_touch):
            return self._close(
                record, ActionState.SKIPPED, SkipReason.ALREADY_IN_TOUCH, in_touch.detail
            )
        return self._due(record, opens, "the outreach window opens")

    def _followup(self, record: ActionRecord, outreach: ActionRecord) -> None:
        if record.state.final:
            return
        record = self._resolve_existing_draft(record)
        if record.state is ActionState.DRAFTED:
            self._followup_drafted(record)
            return
        if record.state is not ActionState.PLANNED:
            return
        if self.skip is not None:
            self._close(record, ActionState.SKIPPED, self.skip, self.skip_detail)
            return
        if outreach.state in {ActionState.SKIPPED, ActionState.DISMISSED, ActionState.CANCELLED}:
            detail = f"the outreach was {outreach.state.value}"
            self._close(record, ActionState.SKIPPED, Reason.NOT_SENT, detail)
            return
        if outreach.state is not ActionState.SENT or outreach.sent_at is None:
            if self.now >= self.interview.start:
                detail = "the outreach was not sent before the interview"
                self._close(record, ActionState.SKIPPED, Reason.NOT_SENT, detail)
            else:
                self._keep(replace(record, due_at=None, detail="waits until the outreach is sent"))
            return
        if self.facts.reply is not None:
            self._close(record, ActionState.SKIPPED, Reason.REPLIED, self.facts.reply.why)
            return
        due = followup_due(outreach.sent_at, self.rules, self.context.timezone)
        latest = self.interview.start - timedelta(hours=self.rules.followup_min_gap_hours)
        # Not drafted by its due time (the daemon was not running)? Then it would land now.
        lands = max(due, self.now)
        if lands > latest:
            detail = (
                f"it would be drafted {format_short(lands, self.context.timezone)}, less than "
                f"{self.rules.followup_min_gap_hours} h before the interview"
            )
            self._close(record, ActionState.SKIPPED, Reason.TOO_CLOSE, detail)
            return
        why = f"{self.rules.followup_after_hours} h after the outreach was sent, without a reply"
        note = "; not counted as replies: "
        if self.facts.not_replies:
            why += note + "; ".join(self.facts.not_replies)
        elif note in record.detail and record.due_at == due:
            why += note + record.detail.split(note, 1)[1]  # a quiet pass learnt nothing new
        self._due(record, due, why, outreach)

    def _followup_drafted(self, record: ActionRecord) -> None:
        if self.facts.reply is None:
            return
        if self._observed(record) is DraftStatus.UNTOUCHED:
            self._delete_then(record, ActionState.CANCELLED, Reason.REPLIED, self.facts.reply.why)
        else:
            self._keep(replace(record, detail=f"{self.facts.reply.why}; your edited draft is kept"))

    def _thankyou(self, record: ActionRecord) -> None:
        if record.state.final:
            return
        record = self._resolve_existing_draft(record, started_matters=False)
        if record.state is not ActionState.PLANNED:
            return
        if self.skip is not None and self.skip not in THANKYOU_DESPITE:
            self._close(record, ActionState.SKIPPED, self.skip, self.skip_detail)
            return
        missed_after = self.interview.end + timedelta(hours=self.rules.thankyou_missed_hours)
        if self.now > missed_after:
            detail = (
                f"more than {self.rules.thankyou_missed_hours} h passed since the interview ended"
            )
            self._close(record, ActionState.SKIPPED, Reason.MISSED, detail)
            return
        due = thankyou_due(self.interview.end, self.rules, self.context.timezone)
        why = f"{self.rules.thankyou_after_minutes} min after the interview ends, in working hours"
        self._due(record, due, why)

    def _retire_stale_thankyous(self) -> None:
        current = set(self._thankyou_recipients())
        for (kind, recipient), record in list(self.records.items()):
            stale = kind is ActionKind.THANKYOU and recipient not in current
            if stale and record.state in (ActionState.PLANNED, ActionState.BLOCKED):
                self._close(record, ActionState.CANCELLED, None, "no longer on the invitation")

    # ---- shared steps --------------------------------------------------------------------

    def _resolve_existing_draft(
        self, record: ActionRecord, *, started_matters: bool = True
    ) -> ActionRecord:
        """Apply what the mailbox showed and what cancels drafts; returns the new record."""
        if record.state is ActionState.BLOCKED:
            record = replace(record, state=ActionState.PLANNED)  # tried again, every pass
        observation = self.facts.drafts.get(record.slot)
        if record.state is ActionState.DRAFTING:
            if observation and observation.status is DraftStatus.FOUND and observation.ref:
                edited = observation.content_hash != record.content_hash
                record = self._adopt(adopted(record, observation.ref, "", edited, self.now))
            else:
                # Our intent is recorded but no draft exists: make it again (same Message-ID).
                record = replace(record, state=ActionState.PLANNED)
        elif record.state is ActionState.PLANNED and observation is not None:
            # Not drafted as far as the database knows, yet the mailbox holds the action's
            # Message-ID: the database is new, or was lost.
            if observation.status is DraftStatus.SENT:
                return self._mark_sent(record)
            if observation.status is DraftStatus.FOUND and observation.ref:
                expected = self._render(record, self._reply_to(record))
                fingerprint = expected.fingerprint if expected else ""
                edited = observation.content_hash != fingerprint or expected is None
                record = self._adopt(
                    adopted(record, observation.ref, fingerprint, edited, self.now)
                )
        if self.skip in CANCELLING:
            return self._cancel(record, self.skip)
        if record.state is not ActionState.DRAFTED:
            return record
        status = self._observed(record)
        if status is DraftStatus.EDITED and not record.edited:
            record = self._keep(replace(record, edited=True))
        if status is DraftStatus.SENT:
            return self._mark_sent(record)
        if status is DraftStatus.GONE:
            return self._dismiss(record)
        started = self.now >= self.interview.start
        if started_matters and started:
            if status is DraftStatus.UNTOUCHED:
                detail = "the interview started before the draft was sent"
                return self._delete_then(
                    record, ActionState.CANCELLED, Reason.INTERVIEW_STARTED, detail
                )
            return record
        if self.skip is not None and record.kind is not ActionKind.THANKYOU:
            return self._withdraw(record, self.skip)
        self._refresh(record, status)
        return record

    def _observed(self, record: ActionRecord) -> DraftStatus:
        observation = self.facts.drafts.get(record.slot)
        # Without an observation (mailbox unreachable) assume the user touched it: never
        # overwrite or delete what we could not check.
        status = observation.status if observation else DraftStatus.EDITED
        if status is DraftStatus.FOUND:  # adopted this pass
            status = DraftStatus.UNTOUCHED
        # An edit, once seen, is remembered: even changed back, the draft is the user's.
        if status is DraftStatus.UNTOUCHED and record.edited:
            return DraftStatus.EDITED
        return status

    def _mark_sent(self, record: ActionRecord) -> ActionRecord:
        observation = self.facts.drafts[record.slot]
        sent = observation.sent
        sent_at = sent.date if sent else self.now
        updated = replace(
            record,
            state=ActionState.SENT,
            sent_at=sent_at,
            due_at=None,
            message_id=sent.message_id if sent else record.message_id,
            thread_id=(sent.thread_id if sent and sent.thread_id else record.thread_id),
            detail=f"you sent it at {format_short(sent_at, self.context.timezone)}",
        )
        return self._keep(updated)

    def _dismiss(self, record: ActionRecord) -> ActionRecord:
        detail = "you deleted the draft without sending it; it will not be drafted again"
        return self._close(record, ActionState.DISMISSED, None, detail)

    def _cancel(self, record: ActionRecord, reason: SkipReason) -> ActionRecord:
        if record.state is ActionState.DRAFTED:
            status = self._observed(record)
            if status is DraftStatus.SENT:
                return self._mark_sent(record)
            if status is DraftStatus.GONE:
                # The user deleted it before the cancellation was seen: their deletion, final,
                # so that an interview coming back does not bring the draft back.
                return self._dismiss(record)
            if status is DraftStatus.UNTOUCHED:
                return self._delete_then(record, ActionState.CANCELLED, reason, self.skip_detail)
            if status is DraftStatus.EDITED:
                detail = f"{self.skip_detail}; you edited the draft, so it was left in your mailbox"
                return self._close(record, ActionState.CANCELLED, Reason.EDITED_KEPT, detail)
        return self._close(record, ActionState.CANCELLED, reason, self.skip_detail)

    def _withdraw(self, record: ActionRecord, reason: SkipReason) -> ActionRecord:
        """A skip reason that appeared after drafting: remove an untouched draft."""
        if self._observed(record) is DraftStatus.UNTOUCHED:
            return self._delete_then(record, ActionState.SKIPPED, reason, self.skip_detail)
        note = f"{reason.value}: {self.skip_detail}; your edited draft is left as it is"
        return self._keep(replace(record, detail=note))

    def _refresh(self, record: ActionRecord, status: DraftStatus) -> None:
        """Keep an untouched draft in step with the interview (reschedules, new details)."""
        moved = record.drafted_for is not None and record.drafted_for != self.interview.start
        if status is DraftStatus.EDITED:
            if moved and record.drafted_for is not None:
                tz = self.context.timezone
                detail = (
                    f"you edited this draft, so it is not updated; it mentions the old time "
                    f"{format_short(record.drafted_for, tz)}, the interview is now at "
                    f"{format_short(self.interview.start, tz)}"
                )
                self._keep(replace(record, detail=detail))
            return
        reply_to = self._reply_to(record)
        as_drafted = self._render(record, reply_to, checked=False)
        if as_drafted is not None and as_drafted.fingerprint == record.content_hash:
            return  # the very draft made, which met the content rules then: nothing to check
        content = self._render(record, reply_to)
        if content is None and self.problem is not None:
            self._keep(replace(record, detail=f"cannot update the draft: {self.problem}"))
        if content is not None and content.fingerprint != record.content_hash:
            self.decisions.append(UpdateDraft(record, content, reply_to))

    def _due(
        self, record: ActionRecord, due: datetime, why: str, reply_to: ActionRecord | None = None
    ) -> ActionRecord:
        tz = self.context.timezone
        if self.now < due:
            detail = f"due {format_short(due, tz)}: {why}"
            return self._keep(replace(record, due_at=due, detail=detail, reason=None))
        content = self._render(record, reply_to)
        if content is None:
            if self.problem is None:
                return record
            # Due, but the draft would break a content rule: retried every pass, and said.
            blocked = replace(
                record,
                state=ActionState.BLOCKED,
                due_at=due,
                reason=Reason.TEMPLATE_RULE,
                detail=f"cannot draft: {self.problem}",
            )
            return self._keep(blocked)
        planned = replace(record, due_at=due, reason=None)
        self.decisions.append(CreateDraft(planned, content, reply_to))
        return planned

    def _render(
        self, record: ActionRecord, reply_to: ActionRecord | None, *, checked: bool = True
    ) -> DraftContent | None:
        """The draft for ``record``, or ``None`` (then ``problem`` says why, if anything
        but a missing recipient). ``checked=False`` skips the content rules."""
        self.problem = None
        recipient = self._recipient(record)
        if recipient is None:
            return None
        subject = ""
        if reply_to is not None:
            subject = _reply_subject(self._outreach_subject())
        note_sent_at = reply_to.sent_at if reply_to is not None else None
        context = self._render_context(record.kind, recipient, subject, note_sent_at)
        renderer = self.context.renderer
        try:
            return renderer.render(context) if checked else renderer.render_unchecked(context)
        except TemplateProblem as problem:
            self.problem = str(problem)
            return None

    def _outreach_record(self) -> ActionRecord:
        return self._record(ActionKind.OUTREACH, "")

    def _outreach_subject(self) -> str:
        outreach = self._outreach_record()
        recipient = self._recipient(outreach)
        if recipient is None:
            return ""
        context = self._render_context(ActionKind.OUTREACH, recipient)
        return self.context.renderer.render_unchecked(context).subject

    def _render_context(
        self,
        kind: ActionKind,
        recipient: Participant,
        reply_subject: str = "",
        note_sent_at: datetime | None = None,
    ) -> RenderContext:
        language = self.context.language_of(self.interview)
        return RenderContext(
            kind=kind,
            recipient=recipient,
            interview=self.interview,
            user_name=self.context.user_name,
            signature=self.context.signature,
            highlights=self.context.highlights_in(language),
            timezone=self.context.timezone,
            reply_subject=reply_subject,
            language=language,
            note_sent_at=note_sent_at,
        )

    def _recipient(self, record: ActionRecord) -> Participant | None:
        if record.kind is ActionKind.THANKYOU:
            return next(
                (p for p in self.interview.interviewers if p.email == record.recipient), None
            )
        return self.interview.recipient

    def _already_in_touch(self, in_touch: InTouch) -> bool:
        return in_touch.back_and_forth or in_touch.messages >= self.rules.already_in_touch_messages

    def _reply_to(self, record: ActionRecord) -> ActionRecord | None:
        return self._outreach_record() if record.kind is ActionKind.FOLLOWUP else None

    def _delete_then(
        self, record: ActionRecord, state: ActionState, reason: ActionReason, detail: str
    ) -> ActionRecord:
        """Delete the untouched draft of ``record``; the action then ends in ``state``."""
        then = replace(record, state=state, reason=reason, detail=detail, due_at=None)
        self.decisions.append(DeleteDraft(record, then))
        return then

    def _close(
        self, record: ActionRecord, state: ActionState, reason: ActionReason | None, detail: str
    ) -> ActionRecord:
        closed = replace(record, state=state, reason=reason, detail=detail, due_at=None)
        return self._keep(closed)

    def _adopt(self, record: ActionRecord) -> ActionRecord:
        self.decisions.append(AdoptDraft(record))
        self.records[record.slot] = record
        return record

    def _keep(self, record: ActionRecord) -> ActionRecord:
        if self.records.get(record.slot) != record:
            self.decisions.append(Record(record))
            self.records[record.slot] = record
        return record


def adopted(
    record: ActionRecord, ref: DraftRef, fingerprint: str, edited: bool, now: datetime
) -> ActionRecord:
    """``record`` as drafted by the draft found at ``ref`` (made before a crash, or by
    another process), edited when its content is not what we would write."""
    return replace(
        record,
        state=ActionState.DRAFTED,
        draft_id=ref.draft_id,
        message_id=ref.message_id,
        thread_id=ref.thread_id or record.thread_id,
        draft_version=None if edited else ref.version,
        content_hash=record.content_hash or fingerprint,
        drafted_at=record.drafted_at or now,
        written_at=now,
        edited=record.edited or edited,
        pending_hash=None,
        detail="found this draft already in your mailbox (made before an interruption)",
    )


def already_sent(record: ActionRecord, sent: MailMessage, timezone: ZoneInfo) -> ActionRecord:
    """``record`` as sent: a message with its Message-ID is in the user's sent mail."""
    when = format_short(sent.date, timezone)
    return replace(
        record,
        state=ActionState.SENT,
        message_id=sent.message_id or record.message_id,
        thread_id=sent.thread_id or record.thread_id,
        sent_at=sent.date,
        due_at=None,
        detail=f"you already sent it at {when}",
    )


def _reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"
