"""Whom the outreach goes to (SPEC section 2, "outreach recipient") and what explain says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    Interview,
    Participant,
    RecipientRule,
    UserIdentity,
)
from interview_outreach.daemon.domain.recipient import choose_recipient
from interview_outreach.daemon.domain.rules import Rules
from interview_outreach.daemon.report import recipient_line

USER = UserIdentity(
    name="Ada Lovelace",
    addresses=frozenset({"ada.lovelace@gmail.com", "ada@analytical.io"}),
    timezone=ZoneInfo("Europe/London"),
)
ADA = Participant("ada.lovelace@gmail.com", "Ada Lovelace")
COORDINATOR = Participant("joanna.bell@acme.com", "Joanna Bell")
PRIYA = Participant("priya.shah@acme.com", "Priya Shah")
TOM = Participant("tom.riley@acme.com", "Riley, Tom")
TOOL = Participant("no-reply@greenhouse.io", "Acme via Greenhouse")


def event(
    description: str,
    organizer: Participant,
    *attendees: Participant,
    title: str = "Interview – Data Engineer",
) -> CalendarEvent:
    start = datetime(2026, 12, 10, 10, tzinfo=UTC)
    return CalendarEvent(
        uid="uid-1",
        title=title,
        start=start,
        end=start + timedelta(hours=1),
        description=description,
        organizer=organizer,
        attendees=(organizer, ADA, *attendees),
    )


def interview(calendar_event: CalendarEvent) -> Interview:
    found = recognize(calendar_event, account="personal", user=USER, rules=Rules())
    assert found is not None
    return found


@pytest.mark.parametrize(
    "description",
    [
        "Your interviewer: Priya Shah, Engineering Manager.",
        "You'll be meeting with Priya Shah (Head of Data) for an hour.",
        "Priya will lead the session; Tom joins to take notes.",
        "The interview will be conducted by Priya Shah, Head of Data, and will last an hour.",
        "Ihr Gesprächspartner ist Dr. Priya Shah, Leiterin Data.",
        "Das Gespräch führt Priya Shah.",
        "Vous rencontrerez Priya Shah, responsable Data.",
        "Cet entretien se déroulera avec Priya Shah.",
        "Te entrevistará Priya Shah, responsable del equipo.",
        "La prueba la harás con Priya Shah; Tom Riley estará como observador.",
    ],
)
def test_the_person_the_description_names_as_conducting_it(description: str) -> None:
    choice = choose_recipient(event(description, TOM, PRIYA), (TOM, PRIYA))
    assert choice.person == PRIYA
    assert choice.rule is RecipientRule.NAMED_IN_DESCRIPTION
    assert "Priya" in choice.detail


@pytest.mark.parametrize(
    "description",
    [
        "You'll speak with Priya Shah and me.",
        "Te entrevistarán Priya Shah y Tom Riley.",
        "Vas a conversar con Priya Shah y conmigo.",
        "Your interviewers:\n- Priya Shah\n- Tom Riley",
        "Looking forward to speaking with you about the role.",
    ],
)
def test_no_one_person_named_falls_back_to_the_organizer(description: str) -> None:
    choice = choose_recipient(event(description, TOM, PRIYA), (TOM, PRIYA))
    assert (choice.person, choice.rule) == (TOM, RecipientRule.ORGANIZER)


def test_a_coordinator_is_set_aside_for_the_only_other_attendee() -> None:
    description = (
        "Your interview is confirmed.\n\nBest,\nJoanna Bell\nRecruiting Coordinator | Acme"
    )
    choice = choose_recipient(event(description, COORDINATOR, PRIYA), (COORDINATOR, PRIYA))
    assert (choice.person, choice.rule) == (PRIYA, RecipientRule.ONLY_EMPLOYER_ATTENDEE)
    assert "Joanna Bell" in choice.detail


def test_a_one_person_invitation_goes_to_that_person() -> None:
    choice = choose_recipient(event("Let's talk.", TOM), (TOM,))
    assert (choice.person, choice.rule) == (TOM, RecipientRule.ONLY_EMPLOYER_ATTENDEE)


def test_without_a_person_organizing_the_first_required_interviewer() -> None:
    optional = Participant("lisa@acme.com", "Lisa Wong", required=False)
    people = (optional, PRIYA, TOM)
    choice = choose_recipient(event("Panel interview.", TOOL, *people), people)
    assert (choice.person, choice.rule) == (PRIYA, RecipientRule.FIRST_REQUIRED)


def test_nobody_to_write_to() -> None:
    assert choose_recipient(event("Interview.", TOOL), ()).person is None


def test_the_interview_carries_the_recipient_and_explain_says_which_rule_chose() -> None:
    found = interview(event("Your interviewer: Priya Shah.", COORDINATOR, PRIYA, TOM))
    assert found.recipient == PRIYA
    assert found.recipient_rule is RecipientRule.NAMED_IN_DESCRIPTION
    line = recipient_line(found)
    assert line.startswith("Outreach goes to Priya Shah <priya.shah@acme.com>: ")
    assert "names them as the interviewer" in line and "\n" not in line


@pytest.mark.parametrize(
    ("organizer", "attendees", "words"),
    [
        (TOM, (PRIYA,), "they organize it"),
        (TOOL, (PRIYA, TOM), "first required interviewer"),
        (TOM, (), "only person from the employer"),
        (TOOL, (), "no one"),
    ],
)
def test_explain_names_every_rule_plainly(
    organizer: Participant, attendees: tuple[Participant, ...], words: str
) -> None:
    assert words in recipient_line(interview(event("Interview.", organizer, *attendees)))
