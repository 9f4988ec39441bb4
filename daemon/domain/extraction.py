"""Which company and which role an interview is about, read from the invitation."""

from __future__ import annotations

import re

from daemon.domain.detection import job_title_in
from daemon.domain.model import CalendarEvent, UserIdentity
from daemon.domain.people import employer_domain

_SEPARATORS = re.compile(r"\s+[-–—|:/•·]\s+|\s*<>\s*|\s*[|:•·]\s*|\s*[()\[\]]\s*|,\s+")

# Words that describe the meeting rather than the job or the company.
_MEETING_WORDS = re.compile(
    r"\b(job[ -]?)?interviews?\b|\binterview loop\b|\bon-?site( loop)?\b|\bloop\b|\bfinal\b|"
    r"\bround( [1-9])?\b|\b(first|second|third|1st|2nd|3rd|next)\b|\bscreen(ing)?\b|"
    r"\b(phone|video|technical|tech|recruiter|hr|intro(ductory)?|initial)\b|\bcall\b|\bchat\b|"
    r"\bwith\b|\bmit\b|\bavec\b|\bcon\b|\bfor\b|\bthe\b|\bposition\b|\brole\b|\bpanel\b|"
    r"\bcandidate\b|vorstellungsgespr[äa]ch|bewerbungsgespr[äa]ch|kennenlerngespr[äa]ch|"
    r"\bentretien( d'embauche)?\b|\bentrevista( de trabajo)?\b|\bpour le poste de\b|"
    r"\bpara el puesto de\b|\bf[üu]r die (stelle|position) (als )?\b|\bhiring manager\b|"
    r"\bconversation\b|\bsession\b|\bmeeting\b|\bcall\b|\bat\b|\bbei\b|\bchez\b|\ben\b",
    re.IGNORECASE,
)

_ROLE_PHRASES = (
    re.compile(r"\bfor (?:the|our|a|an) (?P<role>[^.,;\n()]+?) (?:position|role|opening|job|vacancy)\b", re.I),
    re.compile(r"\b(?:position|role|opening) (?:of|as) (?:a |an )?(?P<role>[^.,;\n()]+?)(?: at\b| with\b|[.,;\n(]|$)", re.I),
    re.compile(r"\bfor the (?:position|role) (?:of )?(?P<role>[^.,;\n()]+?)(?: at\b| with\b|[.,;\n(]|$)", re.I),
    re.compile(r"\b(?:Stelle|Position) als (?P<role>[^.,;\n()]+?)(?: bei\b|[.,;\n(]|$)", re.I),
    re.compile(r"\bf[üu]r die (?:Stelle|Position) (?:als )?(?P<role>[^.,;\n()]+?)(?: bei\b|[.,;\n(]|$)", re.I),
    re.compile(r"\bposte d(?:e |')(?P<role>[^.,;\n()]+?)(?: chez\b| au sein\b|[.,;\n(]|$)", re.I),
    re.compile(r"(?P<role>(?:[A-Z][\w&/+-]*\s+){0,4}[A-Z][\w&/+-]*)\s+(?:position|role|opening|vacancy)\b"),
    re.compile(r"\bpuesto de (?P<role>[^.,;\n()]+?)(?: en\b|[.,;\n(]|$)", re.I),
)  # fmt: skip

_COMPANY_PHRASES = (
    re.compile(r"\b(?:at|with|join) (?P<company>[A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*){0,3})"),
    re.compile(
        r"\b(?:bei|chez|en) (?:der |la |le )?(?P<company>[A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*){0,3})"
    ),
)


def extract_role(event: CalendarEvent, user: UserIdentity) -> str:
    """The job title the interview is for, or "" when the invitation does not name one."""
    for text in (event.title, event.description):
        for pattern in _ROLE_PHRASES:
            match = pattern.search(text)
            if match and job_title_in(match.group("role")):
                return _tidy(match.group("role"))
    for segment in _SEPARATORS.split(event.title):
        if segment and job_title_in(segment) and not _names_user(segment, user):
            role = _tidy(_MEETING_WORDS.sub(" ", segment))
            if job_title_in(role):
                return role
    return ""


def extract_company(event: CalendarEvent, user: UserIdentity, role: str) -> str:
    """The employer's name as the invitation writes it, else one derived from its domain."""
    domain = employer_domain(event, user)
    label = _domain_label(domain)
    phrases = _capitalised_phrases(f"{event.title}\n{event.description}")
    if label:
        for phrase in phrases:
            squashed = re.sub(r"[^a-z0-9]", "", phrase.casefold())
            if squashed and (squashed == label or squashed.startswith(label)):
                return _strip_legal_suffix(phrase)
        words = [w for w in re.split(r"[-_]+", label) if w]
        return " ".join(w.capitalize() if len(w) > 3 else w.upper() for w in words)
    for pattern in _COMPANY_PHRASES:
        for text in (event.title, event.description):
            match = pattern.search(text)
            if match and not _names_user(match.group("company"), user):
                candidate = _strip_legal_suffix(match.group("company"))
                if candidate and candidate.casefold() not in role.casefold():
                    return candidate
    return ""


def _domain_label(domain: str) -> str:
    if not domain:
        return ""
    parts = domain.split(".")
    # "acme.co.uk" → "acme"; "careers.acme.com" → "acme"
    if len(parts) >= 3 and len(parts[-2]) <= 3 and len(parts[-1]) == 2:
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else parts[0]


def _capitalised_phrases(text: str) -> list[str]:
    phrases = re.findall(r"\b[A-Z][\w&'-]*(?:[ .][A-Z][\w&'-]*){0,3}", text)
    # Longest first, so "Acme Robotics" wins over "Acme".
    return sorted(set(phrases), key=len, reverse=True)


_LEGAL_SUFFIX = re.compile(
    r"[\s,]+(gmbh|ag|se|inc\.?|ltd\.?|llc|plc|sas|sarl|s\.a\.|sa|sl|s\.l\.|bv|b\.v\.|co\.?)$",
    re.IGNORECASE,
)


def _strip_legal_suffix(name: str) -> str:
    return _LEGAL_SUFFIX.sub("", name.strip()).strip(" -–—,.")


def _names_user(text: str, user: UserIdentity) -> bool:
    parts = {p.casefold() for p in user.name.split() if len(p) > 1}
    return any(w.casefold() in parts for w in re.findall(r"[\w'-]+", text))


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" -–—,.:;/|")
