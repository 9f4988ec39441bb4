"""Which company and which role an interview is about, read from the invitation.

Both are best-effort and explainable: a labelled field ("Position: ...") or a phrase
("for the Data Engineer position", "joining Fernhill Energy") wins over the title's pieces;
the company falls back to the employer's domain ("orbitalfreight.com" → "Orbital Freight"
when the text writes it so, else "Orbitalfreight").
"""

from __future__ import annotations

import re
import unicodedata

from daemon.domain.detection import job_title_in
from daemon.domain.model import CalendarEvent, UserIdentity
from daemon.domain.people import display_name, employer_domain, everyone, exclusion_reason

_UPPER = "A-ZÀ-ÖØ-Þ"
_WORD = rf"[{_UPPER}0-9][\w&/+'’-]*"
# A run of capitalised words, as job titles and company names are written in invitations.
_CAPS = rf"{_WORD}(?:\s+(?:of|for|and|&|de|del|la|le)?\s*{_WORD}){{0,5}}"

_SEPARATORS = re.compile(r"\s+[-–—|:/•·]\s+|\s*<>\s*|\s*[|•·]\s*|:\s+|\s*[()\[\]]\s*|,\s+|\s+x\s+")

# Words that describe the meeting rather than the job or the company.
_MEETING_WORDS = re.compile(
    r"\b(job[ -]?)?interviews?\b|\binterview loop\b|\bon-?site( loop)?\b|\bloop\b|\bfinal\b|"
    r"\bround( [1-9])?\b|\b(first|second|third|1st|2nd|3rd|next)\b|\bscreen(ing)?\b|"
    r"\b(phone|video|technical|tech|recruiter|hr|intro(ductory)?|initial)\b|\bcall\b|\bchat\b|"
    r"\bwith\b|\bmit\b|\bavec\b|\bcon\b|\bfor\b|\bthe\b|\bposition\b|\brole\b|\bpanel\b|"
    r"\bcandidate\b|vorstellungsgespr[äa]ch|bewerbungsgespr[äa]ch|kennenlerngespr[äa]ch|"
    r"\bentretien( d'embauche)?\b|\bentrevista( de trabajo)?\b|\bpour le poste de\b|"
    r"\bpara el puesto de\b|\bf[üu]r die (stelle|position) (als )?\b|\bhiring manager\b|"
    r"\bconversation\b|\bsession\b|\bmeeting\b|\bat\b|\bbei\b|\bchez\b|\ben\b|\bscheduled\b|"
    r"\(?m/w/d\)?|\(?w/m/d\)?|\(?f/h\)?|\(?h/f\)?",
    re.IGNORECASE,
)

_ROLE_FIELD = re.compile(
    r"^\s*(?:position|role|job|job title|vacancy|poste|stelle|puesto|vacante)\s*:\s*(?P<role>[^\n]+)$",
    re.IGNORECASE | re.MULTILINE,
)
_ROLE_PHRASES = (
    re.compile(rf"\bfor (?:the|our|a|an) (?P<role>{_CAPS}) (?:position|role|opening|job|vacancy)\b"),
    re.compile(rf"\b(?:the|a|an|our) (?P<role>{_CAPS}) (?:position|role|opening|vacancy)\b"),
    re.compile(rf"\b(?:position|role|opening) (?:of|as) (?:a |an )?(?P<role>{_CAPS})"),
    re.compile(rf"\bas (?:a|an|our|the) (?P<role>{_CAPS})"),
    re.compile(r"\b(?:Stelle|Position) als (?P<role>[^.,;\n()]+?)(?: bei\b| \(|[.,;\n]|$)", re.I),
    re.compile(r"\bf[üu]r die (?:Stelle|Position) (?:als )?(?P<role>[^.,;\n()]+?)(?: bei\b| \(|[.,;\n]|$)", re.I),
    re.compile(r"\bposte d(?:e |'|’)(?P<role>[^.,;\n()]+?)(?: chez\b| au sein\b| dans\b|[.,;\n(]|$)", re.I),
    re.compile(r"\bpuesto de (?P<role>[^.,;\n()]+?)(?: en\b| con\b|[.,;\n(]|$)", re.I),
)  # fmt: skip

_COMPANY_PHRASES = re.compile(
    rf"\b(?:at|joining|join|bei|chez|au sein de|en|within) (?:der |la |le |l'|the )?(?P<company>{_CAPS})"
)
_WITH_PHRASE = re.compile(rf"\bwith (?P<company>{_CAPS})")

