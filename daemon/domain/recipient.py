"""Whom the outreach goes to (SPEC section 2, "outreach recipient"), and by which rule.

The rules, the first that applies wins: the employer-side person on the invitation whom
the description names as conducting the interview ("Your interviewer: Priya Shah", "Ihr
Gesprächspartner ist …", "Vous rencontrerez …", "Te entrevistará …"); the only
employer-side attendee once a coordinator or scheduler is set aside; the organizer when
they are a person at the employer; the first required interviewer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from interview_outreach.daemon.domain.jobtitles import job_title_in
from interview_outreach.daemon.domain.language import words
from interview_outreach.daemon.domain.model import CalendarEvent, Participant, RecipientRule
from interview_outreach.daemon.domain.patterns import rx
from interview_outreach.daemon.domain.people import display_name


@dataclass(frozen=True)
class RecipientChoice:
    """The chosen recipient, the rule that chose them and what in the invitation decided."""

    person: Participant | None
    rule: RecipientRule | None
    detail: str = ""


def choose_recipient(
    event: CalendarEvent, interviewers: tuple[Participant, ...]
) -> RecipientChoice:
    """The interviewer the outreach goes to, by the first of the SPEC's rules that applies."""
    if not interviewers:
        return RecipientChoice(None, None)
    named = named_conductor(event.description, interviewers)
    if named is not None:
        return RecipientChoice(named[0], RecipientRule.NAMED_IN_DESCRIPTION, f'"{named[1]}"')
    if len(interviewers) == 1:
        return RecipientChoice(interviewers[0], RecipientRule.ONLY_EMPLOYER_ATTENDEE)
    coordinators = [p for p in interviewers if _is_coordinator(p, event)]
    others = [p for p in interviewers if p not in coordinators]
    if len(others) == 1:
        names = ", ".join(display_name(p) or p.email for p in coordinators)
        return RecipientChoice(
            others[0], RecipientRule.ONLY_EMPLOYER_ATTENDEE, f"{names} only coordinates"
        )
    organizer = event.organizer
    if organizer is not None:
        for person in interviewers:
            if person.email == organizer.email:
                return RecipientChoice(person, RecipientRule.ORGANIZER)
    required = [p for p in interviewers if p.required] or list(interviewers)
    return RecipientChoice(required[0], RecipientRule.FIRST_REQUIRED)


# Words after which the description names who conducts the interview, strongest first:
# leading or conducting it, being "the interviewer", then meeting or talking with them.
_NAME_FOLLOWS: tuple[re.Pattern[str], ...] = (
    rx(
        r"\b(?:conducted|led|run|hosted|facilitated)\s+by\s+"
        r"|\b(?:geführt|durchgeführt|geleitet|moderiert)\s+(?:von|durch)\s+"
        r"|\bdas\s+(?:gespräch|interview)\s+(?:führ(?:t|en)|leite[nt]|übernimmt)\s+"
        r"|\b(?:men[ée]e?|conduite?|anim[ée]e?)\s+par\s+"
        r"|\b(?:conducida|conducido|dirigida|dirigido|realizada|realizado|guiada|guiado)\s+por\s+"
        r"|\b(?:conducirá|dirigirá|liderará|realizará|llevará)\s+"
    ),
    rx(
        r"\byour\s+interviewer\s*(?:is|will\s+be|:|-|–)\s*"
        r"|\binterviewers?\s*:\s*|\bentrevistador(?:es|as?)?\s*:\s*|\bintervenante?s?\s*:\s*"
        r"|\bihre?\s+(?:gesprächspartner(?:in|innen)?|interview(?:er|partner)(?:in)?)\s*"
        r"(?:ist|wird|sind|:)\s*"
        r"|\bvotre\s+(?:interlocut(?:eur|rice)|intervieweu?r|recruteu?r)\s*(?:sera|est|:)\s*"
        r"|\bvous\s+rencontrerez\s*:?\s*"
        r"|\btu\s+entrevistador(?:a)?\s*(?:será|es|:)\s*"
        r"|\b(?:te|le|la|lo)\s+entrevistar[áa]n?\s+"
    ),
    rx(
        r"\b(?:you(?:'|’)ll|you\s+will|you\s+are\s+going\s+to|you(?:'|’)re\s+going\s+to)\s+"
        r"(?:be\s+)?(?:meet(?:ing)?|speak(?:ing)?|talk(?:ing)?|chat(?:ting)?|interview(?:ing)?|"
        r"be\s+interviewed\s+by)\s+(?:with\s+)?"
        r"|\b(?:conversation|interview|call|chat|session|meeting)\s+(?:is\s+|will\s+be\s+)?with\s+"
        r"|\bsie\s+(?:sprechen|treffen|unterhalten\s+sich)\s+(?:mit\s+)?"
        r"|\b(?:gespräch|interview)\s+mit\s+"
        r"|\b(?:se\s+déroulera|aura\s+lieu|se\s+fera)\s+avec\s+"
        r"|\bvous\s+(?:serez\s+(?:reçue?|accueillie?|interviewée?)\s+par|échangerez\s+avec|"
        r"parlerez\s+avec|discuterez\s+avec)\s+"
        r"|\b(?:entretien|rencontre|échange)\s+avec\s+"
        r"|\b(?:la|lo)\s+(?:harás|hará|realizarás|realizará|tendrás|tendrá)\s+con\s+"
        r"|\b(?:hablarás|hablará|conversarás|conversará|vas\s+a\s+(?:conversar|hablar)|"
        r"te\s+reunirás|se\s+reunirá|estarás|estará)\s+con\s+"
        r"|\b(?:entrevista|llamada|reunión|sesión|conversación|charla|prueba)\s+(?:será\s+)?con\s+"
    ),
)

