"""Is a calendar event a job interview? A scored, explainable verdict.

Each rule that matches adds a ``Signal`` with a weight; an event is an interview when the
weights add up to ``THRESHOLD`` and no veto (exit interview, podcast, user research, ...)
matched. ``explain`` prints the signals, so every verdict can be checked by the user.
Patterns cover English, German, French and Spanish invitations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from daemon.domain.limits import MAX_INTERVIEW_PARTICIPANTS
from daemon.domain.model import CalendarEvent, Detection, ParticipantKind, Signal, UserIdentity
from daemon.domain.people import (
    employer_domain,
    everyone,
    is_public_domain,
    is_scheduling_tool,
)

THRESHOLD = 4


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    weight: int


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Words that on their own say "job interview" in a title.
_INTERVIEW_TERMS = _rx(
    r"\b(job[ -]?)?interviews?\b|\binterviewing\b|vorstellungsgespr[äa]ch|bewerbungsgespr[äa]ch|"
    r"telefoninterview|videointerview|jobinterview|\bentretiens?\b|\bentrevistas?\b|"
    r"hiring[ -]manager|\bon-?site( loop)?\b|\binterview loop\b|\bloop\b|"
    r"\b(phone|technical|tech|initial|recruiter|hr)[ -]screen(ing)?\b|\bscreening (call|interview)\b|"
    r"\bfinal[ -]round\b|\b(first|second|third|1st|2nd|3rd|next)[ -]round\b|\bround [1-9]\b|"
    r"\btake[ -]home\b|\bpair[ -]programming\b|\bsystem[s]? design\b|\bcoding (challenge|exercise|session)\b|"
    r"\bculture[ -](fit|add)\b|\bvalues (fit|interview)\b|\bcase (study|interview)\b|"
    r"\bbehavio(u)?ral\b|\btechnical (assessment|deep[ -]dive|discussion)\b|"
    r"\brecruiter (call|chat)\b|\bpanel\b|fachgespr[äa]ch|kennenlerngespr[äa]ch|erstgespr[äa]ch|"
    r"\bzweitgespr[äa]ch|\bentretien d'embauche|\bproceso de selecci[óo]n"
)

# Words in a description that put an event in a hiring context.
_JOB_CONTEXT = _rx(
    r"\b(position|role|candidate|candidacy|application|applied|hiring|recruiter|recruiting|"
    r"vacancy|opening|job|offer letter|resume|cv|hiring team|talent team|"
    r"stelle|bewerbung|kandidat(in)?|position|karriere|"
    r"poste|candidature|candidat(e)?|recrutement|embauche|"
    r"puesto|candidatura|candidato|candidata|vacante|selecci[óo]n|empleo|contrataci[óo]n)\b"
)

_ROLE_WORDS = _rx(
    r"\b(engineer|developer|manager|designer|analyst|scientist|architect|lead|director|"
    r"consultant|specialist|administrator|researcher|intern|product owner|sre|devops|"
    r"head of|vp|accountant|coordinator|ingenieur(in)?|entwickler(in)?|berater(in)?|"
    r"ing[ée]nieure?|d[ée]veloppeur|d[ée]veloppeuse|chef de projet|"
    r"ingenier[oa]|desarrollador(a)?|analista|dise[ñn]ador(a)?|gerente|jefe)\b"
)

# Interviews that are not the user's job interviews: research, press, exit, training...
_VETOES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("exit interview", _rx(r"\bexit[ -]interview|austrittsgespr[äa]ch|entretien de (d[ée]part|sortie)|entrevista de salida")),
    ("user or customer research", _rx(r"\b(user|customer|client|research|usability|discovery|stakeholder|ux)[ -](interview|research|study|session)s?\b|\buser research\b|\bnutzerinterview|\bkundeninterview")),
    ("podcast, press or media", _rx(r"\bpodcast|\b(press|media|radio|tv|magazine|newspaper|presse|prensa)[ -](interview|entrevista|gespr[äa]ch)|\binterview (with|for) (the )?(press|media|radio|tv|podcast|magazine|newspaper|blog)\b|\bjournalist")),
    ("interviewer training", _rx(r"\binterview(er|ing)? (skills )?training\b|\binterviewer (calibration|onboarding|shadow)|\bschulung\b|\bformation (des )?recruteurs")),
    ("debrief", _rx(r"\bdebrief|\bnachbesprechung|\bhiring committee\b|\bscorecard")),
    ("webinar or event", _rx(r"\bwebinar\b|\bmeetup\b|\bconference talk\b|\bcareer fair\b|\bjob fair\b")),
    ("interview preparation", _rx(r"\b(interview )?prep(aration)?\b|\bmock interview\b|\bcoaching\b")),
)  # fmt: skip

_PERSON_PAIR = re.compile(
    r"^\s*[\w .'-]+?\s*(/|<>|<->|\bx\b|&|\+|\band\b|\bund\b|\bet\b|\by\b)\s*[\w .'-]+?\s*$"
)


def detect(event: CalendarEvent, user: UserIdentity) -> Detection:
    """Score ``event`` as a job interview and say why."""
    if event.all_day:
        return Detection(False, 0, (), vetoed_by="an all-day event has no interview time")
    people = sum(1 for p in everyone(event) if p.kind is not ParticipantKind.RESOURCE)
    if people > MAX_INTERVIEW_PARTICIPANTS:
        return Detection(
            False, 0, (), vetoed_by=f"{people} people are invited: a meeting, not an interview"
        )
    text = f"{event.title}\n{event.description}"
    for name, pattern in _VETOES:
        match = pattern.search(event.title)
        if match:
            return Detection(False, 0, (), vetoed_by=f'{name} ("{match.group(0)}" in the title)')
    signals = [
        *_title_signals(event, user),
        *_description_signals(event),
        *_participant_signals(event, user),
    ]
    score = sum(s.weight for s in signals)
    if _INTERVIEW_TERMS.search(event.title) is None:
        # Without interview wording in the title, research/press words anywhere still veto.
        for name, pattern in _VETOES[:3]:
            match = pattern.search(text)
            if match:
                return Detection(
                    False, score, tuple(signals), vetoed_by=f'{name} ("{match.group(0)}")'
                )
    return Detection(score >= THRESHOLD, score, tuple(signals))


def _title_signals(event: CalendarEvent, user: UserIdentity) -> list[Signal]:
    signals: list[Signal] = []
    title = event.title
    term = _INTERVIEW_TERMS.search(title)
    if term:
        signals.append(Signal("interview wording in title", 4, f'"{term.group(0)}"'))
    role = _ROLE_WORDS.search(title)
    if role:
        signals.append(Signal("job title in title", 2, f'"{role.group(0)}"'))
    if not term and _names_user_and_another(title, user):
        signals.append(Signal("title pairs you with another person", 2, f'"{title.strip()}"'))
    return signals


def _names_user_and_another(title: str, user: UserIdentity) -> bool:
    if not _PERSON_PAIR.match(title):
        return False
    names = {part.casefold() for part in user.name.split() if len(part) > 1}
    words = {w.casefold() for w in re.findall(r"[\w'-]+", title)}
    return bool(names & words)


def _description_signals(event: CalendarEvent) -> list[Signal]:
    signals: list[Signal] = []
    term = _INTERVIEW_TERMS.search(event.description)
    if term:
        signals.append(Signal("interview wording in description", 2, f'"{term.group(0)}"'))
    context = sorted({m.group(0).casefold() for m in _JOB_CONTEXT.finditer(event.description)})
    if context:
        weight = min(len(context), 2)
        signals.append(Signal("hiring words in description", weight, ", ".join(context[:5])))
    return signals


def _participant_signals(event: CalendarEvent, user: UserIdentity) -> list[Signal]:
    signals: list[Signal] = []
    tools = sorted({p.email for p in everyone(event) if is_scheduling_tool(p.email)})
    if not tools and is_scheduling_tool_link(event.description):
        tools = ["a scheduling link in the description"]
    if tools:
        signals.append(Signal("sent by a hiring or scheduling tool", 3, ", ".join(tools)))
    domain = employer_domain(event, user)
    if domain:
        signals.append(Signal("people from another organisation", 1, domain))
    elif any(
        is_public_domain(p.domain) and p.email not in user.addresses for p in everyone(event)
    ) and not any(
        p.domain in user.domains for p in everyone(event) if p.email not in user.addresses
    ):
        signals.append(Signal("people from outside your organisation", 0, "personal addresses"))
    return signals


_TOOL_LINK = _rx(
    r"https?://[\w.-]*(greenhouse\.io|lever\.co|ashbyhq\.com|goodtime\.io|calendly\.com|"
    r"myworkday(jobs)?\.com|smartrecruiters\.com|icims\.com|jobvite\.com|teamtailor\.com|"
    r"personio\.(de|com)|workable\.com|recruitee\.com|bamboohr\.com|softgarden\.(io|de))"
)


def is_scheduling_tool_link(text: str) -> bool:
    """Whether ``text`` links to an applicant-tracking or scheduling service."""
    return _TOOL_LINK.search(text) is not None


# ---- wording used by the skip rules ------------------------------------------------------

_SCREEN_WORDING = _rx(
    r"\bscreen(ing)?\b|\bintro(duction|ductory)?\b|\brecruiter (call|chat)\b|\bhr call\b|"
    r"\binitial (call|chat|conversation)\b|\bfirst (call|chat)\b|\bphone call\b|\bquick (call|chat)\b|"
    r"telefoninterview|erstgespr[äa]ch|kennenlern|vorab|"
    r"entretien t[ée]l[ée]phonique|pr[ée]s[ée]lection|premier [ée]change|appel d[e']|"
    r"llamada (inicial|telef[óo]nica)|entrevista telef[óo]nica|primera (llamada|entrevista)|preselecci[óo]n"
)

_NO_CONTACT_WORDING = _rx(
    r"(do not|don['’]t|please don['’]t|refrain from|should not|must not|kindly avoid|avoid)"
    r"\s+(directly\s+)?(contact|contacting|reach(ing)? out to|email(ing)?|message|messaging)\s+"
    r"(directly\s+)?(any\s+)?(members? of\s+)?(the |your |any of the |our )?"
    r"(interviewers?|interview panel|panel(ists| members)?|hiring (team|manager))|"
    r"(interviewers?|panel(ists)?) (should|must|cannot|can ?not) not be contacted|"
    r"all (questions|communication)s? (should|must) go (through|via)|"
    r"kontaktieren sie (die |unsere )?interviewer\w* (bitte )?nicht|bitte (keine|nicht) .{0,30}kontakt|"
    r"ne (pas|contactez pas) .{0,30}(recruteurs|intervenants|interviewers|jury)|"
    r"merci de ne pas contacter|no contacte(s)? (directamente )?a (los|las) entrevistador|"
    r"por favor,? no (se ponga en contacto|contacte)"
)


def screen_wording(event: CalendarEvent) -> str | None:
    """The words that make the event read as a preliminary screen, if any."""
    match = _SCREEN_WORDING.search(event.title) or _SCREEN_WORDING.search(event.description)
    return match.group(0) if match else None


def no_contact_wording(event: CalendarEvent) -> str | None:
    """The words by which the invitation asks candidates not to contact interviewers."""
    match = _NO_CONTACT_WORDING.search(" ".join(event.description.split()))
    return match.group(0) if match else None


def job_title_in(text: str) -> re.Match[str] | None:
    """The first job-title word in ``text`` (used by role extraction)."""
    return _ROLE_WORDS.search(text)
