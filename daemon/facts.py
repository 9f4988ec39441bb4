"""What the mailbox says about one tracked interview: the facts its planning needs.

Asked per interview by the pass (``daemon.passes``), between reconciling its actions and
planning them: the state of each of its drafts (untouched, edited, sent, gone), the
reply to the sent outreach, prior contact with the interviewers. Only reads the mailbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from interview_outreach.daemon.domain.model import (
    ActionKind,
    ActionRecord,
    ActionState,
    DraftRef,
    Interview,
    MailMessage,
    UserIdentity,
)
from interview_outreach.daemon.domain.planning import (
    DraftObservation,
    DraftStatus,
    InTouch,
    MailboxFacts,
    PlanContext,
    Slot,
)
from interview_outreach.daemon.domain.replies import ReplyFinding, automatic_marker, find_reply
from interview_outreach.daemon.domain.timing import outreach_window
from interview_outreach.daemon.executor import message_id_for, recipient_of
from interview_outreach.daemon.ports import DraftCheck, Mailbox
from interview_outreach.daemon.store.records import TrackedInterview

log = logging.getLogger(__name__)

SENT_CLOCK_SKEW = timedelta(minutes=5)  # a mail client's clock may lag ours a little
RULES_MARGIN = timedelta(days=1)


class ClaimedIds(Container[str]):
    """The Message-IDs of the program's drafts, in every account.

    The account's own are known from its interviews; any other is asked of the store
    (``holds``, an index seek) the first time a message with it is in question, so that
    a pass never loads every account's actions.
    """

    def __init__(self, own: Iterable[str] = (), holds: Callable[[str], bool] | None = None) -> None:
        self._known = dict.fromkeys(own, True)
        self._holds = holds

    def __contains__(self, message_id: object) -> bool:
        if not isinstance(message_id, str) or not message_id:
            return False
        if message_id not in self._known:
            self._known[message_id] = self._holds is not None and self._holds(message_id)
        return self._known[message_id]


def gather_facts(
    mailbox: Mailbox,
    tracked: TrackedInterview,
    user: UserIdentity,
    context: PlanContext,
    now: datetime,
    changed_threads: frozenset[str] | None = None,
    claimed: Container[str] = frozenset(),
    cursor_at: datetime | None = None,
) -> MailboxFacts:
    """Ask the mailbox what planning needs to know about this interview, and nothing more.

    ``claimed`` holds the Message-IDs of every draft the program made: a sent message
    with one of them belongs to that draft and to no other.

    ``changed_threads`` (from ``Mailbox.changes``) spares questions about threads that did
    not change since the last pass; ``None`` means anything may have changed. Only drafts
    written before ``cursor_at`` (when the feed's cursor was taken) are trusted to it.

    An action the database does not know yet is looked up in the mailbox by its derived
    Message-ID: with a new or lost database, what was drafted or sent is found, not redone.
    """
    interview = tracked.interview
    drafts: dict[Slot, DraftObservation] = {}
    for record in tracked.actions:
        observation: DraftObservation | None
        if _unchanged(record, changed_threads, cursor_at):
            observation = _as_last_seen(record)
        else:
            observation = _observe_draft(
                mailbox, record, recipient_of(interview, record), claimed, tracked.actions
            )
        if observation is not None:
            drafts[record.slot] = observation
    known = {r.slot for r in tracked.actions}
    for slot in _slots(interview, context, now):
        if slot not in known:
            found = _look_up(mailbox, interview, slot)
            if found is not None:
                drafts[slot] = found
    records = {r.slot: r for r in tracked.actions}
    outreach_slot = (ActionKind.OUTREACH, "")
    outreach = records.get(outreach_slot)
    seen = drafts.get(outreach_slot)
    if seen is not None and seen.status is DraftStatus.SENT:
        # Sent just now (or found sent with a new database): replies count from then on.
        sent = seen.sent
        outreach = replace(
            outreach or ActionRecord(ActionKind.OUTREACH, ""),
            state=ActionState.SENT,
            sent_at=sent.date if sent else now,
            message_id=sent.message_id if sent else (outreach.message_id if outreach else None),
            thread_id=(sent.thread_id if sent else None)
            or (outreach.thread_id if outreach else None),
        )
    quiet = changed_threads is not None and not changed_threads
    reply, not_replies = (
        (None, []) if quiet else _reply(mailbox, tracked.interview, outreach, records, user)
    )
    return MailboxFacts(
        drafts=drafts,
        reply=reply,
        not_replies=tuple(not_replies),
        in_touch=_in_touch(mailbox, tracked.interview, outreach, claimed, context, now),
    )


def _slots(interview: Interview, context: PlanContext, now: datetime) -> list[Slot]:
    """The actions of ``interview`` that could already have a draft or a sent message.

    One not due yet cannot: the executor looks for it again before drafting it anyway.
    A day of margin covers rules changed since.
    """
    opens, _ = outreach_window(interview.start, context.rules, context.timezone)
    slots: list[Slot] = []
    if now >= opens - RULES_MARGIN:
        slots += [(ActionKind.OUTREACH, ""), (ActionKind.FOLLOWUP, "")]
    if now >= interview.end - RULES_MARGIN:
        slots += [(ActionKind.THANKYOU, p.email) for p in interview.interviewers]
    return slots


def _look_up(mailbox: Mailbox, interview: Interview, slot: Slot) -> DraftObservation | None:
    """What the mailbox holds under the action's derived Message-ID: a draft, sent mail."""
    record = ActionRecord(*slot)
    if not recipient_of(interview, record):
        return None
    message_id = message_id_for(interview, record, mailbox.address())
    found = _found_draft(mailbox, message_id)
    if found is not None:
        return found
    sent = mailbox.find_sent(DraftRef("", message_id))
    if sent is not None:
        return DraftObservation(DraftStatus.SENT, sent=sent)
    return None


def _found_draft(mailbox: Mailbox, message_id: str) -> DraftObservation | None:
    """The draft with ``message_id``, with the fingerprint of what it says, if there is one."""
    ref = mailbox.find_draft(message_id)
    if ref is None:
        return None
    content = mailbox.read_draft(ref)
    found_hash = content.fingerprint if content is not None else None
    return DraftObservation(DraftStatus.FOUND, ref=ref, content_hash=found_hash)


def _unchanged(
    record: ActionRecord, changed_threads: frozenset[str] | None, cursor_at: datetime | None
) -> bool:
    """Whether the mailbox said nothing happened to this drafted action's draft or thread."""
    written = record.written_at or record.drafted_at
    return (
        changed_threads is not None
        and record.state is ActionState.DRAFTED
        and record.thread_id is not None
        and record.thread_id not in changed_threads
        and record.draft_id not in changed_threads
        and written is not None
        and cursor_at is not None
        and written < cursor_at
    )


def _as_last_seen(record: ActionRecord) -> DraftObservation:
    status = DraftStatus.EDITED if record.edited else DraftStatus.UNTOUCHED
    return DraftObservation(status, ref=record.ref)


def _observe_draft(
    mailbox: Mailbox,
    record: ActionRecord,
    recipient: str,
    claimed: Container[str] = frozenset(),
    siblings: Sequence[ActionRecord] = (),
) -> DraftObservation | None:
    if record.state is ActionState.DRAFTING and record.message_id:
        return _found_draft(mailbox, record.message_id) or DraftObservation(DraftStatus.MISSING)
    if record.state is not ActionState.DRAFTED or not record.draft_id:
        return None
    ref = record.ref
    check = mailbox.check_draft(ref, record.content_hash or "")
    if check is DraftCheck.UNTOUCHED:
        return DraftObservation(DraftStatus.UNTOUCHED, ref=ref)
    if check is DraftCheck.EDITED:
        return DraftObservation(DraftStatus.EDITED, ref=ref)
    sent = mailbox.find_sent(ref) or _sent_in_its_place(
        mailbox, record, recipient, claimed, siblings
    )
    if sent is not None:
        return DraftObservation(DraftStatus.SENT, ref=ref, sent=sent)
    return DraftObservation(DraftStatus.GONE, ref=ref)


def _sent_in_its_place(
    mailbox: Mailbox,
    record: ActionRecord,
    recipient: str,
    claimed: Container[str],
    siblings: Sequence[ActionRecord],
) -> MailMessage | None:
    """A message to the same person, sent since the draft was made, that no other draft claims.

    Some mail clients give a draft a new Message-ID when sending it; a vanished draft
    and such a message in Sent mean the user sent it, not that they dropped it. A reply
    draft (follow-up) must have become a reply to its outreach; the others, new threads.
    """
    if not recipient or record.drafted_at is None:
        return None
    since = record.drafted_at - SENT_CLOCK_SKEW
    parent = next(
        (s.message_id for s in siblings if s.kind is ActionKind.OUTREACH and s.message_id), None
    )
    candidates = [
        m
        for m in mailbox.messages_with(recipient, since)
        if m.folder == "sent"
        and m.message_id not in claimed
        and _fits(m, record.kind is ActionKind.FOLLOWUP, parent)
    ]
    return min(candidates, key=lambda m: m.date, default=None)


def _fits(message: MailMessage, is_reply: bool, parent: str | None) -> bool:
    refers = {message.in_reply_to, *message.references} - {None}
    if is_reply:
        return parent is not None and parent in refers
    return not refers


def _reply(
    mailbox: Mailbox,
    interview: Interview,
    outreach: ActionRecord | None,
    records: dict[Slot, ActionRecord],
    user: UserIdentity,
) -> tuple[ReplyFinding | None, list[str]]:
    """The reply to the sent outreach, if any, and the automatic messages passed over."""
    followup = records.get((ActionKind.FOLLOWUP, ""))
    if outreach is None or outreach.state is not ActionState.SENT or outreach.sent_at is None:
        return None, []
    if followup is not None and followup.state.final:
        return None, []
    interviewers = frozenset(p.email for p in interview.interviewers)
    messages = mailbox.thread_messages(
        outreach.message_id or "", outreach.thread_id, outreach.sent_at
    )
    for address in sorted(interviewers):
        messages.extend(mailbox.messages_with(address, outreach.sent_at))
    finding, passed_over = find_reply(
        messages,
        sent_message_id=outreach.message_id or "",
        sent_at=outreach.sent_at,
        interviewers=interviewers,
        thread_ids=frozenset({outreach.thread_id} if outreach.thread_id else set()),
        user_addresses=user.addresses,
    )
    for line in passed_over:
        log.info("interview %s: not a reply: %s", interview.id, line)
    return finding, passed_over


def _in_touch(
    mailbox: Mailbox,
    interview: Interview,
    outreach: ActionRecord | None,
    claimed: Container[str],
    context: PlanContext,
    now: datetime,
) -> InTouch | None:
    """Prior contact with the interviewers, checked only while the outreach is undecided."""
    if interview.skip_reason is not None or not interview.interviewers:
        return None
    if outreach is not None and outreach.state not in (ActionState.PLANNED, ActionState.BLOCKED):
        return None
    opens, closes = outreach_window(interview.start, context.rules, context.timezone)
    if not opens <= now < closes:
        return None
    rules = context.rules
    since = now - timedelta(days=rules.already_in_touch_days)
    recent = now - timedelta(days=rules.back_and_forth_days)
    # The product's own drafts, and what was sent from them, are not prior contact.
    own = claimed
    received = sent = 0
    received_recent = sent_recent = False
    for person in interview.interviewers:
        for message in mailbox.messages_with(person.email, since):
            if message.message_id in own or automatic_marker(message):
                continue  # auto-replies and bounces are not an exchange with the person
            if message.folder == "sent":
                sent += 1
                sent_recent = sent_recent or message.date >= recent
            else:
                received += 1
                received_recent = received_recent or message.date >= recent
    total = sent + received
    back_and_forth = sent_recent and received_recent
    detail = (
        f"{total} messages with the interviewers in the last {rules.already_in_touch_days} days "
        f"({sent} sent, {received} received)"
        + (
            f"; messages went both ways in the last {rules.back_and_forth_days} days"
            if back_and_forth
            else ""
        )
    )
    return InTouch(messages=total, back_and_forth=back_and_forth, detail=detail)
