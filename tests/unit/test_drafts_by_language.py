"""Drafts in the invitation's language, reading as written by the candidate (issue 12).

One interview with two interviewers, invited in English, German, French or Spanish, goes
through the planner as the daemon runs it: the outreach when its window opens, the
follow-up a day after the outreach was sent, a thank-you to each interviewer after the end.

    .venv/bin/python -m tests.unit.test_drafts_by_language

prints those drafts as the candidate finds them in their Drafts folder.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.language import Language
from interview_outreach.daemon.domain.model import (
    ActionKind,
    ActionRecord,
    ActionState,
    CalendarEvent,
    DraftContent,
    Interview,
    Participant,
    UserIdentity,
)
from interview_outreach.daemon.domain.planning import CreateDraft, MailboxFacts, PlanContext, plan
from interview_outreach.daemon.domain.rendering import RenderContext, Renderer, content_problems
from interview_outreach.daemon.domain.rules import Rules

MAYA = Participant("maya.chen@northwind.io", "Maya Chen")
TOM = Participant("tom.baker@northwind.io", "Tom Baker")
ME = "alex.morgan@example.net"
START = datetime(2026, 12, 10, 13, tzinfo=UTC)  # a Thursday
OUTREACH_DUE = datetime(2026, 12, 7, 12, tzinfo=UTC)  # Monday, inside every zone's window
SENT = OUTREACH_DUE + timedelta(hours=1)

# The same invitation as each language's recruiter would write it.
INVITATIONS: dict[Language, tuple[str, str, str]] = {
    Language.EN: (
        "Europe/London",
        "Interview – Data Engineer – Northwind",
        "Thank you for applying for the Data Engineer position. You will meet Maya Chen "
        "(Engineering Manager) and Tom Baker, who leads the system design part.",
    ),
    Language.DE: (
        "Europe/Berlin",
        "Vorstellungsgespräch – Data Engineer (m/w/d) – Northwind",
        "Vielen Dank für Ihre Bewerbung. Ihre Gesprächspartner sind Maya Chen (Engineering "
        "Manager) und Tom Baker, der den Teil zum Systemdesign leitet.",
    ),
    Language.FR: (
        "Europe/Paris",
        "Entretien – Data Engineer – Northwind",
        "Merci pour votre candidature. Vous rencontrerez Maya Chen (Engineering Manager) et "
        "Tom Baker, qui mènera la partie conception de systèmes.",
    ),
    Language.ES: (
        "Europe/Madrid",
        "Entrevista – Data Engineer – Northwind",
        "Gracias por su candidatura. Le entrevistarán Maya Chen (Engineering Manager) y Tom "
        "Baker, que dirigirá la parte de diseño de sistemas.",
    ),
}

# The formal address a stranger gets, and the familiar forms a draft must never use.
FORMAL = {
    Language.DE: r"\b(Sie|Ihnen|Ihre[nmr]?)\b",
    Language.FR: r"\b(vous|votre|vos)\b",
    Language.ES: r"\b(usted|su|sus|le)\b",
}
FAMILIAR = {
    Language.DE: r"\b(du|dich|dir|dein\w*|euch)\b",
    Language.FR: r"\b(tu|toi|ton|ta|tes)\b",
    Language.ES: r"\b(tú|tu|tus|te|ti|contigo)\b",
}
GREETINGS = {
    Language.EN: ("Hi Maya,", "Hi Tom,"),
    Language.DE: ("Guten Tag Maya Chen,", "Guten Tag Tom Baker,"),
    Language.FR: ("Bonjour Maya Chen,", "Bonjour Tom Baker,"),
    Language.ES: ("Hola, Maya Chen:", "Hola, Tom Baker:"),
}
SENT_ON = {Language.EN: "Monday", Language.DE: "Montag", Language.FR: "lundi", Language.ES: "lunes"}
WHEN = {
    Language.EN: "Thursday, 10 December 2026 at 13:00 GMT",
    Language.DE: "Donnerstag, 10. Dezember 2026, um 14:00 Uhr MEZ",
    Language.FR: "jeudi 10 décembre 2026 à 14 h 00 CET",
    Language.ES: "jueves 10 de diciembre de 2026 a las 14:00 CET",
}


def interview_in(language: Language, **event_changes: object) -> tuple[Interview, ZoneInfo]:
    zone, title, description = INVITATIONS[language]
    tz = ZoneInfo(zone)
    event = CalendarEvent(
        uid=f"northwind-{language.value}", title=title, start=START,
        end=START + timedelta(hours=1), description=description,
        conference_url="https://meet.example.com/northwind", organizer=MAYA,
        attendees=(MAYA, TOM, Participant(ME, "Alex Morgan")),
    )  # fmt: skip
    user = UserIdentity("Alex Morgan", frozenset({ME}), tz)
    found = recognize(replace(event, **event_changes), account="mail", user=user, rules=Rules())  # type: ignore[arg-type]
    assert found is not None
    return found, tz


def context_for(tz: ZoneInfo, **changes: object) -> PlanContext:
    context = PlanContext(
        rules=Rules(), timezone=tz, renderer=Renderer(None), user_name="Alex Morgan",
        signature="Alex Morgan", highlights=("eight years of building data pipelines",),
        translated_highlights=(
            (Language.DE, ("acht Jahre Erfahrung mit Datenpipelines",)),
            (Language.FR, ("huit ans d'expérience des pipelines de données",)),
            (Language.ES, ("ocho años de experiencia con pipelines de datos",)),
        ),
    )  # fmt: skip
    return replace(context, **changes)  # type: ignore[arg-type]


def created(decisions: tuple[object, ...], kind: ActionKind) -> list[DraftContent]:
    return [d.content for d in decisions if isinstance(d, CreateDraft) and d.record.kind is kind]


def candidate_drafts(
    interview: Interview, context: PlanContext
) -> tuple[DraftContent, DraftContent, list[DraftContent]]:
    """The outreach, its follow-up and the thank-yous, each made when the daemon makes it."""
    (outreach,) = created(plan(interview, (), MailboxFacts(), context, OUTREACH_DUE).decisions,
                          ActionKind.OUTREACH)  # fmt: skip
    sent = ActionRecord(ActionKind.OUTREACH, "", ActionState.SENT, sent_at=SENT)
    later = plan(interview, (sent,), MailboxFacts(), context, SENT + timedelta(hours=25))
    (followup,) = created(later.decisions, ActionKind.FOLLOWUP)
    after = plan(interview, (sent,), MailboxFacts(), context, interview.end + timedelta(hours=2))
    return outreach, followup, created(after.decisions, ActionKind.THANKYOU)


@pytest.fixture(params=list(Language), ids=[language.value for language in Language])
def language(request: pytest.FixtureRequest) -> Language:
    return request.param  # type: ignore[no-any-return]


def test_every_draft_is_in_the_invitations_language(language: Language) -> None:
    interview, tz = interview_in(language)
    outreach, followup, thankyous = candidate_drafts(interview, context_for(tz))
    assert WHEN[language] in outreach.body
    assert WHEN[language] in followup.body
    assert outreach.body.startswith(GREETINGS[language][0] + "\n\n")
    assert followup.body.startswith(GREETINGS[language][0] + "\n\n")
    assert sorted(t.body.split("\n", 1)[0] for t in thankyous) == sorted(GREETINGS[language])


@pytest.mark.parametrize("language", [Language.DE, Language.FR, Language.ES])
def test_german_french_and_spanish_drafts_address_the_reader_formally(language: Language) -> None:
    interview, tz = interview_in(language)
    outreach, followup, thankyous = candidate_drafts(interview, context_for(tz))
    for draft in (outreach, followup, *thankyous):
        assert re.search(FORMAL[language], draft.body)
        assert not re.search(FAMILIAR[language], draft.body, re.IGNORECASE), draft.body


def test_no_doubled_spaces_or_empty_line_runs(language: Language) -> None:
    # One interviewer and a place to meet: the outreach has no question to ask.
    interview, tz = interview_in(language, attendees=(MAYA, Participant(ME)), location="Office")
    outreach, followup, thankyous = candidate_drafts(interview, context_for(tz))
    for draft in (outreach, followup, *thankyous):
        assert "  " not in draft.body
        assert "\n\n\n" not in draft.body
        assert all(line == line.rstrip() for line in draft.body.splitlines())
    assert "?" not in outreach.body


def test_a_custom_template_with_an_absent_sentence_leaves_no_gap(tmp_path: Path) -> None:
    interview, tz = interview_in(Language.EN, attendees=(MAYA, Participant(ME)), location="Office")
    assert interview.recipient is not None
    (tmp_path / "outreach.txt.j2").write_text(
        "Subject: Hi\n\n{{ greeting }}\n\n\n\nA {{ question }}  B.\n \n\n{{ signature }}  \n",
        encoding="utf-8",
    )
    context = RenderContext(
        ActionKind.OUTREACH, interview.recipient, interview, "A", "Alex", (), tz
    )
    assert Renderer(tmp_path).render_unchecked(context).body == "Hi Maya,\n\nA B.\n\nAlex\n"


def test_english_greets_by_first_name_and_falls_back_without_one() -> None:
    interview, tz = interview_in(Language.EN)
    renderer = Renderer(None)

    def greeting(person: Participant) -> str:
        context = RenderContext(ActionKind.THANKYOU, person, interview, "A", "A", (), tz)
        return renderer.render_unchecked(context).body.split("\n", 1)[0]

    assert greeting(MAYA) == "Hi Maya,"
    assert greeting(Participant("okafor@acme.com", "Okafor, Grace")) == "Hi Grace,"
    assert greeting(Participant("chen@acme.com", "Dr. Maya Chen")) == "Hello Dr. Maya Chen,"
    assert greeting(Participant("a.k@acme.com")) == "Hello,"


def test_the_follow_up_names_the_day_of_the_note_instead_of_pointing_below(
    language: Language,
) -> None:
    interview, tz = interview_in(language)
    _, followup, _ = candidate_drafts(interview, context_for(tz))
    assert SENT_ON[language] in followup.body
    assert "below" not in followup.body


def test_each_interviewer_gets_a_thank_you_of_their_own(language: Language) -> None:
    interview, tz = interview_in(language)
    *_, thankyous = candidate_drafts(interview, context_for(tz))
    by_greeting = {t.body.split("\n", 1)[0]: t.body.split("\n", 1)[1] for t in thankyous}
    maya, tom = (by_greeting[greeting] for greeting in GREETINGS[language])
    assert maya != tom
    assert "Engineering Manager" in maya  # her title, from the invitation
    part = {
        Language.EN: "the system design part",
        Language.DE: "den Teil zum Systemdesign",
        Language.FR: "la partie conception de systèmes",
        Language.ES: "la parte de diseño de sistemas",
    }
    assert part[language] in tom  # the part he leads


def test_panel_members_the_invitation_says_nothing_about_still_differ(language: Language) -> None:
    nobody = tuple(Participant(f"interviewer{n}@northwind.io") for n in range(12))
    interview, tz = interview_in(
        language, description="", organizer=nobody[0], attendees=(*nobody, Participant(ME))
    )
    *_, thankyous = candidate_drafts(interview, context_for(tz))
    assert len(thankyous) == 12
    assert len({t.body for t in thankyous}) == 12


def test_a_fixed_language_does_not_borrow_the_invitations_words() -> None:
    interview, tz = interview_in(Language.DE)
    *_, thankyous = candidate_drafts(interview, context_for(tz, language="en"))
    bodies = " ".join(t.body for t in thankyous)
    assert "Hi Tom," in bodies and "Systemdesign" not in bodies


def test_every_draft_meets_the_content_rules(language: Language) -> None:
    interview, tz = interview_in(language)
    context = context_for(tz)
    outreach, followup, thankyous = candidate_drafts(interview, context)
    assert outreach.subject and followup.subject.startswith("Re: ")
    # The planner would have blocked them otherwise; checked here once more, directly.
    draft_language = context.language_of(interview)
    assert draft_language is language
    for kind, draft, person in (
        (ActionKind.OUTREACH, outreach, interview.recipient),
        (ActionKind.THANKYOU, thankyous[0], interview.interviewers[0]),
    ):
        assert person is not None
        render = RenderContext(
            kind, person, interview, "Alex Morgan", "Alex Morgan",
            context.highlights_in(language), tz, language=language,
        )  # fmt: skip
        assert content_problems(render, draft) == []


def show() -> str:
    """Every sample draft, as the candidate reads it."""
    out = []
    for language in Language:
        interview, tz = interview_in(language)
        outreach, followup, thankyous = candidate_drafts(interview, context_for(tz))
        for label, draft in (
            ("outreach", outreach),
            ("follow-up", followup),
            *(("thank-you", t) for t in thankyous),
        ):
            to = ", ".join(f"{a.name} <{a.email}>" for a in draft.to)
            out.append(
                f"--- {language.value} {label}\nTo: {to}\nSubject: {draft.subject}\n\n{draft.body}"
            )
    return "\n".join(out)


if __name__ == "__main__":
    print(show())
