"""From a calendar event to a tracked ``Interview``: detection, people, company, role, skips."""

from __future__ import annotations

from dataclasses import replace

from interview_outreach.daemon.domain.detection import detect, no_contact_wording, screen_wording
from interview_outreach.daemon.domain.extraction import extract_company, extract_role
from interview_outreach.daemon.domain.limits import MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    EventStatus,
    Interview,
    Participant,
    Response,
    SkipReason,
    UserIdentity,
)
from interview_outreach.daemon.domain.people import (
    everyone,
    is_public_domain,
    is_scheduling_tool,
    organisation_domains,
    split_participants,
)
from interview_outreach.daemon.domain.recipient import choose_recipient
from interview_outreach.daemon.domain.rules import Rules


def recognize(
    event: CalendarEvent, *, account: str, user: UserIdentity, rules: Rules
) -> Interview | None:
    """The interview ``event`` is, or ``None`` when it is not a job interview."""
    event = bounded(event)
    detection = detect(event, user)
    if not detection.is_interview:
        return None
    interviewers, excluded = split_participants(event, user)
    role = extract_role(event, user)
    skip, detail = static_skip(event, user, rules, interviewers)
    recipient = choose_recipient(event, interviewers)
    return Interview(
        id=event.key,
        account=account,
        event=event,
        detection=detection,
        interviewers=interviewers,
        excluded=excluded,
        recipient=recipient.person,
        recipient_rule=recipient.rule,
        company=extract_company(event, user, role),
        role=role,
        skip_reason=skip,
        skip_detail=detail,
        recipient_detail=recipient.detail,
    )


def bounded(event: CalendarEvent) -> CalendarEvent:
    """``event`` with its free texts cut to the lengths that are read (see limits)."""
    if (
        len(event.title) <= MAX_TITLE_LENGTH
        and len(event.location) <= MAX_TITLE_LENGTH
        and len(event.description) <= MAX_DESCRIPTION_LENGTH
    ):
        return event
    return replace(
        event,
        title=event.title[:MAX_TITLE_LENGTH],
        location=event.location[:MAX_TITLE_LENGTH],
        description=event.description[:MAX_DESCRIPTION_LENGTH],
    )


def static_skip(
    event: CalendarEvent,
    user: UserIdentity,
    rules: Rules,
    interviewers: tuple[Participant, ...],
) -> tuple[SkipReason | None, str]:
    """The skip reason that follows from the invitation alone, with what matched.

    ``already_in_touch`` (needs the mailbox) and ``too_late`` (needs the clock) are
    decided by planning.
    """
    if event.status is EventStatus.CANCELLED:
        return SkipReason.CANCELLED, "the event was cancelled"
    if event.user_response is Response.DECLINED:
        return SkipReason.DECLINED, "you declined the invitation"
    organizer = event.organizer
    if event.user_is_organizer or (organizer is not None and organizer.email in user.addresses):
        return SkipReason.USER_IS_INTERVIEWER, "you organize this event"
    if organizer and organizer.domain in organisation_domains(user):
        return (
            SkipReason.USER_IS_INTERVIEWER,
            f"organized by {organizer.email}, a colleague at your own organisation",
        )
    if _hiring_side(event, user):
        return (
            SkipReason.USER_IS_INTERVIEWER,
            "you are invited at your organisation's address with colleagues, and everyone "
            "from outside is at a personal address: your organisation is hiring",
        )
    barred = sorted(
        {p.domain for p in interviewers if _in_domains(p.domain, rules.no_contact_domains)}
    )
    if barred:
        return SkipReason.EMPLOYER_POLICY, f"{', '.join(barred)} is in no_contact_domains"
    wording = no_contact_wording(event)
    if wording:
        return SkipReason.EMPLOYER_POLICY, f'the invitation says "{wording}"'
    if not interviewers:
        return SkipReason.NO_INTERVIEWER_CONTACT, _no_contact_detail(event)
    minutes = event.duration_minutes
    screen = screen_wording(event)
    if minutes <= rules.screening_max_minutes and screen:
        return (
            SkipReason.BRIEF_SCREENING,
            f"{minutes} min, within the {rules.screening_max_minutes} min of a brief screen, "
            f'and worded as a screen ("{screen}")',
        )
    return None, ""


def _hiring_side(event: CalendarEvent, user: UserIdentity) -> bool:
    """Whether the user's own organisation is the employer: an invitation (from a tool,
    say) to the user's work address with colleagues of hers, where everyone from outside
    is at a personal address, such as a candidate's."""
    own = organisation_domains(user)
    mine = [p for p in everyone(event) if p.email in user.addresses]
    if not own or not any(p.domain in own for p in mine):
        return False
    others = [
        p
        for p in everyone(event)
        if p.email not in user.addresses and not is_scheduling_tool(p.email) and p.domain
    ]
    outsiders = [p for p in others if p.domain not in own]
    colleagues = len(others) > len(outsiders)
    return colleagues and all(is_public_domain(p.domain) for p in outsiders)


def _no_contact_detail(event: CalendarEvent) -> str:
    if not event.invalid_contacts:
        return "no person at the employer is on the invitation"
    rejected = "; ".join(f"{x.email} ({x.reason})" for x in event.invalid_contacts)
    return f"no person at the employer with a usable address is on the invitation; {rejected}"


def _in_domains(domain: str, domains: frozenset[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)
