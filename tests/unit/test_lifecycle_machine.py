"""The whole life of interviews as a hypothesis state machine (SPEC sections 2 and 3).

The world is a ``MemoryCalendar`` and a ``MemoryMailbox``; the program is
``daemon.passes.run_pass`` over a real SQLite store, run at an injected ``now``. Rules add,
move, cancel, decline and remove invitations; the user sends, edits and deletes drafts;
interviewers reply, auto-replies and bounces arrive; time passes; the process restarts.
After every pass the store, its audit log and the mailbox are checked against SPEC's
promises. Nothing is carried across a restart but the database file.
"""

from __future__ import annotations

import atexit
import email
import email.policy
import email.utils
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from interview_outreach.daemon.config import Config, parse_config
from interview_outreach.daemon.domain.mime import normalize_message_id
from interview_outreach.daemon.domain.model import (
    THANKYOU_DESPITE,
    ActionKind,
    ActionRecord,
    ActionState,
    CalendarEvent,
    EventStatus,
    Participant,
    Response,
    SkipReason,
    interview_id,
)
from interview_outreach.daemon.passes import LOOKAHEAD, LOOKBACK, run_pass
from interview_outreach.daemon.ports import Account
from interview_outreach.daemon.store.records import AuditEntry, TrackedInterview
from interview_outreach.daemon.store.repository import Store
from tests.fakes.memory import MemoryCalendar, MemoryMailbox

BASE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 08:00 in London (GMT)
LONDON = ZoneInfo("Europe/London")
USER_ADDRESS = "ada@example.org"
ACCOUNT = "personal"
MAX_EVENTS = 3

# SPEC section 2 defaults, restated here so the checks do not lean on the product's code.
OUTREACH_EARLIEST_DAYS = 3
OUTREACH_LATEST = timedelta(hours=24)
DRAFT_TIME = time(9, 0)
FOLLOWUP_AFTER = timedelta(hours=24)
FOLLOWUP_MIN_GAP = timedelta(hours=2)
THANKYOU_AFTER = timedelta(minutes=60)
THANKYOU_MISSED = timedelta(hours=72)
WORK_START, WORK_END = time(9, 0), time(18, 0)
IN_TOUCH_MESSAGES = 4
IN_TOUCH_DAYS = timedelta(days=30)

FINAL = frozenset(
    {ActionState.SENT, ActionState.DISMISSED, ActionState.SKIPPED, ActionState.CANCELLED}
)

# A database in memory-backed /dev/shm, where there is one, keeps commits from waiting on disk.
SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None
_TEMPLATE: list[Path] = []


def fresh_database(path: Path) -> str:
    """A new, migrated state database at ``path``: a copy of one migrated once per process
    (migrating costs more than a whole pass), opened later by ``Store`` like any other."""
    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="lifecycle-template-", dir=SCRATCH))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        Store(f"sqlite:///{folder / 'state.db'}").close()
        _TEMPLATE.append(folder / "state.db")
    shutil.copyfile(_TEMPLATE[0], path)
    return f"sqlite:///{path}"


Key = tuple[str, ActionKind, str]  # (interview id, kind, recipient): one action

# --- the world's vocabulary ----------------------------------------------------------------


@dataclass(frozen=True)
class Employer:
    domain: str
    company: str
    people: tuple[tuple[str, str], ...]  # (display name, local part)


EMPLOYERS = (
    Employer("acme.com", "Acme", (("Jane Doe", "jane"), ("Raj Patel", "raj"), ("Mei Chen", "mei"))),
    Employer(
        "globex.io", "Globex", (("Hans Weber", "hans"), ("Eva Novak", "eva"), ("Tom Reed", "tom"))
    ),
)
ROLES = ("Senior Backend Engineer", "Data Analyst", "Product Designer")
TITLES = (
    "{company} – Technical interview ({role})",
    "Interview: {role}",
    "Final round interview – {company}",
    "Second round: {role}",
    "Recruiter screen",
    "Phone screen with {company}",
)
DESCRIPTIONS = (
    "Interview for the {role} position at {company}.",
    "A quick intro call about the role.",  # worded as a screen: brief_screening when short
    "Interview for the {role} position. Please do not contact the interviewers directly.",
    "",
)
ORGANIZERS = ("first interviewer", "role mailbox", "scheduling tool")