_LEGAL_SUFFIX = re.compile(
    r"[\s,]+(gmbh|ag|se|kg|inc\.?|ltd\.?|limited|llc|plc|sas|sarl|s\.?a\.?|s\.?l\.?|b\.?v\.?|"
    r"n\.?v\.?|pvt\.?|private|corp\.?|co\.?|oy|ab|as|"
    r"recruiting|recruitment|talent|team|careers|hiring|people|hr|karriere|recrutement)$",
    re.IGNORECASE,
)


def extract_role(event: CalendarEvent, user: UserIdentity) -> str:
    """The job title the interview is for, or "" when the invitation does not name one."""
    field = _ROLE_FIELD.search(event.description)
    if field and job_title_in(field.group("role")):
        return _tidy(re.sub(r"\s*\(.*$", "", field.group("role")))
    for text in (event.title, event.description):
        for pattern in _ROLE_PHRASES:
            for match in pattern.finditer(text):
                if job_title_in(match.group("role")):
                    return _tidy(_MEETING_WORDS.sub(" ", match.group("role")))
    lines = [event.title, *[line for line in event.description.splitlines() if line.strip()][:3]]
    for line in lines:
        for segment in _SEPARATORS.split(line):
            role = _tidy(_MEETING_WORDS.sub(" ", segment or ""))
            if (
                role
                and job_title_in(role)
                and len(role.split()) <= 6
                and not _names_user(role, user)
            ):
                return role
    return ""


def extract_company(event: CalendarEvent, user: UserIdentity, role: str) -> str:
    """The employer's name as the invitation writes it, else one derived from its domain."""
    label = _squash(_domain_label(employer_domain(event, user)))
    text = f"{event.title}\n{event.description}"
    if label:
        exact = [p for p in _phrases(text) if _squash(p) == label]
        if exact:
            return max(exact, key=len)
        prefixed = [_strip_suffixes(p) for p in _phrases(text) if _squash(p).startswith(label)]
        prefixed = [p for p in prefixed if _squash(p).startswith(label)]
        if prefixed:
            return max(prefixed, key=len)
        return _from_label(_domain_label(employer_domain(event, user)))
    people = _participant_names(event, user)
    candidates = [
        *_matches(_COMPANY_PHRASES, event.description),
        *_matches(_COMPANY_PHRASES, event.title),
        *_title_segments(event.title),
        *_matches(_WITH_PHRASE, event.title),
    ]
    for candidate in candidates:
        name = _strip_suffixes(candidate)
        words = {w.casefold() for w in re.findall(r"[\w'-]+", name)}
        if name and not words & people and name.casefold() not in role.casefold():
            return name
    return ""


def _matches(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group("company") for m in pattern.finditer(text)]


def _title_segments(title: str) -> list[str]:
    segments = []
    for segment in _SEPARATORS.split(title):
        rest = _tidy(_MEETING_WORDS.sub(" ", segment or ""))
        if rest and not job_title_in(rest) and re.match(_WORD, rest):
            segments.append(rest)
    return segments


def _participant_names(event: CalendarEvent, user: UserIdentity) -> set[str]:
    names = {part.casefold() for part in user.name.split()}
    for person in everyone(event):
        if exclusion_reason(person, user) is not None:
            continue  # "Fabrikam via Lever" names the company, not a person
        names.update(part.casefold() for part in display_name(person).split() if len(part) > 1)
    return names


def _phrases(text: str) -> list[str]:
    return re.findall(rf"(?<![\w@.]){_WORD}(?:[ ]{_WORD}){{0,3}}", text)


def _domain_label(domain: str) -> str:
    if not domain:
        return ""
    parts = domain.split(".")
    # "acme.co.uk" → "acme"; "careers.acme.com" → "acme"
    if len(parts) >= 3 and len(parts[-2]) <= 3 and len(parts[-1]) == 2:
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else parts[0]


def _from_label(label: str) -> str:
    words = [w for w in re.split(r"[-_]+", label) if w]
    return " ".join(w.capitalize() if len(w) > 3 else w.upper() for w in words)


def _squash(text: str) -> str:
    """Lower case, accents and everything but letters and digits removed: "Lumière-Data" → "lumieredata"."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", plain.casefold())


def _strip_suffixes(name: str) -> str:
    name = name.strip(" -–—,.")
    while True:
        stripped = _LEGAL_SUFFIX.sub("", name).strip(" -–—,.")
        if stripped == name or not stripped:
            return name
        name = stripped


def _names_user(text: str, user: UserIdentity) -> bool:
    parts = {p.casefold() for p in user.name.split() if len(p) > 1}
    return any(w.casefold() in parts for w in re.findall(r"[\w'-]+", text))


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" -–—,.:;/|()")
