"""Drafts rendered from Jinja2 templates, and the content rules every draft must meet.

Templates are plain text: the first line is ``Subject: ...``, then a blank line, then the
body. The defaults ship in ``daemon/domain/templates``: the English ones at its top
(``outreach.txt.j2``, ``followup.txt.j2``, ``thankyou.txt.j2``), the others in a folder per
language (``de/``, ``fr/``, ``es/``). A user's templates folder has the same layout and its
files take precedence: a file at its top replaces the English template, one in ``de/`` the
German one. Besides the variables (``template_check.TEMPLATE_VARIABLES``), templates may
use the filter ``french_de`` ("de Data Engineer", "d'Analyste"). The rendered text is tidied
(no doubled spaces, no runs of empty lines), so an optional sentence that is absent leaves
no trace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from interview_outreach.daemon.domain import rules
from interview_outreach.daemon.domain.dates import (
    format_clock,
    format_day,
    format_when,
    weekday_name,
    zone_label,
)
from interview_outreach.daemon.domain.language import Language, detect_language
from interview_outreach.daemon.domain.model import (
    ActionKind,
    Address,
    DraftContent,
    Interview,
    Participant,
)
from interview_outreach.daemon.domain.panel import InterviewerDetails, interviewer_details
from interview_outreach.daemon.domain.people import display_name
from interview_outreach.daemon.domain.phrases import (
    Question,
    first_name,
    french_de,
    greeting,
    interest_sentence,
    position,
    question_text,
)
from interview_outreach.daemon.domain.vocabulary import VOCABULARIES, banned_topics, is_sign_off
from interview_outreach.daemon.errors import UserError

TEMPLATE_NAMES = {kind: f"{kind.value}.txt.j2" for kind in ActionKind}
"""The English templates' file names; other languages' sit in a folder named by the code."""

# A sentence ends at . ! or ? before a capital, a digit, a quote, or Spanish ¿ and ¡ — but
# not at the ordinal dot of a German date ("Dienstag, 8. Dezember").
_GERMAN_MONTHS = (
    "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
)
_SENTENCE_END = re.compile(
    rf"(?<=[.!?])(?<!\d\.)\s+(?=[A-ZÀ-ÖØ-Þ0-9\"'(“„«¿¡])|"
    rf"(?<=\d\.)\s+(?=[A-ZÀ-ÖØ-Þ0-9\"'(“„«¿¡])(?!(?:{_GERMAN_MONTHS})\b)|(?<=[.!?])$"
)
_DOUBLE_SPACES = re.compile(r"(?<=\S)[ \t]{2,}")
_EXAMPLE_INTEREST = {
    Language.EN: "I am interested in",
    Language.DE: "Die Stelle interessiert mich",
    Language.FR: "Ce poste m'intéresse",
    Language.ES: "Me interesa el puesto",
}


def template_name(kind: ActionKind, language: Language = Language.EN) -> str:
    """The file a draft of ``kind`` in ``language`` is rendered from: "outreach.txt.j2",
    "de/outreach.txt.j2"."""
    name = TEMPLATE_NAMES[kind]
    return name if language is Language.EN else f"{language.value}/{name}"


class TemplateProblem(UserError):
    """A template cannot be rendered or its output breaks the content rules."""


@dataclass(frozen=True)
class RenderContext:
    """What a template may use; built from the interview, never from free user input."""

    kind: ActionKind
    recipient: Participant
    interview: Interview
    user_name: str
    signature: str
    highlights: tuple[str, ...]
    timezone: ZoneInfo
    reply_subject: str = ""
    language: Language = Language.EN
    note_sent_at: datetime | None = None  # a follow-up: when the outreach it follows was sent


class Renderer:
    """Renders the three kinds of drafts, user templates first, defaults second."""

    def __init__(self, user_templates: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if user_templates is not None and user_templates.is_dir():
            loaders.append(jinja2.FileSystemLoader(str(user_templates)))
        loaders.append(jinja2.PackageLoader("interview_outreach.daemon.domain", "templates"))
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # noqa: S701 - plain-text mail, never HTML
            keep_trailing_newline=False,
        )
        self._env.filters["french_de"] = french_de

    def render(self, context: RenderContext) -> DraftContent:
        """The draft for ``context``. Raises ``TemplateProblem`` when it breaks a rule."""
        content = self.render_unchecked(context)
        problems = content_problems(context, content)
        if problems:
            name = template_name(context.kind, context.language)
            raise TemplateProblem([f"{name}: {problem}" for problem in problems])
        return content

    def render_unchecked(self, context: RenderContext) -> DraftContent:
        """The draft for ``context`` without checking the content rules."""
        name = template_name(context.kind, context.language)
        try:
            text = self._env.get_template(name).render(_variables(context))
        except jinja2.TemplateError as error:
            raise TemplateProblem(f"{name}: {error}") from error
        return _split_subject(name, text, context.recipient)


def _variables(context: RenderContext) -> dict[str, object]:
    interview = context.interview
    event = interview.event
    language = context.language
    tz = context.timezone
    name = display_name(context.recipient)
    details = _details(context)
    note_day = weekday_name(context.note_sent_at, tz, language) if context.note_sent_at else ""
    return {
        "recipient_name": name,
        "recipient_first_name": first_name(name),
        "recipient_email": context.recipient.email,
        "greeting": greeting(language, name),
        "when": format_when(event.start, tz, language),
        "when_date": format_day(event.start, tz, language),
        "role": interview.role,
        "position": position(language, interview.role),
        "company": interview.company,
        "title": " ".join(event.title.split()),
        "user_name": context.user_name,
        "signature": context.signature,
        "highlights": list(context.highlights),
        "interest": interest_sentence(language, interview.company),
        "question": question_text(language, _question(interview)),
        "reply_subject": context.reply_subject,
        "note_day": note_day,
        "interviewer_title": details.title,
        "interviewer_part": details.part,
        "panel_index": _panel_index(context),
        "panel_size": len(interview.interviewers),
        "language": language.value,
    }


def _details(context: RenderContext) -> InterviewerDetails:
    """What the invitation says about the recipient, when it is in the draft's language
    (a German job title has no place in an English sentence)."""
    event = context.interview.event
    if detect_language(event.title, event.description) is not context.language:
        return InterviewerDetails()
    return interviewer_details(context.interview, context.recipient)


def _panel_index(context: RenderContext) -> int:
    """The recipient's place among the interviewers (0 for the first or only one): panel
    members the invitation says nothing about still get thank-yous worded differently."""
    emails = [person.email for person in context.interview.interviewers]
    return emails.index(context.recipient.email) if context.recipient.email in emails else 0


def _question(interview: Interview) -> Question | None:
    """One question the invitation does not already answer, or none."""
    event = interview.event
    if not event.conference_url and not event.location.strip():
        return Question.HOW_WE_MEET
    if len(interview.interviewers) > 1:
        return Question.WHAT_TO_PREPARE
    return None


# Invitation text reaches a draft through the template's variables; control characters
# (an escape sequence, DEL, C1 controls) in a title or a name have no place in a letter.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _split_subject(name: str, text: str, recipient: Participant) -> DraftContent:
    head, _, body = text.strip().partition("\n")
    if not head.lower().startswith("subject:"):
        raise TemplateProblem(f'{name}: the first line must be "Subject: ..."')
    subject = " ".join(_CONTROLS.sub("", head.partition(":")[2]).split())
    if not subject:
        raise TemplateProblem(f"{name}: the subject line is empty")
    to = (Address(recipient.email, display_name(recipient)),)
    return DraftContent(to=to, subject=subject, body=tidy(_CONTROLS.sub("", body)))


def tidy(body: str) -> str:
    """``body`` without doubled spaces, trailing blanks or runs of empty lines: what an
    absent optional sentence or variable would otherwise leave behind."""
    lines = [_DOUBLE_SPACES.sub(" ", line).rstrip() for line in body.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def message_sentences(body: str) -> list[str]:
    """The sentences between the greeting line and the sign-off."""
    lines = [line.strip() for line in body.strip().splitlines()]
    if lines and lines[0].endswith((",", ":")):
        lines = lines[1:]
    for index, line in enumerate(lines):
        if is_sign_off(line):
            lines = lines[:index]
            break
    text = " ".join(line for line in lines if line)
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def content_problems(context: RenderContext, content: DraftContent) -> list[str]:
    """Every way ``content`` breaks SPEC section 2's content rules (empty when none), with
    the words of the draft's language."""
    problems: list[str] = []
    words = VOCABULARIES[context.language]
    sentences = message_sentences(content.body)
    questions = [s for s in sentences if s.endswith("?")]
    low, high = rules.FOLLOWUP_SENTENCES if context.kind is ActionKind.FOLLOWUP else rules.SENTENCES
    if not low <= len(sentences) <= high:
        problems.append(f"has {len(sentences)} sentences; it needs {low} to {high}")
    if len(questions) > rules.MAX_QUESTIONS:
        problems.append(
            f"asks {len(questions)} questions; at most {rules.MAX_QUESTIONS} are allowed"
        )
    banned = banned_topics(_own_words(context, content), context.language)
    if banned:
        problems.append(f"mentions what a draft must never mention: {', '.join(banned)}")
    body = _own_words(context, replace(content, subject=""))
    if context.kind is ActionKind.OUTREACH:
        problems.extend(_outreach_problems(context, content.body))
    if context.kind in {ActionKind.OUTREACH, ActionKind.THANKYOU}:
        if not words.thanks.search(body):
            problems.append("does not thank the reader")
        if not words.interest.search(body):
            example = _EXAMPLE_INTEREST[context.language]
            problems.append(f'does not express interest in the role (e.g. "{example}")')
    if context.kind is ActionKind.THANKYOU:
        problems.extend(_thankyou_problems(context, content.body, questions))
    return problems