@dataclass(frozen=True)
class InterviewSpec:
    """What the strategy draws for one invitation."""

    employer: int
    interviewers: int  # 1-3
    organizer: str
    title: int
    description: int
    role: int
    minutes: int
    ahead_minutes: int

    def event(self, uid: str, now: datetime) -> CalendarEvent:
        employer = EMPLOYERS[self.employer]
        role = ROLES[self.role]
        people = tuple(
            Participant(f"{local}@{employer.domain}", name, response=Response.ACCEPTED)
            for name, local in employer.people[: self.interviewers]
        )
        if self.organizer == "first interviewer":
            organizer = people[0]
        elif self.organizer == "role mailbox":
            organizer = Participant(f"talent@{employer.domain}", f"{employer.company} Talent")
        else:
            organizer = Participant("no-reply@greenhouse.io", "Greenhouse")
        me = Participant(USER_ADDRESS, "Ada Lovelace", response=Response.ACCEPTED)
        start = _round(now + timedelta(minutes=self.ahead_minutes))
        words = {"company": employer.company, "role": role}
        return CalendarEvent(
            uid=uid,
            title=TITLES[self.title].format(**words),
            start=start,
            end=start + timedelta(minutes=self.minutes),
            description=DESCRIPTIONS[self.description].format(**words),
            location="https://meet.example.com/abc-defg-hij",
            organizer=organizer,
            attendees=(*people, me),
            user_response=Response.ACCEPTED,
        )


# Minutes ahead: mostly a few days, so that the outreach window is still to come.
AHEAD = st.builds(
    lambda days, minutes: days * 24 * 60 + minutes,
    st.sampled_from((4, 3, 5, 2, 6, 1, 0, 8)),
    st.integers(60, 24 * 60 - 1),
)

interview_specs = st.builds(
    InterviewSpec,
    employer=st.integers(0, len(EMPLOYERS) - 1),
    interviewers=st.integers(1, 3),
    organizer=st.sampled_from(ORGANIZERS),
    title=st.sampled_from((0, 1, 2, 3, 0, 1, 2, 3, 4, 5)),
    description=st.sampled_from((0, 0, 0, 1, 2, 3)),
    role=st.integers(0, len(ROLES) - 1),
    minutes=st.sampled_from((60, 45, 90, 60, 30, 20)),
    ahead_minutes=AHEAD,
)

time_steps = st.one_of(
    st.integers(1, 180).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 36).map(lambda h: timedelta(hours=h)),
    st.integers(1, 4).map(lambda d: timedelta(days=d)),  # over a weekend, now and then
)


def _round(at: datetime) -> datetime:
    """``at`` rounded down to a quarter hour, as calendars usually hold times."""
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


# --- SPEC's times, computed independently -----------------------------------------------------


def outreach_window(start: datetime) -> tuple[datetime, datetime]:
    """Opens 09:00 on the calendar day three days before (London), closes 24 h before."""
    day = start.astimezone(LONDON).date() - timedelta(days=OUTREACH_EARLIEST_DAYS)
    opens = datetime.combine(day, DRAFT_TIME, tzinfo=LONDON)
    return opens, start - OUTREACH_LATEST


def into_working_hours(at: datetime) -> datetime:
    """``at`` if it is Mon–Fri 09:00–18:00 in London, else the next such moment."""
    local = at.astimezone(LONDON)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        opens = datetime.combine(day, WORK_START, tzinfo=LONDON)
        closes = datetime.combine(day, WORK_END, tzinfo=LONDON)
        if local < opens:
            return opens
        if local < closes:
            return local
    raise AssertionError("unreachable: a working day within a week")


def spoken_time(at: datetime) -> str:
    """How a draft names the interview's time: "Thursday, 10 December 2026 at 14:00 GMT"."""
    local = at.astimezone(LONDON)
    return f"{local:%A}, {local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()}"


# --- messages the world sends ------------------------------------------------------------------


def _parsed(raw: str) -> EmailMessage:
    message = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _date(at: datetime) -> str:
    return email.utils.format_datetime(at)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    text = part.get_content()
    assert isinstance(text, str)
    return text


@dataclass(frozen=True)
class SentOutreach:
    message_id: str
    sent_at: datetime
    to: str


@dataclass(frozen=True)
class Received:
    """A message delivered to the inbox, as the world knows it."""

    sender: str
    date: datetime
    in_reply_to: str | None
    human: bool


# --- the machine -------------------------------------------------------------------------------


