"""Which company and which role an interview is about, read from the invitation.

Both are best-effort and explainable. The role: a labelled field ("Position: …", "Poste :
…"), a booking page's answer ("Which role are you applying for?"), a phrase ("for the
Data Engineer position", "Stelle als …", "poste de …", "puesto de …"), else the title's
pieces (see ``titles``). The company: the name the invitation writes for the employer's
domain ("orbitalfreight.com" → "Orbital Freight" when the text writes it so, else
"Orbitalfreight"); without an employer domain, the name a hiring tool sends on behalf of,
the title's pieces and phrases such as "at …", "bei …", "chez …".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from difflib import SequenceMatcher

from interview_outreach.daemon.domain.detection import meeting_title
from interview_outreach.daemon.domain.jobtitles import clean_role, job_title_in, tidy
from interview_outreach.daemon.domain.model import CalendarEvent, Participant, UserIdentity
from interview_outreach.daemon.domain.people import (
    TOOL_NAMES,
    display_name,
    employer_domain,
    everyone,
    exclusion_reason,
    is_scheduling_tool,
    is_shared_sender,
    organisation_domains,
)
from interview_outreach.daemon.domain.stages import LOOSE_STAGE, STAGE
from interview_outreach.daemon.domain.titles import MEETING_WORDS, title_pieces

_UPPER = "A-ZÀ-ÖØ-Þ"
_WORD = rf"(?:[{_UPPER}0-9]|[a-z](?=[{_UPPER}]))[\w&/+'’·-]*(?:(?<=Sr|Jr)\.|\.(?:com|io|ai|net)\b)?"
# Lower-case words inside a company's name: "Bank of Ireland", "Banco de Sabadell".
_PARTICLE = r"(?:of|de|del|de la|du|des|der|di|da|do|für|y|et|and|&|la|le|los|las)"
# A run of capitalised words, as job titles and company names are written in invitations.
_CAPS = rf"{_WORD}(?:\s+(?:of|for|and|&|de|del|la|le|des|du|y|und|für)?\s*{_WORD}){{0,5}}"

_ROLE_FIELD = re.compile(
    r"^\s*(?:position|role|job|job title|title|vacancy|opening|poste|intitul[ée] du poste|"
    r"stelle|position|rolle|puesto|vacante|cargo|posici[óo]n)\s*:\s*(?P<role>[^\n]+)$",
    re.IGNORECASE | re.MULTILINE,
)
# A booking page's question about the role, answered on the next line.
_ROLE_QUESTION = re.compile(
    r"^[^\n]*\b(?:position|role|job|opening|vacancy|stelle|position|poste|puesto|vacante|"
    r"cargo)\b[^\n]*\?\s*\n+\s*(?P<role>[^\n]+)$",
    re.IGNORECASE | re.MULTILINE,
)
# What a role written in running text is made of: anything up to punctuation ("Sr." is
# part of it).
_ROLE_TEXT = r"(?P<role>(?:\b(?:Sr|Jr|Sra|Snr|Jnr)\.|[^.,;\n()])+?)"
_ROLE_STOP = (
    r"(?=\s+(?:at|with|in the|on the|bei|im|in|chez|au sein|dans|à|au|pour|en|con|para|dentro)\b"
    r"|\s*[(.,;:\n]|\s+[-–—]\s|$)"
)
# German nouns are capitalised: a lowercase word after the role is the sentence's verb
# ("… für die Stelle als Data Engineer einzuladen", "… als Analyst zu sprechen").
_ROLE_STOP_DE = _ROLE_STOP[:-1] + r"|\s+(?-i:zu\b|[a-zäöüß]+(?:en|ern|eln)\b))"
_ROLE_PHRASES = (
    re.compile(
        rf"\bfor (?:the|our|a|an) (?P<role>{_CAPS}) (?:position|role|opening|job|vacancy|post)\b"
    ),
    re.compile(rf"\b(?:the|a|an|our) (?P<role>{_CAPS}) (?:position|role|opening|vacancy)\b"),
    re.compile(rf"\b(?:position|role|opening|post|vacancy) (?:of|as) (?:a |an )?(?P<role>{_CAPS})"),
    re.compile(rf"\bas (?:a|an|our|the) (?P<role>{_CAPS})"),
    re.compile(rf"\b(?:Stelle|Position|Rolle|Bewerbung) als {_ROLE_TEXT}{_ROLE_STOP_DE}", re.I),
    re.compile(
        rf"\bf[üu]r die (?:Stelle|Position|Rolle) (?:als |des |der )?{_ROLE_TEXT}{_ROLE_STOP_DE}",
        re.I,
    ),
    re.compile(rf"\b(?:poste|post|emploi) d(?:e |['’]){_ROLE_TEXT}{_ROLE_STOP}", re.I),
    re.compile(
        rf"\b(?:puesto|vacante|posici[óo]n|plaza|oferta|cargo) de {_ROLE_TEXT}{_ROLE_STOP}", re.I
    ),
)

_COMPANY_CONTEXT = re.compile(
    rf"\b(?:at|joining|join|bei(?: der| dem)?|chez|au sein (?:de |du |de la |des )|"
    rf"dans (?:le |la |l['’])|en|within|à la|de la empresa|in der|von der)\s+(?:the\s+)?"
    rf"(?P<company>{_CAPS})"
)
_CLIENT = re.compile(
    rf"\b(?:on behalf of our client|our client|for our client|unser(?:em|en)? (?:Kunden|Mandanten)|"
    rf"notre client|pour le compte de notre client|nuestro cliente|de nuestro cliente)"
    rf"\s*,?\s*(?:the\s+|la\s+|el\s+|die\s+|der\s+)?(?P<company>{_CAPS})",
    re.IGNORECASE,
)
_TOOL_SUFFIX = re.compile(
    r"\s+(?:via|through|über|par|por|con)\s+\S+.*$|"
    r"[\s,·|-]+(?:talent acquisition|talent|recruiting|recruitment|careers?|hiring team|hiring|"
    r"people|hr|jobs|karriere|recrutement|reclutamiento|talento|selecci[óo]n|"
    r"personalabteilung|rrhh|rh|team|interviews?)$",
    re.IGNORECASE,
)
_LEGAL_SUFFIX = re.compile(
    r"[\s,]+(?:gmbh(?: & co\.? kg)?|ag|se|kg|e\.?v\.?|inc\.?|ltd\.?|limited|llc|llp|plc|pty|"
    r"sas|sasu|sarl|srl|sprl|sa|s\.a\.(?: de c\.v\.)?|s\.?l\.?u?\.?|s\.?p\.?a\.?|b\.?v\.?|n\.?v\.?|"
    r"pvt\.?|private|corp\.?|co\.?|oy|ab|as|a/s|aps|spa|"
    r"recruiting|recruitment|talent acquisition|talent|team|careers|hiring|people|hr|karriere|"
    r"recrutement|reclutamiento|talento|selecci[óo]n)$",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"['’]s\b")


def extract_role(event: CalendarEvent, user: UserIdentity) -> str:
    """The job title the interview is for, or "" when the invitation does not name one."""
    description = event.description
    for labelled in (_ROLE_FIELD, _ROLE_QUESTION):
        for match in labelled.finditer(description):
            role = clean_role(match.group("role"))
            if role and job_title_in(role) and len(role.split()) <= 15:
                return role  # labelled as the role: long titles are taken whole
    title = meeting_title(event)
    for text in (title, description):
        for pattern in _ROLE_PHRASES:
            for match in pattern.finditer(text):
                role = clean_role(MEETING_WORDS.sub(" ", match.group("role")))
                if role and job_title_in(role) and len(role.split()) <= 8:
                    return role
    people = _people(event, user)
    roles = title_pieces(title, people).roles
    if roles:
        return roles[0]
    for line in [line for line in description.splitlines() if line.strip()][:3]:
        roles = title_pieces(line, people).roles
        if roles:
            return roles[0]
    return ""


def extract_company(event: CalendarEvent, user: UserIdentity, role: str) -> str:
    """The employer's name as the invitation writes it, else one derived from its domain."""
    domain = employer_domain(event, user)
    senders = _sender_names(event, user)
    # A tool's "sent on behalf of" name counts twice; a location names buildings, not firms.
    texts = [event.title, event.description, *senders, *senders]
    people = _people(event, user)
    own = [_squash(_domain_label(d)) for d in organisation_domains(user)]
    client = _matches(_CLIENT, event.description)
    if client:
        # A recruitment agency's invitation: the employer is its client, not the agency.
        return _first_company(client, people, role, own)
    title = title_pieces(meeting_title(event), people).companies
    if domain:
        label = _domain_label(domain)
        return (
            _named_for(label, texts)
            or _first_company([*senders, *title], people, role, own)
            or _from_label(label)
        )
    label = _tool_label(event)
    named = _named_for(label, texts) if label else ""
    if named:
        return named
    candidates = [
        *senders,
        *title,
        *_matches(_COMPANY_CONTEXT, event.title),
        *_matches(_COMPANY_CONTEXT, event.description),
    ]
    return _first_company(candidates, people, role, own)


