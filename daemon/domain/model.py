"""Value objects of the domain core: calendar events, interviews, actions and drafts.

Everything here is immutable and provider-neutral. Providers translate their own
representations into these types; the core never sees a provider's JSON or a file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeAlias
from zoneinfo import ZoneInfo


class ParticipantKind(StrEnum):
    """What an organizer or attendee entry stands for."""

    PERSON = "person"
    RESOURCE = "resource"  # rooms, equipment, other bookable resources
    GROUP = "group"
    UNKNOWN = "unknown"


class Response(StrEnum):
    """A participant's answer to the invitation."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"
    NEEDS_ACTION = "needs_action"


class EventStatus(StrEnum):
    """The event's own status."""

    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Participant:
    """An organizer or attendee. ``email`` is always lower case."""

    email: str
    name: str = ""
    kind: ParticipantKind = ParticipantKind.PERSON
    required: bool = True
    response: Response = Response.NEEDS_ACTION

    @property
    def domain(self) -> str:
        """The part of the address after ``@`` (empty if there is none)."""
        return self.email.rpartition("@")[2]


@dataclass(frozen=True)
class Exclusion:
    """A participant that is not an interviewer, and why."""

    email: str
    reason: str


@dataclass(frozen=True)
class CalendarEvent:
    """One occurrence of a calendar event as a provider reports it.

    ``start``/``end`` are timezone-aware. For all-day events ``all_day`` is true and the
    times are midnights in the user's zone; such events never count as timed interviews.
    ``user_response`` is the user's own answer; ``user_is_organizer`` whether the user
    organizes it (providers know this best: Google ``organizer.self``, Graph ``isOrganizer``).
    """

    uid: str
    title: str
    start: datetime
    end: datetime
    instance: str = ""  # recurrence id of one occurrence, "" for a single event
    description: str = ""
    location: str = ""
    all_day: bool = False
    organizer: Participant | None = None
    attendees: tuple[Participant, ...] = ()
    status: EventStatus = EventStatus.CONFIRMED
    user_response: Response = Response.NEEDS_ACTION
    user_is_organizer: bool = False
    conference_url: str = ""
    source_id: str = ""  # the provider's own id for the event
    calendar: str = ""
    # Organizer and attendee entries whose address was rejected where it was read; the
    # address is shown escaped and shortened, never used.
    invalid_contacts: tuple[Exclusion, ...] = ()

    @property
    def key(self) -> str:
        """A stable identity shared by every account that holds the same invitation."""
        return interview_id(self.uid, self.instance)

    @property
    def duration_minutes(self) -> int:
        """Length of the event in whole minutes."""
        return int((self.end - self.start).total_seconds() // 60)


def instance_key(original_start: date | datetime) -> str:
    """The ``instance`` of one occurrence of a recurring event, the same for every provider.

    Its original start in ISO 8601 UTC (``2025-03-24T10:00:00Z``), or the date of an
    all-day occurrence (``2025-03-24``). ``original_start`` must be timezone-aware.
    """
    if not isinstance(original_start, datetime):
        return original_start.isoformat()
    return original_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def interview_id(uid: str, instance: str = "") -> str:
    """The short id shown by ``status`` and taken by ``explain``."""
    return hashlib.sha256(f"{uid}\x00{instance}".encode()).hexdigest()[:10]


class SkipReason(StrEnum):
    """Why an interview gets no outreach (codes exactly as in SPEC section 2)."""

    NO_INTERVIEWER_CONTACT = "no_interviewer_contact"
    BRIEF_SCREENING = "brief_screening"
    ALREADY_IN_TOUCH = "already_in_touch"
    EMPLOYER_POLICY = "employer_policy"
    TOO_LATE = "too_late"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    USER_IS_INTERVIEWER = "user_is_interviewer"


# Skip reasons that cancel every action not yet sent (SPEC section 3).
CANCELLING: frozenset[SkipReason] = frozenset({SkipReason.CANCELLED, SkipReason.DECLINED})

# Skip reasons under which a thank-you is still drafted (SPEC section 2, last column).
THANKYOU_DESPITE: frozenset[SkipReason] = frozenset(
    {SkipReason.BRIEF_SCREENING, SkipReason.ALREADY_IN_TOUCH, SkipReason.TOO_LATE}
)


class ActionKind(StrEnum):
    """The three things the product drafts for an interview."""

    OUTREACH = "outreach"
    FOLLOWUP = "followup"
    THANKYOU = "thankyou"


class ActionState(StrEnum):
    """States of one action (SPEC section 3).

    ``drafting`` is internal: the intent to create a draft was recorded but the provider
    has not confirmed it yet. It is reported as ``planned``. ``blocked`` is a due action
    that could not be drafted this pass (its reason says why); the next pass tries again.
    """

    PLANNED = "planned"
    BLOCKED = "blocked"
    DRAFTING = "drafting"
    DRAFTED = "drafted"
    SENT = "sent"
    DISMISSED = "dismissed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def public(self) -> str:
        """The state as ``status`` shows it."""
        return "planned" if self is ActionState.DRAFTING else self.value

    @property
    def final(self) -> bool:
        """Whether the action can no longer change."""
        return self in {
            ActionState.SENT,
            ActionState.DISMISSED,
            ActionState.SKIPPED,
            ActionState.CANCELLED,
        }


class Reason(StrEnum):
    """Reason codes for skipped and cancelled actions besides the skip codes."""

    REPLIED = "replied"
    TOO_CLOSE = "too_close"
    NOT_SENT = "not_sent"
    MISSED = "missed"
    INTERVIEW_STARTED = "interview_started"
    EDITED_KEPT = "edited_kept"
    TEMPLATE_RULE = "template_rule"  # blocked: the draft would break a content rule
    DRAFT_CAP = "draft_cap"  # blocked: this pass already made max_new_drafts_per_pass


ActionReason: TypeAlias = SkipReason | Reason
"""Why an action was skipped, cancelled or blocked: a skip code or one of the other codes.

The two enums share no value, so a stored code names exactly one member.
"""


@dataclass(frozen=True)
class Signal:
    """One piece of evidence that an event is (or is not) a job interview."""

    name: str
    weight: int
    detail: str

    def __str__(self) -> str:
        sign = "+" if self.weight >= 0 else ""
        return f"{sign}{self.weight} {self.name}: {self.detail}"


@dataclass(frozen=True)
class Detection:
    """The verdict of interview detection with every signal that contributed."""

    is_interview: bool
    score: int
    signals: tuple[Signal, ...]
    vetoed_by: str = ""  # set when a negative pattern (exit interview, podcast, ...) won


@dataclass(frozen=True)
class UserIdentity:
    """Who the user is: their addresses (lower case) and their time zone."""

    name: str
    addresses: frozenset[str]
    timezone: ZoneInfo

    @property
    def domains(self) -> frozenset[str]:
        """The domains of the user's own addresses."""
        return frozenset(a.rpartition("@")[2] for a in self.addresses)


class RecipientRule(StrEnum):
    """Which of the SPEC's rules (section 2, "outreach recipient") chose the recipient."""

    NAMED_IN_DESCRIPTION = "named_in_description"
    ONLY_EMPLOYER_ATTENDEE = "only_employer_attendee"
    ORGANIZER = "organizer"
    FIRST_REQUIRED = "first_required"


@dataclass(frozen=True)
class Interview:
    """A calendar event recognised as a job interview, with everything derived from it.

    ``recipient`` is the interviewer the outreach (and its follow-up) goes to, chosen by
    ``recipient_rule``; ``recipient_detail`` says what in the invitation decided it.
    """

    id: str
    account: str
    event: CalendarEvent
    detection: Detection
    interviewers: tuple[Participant, ...]
    excluded: tuple[Exclusion, ...]
    recipient: Participant | None
    recipient_rule: RecipientRule | None
    company: str
    role: str
    skip_reason: SkipReason | None
    skip_detail: str = ""
    recipient_detail: str = ""

    @property
    def start(self) -> datetime:
        """When the interview starts."""
        return self.event.start

    @property
    def end(self) -> datetime:
        """When the interview ends."""
        return self.event.end


@dataclass(frozen=True)
class ActionRecord:
    """The persisted state of one action of one interview.

    ``recipient`` is the address the action writes to: "" for the outreach and follow-up
    (they go to the interview's recipient), one interviewer per thank-you.
    """

    kind: ActionKind
    recipient: str
    state: ActionState = ActionState.PLANNED
    due_at: datetime | None = None
    reason: ActionReason | None = None
    detail: str = ""
    draft_id: str | None = None
    message_id: str | None = None
    thread_id: str | None = None
    content_hash: str | None = None
    drafted_at: datetime | None = None
    sent_at: datetime | None = None
    drafted_for: datetime | None = None  # the interview start the draft was written for
    edited: bool = False  # the user changed the draft (seen once, remembered for good)
    draft_version: str | None = None  # the provider's version marker of the draft we wrote
    written_at: datetime | None = None  # when the draft was last created or updated by us
    # Intent recorded before a provider call, so that a crash in between is reconciled:
    pending_hash: str | None = None  # an update to this content was asked for
    removing: bool = False  # the action ended; its untouched draft is still to be removed

    @property
    def slot(self) -> tuple[ActionKind, str]:
        """The identity of the action within its interview."""
        return (self.kind, self.recipient)

    @property
    def ref(self) -> DraftRef:
        """Where this action's draft lives in the mailbox."""
        return DraftRef(
            self.draft_id or "", self.message_id or "", self.thread_id, self.draft_version
        )


@dataclass(frozen=True)
class Address:
    """A display name and an address, for the headers of a draft."""

    email: str
    name: str = ""


@dataclass(frozen=True)
class DraftContent:
    """What a draft says: recipients, subject, plain-text body."""

    to: tuple[Address, ...]
    subject: str
    body: str

    @property
    def fingerprint(self) -> str:
        """A hash that changes whenever the user edits what the draft says."""
        return content_fingerprint(tuple(a.email for a in self.to), self.subject, self.body)


def content_fingerprint(to: tuple[str, ...], subject: str, body: str) -> str:
    """Hash of a draft's recipients, subject and body, insensitive to line endings."""
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").strip().split("\n")]
    canonical = "\x1f".join(
        [",".join(sorted(e.strip().lower() for e in to)), " ".join(subject.split()), *lines]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class DraftMessage:
    """A draft ready for a mailbox: content plus the headers a provider needs."""

    content: DraftContent
    sender: Address
    message_id: str  # with angle brackets, in the user's domain
    date: datetime
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    thread_id: str | None = None  # the provider's thread/conversation id, for follow-ups


@dataclass(frozen=True)
class DraftRef:
    """Where a draft lives in a mailbox.

    ``version`` is the provider's marker of one version of the draft (Graph ``changeKey``,
    the Gmail draft's message id), ``None`` where the provider has none (Maildir). It
    changes whenever the draft is modified, by the user or by us, and not when the
    service merely rewrites how the body is stored.
    """

    draft_id: str
    message_id: str
    thread_id: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class MailMessage:
    """A message seen in a mailbox folder (inbox, sent), reduced to what the core needs."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    date: datetime
    folder: str  # "inbox" | "sent"
    thread_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = field(default=())
    content_type: str = "text/plain"
