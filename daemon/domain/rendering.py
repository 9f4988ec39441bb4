"""Drafts rendered from Jinja2 templates, and the content rules every draft must meet.

Templates are plain text: the first line is ``Subject: ...``, then a blank line, then the
body. The defaults ship in ``daemon/domain/templates``; a user's own files of the same
name (``outreach.txt.j2``, ``followup.txt.j2``, ``thankyou.txt.j2``) take precedence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from daemon.domain import rules
from daemon.domain.model import (
    ActionKind,
    Address,
    DraftContent,
    Interview,
    Participant,
)
from daemon.domain.people import display_name
from daemon.domain.timing import format_when
from daemon.errors import UserError

TEMPLATE_NAMES = {kind: f"{kind.value}.txt.j2" for kind in ActionKind}

# Never in any draft (SPEC section 2). Word boundaries keep "payment team" and "company" safe.
_BANNED = re.compile(
    r"\b(salary|salaries|compensation|pay|paid|payment|wages?|bonus(es)?|equity|stock options?|"
    r"benefits?|perks?|vacation|holidays?|pto|remote allowance|pension|relocation package|"
    r"married|children|kids|age|religion|pregnan\w*|health|visa status|"
    r"hey|hiya|gonna|wanna|cheers|lol|btw|thx|awesome|super excited|cool)\b|!{2,}|:\)|;\)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(“])|(?<=[.!?])$")
_THANKS = re.compile(r"\b(thank(s| you)|grateful|appreciate[ds]?|appreciation)\b", re.IGNORECASE)
_INTEREST = re.compile(
    r"\b(interest(ed)?|excited|excitement|enthusias(m|tic)|keen|eager|look(ing)? forward|"
    r"motivated|delighted)\b",
    re.IGNORECASE,
)
_NEXT_STEPS = re.compile(
    r"\bnext (steps?|stages?|round)\b|\bwhat (comes|happens) next\b|\bhow the process\b",
    re.IGNORECASE,
)
_TIMELINE = re.compile(
    r"\b(timeline|time ?frame|timescales?|timing|how long|by when)\b|"
    r"\bwhen\b.*\b(hear|decision|decide|expect)",
    re.IGNORECASE,
)
_SIGN_OFFS = re.compile(
    r"^(best regards|kind regards|regards|best|sincerely|thank you|many thanks|warm regards),?$",
    re.IGNORECASE,
)


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


class Renderer:
    """Renders the three kinds of drafts, user templates first, defaults second."""

    def __init__(self, user_templates: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if user_templates is not None and user_templates.is_dir():
            loaders.append(jinja2.FileSystemLoader(str(user_templates)))
        loaders.append(jinja2.PackageLoader("daemon.domain", "templates"))
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # noqa: S701 - plain-text mail, never HTML
            keep_trailing_newline=False,
        )

    def render(self, context: RenderContext) -> DraftContent:
        """The draft for ``context``. Raises ``TemplateProblem`` when it breaks a rule."""
        content = self.render_unchecked(context)
        problems = content_problems(context, content)
        if problems:
            raise TemplateProblem(
                [f"{TEMPLATE_NAMES[context.kind]}: {problem}" for problem in problems]
            )
        return content

    def render_unchecked(self, context: RenderContext) -> DraftContent:
        """The draft for ``context`` without checking the content rules."""
        name = TEMPLATE_NAMES[context.kind]
        try:
            text = self._env.get_template(name).render(_variables(context))
        except jinja2.TemplateError as error:
            raise TemplateProblem(f"{name}: {error}") from error
        return _split_subject(name, text, context.recipient)


def _variables(context: RenderContext) -> dict[str, object]:
    interview = context.interview
    event = interview.event
    local_start = event.start.astimezone(context.timezone)
    return {
        "recipient_name": display_name(context.recipient),
        "recipient_email": context.recipient.email,
        "when": format_when(event.start, context.timezone),
        "when_date": f"{local_start:%A}, {local_start.day} {local_start:%B}",
        "role": interview.role,
        "company": interview.company,
        "title": " ".join(event.title.split()),
        "user_name": context.user_name,
        "signature": context.signature,
        "highlights": list(context.highlights),
        "interest": _interest_sentence(interview),
        "question": _question(interview),
        "reply_subject": context.reply_subject,
    }


def _interest_sentence(interview: Interview) -> str:
    if interview.company:
        return f"I am genuinely interested in this role and in the work {interview.company} does."
    return "I am genuinely interested in this role and in the work your team does."


def _question(interview: Interview) -> str:
    """One question the invitation does not already answer, or none."""
    event = interview.event
    if not event.conference_url and not event.location.strip():
        return "Could you let me know whether we will meet by video, by phone or in person?"
    if len(interview.interviewers) > 1:
        return "Is there anything you would like me to prepare before we meet?"
    return ""


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
    body = re.sub(r"\n{3,}", "\n\n", _CONTROLS.sub("", body).strip()) + "\n"
    to = (Address(recipient.email, display_name(recipient)),)
    return DraftContent(to=to, subject=subject, body=body)


def message_sentences(body: str) -> list[str]:
    """The sentences between the greeting line and the sign-off."""
    lines = [line.strip() for line in body.strip().splitlines()]
    if lines and lines[0].endswith(","):
        lines = lines[1:]
    for index, line in enumerate(lines):
        if _SIGN_OFFS.match(line):
            lines = lines[:index]
            break
    text = " ".join(line for line in lines if line)
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def content_problems(context: RenderContext, content: DraftContent) -> list[str]:
    """Every way ``content`` breaks SPEC section 2's content rules (empty when none)."""
    problems: list[str] = []
    sentences = message_sentences(content.body)
    questions = [s for s in sentences if s.endswith("?")]
    low, high = rules.FOLLOWUP_SENTENCES if context.kind is ActionKind.FOLLOWUP else rules.SENTENCES
    if not low <= len(sentences) <= high:
        problems.append(f"has {len(sentences)} sentences; it needs {low} to {high}")
    if len(questions) > rules.MAX_QUESTIONS:
        problems.append(
            f"asks {len(questions)} questions; at most {rules.MAX_QUESTIONS} are allowed"
        )
    banned = sorted({m.group(0).lower() for m in _BANNED.finditer(_own_words(context, content))})
    if banned:
        problems.append(f"mentions what a draft must never mention: {', '.join(banned)}")
    body = _own_words(context, replace(content, subject=""))
    if context.kind is ActionKind.OUTREACH:
        problems.extend(_outreach_problems(context, content.body))
    if context.kind in {ActionKind.OUTREACH, ActionKind.THANKYOU}:
        if not _THANKS.search(body):
            problems.append("does not thank the reader")
        if not _INTEREST.search(body):
            problems.append('does not express interest in the role (e.g. "I am interested in")')
    if context.kind is ActionKind.THANKYOU:
        problems.extend(_thankyou_problems(context, content.body, questions))
    return problems


