"""Job titles as invitations write them, in English, German, French and Spanish.

``job_title_in`` finds a word that makes a phrase a job title ("Engineer", "Entwicklerin",
"Développeur·euse", "Analista"); ``clean_role`` removes what is not part of the title:
gender markers ("(m/w/d)", "(H/F)", "(all genders)"), workload ("(80–100 %)"), work
arrangements, requisition numbers and words such as "position" or "Stelle".
"""

from __future__ import annotations

import re

_GERMAN_ROLE_STEMS = (
    r"entwickler|ingenieur|berater|leiter|referent|spezialist|architekt|analyst|"
    r"wissenschaftler|informatiker|programmierer|techniker|sachbearbeiter|assistent|"
    r"werkstudent|praktikant|kaufmann|kauffrau|manager|designer|engineer|developer|controller"
)

_ROLE_WORDS = re.compile(
    r"\b(?:engineer|developer|programmer|manager|designer|analyst|scientist|architect|lead|"
    r"director|consultant|specialist|administrator|researcher|intern|product owner|sre|devops|"
    r"head of|vp|vice president|cto|cio|cfo|coo|accountant|coordinator|officer|associate|"
    r"technician|expert|executive|representative|recruiter|writer|editor|marketer|trader|"
    r"quant|economist|actuary|strategist|advisor|adviser|auditor|controller|technologist|"
    r"tester|apprentice|trainee|graduate|fellow|lecturer|professor|nurse|teacher|planner|"
    r"buyer|steward|scrum master|business partner)\b"
    rf"|\b\w*(?:{_GERMAN_ROLE_STEMS})(?:in|innen)?\b"
    r"|\b(?:teamlead|teamleiter(?:in)?|geschäftsführer(?:in)?|leitung|auszubildende[rn]?|azubi|"
    r"\w*fachkraft|\w*mitarbeiter(?:in)?|lehrer(?:in)?|verkäufer(?:in)?|ärztin|arzt)\b"
    r"|\b(?:ing[ée]nieure?s?|ing[ée]nieur·e|d[ée]veloppeu(?:r|se)(?:·euse)?|chef|cheffe|"
    r"directeur|directrice|directeur·rice|responsable|analyste|architecte|charg[ée]e? d[e']|"
    r"gestionnaire|technicien(?:ne)?|alternant(?:e)?|stagiaire|chercheu(?:r|se)|"
    r"administrat(?:eur|rice)|experte?|sp[ée]cialiste|comptable|consultante?|scientifique|"
    r"enseignante?|vendeu(?:r|se)|m[ée]decin|infirmi[eè]re?|alternance)\b"
    r"|\b(?:ingenier[oa]|desarrollador(?:a|/a)?|analista|dise[ñn]ador(?:a|/a)?|gerente|jef[ea]|"
    r"l[íi]der|director(?:a)?|arquitect[oa]|cient[íi]fic[oa]|consultor(?:a)?|especialista|"
    r"t[ée]cnic[oa]|coordinador(?:a)?|administrador(?:a)?|programador(?:a|/a)?|becari[oa]|"
    r"practicante|contador(?:a)?|asesor(?:a)?|investigador(?:a)?|ejecutiv[oa]|docente|"
    r"profesor(?:a)?|vendedor(?:a)?|m[ée]dic[oa]|enfermer[oa])\b",
    re.IGNORECASE,
)

_GENDER_MARKER = re.compile(
    r"\(\s*(?:all\s+genders?|alle\s+geschlechter|gn\*?|[mwfhdxk](?:\s*[/|,]\s*[mwfhdxk]){1,3})\s*\)"
    r"|(?<!\w)(?:[mwfhd]/[mwfhd](?:/[mwfhdx])?)(?!\w)",
    re.IGNORECASE,
)
_PARENTHETICAL = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_JOB_WORDS = re.compile(
    r"^(?:the|a|an|our|la|le|el|l['’]|die|der)\s+"
    r"|\s+(?:position|role|opening|vacancy|job|stelle|poste|puesto|vacante|cargo|posición)$"
    r"|^(?:position|role|job|stelle|poste|puesto|vacante|cargo|posición)\s+(?:of|as|als|de|d['’])\s+",
    re.IGNORECASE,
)


def job_title_in(text: str) -> re.Match[str] | None:
    """The first word in ``text`` that makes it a job title, if any."""
    return _ROLE_WORDS.search(text)


def without_markers(text: str) -> str:
    """``text`` without gender markers: "Data Engineer (m/w/d)" → "Data Engineer"."""
    return _GENDER_MARKER.sub(" ", text)


def clean_role(text: str) -> str:
    """``text`` as a job title: without markers, parentheses, "position" and the like."""
    role = _GENDER_MARKER.sub(" ", text)
    role = _PARENTHETICAL.sub(" ", role)
    role = role.split("(")[0]
    previous = None
    while previous != role:
        previous = role
        role = _JOB_WORDS.sub("", role.strip(" -–—,:;/|"))
    return tidy(role)


def tidy(text: str) -> str:
    """``text`` on one line without the punctuation around it; "Sr." keeps its dot."""
    text = " ".join(text.split()).strip(" -–—,:;/|()·•")
    while text.endswith("."):
        last = text[:-1].rsplit(" ", 1)[-1]
        if 1 < len(last) <= 3 and last[0].isupper() and last.isalpha():
            break  # an abbreviation: "Ingeniera de Datos Sr."
        text = text[:-1].rstrip(" -–—,:;/|")
    return text