# Where a hiring tool writes the employer's own name: a relay subdomain
# (brisapay.teamtailor-mail.com), a tenant address (northbridge@myworkday.com) or the
# employer's pages on the tool (northbridge.wd3.myworkdayjobs.com, jobs.lever.co/acme).
_TOOL_TENANT = re.compile(
    r"https?://(?:(?P<sub>[\w-]+)\.(?:wd\d+\.)?myworkdayjobs\.com|"
    r"(?P<sub2>[\w-]+)\.(?:greenhouse\.io|teamtailor\.com|jobs\.personio\.(?:de|com)|"
    r"recruitee\.com|bamboohr\.com|softgarden\.io|icims\.com)|"
    r"(?:jobs\.lever\.co|jobs\.ashbyhq\.com|careers\.smartrecruiters\.com|apply\.workable\.com|"
    r"boards\.greenhouse\.io|job-boards\.greenhouse\.io)/(?P<path>[\w-]+))",
    re.IGNORECASE,
)
_GENERIC_TENANT = re.compile(
    r"^(?:www|app|api|boards|job-boards|jobs|careers?|hire|mail|talent|candidate|us|eu|wd\d+|"
    r"no-?reply|notifications?)$",
    re.IGNORECASE,
)


def _tool_label(event: CalendarEvent) -> str:
    """The employer's name as a hiring tool writes it in addresses and links, if any."""
    labels = []
    for person in everyone(event):
        if not is_scheduling_tool(person.email):
            continue
        local, _, domain = person.email.partition("@")
        parts = domain.split(".")
        if len(parts) > 2:
            labels.append(parts[0])
        labels.append(local)
    for match in _TOOL_TENANT.finditer(event.description):
        labels.append(next(g for g in match.groups() if g))
    for found in labels:
        label = re.sub(r"^careers?-|-careers?$", "", found.casefold())
        if len(label) >= 3 and not _GENERIC_TENANT.match(label) and not _NO_PERSON.match(label):
            return label
    return ""


