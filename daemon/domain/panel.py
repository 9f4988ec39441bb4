"""What an invitation says about one interviewer: their job title, or the part they lead.

Invitations often introduce the panel: "Grace Liu (Engineering Manager)", "Reto Baumann,
Leiter Data Science", "with our CEO Richard Hendricks", "Maya Chen, who leads the system
design part", "Mathieu Gagnon, qui mènera l'étude de cas", "Jonas Weber, der den Teil zum
Systemdesign leitet". A thank-you can then say something to each person that fits them.

Only what stands right next to the person's name counts, up to the end of the sentence or
the next interviewer's name, and a title must contain a word that names a job ("manager",
"Leiter", "directrice", "gerente", ...), so a department, a pronoun or a company in
brackets is never taken for one. Pure and bounded, like all of ``daemon.domain``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interview_outreach.daemon.domain.model import Interview, Participant
from interview_outreach.daemon.domain.patterns import rx
from interview_outreach.daemon.domain.people import ENGLISH_HONORIFICS, display_name

_TEXT_LIMIT = 8_000
_WINDOW = 200
_TITLE_MAX_WORDS = 8
_MIN_FIRST_NAME = 3


@dataclass(frozen=True)
class InterviewerDetails:
    """What the invitation says about one interviewer ("" where it says nothing)."""

    title: str = ""  # "Engineering Manager", "Leiter Data Science"
    part: str = ""  # what they lead: "the system design part", "den Teil zum Systemdesign"


_JOB_WORD = rx(
    r"\b(manager|engineer|lead|head|director|chief|cto|ceo|cfo|coo|cpo|vp|vice president|"
    r"founder|co-?founder|recruiter|partner|architect|scientist|designer|developer|analyst|"
    r"officer|principal|owner|specialist|consultant|president|coordinator|"
    r"leiter\w*|teamleit\w*|geschäftsführ\w*|entwickler\w*|ingenieur\w*|gründer\w*|"
    r"referent\w*|vorstand|berater\w*|"
    r"directeur|directrice|responsable|ingénieur\w*|chef\w*|fondat\w*|développeu\w*|"
    r"conseill\w*|chargée?|présidente?|"
    r"gerente|jef[ae]|ingenier[oa]|fundador\w*|desarrollador\w*|reclutador\w*|líder|"
    r"coordinador\w*|analista|arquitect[oa]|diseñador\w*|científic[oa]|director[a]?)\b"
)
# Where an appositive title stops: "Senior Data Engineer in unserem Plattform-Team".
_TITLE_STOP = rx(
    r"\s+(?:in|at|im|bei|from|with|who|which|chez|dans|au sein|qui|que|quien|en|del|"
    r"and|und|et|y|will|wird|sera|será)\b.*$"
)
_PARENTHESIS = re.compile(r"\s*\((?P<title>[^()\n]{2,80})\)")
_APPOSITIVE = re.compile(r"\s*(?:,|\s[–—-])\s*(?P<title>[^,;()–—\n]{2,80}?)\s*(?=,|\s[–—-]\s|$)")
# "our CEO Richard Hendricks", "unserem Head of Data Jonas Weber", "notre directrice ...".
_TITLE_BEFORE = rx(
    r"\b(?:our|unser(?:e|em|en|er)?|notre|nuestr[oa])\s+"
    r"(?P<title>[^\s,.;:()]+(?:\s+[^\s,.;:()]+){0,3})\s*,?\s*$"
)

_PART = r"(?P<part>[^,;()\n]{3,80}?)"
_PART_END = r"(?=\s+(?:and|und|et|y|with|mit|avec|con|for|für|pour|para)\b|[,;()]|$)"
_PART_PATTERNS: tuple[re.Pattern[str], ...] = (
    # English: "who leads the system design part", "will run the coding exercise".
    re.compile(
        r"(?:\s*,?\s*(?:who|that)\s+(?:will\s+(?:be\s+)?|is\s+)?|\s+(?:will\s+(?:be\s+)?|is\s+)?)"
        r"(?:lead|leads|leading|run|runs|running|conduct|conducts|conducting|cover|covers|"
        r"covering|host|hosts|hosting|handle|handles|handling|own|owns|"
        r"take you through|takes you through|walk you through|walks you through)\s+"
        + _PART
        + _PART_END
    ),
    # German, relative clause with the verb last: ", die den Teil zum Systemdesign leitet".
    re.compile(
        r"\s*,\s*(?:der|die)\s+" + _PART + r"\s+(?:leitet|leiten wird|übernimmt|"
        r"übernehmen wird|führt|führen wird|durchführt|durchführen wird|moderiert|"
        r"moderieren wird|verantwortet|betreut)\b"
    ),
    # German, main clause: "übernimmt den Teil zum Systemdesign", "wird die Fallstudie leiten".
    re.compile(
        r"\s+(?:leitet|übernimmt|führt|moderiert|verantwortet|betreut)\s+" + _PART + _PART_END
    ),
    re.compile(r"\s+wird\s+" + _PART + r"\s+(?:leiten|übernehmen|führen|durchführen|moderieren)\b"),
    # French: "qui mènera l'étude de cas", "s'occupera de la partie technique".
    re.compile(
        r"\s*,?\s*(?:qui\s+)?(?:mènera|mène|animera|anime|conduira|conduit|dirigera|dirige|"
        r"assurera|assure|couvrira|couvre|prendra en charge|prend en charge|"
        r"s['’]occupera|s['’]occupe)\s+" + _PART + _PART_END
    ),
    # Spanish: "que dirigirá la parte de diseño", "quien se encargará del caso práctico".
    re.compile(
        r"\s*,?\s*(?:que\s+|quien\s+)?(?:dirigirá|dirige|llevará|lleva|conducirá|conduce|"
        r"realizará|realiza|cubrirá|cubre|presentará|guiará|guía|se encargará|"
        r"se encarga)\s+" + _PART + _PART_END
    ),
)
# Case matters in the patterns above: invitations write these verbs in lower case, and
# "Thomas Petit, Lead Developer" is a title, not someone who leads "Developer".
# The whole interview is no "part" of it: then the title says more.
_GENERIC_PART = rx(
    r"^(?:the|this|our|das|die|den|dieses|diesen|le|la|l['’]|el|este|esta|cette|ce)?\s*"
    r"(?:session|interview|conversation|call|meeting|chat|gespräch|termin|interview|"
    r"entretien|entrevue|rencontre|échange|entrevista|reunión|llamada|conversación)$"
)
# "s'occupera de la partie", "se encargará del caso": the object without its preposition.
_OBJECT_PREPOSITIONS = (
    ("de la ", "la "),
    ("de l'", "l'"),
    ("de l’", "l’"),
    ("du ", "le "),
    ("des ", "les "),
    ("del ", "el "),
    ("de ", ""),
)
# "our Head of Analytics", "nuestro CEO": the title without the invitation's point of view.
_LEADING_WORDS = rx(
    r"^(?:(?:our|the|a|an|unser(?:e|em|en|er)?|der|die|ein|eine|notre|nos|le|la|l['’]|un|une|"
    r"nuestr[oa]s?|el|los|las|una?)\s+)+"
)
_HONORIFIC = re.compile(rf"^(?:(?:{ENGLISH_HONORIFICS})\.?\s+)+", re.IGNORECASE)


def interviewer_details(interview: Interview, person: Participant) -> InterviewerDetails:
    """What the title and description of ``interview`` say about ``person``."""
    event = interview.event
    text = f"{event.title}\n{event.description}"[:_TEXT_LIMIT]
    others = [_names(p) for p in interview.interviewers if p.email != person.email]
    other_names = [name for names in others for name in names]
    for name in _names(person) + _first_name(person, others):
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            details = _details_at(text, match.start(), match.end(), other_names)
            if details.title or details.part:
                return details
    return InterviewerDetails()


def _names(person: Participant) -> list[str]:
    """How the text may write the person's full name: "Dr. Anja Peters", "Anja Peters"."""
    full = display_name(person)
    if not full:
        return []
    bare = _HONORIFIC.sub("", full)
    return [full] if bare == full or " " not in bare else [full, bare]