# Words before which the description names who conducts it ("Hana will lead the session").
_NAME_PRECEDES = rx(
    r"(?:\s+will|\s+is\s+going\s+to|['’]ll)\s+(?:lead|conduct|run|host|interview\s+you|be\s+"
    r"(?:leading|conducting|running|interviewing\s+you|your\s+interviewer))\b"
    r"|\s+is\s+your\s+interviewer\b"
    r"|\s+(?:führt|leitet)\s+(?:das|Ihr)\s+(?:gespräch|interview)"
    r"|\s+(?:mènera|conduira|animera)\s+(?:l['’]|cet\s+|votre\s+)?(?:entretien|échange)"
    r"|\s+(?:conducirá|dirigirá|liderará)\s+(?:la|el)\s+"
)

# The writer conducting it too: "with Kevin Wu and me", "y conmigo", "und ich".
_SELF = rx(
    r"^\W*(?:me|myself|moi|mí|mir|mich|ich|yo)\b|"
    r"\b(?:and|&|or)\s+(?:me|myself|I)\b|\b(?:me|I)\s+and\b|\bwith\s+me\b"
    r"|\b(?:und|sowie)\s+(?:mir|mich|ich)\b|\bich\s+und\b"
    r"|\bet\s+moi(?:-même)?\b|\bmoi-même\b|\bconmigo\b|\by\s+(?:yo|mí)\b"
)
_CONJUNCTION = re.compile(r"(?:\band\b|\bund\b|\bet\b|\by\b|\be\b|&)\s+(?P<next>[A-ZÀ-Þ][\w'’-]*)")
_SENTENCE_END = re.compile(r"\n|;|(?<=[\w)]{4})\.(?:\s|$)|(?<=[)])\.(?:\s|$)")
_LIST_ITEM = re.compile(r"^\s*(?:[-•*·–]\s*)?(?P<item>\S.*)$")

# Name parts that are no use for recognising a person in a text.
_NOT_NAME = words(
    """
    dr prof ing mag mme mlle m mr mrs ms herr frau sr sra srta don doña dipl de del della der
    den van von la le du da dos das di y
    """
)


def named_conductor(
    description: str, interviewers: tuple[Participant, ...]
) -> tuple[Participant, str] | None:
    """The one interviewer the description names as conducting it, with the words that do."""
    text = description
    for cues in _NAME_FOLLOWS:
        for cue in cues.finditer(text):
            end = cue.start() + len(cue.group(0).rstrip())
            clause = _clause_after(text, end)
            found = _single_person(clause, interviewers)
            if found is not None:
                return found, _shown(text[cue.start() : end] + _upto(clause, found))
    for cue in _NAME_PRECEDES.finditer(text):
        start = _clause_start(text, cue.start())
        clause = text[start : cue.start()]
        found = _single_person(clause, interviewers)
        if found is not None:
            return found, _shown(text[start : cue.end()])
    return None