class LifecycleMachine(RuleBasedStateMachine):
    """Interviews, a user and their mailbox over days, against ``run_pass`` and SQLite."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="lifecycle-", dir=SCRATCH))
        (self.root / "calendar").mkdir()
        (self.root / "Mail").mkdir()
        self.config: Config = parse_config(
            {
                "profile": {
                    "name": "Ada Lovelace",
                    "timezone": "Europe/London",
                    "highlights": ["eight years of building data pipelines in Python"],
                },
                "storage": {"url": fresh_database(self.root / "state.db")},
                "accounts": [
                    {
                        "name": ACCOUNT,
                        "provider": "local",
                        "address": USER_ADDRESS,
                        "calendar": str(self.root / "calendar"),
                        "maildir": str(self.root / "Mail"),
                    }
                ],
            },
            base_dir=self.root,
            env={},
        )
        self.store = Store(self.config.storage.url)
        self.calendar = MemoryCalendar(name=ACCOUNT)
        self.mailbox = MemoryMailbox(USER_ADDRESS)
        self.account = Account(ACCOUNT, "memory", self.calendar, self.mailbox)
        self.now = BASE
        self.serial = 0
        # The world as the test knows it.
        self.events: dict[str, CalendarEvent] = {}  # uid -> event as in the calendar
        self.removed: set[str] = set()
        self.received: list[Received] = []
        self.sent_outreach: dict[str, SentOutreach] = {}  # interview id -> what the user sent
        # What the program did, learnt from its audit log after each pass.
        self.audit_seen = 0
        self.origin: dict[str, Key] = {}  # Message-ID of a draft -> its action
        self.created_at: dict[Key, datetime] = {}
        self.withdrawn: set[Key] = set()  # drafts the program deleted itself
        self.user_deleted: set[Key] = set()  # drafts the user deleted: never drafted again
        # What the user did to drafts.
        self.edited: dict[str, bytes] = {}  # Message-ID -> the draft as the user saved it
        self.ever_edited: set[str] = set()
        self.user_sent: set[str] = set()
        self.must_be_sent: set[Key] = set()  # drafted actions whose draft the user sent
        self.must_be_gone: set[Key] = set()  # drafted actions whose draft the user deleted
        # What the store said before.
        self.final: dict[Key, tuple[ActionState, str | None]] = {}
        self.actions: dict[Key, ActionRecord] = {}  # as the last pass left them
        self.next_due: datetime | None = None  # the store's next due time after ``now``
        self.world_at_pass: tuple[object, ...] = ()
        self.passes_since_restart = 0

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial}"

    def _present(self) -> list[str]:
        return sorted(uid for uid in self.events if uid not in self.removed)

    def _active(self) -> list[str]:
        """Invitations still on: in the calendar, not cancelled, not declined."""
        return [
            uid
            for uid in self._present()
            if self.events[uid].status is not EventStatus.CANCELLED
            and self.events[uid].user_response is not Response.DECLINED
        ]

    def _people(self, uid: str) -> list[str]:
        """The interviewers of the invitation ``uid`` (everyone on it at the employer)."""
        event = self.events[uid]
        return [p.email for p in event.attendees if p.email != USER_ADDRESS]

    def _uid_of(self, iid: str) -> str:
        for uid in self.events:
            if interview_id(uid) == iid:
                return uid
        raise AssertionError(f"interview {iid} is not from any invitation of the test")

    def _draft_key(self, draft_id: str) -> tuple[str, Key]:
        message_id = normalize_message_id(self.mailbox.drafts[draft_id]["Message-ID"])
        assert message_id in self.origin, f"draft {message_id} was not made by the program"
        return message_id, self.origin[message_id]

    def _world(self) -> tuple[object, ...]:
        """Changes whenever the world, the clock or the process changed."""
        mailbox = self.mailbox
        sizes = (len(mailbox.drafts), len(mailbox.sent), len(mailbox.inbox))
        return (self.now, self.serial, *sizes, self.passes_since_restart == 0)

    def _idle(self) -> bool:
        """Whether nothing changed since the last pass and nothing is due later.

        Passes cost most of the time of this test: an empty calendar or a pass with nothing
        new to see is not worth one."""
        return self._world() == self.world_at_pass and self.next_due is None

    def _pass(self) -> None:
        report = run_pass(self.config, self.store, [self.account], self.now)
        assert not report.failed, [a.error for a in report.accounts]
        self.passes_since_restart += 1
        tally = report.accounts[0].tally
        self._check(mailbox_changed=bool(tally.created or tally.updated or tally.deleted))
        self.world_at_pass = self._world()

    # --- rules: the calendar ----------------------------------------------------------------

    @precondition(lambda self: len(self.events) < MAX_EVENTS)
    @rule(spec=interview_specs)
    def add_interview(self, spec: InterviewSpec) -> None:
        uid = self._next_id("interview")
        event = spec.event(uid, self.now)
        self.events[uid] = event
        self.calendar.add(event)

    @precondition(lambda self: self._present())
    @rule(data=st.data(), ahead=AHEAD, minutes=st.sampled_from((None, 30, 60)))
    def move_interview(self, data: st.DataObject, ahead: int, minutes: int | None) -> None:
        uid = data.draw(st.sampled_from(self._present()), label="uid")
        event = self.events[uid]
        start = _round(self.now + timedelta(minutes=ahead))
        length = event.end - event.start if minutes is None else timedelta(minutes=minutes)
        self._update(replace(event, start=start, end=start + length))

    @precondition(lambda self: len(self._active()) >= 2)
    @rule(data=st.data(), how=st.sampled_from(("cancelled", "declined", "removed")))
    def interview_called_off(self, data: st.DataObject, how: str) -> None:
        """The employer cancels the event, the user declines it, or it is deleted."""
        uid = data.draw(st.sampled_from(self._active()), label="uid")
        event = self.events[uid]
        if how == "cancelled":
            self._update(replace(event, status=EventStatus.CANCELLED))
        elif how == "declined":
            attendees = tuple(
                replace(p, response=Response.DECLINED) if p.email == USER_ADDRESS else p
                for p in event.attendees
            )
            self._update(replace(event, attendees=attendees, user_response=Response.DECLINED))
        else:
            self.serial += 1
            self.calendar.remove(uid)
            self.removed.add(uid)

    def _update(self, event: CalendarEvent) -> None:
        self.serial += 1
        self.events[event.uid] = event
        self.calendar.add(event)

    # --- rules: the user and their drafts ---------------------------------------------------------

    @precondition(lambda self: self.mailbox.drafts)
    @rule(data=st.data())
    def user_sends_draft(self, data: st.DataObject) -> None:
        draft_id = data.draw(st.sampled_from(sorted(self.mailbox.drafts)), label="draft")
        self._send(draft_id)

    def _send(self, draft_id: str) -> None:
        message_id, key = self._draft_key(draft_id)
        message = self.mailbox.drafts.pop(draft_id)
        del message["Date"]
        message["Date"] = _date(self.now)
        self.mailbox.sent.append(message)
        self.user_sent.add(message_id)
        self.edited.pop(message_id, None)
        if self.actions.get(key, ActionRecord(key[1], key[2])).state is ActionState.DRAFTED:
            self.must_be_sent.add(key)
        iid, kind, _ = key
        if kind is ActionKind.OUTREACH:
            to = email.utils.getaddresses([str(message["To"])])[0][1].lower()
            self.sent_outreach[iid] = SentOutreach(message_id, self.now, to)

    @precondition(lambda self: self._outreach_drafts())
    @rule(data=st.data())
    def user_sends_outreach(self, data: st.DataObject) -> None:
        """The user sends a pre-interview note (the common case, so it has its own rule)."""
        draft_id = data.draw(st.sampled_from(self._outreach_drafts()), label="draft")
        self._send(draft_id)

    def _outreach_drafts(self) -> list[str]:
        return [
            draft_id
            for draft_id in sorted(self.mailbox.drafts)
            if self._draft_key(draft_id)[1][1] is ActionKind.OUTREACH
        ]

    @precondition(lambda self: self.mailbox.drafts)
    @rule(data=st.data())
    def user_edits_draft(self, data: st.DataObject) -> None:
        draft_id = data.draw(st.sampled_from(sorted(self.mailbox.drafts)), label="draft")
        message_id, _ = self._draft_key(draft_id)
        message = self.mailbox.drafts[draft_id]
        edit = self._next_id("edit")
        message.set_content(f"Hello,\n\nMy own words ({edit}).\n\nAda\n", charset="utf-8")
        self.edited[message_id] = message.as_bytes()
        self.ever_edited.add(message_id)

    @precondition(lambda self: self.mailbox.drafts)
    @rule(data=st.data())
    def user_deletes_draft(self, data: st.DataObject) -> None:
        draft_id = data.draw(st.sampled_from(sorted(self.mailbox.drafts)), label="draft")
        message_id, key = self._draft_key(draft_id)
        del self.mailbox.drafts[draft_id]
        self.edited.pop(message_id, None)
        self.user_deleted.add(key)
        if self.actions.get(key, ActionRecord(key[1], key[2])).state is ActionState.DRAFTED:
            self.must_be_gone.add(key)

    # --- rules: mail from the world ------------------------------------------------------------------

    @precondition(lambda self: self.events)
    @rule(data=st.data(), in_thread=st.booleans())
    def interviewer_writes(self, data: st.DataObject, in_thread: bool) -> None:
        """A person writes: in the thread of the sent outreach, or a new thread (any time)."""
        uid = data.draw(st.sampled_from(sorted(self.events)), label="uid")
        sent = self.sent_outreach.get(interview_id(uid))
        if in_thread and sent is not None:
            sender, parent = sent.to, sent.message_id
            head = f"Subject: Re: our interview\nIn-Reply-To: {parent}\nReferences: {parent}\n"
        else:
            sender = data.draw(st.sampled_from(self._people(uid)), label="sender")
            parent = None
            head = "Subject: Looking forward to meeting you\n"
        self._deliver(
            f"From: {sender}\nTo: {USER_ADDRESS}\n{head}"
            f"Date: {_date(self.now)}\nMessage-ID: <{self._next_id('human')}@mail.test>\n\n"
            "Thanks, see you then.\n",
            Received(sender, self.now, parent, human=True),
        )

    @precondition(lambda self: self.sent_outreach)
    @rule(
        data=st.data(),
        marker=st.sampled_from(
            ("Auto-Submitted", "Automatic reply subject", "X-Autoreply", "bounce", "bounce")
        ),
        in_thread=st.booleans(),
    )
    def automatic_mail_arrives(self, data: st.DataObject, marker: str, in_thread: bool) -> None:
        """An auto-reply from the outreach's recipient, or a bounce: neither is a reply."""
        iid = data.draw(st.sampled_from(sorted(self.sent_outreach)), label="interview")
        sent = self.sent_outreach[iid]
        thread = f"In-Reply-To: {sent.message_id}\nReferences: {sent.message_id}\n"
        thread = thread if in_thread else ""
        if marker == "bounce":
            domain = sent.to.rpartition("@")[2]
            subject = "Undeliverable: our interview" if in_thread else "failure notice"
            self._deliver(
                f"From: Mail Delivery System <mailer-daemon@{domain}>\nTo: {USER_ADDRESS}\n"
                f"Subject: {subject}\n{thread}Date: {_date(self.now)}\n"
                f"Message-ID: <{self._next_id('bounce')}@{domain}>\nMIME-Version: 1.0\n"
                'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
                "--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
                "--b\nContent-Type: message/delivery-status\n\n"
                f"Reporting-MTA: dns; mx.{domain}\n\n"
                f"Final-Recipient: rfc822; {sent.to}\nAction: failed\nStatus: 5.1.1\n--b--\n",
                Received(f"mailer-daemon@{domain}", self.now, None, human=False),
            )
            return
        subject = "Re: our interview"
        if marker == "Auto-Submitted":
            thread += "Auto-Submitted: auto-replied\n"
        elif marker == "X-Autoreply":
            thread += "X-Autoreply: yes\n"
        else:
            subject = "Automatic reply: our interview"
        self._deliver(
            f"From: {sent.to}\nTo: {USER_ADDRESS}\nSubject: {subject}\n{thread}"
            f"Date: {_date(self.now)}\nMessage-ID: <{self._next_id('auto')}@mail.test>\n\n"
            "I am out of the office until Monday.\n",
            Received(sent.to, self.now, sent.message_id if in_thread else None, human=False),
        )

    def _deliver(self, raw: str, known: Received) -> None:
        self.mailbox.inbox.append(_parsed(raw))
        self.received.append(known)

    # --- rules: time and the process ------------------------------------------------------------

    @rule(step=time_steps, daemon_running=st.sampled_from((True, False, False)))
    def time_passes(self, step: timedelta, daemon_running: bool) -> None:
        """Time passes; the daemon runs at its end, or was not running."""
        self.now += step
        if daemon_running and self.events:
            self._pass()

    @precondition(lambda self: self.events and not self._idle())
    @rule(wake=st.sampled_from(("now", "just before due", "at due", "just after due")))
    def daemon_pass(self, wake: str) -> None:
        """The daemon runs a pass now, or sleeps until around the next due time it knows of
        (a pass with nothing new to see is run once, not over and over)."""
        due = self.next_due
        if self._world() == self.world_at_pass and wake == "now":
            wake = "at due"
        if wake != "now" and due is not None:
            jitter = {"just before due": -1, "at due": 0, "just after due": 1}[wake]
            self.now = max(self.now, due + timedelta(minutes=jitter))
        self._pass()

    @precondition(lambda self: self.passes_since_restart > 1)
    @rule()
    def restart(self) -> None:
        """The process restarts: only the database file survives to the next pass."""
        self.store.close()
        self.store = Store(self.config.storage.url)
        self.passes_since_restart = 0

    # --- what must hold after every pass ------------------------------------------------------------

    def _check(self, *, mailbox_changed: bool) -> None:
        before = self.actions
        tracked = {t.interview.id: t for t in self.store.interviews()}
        actions = {(iid, a.kind, a.recipient): a for iid, t in tracked.items() for a in t.actions}
        self.actions = actions
        due = [
            a.due_at
            for t in tracked.values()
            if not t.gone
            for a in t.actions
            if a.state is ActionState.PLANNED and a.due_at is not None and a.due_at > self.now
        ]
        self.next_due = min(due, default=None)
        if mailbox_changed:  # the audit log records each mailbox change, and nothing else
            self._check_audit(tracked, actions)
        self._check_drafts(tracked, actions)
        self._check_states(tracked, actions, before)
        self._check_user_actions(actions)
        self._check_cancellations(tracked)
        self._check_replies(tracked, actions)
        self._check_due_work(tracked)

    def _new_audit(self) -> list[AuditEntry]:
        entries = self.store.audit()
        new = entries[self.audit_seen :]
        self.audit_seen = len(entries)
        return new

    def _check_audit(
        self, tracked: dict[str, TrackedInterview], actions: dict[Key, ActionRecord]
    ) -> None:
        """Invariants 1 (never drafted twice) and 4 (never before due), 5 and 6 at creation."""
        for entry in self._new_audit():
            if entry.operation not in {"create_draft", "update_draft", "delete_draft"}:
                continue
            assert entry.at == self.now, entry
            assert entry.interview_id is not None and entry.action_kind is not None, entry
            key: Key = (entry.interview_id, entry.action_kind, entry.recipient or "")
            message_id = normalize_message_id(entry.message_id)
            if entry.operation in {"update_draft", "delete_draft"}:
                assert message_id not in self.edited, (
                    f"{entry.operation} on a draft the user edited: {key}"
                )
                if entry.operation == "delete_draft":
                    self.withdrawn.add(key)
                continue
            # Twice means two drafts of one action, or one again after the user deleted it. A
            # draft the program itself withdrew, for an interview called off or that looked
            # removed, is drafted again when the interview is on again (SPEC 3).
            redraft = key in self.withdrawn and key not in self.user_deleted
            assert key not in self.created_at or redraft, (
                f"{key} drafted twice: at {self.created_at[key]} and at {self.now}"
            )
            assert self.origin.get(message_id, key) == key, (
                f"Message-ID {message_id} reused for {key}"
            )
            self.withdrawn.discard(key)
            self.created_at[key] = self.now
            self.origin[message_id] = key
            self._check_creation(key, tracked[key[0]], actions[key])

    def _check_creation(self, key: Key, item: TrackedInterview, record: ActionRecord) -> None:
        iid, kind, _ = key
        interview = item.interview
        assert record.due_at is not None and self.now >= record.due_at, (key, record)
        assert interview.skip_reason is None or (
            kind is ActionKind.THANKYOU and interview.skip_reason in THANKYOU_DESPITE
        ), (key, interview.skip_reason)
        if kind is ActionKind.OUTREACH:
            opens, closes = outreach_window(interview.start)
            assert opens <= self.now < closes, (
                f"outreach drafted at {self.now}, outside its window [{opens}, {closes}) "
                f"for an interview at {interview.start}"
            )
        elif kind is ActionKind.FOLLOWUP:
            sent = self.sent_outreach.get(iid)
            assert sent is not None, f"follow-up for {iid} without a sent outreach"
            due = into_working_hours(sent.sent_at + FOLLOWUP_AFTER)
            assert self.now >= due, f"follow-up drafted at {self.now}, due {due}"
            # Also when the daemon was not running at the due time and the pass that finds
            # the follow-up due comes too close to the interview, or after it.
            assert self.now <= interview.start - FOLLOWUP_MIN_GAP, (
                f"follow-up drafted at {self.now}, less than 2 h before the interview at "
                f"{interview.start} (SPEC: skipped too_close)"
            )
            reply = self._first_reply(iid)
            assert reply is None or reply.date > self.now, (
                f"follow-up drafted at {self.now} although {reply} replied (invariant 6)"
            )
        else:
            due = into_working_hours(interview.end + THANKYOU_AFTER)
            assert due <= self.now <= interview.end + THANKYOU_MISSED, (
                f"thank-you drafted at {self.now}, due {due}, interview ended {interview.end}"
            )

    def _first_reply(self, iid: str) -> Received | None:
        """The first human reply to the sent outreach of ``iid`` (SPEC: not automatic ones)."""
        sent = self.sent_outreach.get(iid)
        if sent is None:
            return None
        people = set(self._people(self._uid_of(iid)))
        replies = [
            r
            for r in self.received
            if r.human
            and r.date >= sent.sent_at
            and (r.sender in people or r.in_reply_to == sent.message_id)
        ]
        return min(replies, key=lambda r: r.date, default=None)

    def _check_drafts(
        self, tracked: dict[str, TrackedInterview], actions: dict[Key, ActionRecord]
    ) -> None:
        """Invariants 1, 2, 3 and 5 over what is in the mailbox now."""
        by_id: dict[str, str] = {}
        by_key: dict[Key, str] = {}
        for draft_id, message in self.mailbox.drafts.items():
            message_id = normalize_message_id(message["Message-ID"])
            assert message_id not in by_id, f"two drafts with Message-ID {message_id}"
            by_id[message_id] = draft_id
            assert message_id in self.origin, f"draft {message_id} not in the audit log"
            key = self.origin[message_id]
            assert key not in by_key, f"two drafts for {key}"
            by_key[key] = message_id
            record = actions[key]
            edited = message_id in self.ever_edited
            if record.state is ActionState.DRAFTED:
                assert normalize_message_id(record.message_id) == message_id, (key, record)
            else:
                # SPEC 3: only a cancel/decline leaves a draft behind, and only an edited one.
                assert (record.state, record.reason, edited) == (
                    ActionState.CANCELLED,
                    "edited_kept",
                    True,
                ), f"draft left for {key} in state {record.state} ({record.reason})"
            assert key not in self.final or self.final[key][0] is not ActionState.DISMISSED, (
                f"a dismissed {key} has a draft again"
            )
            if not edited and key[1] is not ActionKind.THANKYOU:
                interview = tracked[key[0]].interview
                assert record.drafted_for == interview.start, (key, record.drafted_for)
                if self.now < interview.start:
                    text = body_of(message)
                    assert spoken_time(interview.start) in text, (
                        f"untouched draft for {key} does not name {spoken_time(interview.start)}"
                    )
        for message_id, saved in self.edited.items():
            assert message_id in by_id, f"the edited draft {message_id} was removed"
            current = self.mailbox.drafts[by_id[message_id]].as_bytes()
            assert current == saved, f"the edited draft {message_id} was changed"

    def _check_states(
        self,
        tracked: dict[str, TrackedInterview],
        actions: dict[Key, ActionRecord],
        before: dict[Key, ActionRecord],
    ) -> None:
        """Invariant 7, and that every state a pass moved to is one SPEC allows at ``now``."""
        assert before.keys() <= actions.keys(), "an action disappeared from the store"
        for key, record in actions.items():
            assert record.state is not ActionState.DRAFTING, f"{key} left in drafting"
            if key in self.final:
                assert (record.state, record.reason) == self.final[key], (
                    f"final {key} changed from {self.final[key]} to {record.state}"
                )
                continue
            if record.state in FINAL:
                self._check_final(key, record, tracked[key[0]])
                if not self._looks_removed(key, record):
                    self.final[key] = (record.state, record.reason)

    def _looks_removed(self, key: Key, record: ActionRecord) -> bool:
        """Cancelled because its invitation moved out of the sync window unseen: the event
        is still there, so once it is back in the window the program tracks it again and
        re-plans what was not sent (SPEC section 3), as for any re-added invitation."""
        uid = self._uid_of(key[0])
        return (
            record.reason == SkipReason.CANCELLED.value
            and self.events[uid].status is not EventStatus.CANCELLED
            and uid not in self.removed
        )

    def _check_final(self, key: Key, record: ActionRecord, item: TrackedInterview) -> None:
        """Why an action became final must be true of the world at ``now``."""
        iid, kind, _ = key
        interview = item.interview
        uid = self._uid_of(iid)
        event = self.events[uid]
        reason = record.reason
        message_id = normalize_message_id(record.message_id)
        if record.state is ActionState.SENT:
            assert message_id in self.user_sent, f"{key} sent, but the user never sent it"
        elif record.state is ActionState.DISMISSED:
            assert key in self.created_at and message_id not in self.user_sent, (key, record)
        elif reason == SkipReason.CANCELLED.value:
            # An invitation moved out of the sync window before a pass saw the move looks
            # removed to the program: it cannot tell the difference.
            assert (
                event.status is EventStatus.CANCELLED
                or uid in self.removed
                or not self._event_seen(uid)
            ), (key, record)
        elif reason == SkipReason.DECLINED.value:
            assert event.user_response is Response.DECLINED, (key, record)
        elif reason == "edited_kept":
            assert message_id in self.ever_edited, (key, record)
        elif reason == SkipReason.TOO_LATE.value:
            assert kind is not ActionKind.THANKYOU, (key, record)
            assert self.now >= outreach_window(interview.start)[1], (key, record)
        elif reason == SkipReason.ALREADY_IN_TOUCH.value:
            self._check_in_touch(key, uid)
        elif reason == "replied":
            assert kind is ActionKind.FOLLOWUP and self._first_reply(iid) is not None, (key, record)
        elif reason == "interview_started":
            assert self.now >= interview.start, (key, record)
        elif reason == "missed":
            assert self.now > interview.end + THANKYOU_MISSED, (key, record)
        elif reason == "too_close":
            sent = self.sent_outreach.get(iid)
            assert sent is not None, f"{key} too close, but the user never sent the outreach"
            # Due too close to the interview, or found only when it was too close.
            due = into_working_hours(sent.sent_at + FOLLOWUP_AFTER)
            latest = interview.start - FOLLOWUP_MIN_GAP
            assert due > latest or self.now > latest, (key, record, due)

    def _check_in_touch(self, key: Key, uid: str) -> None:
        """``already_in_touch`` needs ≥ 4 messages, or messages both ways, with the
        interviewers in the last 30 days; SPEC: the program's own drafts and what was sent
        from them do not count. In this world the user sends nothing but the program's
        drafts, so only received messages can count and "both ways" is impossible."""
        # E.g. the user sent the note drafted for another interview with the same people and
        # got one reply: that is not "both ways", as the note was the program's own draft.
        people = set(self._people(uid))
        since = self.now - IN_TOUCH_DAYS
        received = [r for r in self.received if r.sender in people and r.date >= since]
        assert len(received) >= IN_TOUCH_MESSAGES, (
            f"{key} skipped already_in_touch with only {len(received)} messages received from "
            f"the interviewers; everything the user sent was a draft of this program"
        )

    def _check_user_actions(self, actions: dict[Key, ActionRecord]) -> None:
        """A sent draft becomes ``sent``; a deleted one ``dismissed`` (or ``cancelled``)."""
        for key in self.must_be_sent:
            assert actions[key].state is ActionState.SENT, (key, actions[key])
        for key in self.must_be_gone:
            assert actions[key].state in {ActionState.DISMISSED, ActionState.CANCELLED}, (
                key,
                actions[key],
            )
        self.must_be_sent.clear()
        self.must_be_gone.clear()

    def _event_seen(self, uid: str) -> bool:
        """Whether this pass's calendar sync saw the invitation ``uid`` as it is now."""
        event = self.events[uid]
        lo, hi = self.now - LOOKBACK, self.now + LOOKAHEAD
        return uid not in self.removed and event.start < hi and event.end > lo

    def _seen(self, uid: str, item: TrackedInterview) -> bool:
        """Whether this pass saw the invitation, or noticed it was deleted: the program can
        only look for a deleted one where it last knew it to be."""
        if uid in self.removed:
            lo, hi = self.now - LOOKBACK, self.now + LOOKAHEAD
            return lo <= item.interview.start < hi
        return self._event_seen(uid)

    def _check_cancellations(self, tracked: dict[str, TrackedInterview]) -> None:
        """A cancel, decline or removal the program could see leaves no action open (and,
        by ``_check_drafts``, no draft but an edited one)."""
        for uid, event in self.events.items():
            item = tracked.get(interview_id(uid))
            gone = (
                uid in self.removed
                or event.status is EventStatus.CANCELLED
                or event.user_response is Response.DECLINED
            )
            if item is None or not gone or not self._seen(uid, item):
                continue
            for record in item.actions:
                assert record.state in FINAL, (uid, record)

    def _check_replies(
        self, tracked: dict[str, TrackedInterview], actions: dict[Key, ActionRecord]
    ) -> None:
        """Invariant 6 after the fact: a reply leaves no planned or untouched follow-up."""
        for iid in self.sent_outreach:
            if iid not in tracked or self._first_reply(iid) is None:
                continue
            followup = actions.get((iid, ActionKind.FOLLOWUP, ""))
            if followup is None:
                continue
            assert followup.state is not ActionState.PLANNED, (iid, followup)
            if followup.state is ActionState.DRAFTED:
                message_id = normalize_message_id(followup.message_id)
                assert message_id in self.ever_edited or message_id in self.user_sent, (
                    f"untouched follow-up of {iid} kept after a reply"
                )

    def _check_due_work(self, tracked: dict[str, TrackedInterview]) -> None:
        """What is due at ``now`` was done: started interviews lose untouched drafts,
        open windows get outreach, unanswered outreach gets a follow-up, ended interviews
        get thank-yous."""
        for iid, item in tracked.items():
            uid = self._uid_of(iid)
            if item.gone or not self._event_seen(uid):
                continue
            interview = item.interview
            skip = interview.skip_reason
            records = {(a.kind, a.recipient): a for a in item.actions}
            outreach = records.get((ActionKind.OUTREACH, ""))
            followup = records.get((ActionKind.FOLLOWUP, ""))
            if self.now >= interview.start:
                for record in (outreach, followup):
                    if record is not None and record.state is ActionState.DRAFTED:
                        message_id = normalize_message_id(record.message_id)
                        assert message_id in self.ever_edited | self.user_sent, (
                            f"untouched {record.kind} draft of {iid} kept after the start"
                        )
            opens, closes = outreach_window(interview.start)
            if skip is None and outreach is not None and opens <= self.now < closes:
                assert outreach.state is not ActionState.PLANNED, (
                    f"outreach of {iid} not drafted at {self.now} inside [{opens}, {closes})"
                )
            sent = self.sent_outreach.get(iid)
            if skip is None and sent is not None and followup is not None:
                due = into_working_hours(sent.sent_at + FOLLOWUP_AFTER)
                reply = self._first_reply(iid)
                if (
                    due <= self.now < interview.start
                    and due <= interview.start - FOLLOWUP_MIN_GAP
                    and (reply is None or reply.date > self.now)
                    and outreach is not None
                    and outreach.state is ActionState.SENT
                ):
                    assert followup.state is not ActionState.PLANNED, (
                        f"follow-up of {iid} not drafted at {self.now}, due {due}"
                    )
            thanks_due = into_working_hours(interview.end + THANKYOU_AFTER)
            thanked = skip is None or skip in THANKYOU_DESPITE
            if thanked and thanks_due <= self.now <= interview.end + THANKYOU_MISSED:
                for (kind, _), record in records.items():
                    if kind is ActionKind.THANKYOU:
                        assert record.state is not ActionState.PLANNED, (
                            f"thank-you {record.recipient} of {iid} not drafted at {self.now}"
                        )


TestLifecycle = LifecycleMachine.TestCase
TestLifecycle.settings = settings(
    max_examples=500,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