def _first_name(person: Participant, others: list[list[str]]) -> list[str]:
    """The first name alone ("with Callum, who ..."), when no other interviewer shares it."""
    names = _names(person)
    if not names:
        return []
    first = names[-1].split()[0]
    shared = any(other and other[-1].split()[0] == first for other in others)
    return [] if shared or len(first) < _MIN_FIRST_NAME or first == names[-1] else [first]


def _details_at(text: str, start: int, end: int, other_names: list[str]) -> InterviewerDetails:
    window = _window(text[end : end + _WINDOW], other_names)
    title = ""
    before = _TITLE_BEFORE.search(text[max(0, start - 60) : start])
    # "our CEO Richard Hendricks and Bertram Gilfoyle": the CEO is not Bertram.
    if before and not _TITLE_STOP.search(before.group("title")):
        title = _title(before.group("title"))
    parenthesis = _PARENTHESIS.match(window)
    if parenthesis:
        title = title or _title(parenthesis.group("title"))
        window = window[parenthesis.end() :]
    part = _part(window)
    if not part:
        appositive = _APPOSITIVE.match(window)
        if appositive:
            title = title or _title(appositive.group("title"))
            part = _part(window[appositive.end() :])
    return InterviewerDetails(title=title, part=part)


def _window(after: str, other_names: list[str]) -> str:
    """The rest of the sentence after a name, up to the next interviewer's name."""
    cut = len(after)
    for stop in (re.search(r"[.;!?:](?:\s|$)|\n", after), *_occurrences(after, other_names)):
        if stop is not None:
            cut = min(cut, stop.start())
    return after[:cut]


def _occurrences(text: str, names: list[str]) -> list[re.Match[str] | None]:
    return [re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) for name in names]


def _title(candidate: str) -> str:
    title = _TITLE_STOP.sub("", " ".join(candidate.split())).strip(" ,.-–—")
    title = _LEADING_WORDS.sub("", title)
    if (
        not _JOB_WORD.search(title)
        or len(title.split()) > _TITLE_MAX_WORDS
        or any(char.isdigit() for char in title)
        or "@" in title
        or "://" in title
    ):
        return ""
    return title


def _part(window: str) -> str:
    for pattern in _PART_PATTERNS:
        match = pattern.match(window)
        if match:
            part = " ".join(match.group("part").split()).strip(" ,.-–—")
            for preposition, article in _OBJECT_PREPOSITIONS:
                if part.lower().startswith(preposition):
                    part = article + part[len(preposition) :]
                    break
            if part and not _GENERIC_PART.match(part) and not any(c.isdigit() for c in part):
                return part
    return ""