def _clause_after(text: str, start: int) -> str:
    line_end = text.find("\n", start)
    rest_of_line = text[start : line_end if line_end >= 0 else len(text)]
    if not rest_of_line.strip() and line_end >= 0:
        # "Vous rencontrerez :" followed by one person per line.
        items = []
        for line in text[line_end + 1 :].split("\n"):
            item = _LIST_ITEM.match(line)
            if item is None:
                break
            items.append(item.group("item"))
        return "\n".join(items)
    end = _SENTENCE_END.search(text, start)
    return text[start : end.start() if end else len(text)]


def _clause_start(text: str, end: int) -> int:
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, end)]
    return starts[-1] if starts else 0


def _single_person(clause: str, interviewers: tuple[Participant, ...]) -> Participant | None:
    """The interviewer a clause names when it names exactly one person and not the writer."""
    if not clause.strip() or _SELF.search(clause):
        return None
    mentioned = [p for p in interviewers if _mentions(clause, p)]
    if len(mentioned) != 1:
        return None
    known = {_fold(t) for p in interviewers for t in _name_tokens(p)}
    for joined in _CONJUNCTION.finditer(clause):
        following = joined.group("next")
        if _fold(following) not in known and not job_title_in(clause[joined.start() :]):
            return None  # "… and Tom": somebody else the invitation does not list
    return mentioned[0]


def _mentions(text: str, person: Participant) -> bool:
    words = {_fold(w) for w in re.findall(r"[^\W\d_][\w'’-]*", text) if w[0].isupper()}
    return any(_fold(token) in words for token in _name_tokens(person))


def _name_tokens(person: Participant) -> list[str]:
    name = display_name(person)
    tokens = re.findall(r"[^\W\d_][\w'’-]*", name)
    return [t for t in tokens if len(t) > 1 and t.casefold().rstrip(".") not in _NOT_NAME]


def _upto(clause: str, person: Participant) -> str:
    """``clause`` up to and including the last word of ``person``'s name in it."""
    end = 0
    for token in _name_tokens(person):
        for match in re.finditer(rf"\b{re.escape(token)}\b", clause, re.IGNORECASE):
            end = max(end, match.end())
    return clause[:end] if end else clause


def _shown(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= 100 else one_line[:99] + "…"


def _fold(word: str) -> str:
    plain = unicodedata.normalize("NFKD", word)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


# ---- coordinators ------------------------------------------------------------------------

_COORDINATOR = rx(
    r"coordinat(?:or|ion|rice|eur|ing)|coordinador(?:a)?|coordinación|koordinat(?:or|orin|ion)|"
    r"\bschedul(?:er|ing)\b|planification|planificación|terminplanung|terminkoordination"
)
_SELF_COORDINATES = rx(
    r"\b(?:I|I['’]m|I\s+am|je|j['’]|yo|ich)\b[^.\n]{0,60}?"
    r"(?:coordinat|coordin|koordin|planifi|schedul)"
)


def _is_coordinator(person: Participant, event: CalendarEvent) -> bool:
    """Whether the description presents ``person`` as a coordinator or scheduler only."""
    lines = event.description.split("\n")
    tokens = _name_tokens(person)
    if not tokens:
        return False
    for number, line in enumerate(lines):
        if not _mentions(line, person):
            continue
        if _COORDINATOR.search(line):
            return True
        alone = re.sub(r"[^\w\s'’-]", " ", line).split()
        signature = bool(alone) and all(_fold(w) in {_fold(t) for t in tokens} for w in alone)
        # A signature: the name on its own line, the job title on the next ones.
        if signature and any(
            _COORDINATOR.search(later) for later in lines[number + 1 : number + 3]
        ):
            return True
    organizer = event.organizer
    return (
        organizer is not None
        and organizer.email == person.email
        and _SELF_COORDINATES.search(event.description) is not None
    )