_NO_PERSON = re.compile(
    r"^(?:no-?reply|do-?not-?reply|notifications?|calendar|scheduling|invites?)"
)


def _first_company(candidates: list[str], people: frozenset[str], role: str, own: list[str]) -> str:
    """The first candidate that names a company: not a person, the role, a meeting word or
    the user's own organisation."""
    for candidate in candidates:
        if any(o and _squash(candidate).startswith(o) for o in own):
            continue
        name = _strip_suffixes(_POSSESSIVE.sub("", candidate))
        words = {w.casefold() for w in re.findall(r"[\w'-]+", name)}
        if (
            name
            and not words <= people
            and name.casefold() not in role.casefold()
            and not job_title_in(name)
            and not MEETING_WORDS.fullmatch(name)
        ):
            return name
    return ""


def _named_for(label: str, texts: list[str]) -> str:
    """The name the texts write for the domain label ``label``: the most used one, the one
    that is exactly the label on a tie ("Acme" for acme.com, "Limmat Rückversicherung" for
    limmat-re.ch when the text never writes "Limmat RE")."""
    wanted = _squash(label)
    stem = _squash(re.split(r"[-_]", label)[0])
    stem = stem if len(stem) >= 4 else wanted
    found: Counter[str] = Counter()
    for text in texts:
        for phrase in _phrases(text):
            name = _company_part(phrase)
            if name and _matches_label(name, wanted, stem):
                found[name] += 1
        for match in _COMPANY_CONTEXT.finditer(_without_legal_dots(text)):
            name = _company_part(match.group("company"))
            if name and _matches_label(name, wanted, stem):
                found[name] += 1  # named where a company is expected: counts twice
    if not found:
        return ""
    return max(found, key=lambda n: (found[n], _squash(n) == wanted, -len(n)))


