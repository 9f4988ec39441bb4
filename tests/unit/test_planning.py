"""The pure planner, table-driven: what each skip reason does to each action, and the paths
of SPEC section 3 that do not need a mailbox to show."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.model import (
    ActionKind,
    ActionRecord,
    ActionState,
    CalendarEvent,
    DraftRef,
    Interview,
    MailMessage,
    Participant,
    SkipReason,
    UserIdentity,
)
from interview_outreach.daemon.domain.planning import (
    AdoptDraft,
    CreateDraft,
    DeleteDraft,
    DraftObservation,
    DraftStatus,
    InTouch,
    MailboxFacts,
    Plan,
    PlanContext,
    Record,
    UpdateDraft,
    plan,
)
from interview_outreach.daemon.domain.rendering import Renderer
from interview_outreach.daemon.domain.replies import ReplyFinding
from interview_outreach.daemon.domain.rules import Rules

LONDON = ZoneInfo("Europe/London")
USER = UserIdentity("Ada Lovelace", frozenset({"ada@example.org"}), LONDON)
START = datetime(2026, 12, 10, 14, tzinfo=UTC)
OPENS = datetime(2026, 12, 7, 9, tzinfo=UTC)
CONTEXT = PlanContext(
    rules=Rules(),
    timezone=LONDON,
    renderer=Renderer(None),
    user_name="Ada Lovelace",
    signature="Ada Lovelace",
    highlights=("eight years of Python",),
)
JANE = Participant("jane@acme.com", "Jane Doe")
RAJ = Participant("raj@acme.com", "Raj Patel")


def make_interview(**changes: object) -> Interview:
    event = CalendarEvent(
        uid="u1",
        title="Acme – Technical interview (Senior Backend Engineer)",
        start=START,
        end=START + timedelta(hours=1),
        description="Interview for the Senior Backend Engineer position.",
        location="https://meet.example.com/x",
        organizer=JANE,
        attendees=(JANE, RAJ, Participant("ada@example.org")),
    )
    found = recognize(event, account="a", user=USER, rules=Rules())
    assert found is not None
    return replace(found, **changes)  # type: ignore[arg-type]


def outcome(decisions: tuple[object, ...], kind: ActionKind) -> tuple[str, str | None]:
    """The last state the decisions give the first action of ``kind``."""
    result: tuple[str, str | None] = ("unchanged", None)
    for decision in decisions:
        if isinstance(decision, Record | AdoptDraft | CreateDraft | UpdateDraft):
            record = decision.record
            state = "create" if isinstance(decision, CreateDraft) else record.state.value
        elif isinstance(decision, DeleteDraft):
            record = decision.then
            state = f"delete→{record.state.value}"
        else:
            continue
        if record.kind is kind:
            result = (state, record.reason)
    return result


# SPEC section 2's table: what each skip reason does to outreach, follow-up, thank-you.
SKIP_TABLE = [
    (SkipReason.NO_INTERVIEWER_CONTACT, "skipped", "skipped", "skipped"),
    (SkipReason.BRIEF_SCREENING, "skipped", "skipped", "drafted"),
    (SkipReason.ALREADY_IN_TOUCH, "skipped", "skipped", "drafted"),
    (SkipReason.EMPLOYER_POLICY, "skipped", "skipped", "skipped"),
    (SkipReason.TOO_LATE, "skipped", "skipped", "drafted"),
    (SkipReason.DECLINED, "cancelled", "cancelled", "cancelled"),
    (SkipReason.CANCELLED, "cancelled", "cancelled", "cancelled"),
    (SkipReason.USER_IS_INTERVIEWER, "skipped", "skipped", "skipped"),
]


@pytest.mark.parametrize(("skip", "outreach", "followup", "thankyou"), SKIP_TABLE)
def test_each_skip_reason_does_what_the_spec_table_says(
    skip: SkipReason, outreach: str, followup: str, thankyou: str
) -> None:
    interview = make_interview(skip_reason=skip, skip_detail="test")
    before = plan(interview, (), MailboxFacts(), CONTEXT, OPENS)
    assert outcome(before.decisions, ActionKind.OUTREACH) == (outreach, skip.value)
    assert outcome(before.decisions, ActionKind.FOLLOWUP) == (followup, skip.value)
    assert before.skip_reason is skip
    after_end = START + timedelta(hours=2)
    records = [d.record for d in before.decisions if isinstance(d, Record)]
    later = plan(interview, records, MailboxFacts(), CONTEXT, after_end)
    expected = "create" if thankyou == "drafted" else "unchanged"
    state, _ = outcome(later.decisions, ActionKind.THANKYOU)
    if thankyou == "drafted":
        assert state == expected
    else:
        thank = [r for r in records if r.kind is ActionKind.THANKYOU]
        assert thank and all(r.state.value == thankyou for r in thank)


def test_nothing_is_drafted_before_the_window_opens() -> None:
    result = plan(make_interview(), (), MailboxFacts(), CONTEXT, OPENS - timedelta(seconds=1))
    assert not any(isinstance(d, CreateDraft) for d in result.decisions)
    record = next(
        d.record
        for d in result.decisions
        if isinstance(d, Record) and d.record.kind is ActionKind.OUTREACH
    )
    assert record.due_at == OPENS


def test_the_outreach_goes_to_the_organizer() -> None:
    result = plan(make_interview(), (), MailboxFacts(), CONTEXT, OPENS)
    (create,) = [d for d in result.decisions if isinstance(d, CreateDraft)]
    assert [a.email for a in create.content.to] == ["jane@acme.com"]
    assert create.record.kind is ActionKind.OUTREACH


@pytest.mark.parametrize(
    ("in_touch", "skipped"),
    [
        (InTouch(4, False, "4 messages"), True),
        (InTouch(1, True, "both ways"), True),
        (InTouch(3, False, "3 messages"), False),
    ],
)
def test_already_in_touch(in_touch: InTouch, skipped: bool) -> None:
    result = plan(make_interview(), (), MailboxFacts(in_touch=in_touch), CONTEXT, OPENS)
    state, reason = outcome(result.decisions, ActionKind.OUTREACH)
    assert (state == "skipped" and reason == "already_in_touch") is skipped
    assert (result.skip_reason is SkipReason.ALREADY_IN_TOUCH) is skipped


def drafted(kind: ActionKind = ActionKind.OUTREACH, recipient: str = "") -> ActionRecord:
    return ActionRecord(
        kind=kind, recipient=recipient, state=ActionState.DRAFTED, draft_id="d1",
        message_id="<m1@example.org>", content_hash="h", drafted_at=OPENS, drafted_for=START,
    )  # fmt: skip


def observe(status: DraftStatus, sent: MailMessage | None = None) -> MailboxFacts:
    return MailboxFacts(
        drafts={
            (ActionKind.OUTREACH, ""): DraftObservation(
                status, DraftRef("d1", "<m1@example.org>"), sent
            )
        }
    )


def test_a_crash_after_creating_is_adopted_not_repeated() -> None:
    intent = replace(drafted(), state=ActionState.DRAFTING, draft_id=None)
    facts = MailboxFacts(
        drafts={
            (ActionKind.OUTREACH, ""): DraftObservation(
                DraftStatus.FOUND, DraftRef("d9", "<m1@example.org>")
            )
        }
    )
    result = plan(make_interview(), (intent,), facts, CONTEXT, OPENS)
    assert not any(isinstance(d, CreateDraft) for d in result.decisions)
    assert outcome(result.decisions, ActionKind.OUTREACH) == ("drafted", None)


def test_a_crash_before_creating_creates_with_the_recorded_message_id() -> None:
    intent = replace(drafted(), state=ActionState.DRAFTING, draft_id=None)
    facts = MailboxFacts(drafts={(ActionKind.OUTREACH, ""): DraftObservation(DraftStatus.MISSING)})
    result = plan(make_interview(), (intent,), facts, CONTEXT, OPENS)
    (create,) = [d for d in result.decisions if isinstance(d, CreateDraft)]
    assert create.record.message_id == "<m1@example.org>"


def test_deleted_draft_is_dismissed_for_good() -> None:
    result = plan(make_interview(), (drafted(),), observe(DraftStatus.GONE), CONTEXT, OPENS)
    assert outcome(result.decisions, ActionKind.OUTREACH) == ("dismissed", None)


def test_an_untouched_draft_is_rewritten_when_its_content_would_change() -> None:
    result = plan(make_interview(), (drafted(),), observe(DraftStatus.UNTOUCHED), CONTEXT, OPENS)
    assert any(isinstance(d, UpdateDraft) for d in result.decisions)


def test_an_edited_draft_is_never_rewritten() -> None:
    moved = make_interview()
    moved = replace(
        moved,
        event=replace(
            moved.event, start=START + timedelta(days=1), end=START + timedelta(days=1, hours=1)
        ),
    )
    result = plan(moved, (drafted(),), observe(DraftStatus.EDITED), CONTEXT, OPENS)
    assert not any(isinstance(d, UpdateDraft | DeleteDraft | CreateDraft) for d in result.decisions)
    notes = [
        d.record
        for d in result.decisions
        if isinstance(d, Record) and d.record.kind is ActionKind.OUTREACH
    ]
    assert notes and all(n.edited for n in notes)
    assert "mentions the old time" in notes[-1].detail


def sent_message(at: datetime) -> MailMessage:
    return MailMessage(
        "<m1@example.org>", "ada@example.org", ("jane@acme.com",), "Our interview", at, "sent"
    )


def test_followup_due_24h_after_sending_in_working_hours() -> None:
    sent_at = OPENS + timedelta(hours=1)
    outreach = replace(drafted(), state=ActionState.SENT, sent_at=sent_at)
    early = plan(
        make_interview(), (outreach,), MailboxFacts(), CONTEXT, sent_at + timedelta(hours=23)
    )
    record = next(
        d.record
        for d in early.decisions
        if isinstance(d, Record) and d.record.kind is ActionKind.FOLLOWUP
    )
    assert record.due_at == sent_at + timedelta(hours=24)
    due = plan(
        make_interview(), (outreach, record), MailboxFacts(), CONTEXT, sent_at + timedelta(hours=24)
    )
    (create,) = [d for d in due.decisions if isinstance(d, CreateDraft)]
    assert create.reply_to is not None and create.reply_to.message_id == "<m1@example.org>"
    assert create.content.subject.startswith("Re: ")


def test_followup_too_close_to_the_interview_is_skipped() -> None:
    sent_at = START - timedelta(hours=25)
    outreach = replace(drafted(), state=ActionState.SENT, sent_at=sent_at)
    result = plan(
        make_interview(), (outreach,), MailboxFacts(), CONTEXT, sent_at + timedelta(minutes=5)
    )
    assert outcome(result.decisions, ActionKind.FOLLOWUP) == ("skipped", "too_close")


def test_a_reply_removes_an_untouched_followup_draft() -> None:
    sent_at = OPENS
    outreach = replace(drafted(), state=ActionState.SENT, sent_at=sent_at)
    followup = replace(drafted(ActionKind.FOLLOWUP), draft_id="d2")
    reply = ReplyFinding(sent_message(sent_at), "jane@acme.com wrote in the thread")
    facts = MailboxFacts(
        drafts={
            (ActionKind.FOLLOWUP, ""): DraftObservation(
                DraftStatus.UNTOUCHED, DraftRef("d2", "<m2@x>")
            )
        },
        reply=reply,
    )
    result = plan(
        make_interview(), (outreach, followup), facts, CONTEXT, sent_at + timedelta(hours=30)
    )
    assert outcome(result.decisions, ActionKind.FOLLOWUP) == ("delete→cancelled", "replied")


def test_one_thankyou_per_interviewer() -> None:
    result = plan(make_interview(), (), MailboxFacts(), CONTEXT, START + timedelta(hours=2))
    creates = [
        d
        for d in result.decisions
        if isinstance(d, CreateDraft) and d.record.kind is ActionKind.THANKYOU
    ]
    assert sorted(d.record.recipient for d in creates) == ["jane@acme.com", "raj@acme.com"]
    for create in creates:
        assert "next steps" in create.content.body


def test_a_followup_not_drafted_in_time_is_not_drafted_right_before_or_after_the_interview() -> (
    None
):
    sent_at = START - timedelta(hours=60)  # due 36 h before the interview...
    outreach = replace(drafted(), state=ActionState.SENT, sent_at=sent_at)
    late = START - timedelta(hours=1)  # ...but the daemon only runs again an hour before it
    result = plan(make_interview(), (outreach,), MailboxFacts(), CONTEXT, late)
    assert outcome(result.decisions, ActionKind.FOLLOWUP) == ("skipped", "too_close")
    assert not any(isinstance(d, CreateDraft) for d in result.decisions)


# -- a new or lost database: what the mailbox holds under the derived Message-ID ----------


def _new_slot(status: DraftStatus, **fields: object) -> MailboxFacts:
    observation = DraftObservation(status, **fields)  # type: ignore[arg-type]
    return MailboxFacts(drafts={(ActionKind.OUTREACH, ""): observation})


def test_an_unknown_action_found_drafted_is_adopted_as_untouched_when_it_says_what_we_would() -> (
    None
):
    interview = make_interview()
    expected = plan(interview, (), MailboxFacts(), CONTEXT, OPENS)
    (create,) = [d for d in expected.decisions if isinstance(d, CreateDraft)]
    ref = DraftRef("d7", "<io.outreach.x@example.org>", version="v3")
    facts = _new_slot(DraftStatus.FOUND, ref=ref, content_hash=create.content.fingerprint)
    result = plan(interview, (), facts, CONTEXT, OPENS)
    assert not any(isinstance(d, CreateDraft | UpdateDraft) for d in result.decisions)
    (adopt,) = [d for d in result.decisions if isinstance(d, AdoptDraft)]
    assert adopt.record.state is ActionState.DRAFTED and not adopt.record.edited
    assert (adopt.record.draft_id, adopt.record.draft_version) == ("d7", "v3")


def test_an_unknown_action_found_with_other_words_is_the_users_and_never_rewritten() -> None:
    ref = DraftRef("d7", "<io.outreach.x@example.org>", version="v3")
    facts = _new_slot(DraftStatus.FOUND, ref=ref, content_hash="someone-elses-words")
    result = plan(make_interview(), (), facts, CONTEXT, OPENS)
    (adopt,) = [d for d in result.decisions if isinstance(d, AdoptDraft)]
    assert adopt.record.edited and adopt.record.draft_version is None
    assert not any(isinstance(d, CreateDraft | UpdateDraft | DeleteDraft) for d in result.decisions)
    cancelled = plan(make_interview(skip_reason=SkipReason.CANCELLED), (), facts, CONTEXT, OPENS)
    assert not any(isinstance(d, DeleteDraft) for d in cancelled.decisions)
    assert outcome(cancelled.decisions, ActionKind.OUTREACH) == ("cancelled", "edited_kept")


def test_an_unknown_action_found_sent_is_sent_even_after_its_window_closed() -> None:
    sent = MailMessage("<io.outreach.x@example.org>", "ada@example.org", ("jane@acme.com",),
                       "Our interview", OPENS, "sent")  # fmt: skip
    late = START - timedelta(hours=20)
    result = plan(make_interview(), (), _new_slot(DraftStatus.SENT, sent=sent), CONTEXT, late)
    assert outcome(result.decisions, ActionKind.OUTREACH) == ("sent", None)
    creates = [d.record.kind for d in result.decisions if isinstance(d, CreateDraft)]
    assert creates == [ActionKind.FOLLOWUP]  # 24 h after it was sent, and no reply seen


def test_an_edit_once_seen_is_remembered_even_if_the_draft_reads_untouched_again() -> None:
    record = replace(drafted(), edited=True, drafted_for=START - timedelta(days=1))
    result = plan(make_interview(), (record,), observe(DraftStatus.UNTOUCHED), CONTEXT, OPENS)
    assert not any(isinstance(d, UpdateDraft | DeleteDraft) for d in result.decisions)


def test_a_draft_still_as_drafted_is_not_checked_against_the_content_rules_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every pass compares each untouched draft with what it would say now; the content
    rules (the costly part) are checked only when it would change."""
    first = plan(make_interview(), (), MailboxFacts(), CONTEXT, OPENS)
    (create,) = [d for d in first.decisions if isinstance(d, CreateDraft)]
    made = replace(
        create.record,
        state=ActionState.DRAFTED,
        content_hash=create.content.fingerprint,
        drafted_for=START,
        draft_id="d1",
        message_id="<m1@example.org>",
    )
    checks: list[object] = []
    monkeypatch.setattr(
        "interview_outreach.daemon.domain.rendering.content_problems",
        lambda *args: checks.append(args) or [],
    )
    again = plan(make_interview(), (made,), observe(DraftStatus.UNTOUCHED), CONTEXT, OPENS)
    assert not any(isinstance(d, UpdateDraft) for d in again.decisions)
    assert checks == []
    later = make_interview()
    moved = replace(
        later,
        event=replace(
            later.event, start=START + timedelta(hours=1), end=START + timedelta(hours=2)
        ),
    )
    changed = plan(moved, (made,), observe(DraftStatus.UNTOUCHED), CONTEXT, OPENS)
    assert any(isinstance(d, UpdateDraft) for d in changed.decisions)
    assert checks, "a changed draft is checked before it is written"


