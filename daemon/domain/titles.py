"""The pieces of an invitation's title: a stage, people, a role, a company.

Titles are written in a handful of shapes, by people and by scheduling tools alike:
``Initrode Interview: Ada Lovelace for Analytics Engineer`` (Greenhouse),
``Final round: Site Reliability Engineer @ Stark Industries``,
``Video Interview - Senior Data Scientist at Wayne Enterprises`` (iCIMS),
``Vandelay Industries Panel Interview``, ``Company | Role | Stage``,
``[Company] Onsite - Name``, ``Vorstellungsgespräch – Data Engineer (w/m/d) – Nordhafen``,
``Entretien – Développeur·euse Backend (H/F) – Cassis``, ``Technical Interview (60 min)
between Hugo Lambert, Zara Khan and Ada Lovelace`` (Calendly). The title is cut at its
separators; each piece is then a stage (interview wording only), a person (a name on the
invitation), a role (a job title) or a company (what is left, capitalised).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interview_outreach.daemon.domain.jobtitles import (
    clean_role,
    job_title_in,
    tidy,
    without_markers,
)
from interview_outreach.daemon.domain.people import HONORIFICS
from interview_outreach.daemon.domain.stages import LOOSE_STAGE, SCREEN, STAGE

_STATUS_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]*(?:extern|external|ext)[^\]]*\]\s*)?"
    r"(?:(?:updated|new|accepted|declined|tentative|cancell?ed|canceled|rescheduled|reminder|"
    r"invitation|updated invitation|annul[ée]e?|abgesagt|abgelehnt|aktualisiert|einladung|"
    r"erinnerung|mis à jour|rappel|cancelad[oa]|actualizad[oa]|invitaci[óo]n|recordatorio)"
    r"(?:\s+(?:invitation|event|einladung|evento))?\s*[:\-–]\s*)+",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\(?\b\d{1,3}\s*[-‑ ]?\s*(?:min(?:ute)?s?|minuten|minutos|mn|h|hrs?|hours?|stunden?|heures?|"
    r"horas?)\b\.?\)?",
    re.IGNORECASE,
)
_BETWEEN = re.compile(r"\s+(?:between|zwischen|entre)\s+.*$", re.IGNORECASE)
_SEPARATORS = re.compile(
    r"\s+[-–—|:/•·@]\s+|\s*<>\s*|\s*<->\s*|\s*\|\s*|:\s+|\s*[()\[\]{}]\s*|,\s+|\s+[x×]\s+|"
    r"\s+(?:at|for|with|bei|mit|f[üu]r|chez|avec|pour|con|para|en)\s+",
    re.IGNORECASE,
)

# Words that describe the meeting rather than the job or the company.
MEETING_WORDS = re.compile(
    rf"{STAGE.pattern}|{LOOSE_STAGE.pattern}|{SCREEN.pattern}|"
    r"\bfinal\b|\bfinale?\b|\bround\b|\b(?:first|second|third|1st|2nd|3rd|next)\b|"
    r"\b(?:phone|video|technical|tech|recruiter|hr|initial|virtual|remote|in-person)\b|"
    r"\bcall\b|\bchat\b|\bsession\b|\bmeeting\b|\binvitation\b|\bconfirmed\b|\bscheduled\b|"
    r"\bprogramad[oa]\b|\bgeplant\b|\bpr[ée]vu\b|\bwith\b|\bthe\b|\bposition\b|\brole\b|"
    r"\bcandidate\b|\bcandidat(?:e|o|a)?\b|\bkandidat(?:in)?\b|\bhiring manager\b|"
    r"\bde trabajo\b|\bd['’]embauche\b|\btechnique\b|\bt[ée]cnic[oa]\b|\bpersönliche?s?\b|"
    r"\bpr[ée]sentiel\b|\bpresencial\b|\bvirtual\b|\bonline\b|\bzoom\b|\bteams\b|\bgoogle meet\b|"
    r"\bremote\b|\bhybrid\b|\bonsite\b|\bréunion\b|\bbesprechung\b|\btermin\b|\bcita\b|"
    r"\brr\.?\s?hh\.?|\brecursos humanos\b|\btalent acquisition\b|\bpeople team\b",
    re.IGNORECASE,
)
_HONORIFIC = re.compile(rf"\b(?:{HONORIFICS})\b\.?", re.IGNORECASE)
_NOT_A_COMPANY = re.compile(
    r"^(?:remote|hybrid|on-?site|in person|video|phone|teams|zoom|google meet|candidate|"
    r"ref\.?|req\.?|job id|[A-Z]{1,4}-?\d+|\d+|gmt|utc|cet|cest|bst|est|pst)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_][\w'’·.&-]*")


@dataclass(frozen=True)
class TitlePieces:
    """What a title names besides the stage: job titles and companies, in title order."""

    roles: tuple[str, ...]
    companies: tuple[str, ...]


def title_pieces(title: str, people: frozenset[str]) -> TitlePieces:
    """The roles and companies ``title`` names; ``people`` are the (case-folded) name parts
    of the user and everyone on the invitation, so that a name is never taken for either."""
    text = without_markers(_STATUS_PREFIX.sub("", title))
    text = _BETWEEN.sub("", _DURATION.sub(" ", text))
    roles: list[str] = []
    companies: list[str] = []
    for segment in _SEPARATORS.split(text):
        piece = tidy(MEETING_WORDS.sub(" ", segment or ""))
        if not piece or _is_person(piece, people):
            continue
        if job_title_in(piece):
            role = clean_role(segment)
            role = tidy(re.sub(r"^(?:" + MEETING_WORDS.pattern + r")\s+", "", role, flags=re.I))
            if role and role[0].isupper() and len(role.split()) <= 7:
                roles.append(role)
        elif piece[0].isupper() and len(piece.split()) <= 5 and not _NOT_A_COMPANY.match(piece):
            companies.append(piece)
    return TitlePieces(tuple(roles), tuple(companies))


def _is_person(piece: str, people: frozenset[str]) -> bool:
    words = [w.rstrip(".").casefold() for w in _WORD.findall(_HONORIFIC.sub(" ", piece))]
    return bool(words) and all(w in people for w in words)