def _own_words(context: RenderContext, content: DraftContent) -> str:
    """The draft's text without names and facts it did not choose: the company, role and
    title from the invitation ("Babylon Health" is fine), the recipient's name and the
    profile's highlights ("built a payment platform" is the user's own fact, not pay talk).
    """
    text = f"{content.subject}\n{content.body}"
    interview = context.interview
    names = (
        interview.company,
        interview.role,
        interview.event.title,
        display_name(context.recipient),
        *context.highlights,
    )
    for name in sorted(names, key=len, reverse=True):
        if name.strip():
            # Whole words only: removing the name "Hank" must not turn "Thank you" into "T you".
            text = re.sub(rf"(?<!\w){_loose(name)}(?!\w)", " ", text, flags=re.IGNORECASE)
    return text


def _loose(phrase: str) -> str:
    """A pattern for ``phrase`` that also matches it re-wrapped across lines."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _thankyou_problems(context: RenderContext, body: str, questions: list[str]) -> list[str]:
    problems: list[str] = []
    if context.highlights and not any(
        re.search(_loose(h), body, re.IGNORECASE) for h in context.highlights if h.strip()
    ):
        listed = ", ".join(f'"{h}"' for h in context.highlights)
        problems.append(f"does not mention a qualification from your profile highlights ({listed})")
    if not any(_NEXT_STEPS.search(q) for q in questions):
        problems.append("does not ask about the next steps (as a question ending in ?)")
    if not any(_TIMELINE.search(q) for q in questions):
        problems.append("does not ask about the timeline (as a question ending in ?)")
    return problems


def _outreach_problems(context: RenderContext, body: str) -> list[str]:
    problems: list[str] = []
    local = context.interview.start.astimezone(context.timezone)
    flat = " ".join(body.split())
    if f"{local:%H:%M}" not in flat or str(local.day) not in flat:
        problems.append(f"does not state the date and time ({local:%d %B %H:%M})")
    zone = local.tzname() or ""
    if zone not in flat and context.timezone.key.replace("_", " ") not in flat:
        problems.append(f"does not name the time zone ({zone})")
    interview = context.interview
    for label, value in (("role", interview.role), ("company", interview.company)):
        if value and value.casefold() not in flat.casefold():
            problems.append(f'does not mention the {label} "{value}"')
    return problems
