"""Preliminary screens, hiring stages without the word "interview", and look-alikes that
are never the user's job interviews, in English, German, French and Spanish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    Interview,
    Participant,
    SkipReason,
    UserIdentity,
)
from interview_outreach.daemon.domain.rules import Rules

USER = UserIdentity(
    name="Ada Lovelace",
    addresses=frozenset({"ada.lovelace@gmail.com", "ada@analytical.io"}),
    timezone=ZoneInfo("Europe/London"),
)
JANE = Participant("jane.doe@acme.com", "Jane Doe")
ADA = Participant("ada.lovelace@gmail.com", "Ada Lovelace")


def read(title: str, description: str = "", minutes: int = 60) -> Interview | None:
    start = datetime(2026, 12, 10, 10, tzinfo=UTC)
    event = CalendarEvent(
        uid="uid-1",
        title=title,
        start=start,
        end=start + timedelta(minutes=minutes),
        description=description,
        organizer=JANE,
        attendees=(JANE, ADA),
    )
    return recognize(event, account="personal", user=USER, rules=Rules())


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Initial phone interview", ""),
        ("Recruiter call – Acme", ""),
        ("Short call with the hiring manager", "About your application."),
        (
            "Intro call – Acme x Ada",
            "A first chat about your application for the Data Engineer role.",
        ),
        ("Phone screen", ""),
        ("Telefoninterview", ""),
        ("Kurzes Kennenlernen", "Vielen Dank für Ihre Bewerbung als Data Engineer."),
        ("Erstgespräch – Acme", ""),
        ("Entretien téléphonique – Acme", ""),
        ("Appel de préqualification – Ada Lovelace", ""),
        ("Premier échange", "Merci pour votre candidature au poste de Data Engineer."),
        ("Llamada de preselección – Acme", ""),
        ("Primera llamada con RR. HH.", ""),
        ("Entrevista telefónica", ""),
    ],
)
def test_a_short_preliminary_call_is_a_brief_screening(title: str, description: str) -> None:
    short = read(title, description, minutes=30)
    assert short is not None and short.skip_reason is SkipReason.BRIEF_SCREENING, title
    long = read(title, description, minutes=45)
    assert long is not None and long.skip_reason is None, title


def test_a_short_technical_interview_is_not_a_screen() -> None:
    found = read("Technical interview", "A short introduction, then a SQL exercise.", minutes=30)
    assert found is not None and found.skip_reason is None


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Assessment centre", ""),
        ("Conversation about your application", ""),
        ("Case presentation", "Please present your case study to the team."),
        ("Take-home debrief with the team", "Walk us through your take-home for the role."),
        ("Hiring manager conversation", ""),
        ("Probetag", ""),
        ("Case-Präsentation: Ada Lovelace", ""),
        ("Fachgespräch", ""),
        ("Étude de cas – Ada Lovelace", ""),
        ("Mise en situation – Data Analyst (F/H)", ""),
        ("Prueba técnica – Desarrollador/a Backend", ""),
        ("Caso práctico", ""),
        ("Dinámica de grupo", ""),
        ("Erstes Kennenlernen – Acme × Ada Lovelace", "Sie interessieren sich für die Stelle als Data Engineer."),
    ],
)  # fmt: skip
def test_hiring_stages_without_the_word_interview_are_interviews(
    title: str, description: str
) -> None:
    assert read(title, description) is not None, title


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Research interview #3", ""),
        ("User interview 2", ""),
        ("Usability session 4", ""),
        ("Customer interview: how Analytical uses Acme", ""),
        ("Interview #2", "Thanks for taking part in our study; a gift card follows the session."),
        ("Nutzerinterview: Ihre Erfahrungen mit der App", ""),
        ("Entretien utilisateur n°3", ""),
        ("Entrevista con clientes: necesidades", ""),
        ("The Pipeline Podcast – interview recording", ""),
        (
            "Interview: Ada Lovelace – feature on the job market",
            "It's on the record, for our feature.",
        ),
        ("Entrevista para el podcast «Datos al Sur»", ""),
        ("Exit interview – Ada Lovelace", ""),
        ("Austrittsgespräch", ""),
        ("Entretien de départ", ""),
        ("Entretien annuel d'évaluation", ""),
        ("Entrevista de salida", ""),
        ("Structured interviewing: interviewer certification (part 2)", ""),
        ("Interviewer-Schulung", ""),
        ("Capacitación para entrevistadores", ""),
        ("Hiring debrief – Senior Data Engineer", ""),
        ("Débrief entretien – candidate Inès Morel", ""),
        ("Informational interview – Ada / Marcus", ""),
        ("Mock interview: System design", ""),
        ("Panel discussion: the future of data engineering", ""),
    ],
)
def test_look_alikes_are_not_job_interviews(title: str, description: str) -> None:
    assert read(title, description) is None, title


@pytest.mark.parametrize(
    "description",
    [
        "We kindly ask candidates not to contact panel members before the interview.",
        "Please don't contact the interviewers directly; questions go to your recruiter.",
        "Wir bitten Sie, die Interviewer vorab nicht direkt zu kontaktieren.",
        "Nous vous remercions de ne pas contacter directement les membres du jury.",
        "Te pedimos que no contactes directamente a las personas que te entrevistarán.",
    ],
)
def test_asked_not_to_contact_the_interviewers(description: str) -> None:
    found = read("Interview – Data Engineer", description)
    assert found is not None and found.skip_reason is SkipReason.EMPLOYER_POLICY


@pytest.mark.parametrize(
    "description",
    [
        "Please do not hesitate to contact the hiring manager with questions.",
        "No dudes en contactar al entrevistador.",
        "Please do not reply to this email. Your interviewer is Jane Doe.",
    ],
)
def test_an_invitation_to_get_in_touch_is_no_ban(description: str) -> None:
    found = read("Interview – Data Engineer", description)
    assert found is not None and found.skip_reason is None


def _invitation(organizer: Participant, *attendees: Participant) -> Interview | None:
    start = datetime(2026, 12, 10, 10, tzinfo=UTC)
    event = CalendarEvent(
        uid="uid-2",
        title="Interview: Tom Baker – Data Engineer",
        start=start,
        end=start + timedelta(hours=1),
        organizer=organizer,
        attendees=attendees,
    )
    return recognize(event, account="work", user=USER, rules=Rules())


def test_a_tools_invitation_to_the_users_side_of_a_hiring_is_one_she_conducts() -> None:
    tool = Participant("no-reply@goodtime.io", "GoodTime")
    ada_at_work = Participant("ada@analytical.io", "Ada Lovelace")
    colleague = Participant("priya@analytical.io", "Priya Shah")
    candidate = Participant("tom.baker@gmail.com", "Tom Baker")
    found = _invitation(tool, ada_at_work, colleague, candidate)
    assert found is not None and found.skip_reason is SkipReason.USER_IS_INTERVIEWER
    # A founder writing from a personal address to her work address: she is the candidate.
    founder = Participant("callum.fernhill@gmail.com", "Callum Reid")
    found = _invitation(founder, founder, ada_at_work)
    assert found is not None and found.skip_reason is None
