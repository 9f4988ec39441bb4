"""What the program reports: the lines of a pass (``once`` prints them, the daemon logs them),
and what ``status`` and ``explain`` print, built from the store, never from a provider."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from interview_outreach.daemon.domain import detection
from interview_outreach.daemon.domain.model import (
    ActionKind,
    ActionRecord,
    ActionState,
    Interview,
    RecipientRule,
)
from interview_outreach.daemon.domain.people import display_name
from interview_outreach.daemon.domain.timing import format_short, format_when
from interview_outreach.daemon.scrub import scrub
from interview_outreach.daemon.store.records import AccountState, AuditEntry, TrackedInterview

if TYPE_CHECKING:
    from interview_outreach.daemon.passes import PassReport  # `status` never loads the pass

ActionJson = dict[str, str | None]


def status_json(tracked: Sequence[TrackedInterview], tz: ZoneInfo) -> dict[str, object]:
    """The ``status --json`` object exactly as SPEC section 4 describes it."""
    return {"interviews": [_interview_json(item, tz) for item in tracked]}


def _iso(at: datetime | None, tz: ZoneInfo) -> str | None:
    return at.astimezone(tz).isoformat() if at else None


_DUE_STATES = frozenset({"planned", "blocked"})  # states whose due time status shows


def _action_json(record: ActionRecord | None, tz: ZoneInfo) -> ActionJson:
    if record is None:
        return {"state": "planned", "due_at": None, "reason": None}
    return {
        "state": record.state.public,
        "due_at": _iso(record.due_at, tz) if record.state.public in _DUE_STATES else None,
        "reason": None if record.reason is None else record.reason.value,
    }


def _interview_json(item: TrackedInterview, tz: ZoneInfo) -> dict[str, object]:
    interview = item.interview
    by_slot = {r.slot: r for r in item.actions}
    thankyous = [r for r in item.actions if r.kind is ActionKind.THANKYOU]
    return {
        "id": interview.id,
        "account": interview.account,
        "title": interview.event.title,
        "company": interview.company,
        "role": interview.role,
        "start": _iso(interview.start, tz),
        "end": _iso(interview.end, tz),
        "interviewers": [p.email for p in interview.interviewers],
        "skip_reason": interview.skip_reason.value if interview.skip_reason else None,
        "actions": {
            "outreach": _action_json(by_slot.get((ActionKind.OUTREACH, "")), tz),
            "followup": _action_json(by_slot.get((ActionKind.FOLLOWUP, "")), tz),
            "thankyou": [
                {"recipient": r.recipient, **_action_json(r, tz)}
                for r in sorted(thankyous, key=lambda r: r.recipient)
            ],
        },
    }


def _cell(record: ActionRecord | None, tz: ZoneInfo) -> str:
    if record is None:
        return "planned"
    state = record.state.public
    if state == "planned" and record.due_at:
        return f"planned {format_short(record.due_at, tz)}"
    if record.reason:
        return f"{state}: {record.reason.value}"
    return state


def _thankyou_cell(records: list[ActionRecord], tz: ZoneInfo) -> str:
    if not records:
        return "planned"
    cells = sorted({_cell(r, tz) for r in records})
    if len(cells) == 1 and len(records) > 1:
        return f"{cells[0]} (×{len(records)})"
    return ", ".join(cells)


def status_table(
    tracked: Sequence[TrackedInterview], accounts: Sequence[AccountState], tz: ZoneInfo
) -> str:
    """A plain-text table of every tracked interview and its three actions."""
    if not tracked:
        lines = ["No interviews tracked yet. Run `interview-outreach once` to look for some."]
    else:
        header = (
            "ID",
            f"START ({tz.key})",
            "COMPANY",
            "ROLE",
            "OUTREACH",
            "FOLLOW-UP",
            "THANK-YOU",
        )
        rows = [header]
        for item in tracked:
            interview = item.interview
            by_slot = {r.slot: r for r in item.actions}
            thankyous = [r for r in item.actions if r.kind is ActionKind.THANKYOU]
            rows.append(
                (
                    interview.id,
                    format_short(interview.start, tz),
                    _clip(interview.company or "?", 18),
                    _clip(interview.role or "?", 26),
                    _cell(by_slot.get((ActionKind.OUTREACH, "")), tz),
                    _cell(by_slot.get((ActionKind.FOLLOWUP, "")), tz),
                    _thankyou_cell(thankyous, tz),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
    for account in accounts:
        if account.needs_auth:
            lines.append(
                f"! account {account.name}: needs authorization: run `interview-outreach auth {account.name}`"
            )
        elif account.last_error:
            lines.append(f"! account {account.name}: last pass failed: {account.last_error}")
    return "\n".join(lines)


def candidate_lines(tracked: Sequence[TrackedInterview], tz: ZoneInfo) -> list[str]:
    """One line per interview, ``ID  START  TITLE``, to choose among (an ambiguous id)."""
    return [
        f"{item.interview.id}  {format_short(item.interview.start, tz)}  "
        f"{_clip(item.interview.event.title or '(no title)', 60)}"
        for item in tracked
    ]


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def explain(item: TrackedInterview, audit: Sequence[AuditEntry], tz: ZoneInfo) -> str:
    """Why an interview was detected, who the interviewers are, why each action is where it is."""
    interview = item.interview
    event = interview.event
    lines = [
        f'Interview {interview.id}: "{event.title}"',
        f"  account:  {interview.account}",
        f"  when:     {format_when(event.start, tz)} ({event.duration_minutes} min)",
        f"  company:  {interview.company or 'unknown'}",
        f"  role:     {interview.role or 'not named in the invitation'}",
    ]
    if item.gone:
        lines.append("  no longer in the calendar")
    lines += _detection_lines(interview)
    lines += _people_lines(interview)
    skip = interview.skip_reason
    lines.append("")
    lines.append(
        f"Skip reason: {skip.value} — {interview.skip_detail}" if skip else "Skip reason: none"
    )
    lines.append("")
    lines.append("Actions:")
    for record in sorted(item.actions, key=lambda r: (list(ActionKind).index(r.kind), r.recipient)):
        lines.append("  " + _action_line(record, tz))
    if not item.actions:
        lines.append("  none planned yet (the next pass plans them)")
    if audit:
        lines.append("")
        lines.append("Changes made in your mailbox:")
        for entry in audit:
            kind = entry.action_kind.value if entry.action_kind else ""
            to = f" → {entry.recipient}" if entry.recipient else ""
            lines.append(
                f"  {format_short(entry.at, tz)}  {entry.operation} {kind}{to}  {entry.detail}".rstrip()
            )
    return "\n".join(lines)


def _detection_lines(interview: Interview) -> list[str]:
    found = interview.detection
    lines = ["", f"Why it is an interview (score {found.score}, {detection.THRESHOLD} needed):"]
    lines += [f"  {signal}" for signal in found.signals]
    return lines


def _people_lines(interview: Interview) -> list[str]:
    lines = ["", "Interviewers:"]
    recipient = interview.recipient.email if interview.recipient else None
    for person in interview.interviewers:
        name = display_name(person)
        notes = []
        if interview.event.organizer and person.email == interview.event.organizer.email:
            notes.append("organizer")
        if not person.required:
            notes.append("optional")
        if person.email == recipient:
            notes.append("outreach recipient")
        label = f"{name} <{person.email}>" if name else person.email
        lines.append(f"  {label}" + (f" ({', '.join(notes)})" if notes else ""))
    if not interview.interviewers:
        lines.append("  none")
    lines.append(recipient_line(interview))
    if interview.excluded:
        lines.append("Not interviewers:")
        lines += [f"  {e.email}: {e.reason}" for e in interview.excluded]
    return lines


_RULE_REASONS: dict[RecipientRule, str] = {
    RecipientRule.NAMED_IN_DESCRIPTION: "the invitation names them as the interviewer",
    RecipientRule.ONLY_EMPLOYER_ATTENDEE: (
        "the only person from the employer on the invitation besides any coordinator"
    ),
    RecipientRule.ORGANIZER: (
        "they organize it, and the invitation names no one person as the interviewer"
    ),
    RecipientRule.FIRST_REQUIRED: (
        "the first required interviewer, as no person at the employer organizes it and "
        "the invitation names no one person as the interviewer"
    ),
}


def recipient_line(interview: Interview) -> str:
    """One plain line: whom the outreach goes to and which rule of the SPEC chose them."""
    person = interview.recipient
    if person is None:
        return "Outreach goes to no one: no person at the employer is on the invitation"
    name = display_name(person)
    label = f"{name} <{person.email}>" if name else person.email
    rule = interview.recipient_rule
    reason = _RULE_REASONS[rule] if rule else "chosen by an earlier version"
    detail = f" ({interview.recipient_detail})" if interview.recipient_detail else ""
    return f"Outreach goes to {label}: {reason}{detail}"


def _action_line(record: ActionRecord, tz: ZoneInfo) -> str:
    name = record.kind.value + (f" → {record.recipient}" if record.recipient else "")
    parts = [f"{name}: {record.state.public}"]
    if record.reason:
        parts.append(f"({record.reason.value})")
    if record.state is ActionState.DRAFTING:
        parts.append("— a draft is being created")
    if record.detail:
        parts.append(f"— {record.detail}")
    if record.state is ActionState.DRAFTED and record.message_id:
        parts.append(f"[Message-ID {record.message_id}]")
    return " ".join(parts)


def pass_report_lines(report: PassReport) -> Iterator[tuple[bool, str]]:
    """What a pass did, per account: (whether the line is a problem, the line)."""
    for account in report.accounts:
        name = account.name
        if account.error:
            yield True, f"{name}: failed: {scrub(account.error)}"
            continue
        if account.passed_over:
            yield (
                False,
                f"{name}: passed over: another interview-outreach process is working "
                f"on it ({account.passed_over})",
            )
            continue
        tally = account.tally
        drafts = f"{tally.created} created, {tally.updated} updated, {tally.deleted} removed"
        yield (
            False,
            f"{name}: {account.events} events, {account.interviews} interviews "
            f"tracked; drafts: {drafts}",
        )
        for problem in account.problems:
            yield True, f"{name}: skipped: {scrub(problem)}"
        for line in account.blocked:
            yield True, f"{name}: {scrub(line)}"
        if account.capped:
            yield (
                True,
                f"{name}: {tally.created} new drafts made, the most for one pass "
                f"(max_new_drafts_per_pass); {account.capped} more wait for the next pass",
            )