# -- every text states the configured numbers, never the defaults ---------------------------

CUSTOM_RULES = Rules(
    followup_after_hours=30,
    followup_min_gap_hours=5,
    thankyou_after_minutes=45,
    thankyou_missed_hours=50,
    screening_max_minutes=25,
)
DEFAULT_NUMBERS = re.compile(r"\b(24|72|2) h\b|\b(60|30) min\b|\b(30|14) days\b")


def detail_of(result: Plan, kind: ActionKind) -> str:
    """The detail the decisions leave on the first action of ``kind``."""
    details = [
        (d.then if isinstance(d, DeleteDraft) else d.record).detail
        for d in result.decisions
        if (d.then if isinstance(d, DeleteDraft) else d.record).kind is kind
    ]
    assert details, result.decisions
    return details[-1]


def test_every_planning_text_states_the_configured_numbers() -> None:
    context = replace(CONTEXT, rules=CUSTOM_RULES)
    interview = make_interview()
    sent = replace(drafted(), state=ActionState.SENT, sent_at=OPENS + timedelta(hours=1))
    late = replace(sent, sent_at=START - timedelta(hours=33))  # due 3 h before the start
    texts = {
        "followup due": detail_of(
            plan(interview, (sent,), MailboxFacts(), context, OPENS + timedelta(hours=2)),
            ActionKind.FOLLOWUP,
        ),
        "followup too close": detail_of(
            plan(interview, (late,), MailboxFacts(), context, START - timedelta(hours=30)),
            ActionKind.FOLLOWUP,
        ),
        "thankyou due": detail_of(
            plan(interview, (), MailboxFacts(), context, OPENS), ActionKind.THANKYOU
        ),
        "thankyou missed": detail_of(
            plan(interview, (), MailboxFacts(), context, START + timedelta(hours=52)),
            ActionKind.THANKYOU,
        ),
    }
    assert "30 h after the outreach was sent" in texts["followup due"]
    assert "less than 5 h before the interview" in texts["followup too close"]
    assert "45 min after the interview ends" in texts["thankyou due"]
    assert "more than 50 h passed" in texts["thankyou missed"]
    for what, text in texts.items():
        assert not DEFAULT_NUMBERS.search(text), (what, text)


def test_a_brief_screen_is_explained_with_the_configured_length() -> None:
    event = CalendarEvent(
        uid="s1",
        title="Recruiter screen",
        start=START,
        end=START + timedelta(minutes=20),
        description="A quick intro call about the Backend Engineer role.",
        organizer=JANE,
        attendees=(JANE, Participant("ada@example.org")),
    )
    found = recognize(event, account="a", user=USER, rules=CUSTOM_RULES)
    assert found is not None and found.skip_reason is SkipReason.BRIEF_SCREENING
    assert "within the 25 min of a brief screen" in found.skip_detail
    assert not DEFAULT_NUMBERS.search(found.skip_detail)