# What domains add to a company's name: getacme.com, acmehq.com, acme-group.com.
_DOMAIN_AFFIXES = re.compile(
    r"^(?:get|join|try|use|meet|hello|team|go|my|the|we)|"
    r"(?:hq|app|apps|inc|co|corp|group|global|labs|lab|tech|hr|jobs|careers|team|online|"
    r"digital|software|systems|international|world|uk|de|fr|es|us|eu|gmbh|ag|sa|sas|ltd|llc)$"
)


def _matches_label(name: str, wanted: str, stem: str) -> bool:
    key = _squash(name)
    if key.startswith(stem):
        return True
    words = name.split()
    if len(words) > 1 and _squash("".join(w[0] for w in words)) == wanted:
        return True  # "Bank of Ireland" for boi.com
    if len(wanted) >= 6 and SequenceMatcher(None, key, wanted).ratio() >= 0.8:
        return True  # "Banco de Sabadell" for bancsabadell.com
    # "Globex" for globexcorp.com or getglobex.com, but not "Data" for dataweek.com
    if len(key) < 3 or key not in wanted:
        return False
    rest = wanted.replace(key, "", 1)
    return _DOMAIN_AFFIXES.fullmatch(rest) is not None or (
        wanted.startswith(key) and len(key) >= max(5, len(wanted) // 2)
    )


def _company_part(phrase: str) -> str:
    """A phrase without what follows the company name: "Vandelay Industries Panel
    Interview" → "Vandelay Industries", "Alderwood Retail Group Talent Team" → "Alderwood
    Retail Group", "Orchard Pay's" → "Orchard Pay"."""
    words = _POSSESSIVE.sub("", phrase).split()
    kept: list[str] = []
    for number, word in enumerate(words):
        rest = " ".join(words[number:])
        if STAGE.match(rest) or LOOSE_STAGE.match(rest) or (kept and job_title_in(word)):
            break
        kept.append(word)
    return _strip_suffixes(" ".join(kept))


def _sender_names(event: CalendarEvent, user: UserIdentity) -> list[str]:
    """Names a tool or a shared mailbox sends under: "Fabrikam via Lever" → "Fabrikam"."""
    names = []
    own = organisation_domains(user)
    for person in everyone(event):
        if not is_shared_sender(person.email) or person.domain in own:
            continue
        name = " ".join(person.name.split())
        if not name or "@" in name:
            continue
        stripped = _TOOL_SUFFIX.sub("", name)
        while stripped != name:
            name, stripped = stripped, _TOOL_SUFFIX.sub("", stripped)
        if name[:1].isupper() and name.casefold() not in TOOL_NAMES:
            names.append(name)
    return names


def _people(event: CalendarEvent, user: UserIdentity) -> frozenset[str]:
    names = {part.casefold() for part in user.name.split()}
    for person in everyone(event):
        if exclusion_reason(person, user) is not None and person.email not in user.addresses:
            continue  # "Fabrikam via Lever" names the company, not a person
        names.update(_name_parts(person))
    return frozenset(names)


def _name_parts(person: Participant) -> set[str]:
    return {part.casefold() for part in re.findall(r"[\w'’-]+", display_name(person))}


def _matches(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group("company") for m in pattern.finditer(text)]


_LEGAL_WITH_DOTS = re.compile(
    r"\s*,?\s*\b(?:S\.A\.(?: de C\.V\.)?|S\.L\.U?\.|S\.p\.A\.|B\.V\.|N\.V\.|e\.V\.|"
    r"Co\.|Inc\.|Ltd\.|Pvt\.)"
)


def _without_legal_dots(text: str) -> str:
    return _LEGAL_WITH_DOTS.sub(" ", text)


def _phrases(text: str) -> list[str]:
    plain = _POSSESSIVE.sub("\n", _without_legal_dots(text))  # "Acme's team": "Acme"
    joined = rf"(?:[ ](?:{_PARTICLE}[ ])?|[ ]d['’]){_WORD}"
    return re.findall(rf"(?<![\w@./]){_WORD}(?:{joined}){{0,3}}", plain)


def _domain_label(domain: str) -> str:
    if not domain:
        return ""
    parts = domain.split(".")
    # "acme.co.uk" → "acme"; "careers.acme.com" → "acme"; "pampacloud.com.ar" → "pampacloud"
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
    name = tidy(name.strip(" -–—,."))
    while True:
        stripped = tidy(_LEGAL_SUFFIX.sub("", name).strip(" -–—,."))
        if stripped == name or not stripped:
            return name
        name = stripped
