"""What an invitation says about each interviewer: their title or the part they lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    Interview,
    Participant,
    UserIdentity,
)
from interview_outreach.daemon.domain.panel import InterviewerDetails, interviewer_details
from interview_outreach.daemon.domain.rules import Rules

USER = UserIdentity("Ada Lovelace", frozenset({"ada@example.org"}), ZoneInfo("Europe/London"))
START = datetime(2026, 12, 8, 14, tzinfo=UTC)
MAYA = Participant("maya.chen@acme.com", "Maya Chen")
TOM = Participant("tom.baker@acme.com", "Tom Baker")


def panel(description: str, title: str = "Interview – Data Engineer – Acme") -> Interview:
    event = CalendarEvent(
        uid="p", title=title, start=START, end=START + timedelta(hours=1),
        description=description, conference_url="https://meet.example.com/p",
        organizer=MAYA, attendees=(MAYA, TOM, Participant("ada@example.org")),
    )  # fmt: skip
    interview = recognize(event, account="a", user=USER, rules=Rules())
    assert interview is not None
    return interview


def details(description: str, person: Participant = TOM) -> InterviewerDetails:
    return interviewer_details(panel(description), person)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Interviewers: Maya Chen (Engineering Manager), Tom Baker (Staff Engineer)", InterviewerDetails(title="Staff Engineer")),
        ("You will meet Maya Chen and Tom Baker, who leads the system design part.", InterviewerDetails(part="the system design part")),
        ("Tom Baker will run the coding exercise and Maya Chen will close.", InterviewerDetails(part="the coding exercise")),
        ("With Maya Chen and our CTO Tom Baker.", InterviewerDetails(title="CTO")),
        ("Ihre Gesprächspartner: Maya Chen und Tom Baker, Leiter Data Science.", InterviewerDetails(title="Leiter Data Science")),
        ("Mit Maya Chen und Tom Baker, der den Teil zum Systemdesign leitet.", InterviewerDetails(part="den Teil zum Systemdesign")),
        ("Ihr Gesprächspartner ist Tom Baker, Senior Data Engineer in unserem Plattform-Team.", InterviewerDetails(title="Senior Data Engineer")),
        ("Vous rencontrerez Tom Baker, directeur Analytique, qui mènera l'entrevue.", InterviewerDetails(title="directeur Analytique")),
        ("Avec Maya Chen et Tom Baker, qui s'occupera de la partie technique.", InterviewerDetails(part="la partie technique")),
        ("Vous rencontrerez Tom Baker, Lead Developer, pour un exercice de live coding.", InterviewerDetails(title="Lead Developer")),
        ("Le entrevistarán Maya Chen y Tom Baker (Gerente de Ingeniería de Datos).", InterviewerDetails(title="Gerente de Ingeniería de Datos")),
        ("Con Maya Chen y Tom Baker, quien se encargará del caso práctico.", InterviewerDetails(part="el caso práctico")),
        ("Participan Maya Chen y nuestro Tech Lead Tom Baker.", InterviewerDetails(title="Tech Lead")),
    ],
)  # fmt: skip
def test_what_is_said_next_to_the_name(description: str, expected: InterviewerDetails) -> None:
    assert details(description) == expected


@pytest.mark.parametrize(
    "description",
    [
        "Tom Baker (he/him) and Maya Chen will meet you.",  # a pronoun is no title
        "Tom Baker (People & Culture) joins for the last part.",  # a department is no title
        "Tom Baker (Acme) will say hello.",  # nor is a company
        "Tom Baker and Maya Chen, who leads the system design part.",  # that is Maya
        "Our CEO Maya Chen and Tom Baker will meet you.",  # the CEO is Maya
        "Tom Baker will lead the interview.",  # the whole interview is no part of it
        "Nothing about anyone.",
    ],
)
def test_nothing_is_taken_from_what_belongs_elsewhere(description: str) -> None:
    assert details(description) == InterviewerDetails()


def test_the_first_name_alone_is_enough_when_nobody_else_shares_it() -> None:
    assert details("Tom, who leads the system design part, will call you.") == InterviewerDetails(
        part="the system design part"
    )


def test_the_title_of_an_invitation_counts_too() -> None:
    interview = panel("", title="Interview with Tom Baker (Head of Data) – Acme")
    assert interviewer_details(interview, TOM) == InterviewerDetails(title="Head of Data")