def _own_words(context: RenderContext, content: DraftContent) -> str:
    """The draft's text without names and facts it did not choose: the company, role and
    title from the invitation ("Babylon Health" is fine), the recipient's name, what the
    invitation says about them ("Head of Compensation") and the profile's highlights
    ("built a payment platform" is the user's own fact, not pay talk).
    """
    text = f"{content.subject}\n{content.body}"
    interview = context.interview
    name = display_name(context.recipient)
    details = _details(context)
    names = (
        interview.company,
        interview.role,
        interview.event.title,
        name,
        first_name(name),
        details.title,
        details.part,
        *context.highlights,
    )
    for phrase in sorted(names, key=len, reverse=True):
        if phrase.strip():
            # Whole words only: removing the name "Hank" must not turn "Thank you" into "T you".
            text = re.sub(rf"(?<!\w){_loose(phrase)}(?!\w)", " ", text, flags=re.IGNORECASE)
    return text


def _loose(phrase: str) -> str:
    """A pattern for ``phrase`` that also matches it re-wrapped across lines."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _thankyou_problems(context: RenderContext, body: str, questions: list[str]) -> list[str]:
    problems: list[str] = []
    words = VOCABULARIES[context.language]
    if context.highlights and not any(
        re.search(_loose(h), body, re.IGNORECASE) for h in context.highlights if h.strip()
    ):
        listed = ", ".join(f'"{h}"' for h in context.highlights)
        problems.append(f"does not mention a qualification from your profile highlights ({listed})")
    if not any(words.next_steps.search(q) for q in questions):
        problems.append("does not ask about the next steps (as a question ending in ?)")
    if not any(words.timeline.search(q) for q in questions):
        problems.append("does not ask about the timeline (as a question ending in ?)")
    return problems


def _outreach_problems(context: RenderContext, body: str) -> list[str]:
    problems: list[str] = []
    start = context.interview.start
    tz = context.timezone
    local = start.astimezone(tz)
    flat = " ".join(body.split())
    clocks = {f"{local:%H:%M}", " ".join(format_clock(start, tz, context.language).split())}
    if not any(clock in flat for clock in clocks) or str(local.day) not in flat:
        problems.append(f"does not state the date and time ({local:%d %B %H:%M})")
    zone = local.tzname() or ""
    names = {
        zone,
        tz.key.replace("_", " "),
        " ".join(zone_label(start, tz, context.language).split()),
    }
    if not any(name and name in flat for name in names):
        problems.append(f"does not name the time zone ({zone})")
    interview = context.interview
    for label, value in (("role", interview.role), ("company", interview.company)):
        if value and value.casefold() not in flat.casefold():
            problems.append(f'does not mention the {label} "{value}"')
    return problems
