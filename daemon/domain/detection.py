"""Is a calendar event a job interview? A scored, explainable verdict.

Each rule that matches adds a ``Signal`` with a weight; an event is an interview when the
weights add up to ``THRESHOLD`` and no veto (exit interview, podcast, user research, an
internal meeting, ...) matched. ``explain`` prints the signals, so every verdict can be
checked by the user. The vocabularies (``stages``, ``confusers``, ``jobtitles``) cover
English, German, French and Spanish invitations.
"""

from __future__ import annotations

import re

from interview_outreach.daemon.domain.confusers import CONTEXT_VETOES, TITLE_VETOES
from interview_outreach.daemon.domain.jobtitles import job_title_in
from interview_outreach.daemon.domain.limits import MAX_INTERVIEW_PARTICIPANTS
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    Detection,
    ParticipantKind,
    Signal,
    UserIdentity,
)
from interview_outreach.daemon.domain.patterns import rx
from interview_outreach.daemon.domain.people import (
    TOOL_NAMES,
    employer_domain,
    everyone,
    is_hiring_tool,
    is_public_domain,
    is_scheduling_tool,
    organisation_domains,
)
from interview_outreach.daemon.domain.stages import (
    BEYOND_SCREEN,
    CANDIDATE,
    LOOSE_STAGE,
    SCREEN,
    STAGE,
)

THRESHOLD = 4


# Words in a description that put an event in a hiring context.
_JOB_CONTEXT = rx(
    r"\b(position|role|candidate|candidacy|application|applied|hiring|recruiter|recruiting|"
    r"vacancy|opening|job|offer letter|resume|cv|hiring team|talent team|talent acquisition|"
    r"stelle|bewerbung|kandidat(in)?|karriere|personalabteilung|"
    r"poste|candidature|candidat(e)?|recrutement|embauche|"
    r"puesto|candidatura|candidato|candidata|vacante|selecci[óo]n|empleo|contrataci[óo]n|"
    r"postulaci[óo]n|reclutamiento|oferta)\b"
)

# A role named as the subject of the meeting: "the Data Engineer role", "Stelle als …".
_ROLE_PHRASE = rx(
    r"\b(?:the|this|our|a|an)\s+[\w/·&+' -]{2,60}?\s+(?:position|role|opening|vacancy)\b|"
    r"\b(?:position|role|post) (?:of|as)\b|\bstelle als\b|\bposition als\b|"
    r"\bposte d(?:e |['’])|\bpuesto de\b|\bvacante de\b|\bposici[óo]n de\b"
)

# A booking page's own name for the meeting (Calendly's "Event Name: …").
_BOOKING_NAME = re.compile(
    r"^\s*(?:event name|event type|nom de l['’][ée]v[ée]nement|nombre del evento|"
    r"name des termins|veranstaltungsname)\s*:\s*(?P<name>.+)$",
    re.IGNORECASE | re.MULTILINE,
)

_TOOL_FOOTER = rx(
    r"\b(?:sent|scheduled|powered|booked|delivered)\s+(?:via|with|by|through)\s+"
    r"(?P<tool>greenhouse|lever|ashby|goodtime|workday|smartrecruiters|icims|personio|"
    r"teamtailor|jobvite|workable|recruitee|bamboohr|softgarden|successfactors|taleo|"
    r"modernloop|gem|join)\b|"
    r"\b(?:gesendet|versendet|verschickt)\s+(?:über|mit|via)\s+(?P<tool_de>\w+)|"
    r"\b(?:envoy[ée]e?|programm[ée]e?)\s+(?:via|par|avec)\s+(?P<tool_fr>\w+)|"
    r"\b(?:enviado|programado)\s+(?:con|por|v[íi]a|desde)\s+(?P<tool_es>\w+)|"
    r"\bon behalf of\b.{0,40}\bvia\b|\bsent via (?P<tool_en>\w+) on behalf of\b"
)
_BOOKING_TOOL_NAMES = frozenset({"calendly", "doodle", "zoom", "cronofy"})

_PERSON_PAIR = re.compile(
    r"^\s*[\w .'-]+?\s*(/|<>|<->|\bx\b|×|&|\+|\band\b|\bund\b|\bet\b|\by\b)\s*[\w .'-]+?\s*$"
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
    title = meeting_title(event)
    for name, pattern in TITLE_VETOES:
        match = pattern.search(title)
        if match:
            return Detection(False, 0, (), vetoed_by=f'{name} ("{match.group(0)}" in the title)')
    signals = [
        *_title_signals(title, user),
        *_description_signals(event),
        *_participant_signals(event, user),
    ]
    score = sum(s.weight for s in signals)
    veto = _context_veto(event) or _internal_veto(event, title, user)
    if veto:
        return Detection(False, score, tuple(signals), vetoed_by=veto)
    return Detection(score >= THRESHOLD, score, tuple(signals))


def meeting_title(event: CalendarEvent) -> str:
    """The title, with a booking page's own name for the meeting when it has one."""
    booking = _BOOKING_NAME.search(event.description)
    return f"{event.title} | {booking.group('name').strip()}" if booking else event.title


def _addresses_candidate(text: str) -> bool:
    """Whether ``text`` speaks to the user as a candidate ("your application", "the Data
    Engineer role", "Ihre Bewerbung", "le poste de …")."""
    return bool(CANDIDATE.search(text) or _ROLE_PHRASE.search(text))


def _context_veto(event: CalendarEvent) -> str:
    if _addresses_candidate(f"{event.title}\n{event.description}"):
        return ""
    for name, pattern in CONTEXT_VETOES:
        match = pattern.search(event.description)
        if match:
            return f'{name} ("{" ".join(match.group(0).split())}")'
    return ""


def _internal_veto(event: CalendarEvent, title: str, user: UserIdentity) -> str:
    """An event among colleagues only whose title does not call it an interview: an intro
    call or a meeting about hiring at the user's own organisation. (Titled as one, it is
    an interview the user conducts.)"""
    if STAGE.search(title):
        return ""
    own = organisation_domains(user)
    others = [
        p
        for p in everyone(event)
        if p.email not in user.addresses
        and p.kind is not ParticipantKind.RESOURCE
        and not is_scheduling_tool(p.email)
    ]
    if not own or not others:
        return ""
    if all(p.domain in own for p in others):
        return "only colleagues at your own organisation are invited: an internal meeting"
    return ""


def _title_signals(title: str, user: UserIdentity) -> list[Signal]:
    signals: list[Signal] = []
    term = STAGE.search(title)
    if term:
        signals.append(Signal("interview wording in title", 4, f'"{term.group(0)}"'))
    else:
        loose = LOOSE_STAGE.search(title)
        if loose:
            signals.append(Signal("meeting wording in title", 2, f'"{loose.group(0)}"'))
    role = job_title_in(title)
    if role:
        signals.append(Signal("job title in title", 2, f'"{role.group(0)}"'))
    if not term and _names_user_and_another(title, user):
        signals.append(Signal("title pairs you with another person", 2, f'"{title.strip()}"'))
    return signals


def _names_user_and_another(title: str, user: UserIdentity) -> bool:
    first = title.split(" | ", 1)[0].rsplit(" – ", 1)[-1]
    if not _PERSON_PAIR.match(first):
        return False
    names = {part.casefold() for part in user.name.split() if len(part) > 1}
    words = {w.casefold() for w in re.findall(r"[\w'-]+", first)}
    return bool(names & words)


def _description_signals(event: CalendarEvent) -> list[Signal]:
    signals: list[Signal] = []
    description = event.description
    term = STAGE.search(description)
    if term:
        signals.append(Signal("interview wording in description", 2, f'"{term.group(0)}"'))
    context = sorted({m.group(0).casefold() for m in _JOB_CONTEXT.finditer(description)})
    if context:
        weight = min(len(context), 2)
        signals.append(Signal("hiring words in description", weight, ", ".join(context[:5])))
    candidate = CANDIDATE.search(description) or _ROLE_PHRASE.search(description)
    if candidate:
        shown = " ".join(candidate.group(0).split())
        signals.append(Signal("written to you as a candidate", 2, f'"{shown}"'))
    return signals


def _participant_signals(event: CalendarEvent, user: UserIdentity) -> list[Signal]:
    signals: list[Signal] = []
    hiring = sorted({p.email for p in everyone(event) if is_hiring_tool(p.email)})
    if not hiring:
        footer = _hiring_tool_footer(event.description) or _hiring_tool_link(event.description)
        hiring = [footer] if footer else []
    if hiring:
        signals.append(Signal("sent by a hiring tool", 3, ", ".join(hiring)))
    else:
        tools = sorted({p.email for p in everyone(event) if is_scheduling_tool(p.email)})
        if not tools and is_scheduling_tool_link(event.description):
            tools = ["a booking link in the description"]
        if tools:
            signals.append(Signal("booked through a scheduling tool", 1, ", ".join(tools)))
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


def _hiring_tool_footer(text: str) -> str:
    for match in _TOOL_FOOTER.finditer(text):
        tool = next((g for g in match.groups() if g), "")
        if not tool or (tool.casefold() in TOOL_NAMES - _BOOKING_TOOL_NAMES):
            return f'"{" ".join(match.group(0).split())}"'
    return ""


_HIRING_LINK = rx(
    r"https?://[\w.-]*(greenhouse\.io|lever\.co|ashbyhq\.com|goodtime\.io|"
    r"myworkday(?:jobs)?\.com|smartrecruiters\.com|icims\.com|jobvite\.com|teamtailor\.com|"
    r"personio\.(?:de|com)|workable\.com|recruitee\.com|bamboohr\.com|softgarden\.(?:io|de))"
)
_BOOKING_LINK = rx(r"https?://[\w.-]*(calendly\.com|youcanbook\.me|doodle\.com|cronofy\.com)")


def _hiring_tool_link(text: str) -> str:
    match = _HIRING_LINK.search(text)
    return f"a link to {match.group(1)}" if match else ""


def is_scheduling_tool_link(text: str) -> bool:
    """Whether ``text`` links to an applicant-tracking or scheduling service."""
    return _HIRING_LINK.search(text) is not None or _BOOKING_LINK.search(text) is not None


# ---- wording used by the skip rules ------------------------------------------------------

_NO_CONTACT_WORDING = rx(
    r"(do not|don['’]t|please don['’]t|refrain from|should not|must not|kindly avoid|avoid)"
    r"\s+(directly\s+)?(contact|contacting|reach(ing)? out to|email(ing)?|message|messaging)\s+"
    r"(directly\s+)?(any\s+)?(members? of\s+)?(the |your |any of the |our )?"
    r"(interviewers?|interview panel|panel(ists| members)?|hiring (team|manager))|"
    r"(interviewers?|panel(ists)?) (should|must|cannot|can ?not) not be contacted|"
    r"all (questions|communication)s? (should|must) go (through|via)|"
    r"kontaktieren sie (die |unsere )?(interviewer|gesprächspartner)\w* (bitte )?nicht|"
    r"bitte (keine|nicht) .{0,40}kontakt|von einer (direkten )?kontaktaufnahme .{0,40}abzusehen|"
    r"ne (pas|contactez pas) .{0,50}(recruteurs|intervenants|interviewers|jury|interlocuteurs)|"
    r"merci de ne pas contacter|"
    r"no contacte(s|n)? (directamente )?a (los|las) (entrevistador|miembros)|"
    r"por favor,? no (se ponga en contacto|contacte)|abstenerse de contactar|"
    r"le(s)? (rogamos|pedimos) que no contacte"
)


# The same request worded freely: a negation, "contact", then who, within one sentence
# ("ne pas contacter directement les membres du jury"), or who first ("die Interviewer
# bitte nicht direkt kontaktieren"). "Do not hesitate to contact" is the opposite.
_WHO = (
    r"(?:interviewer|panel|jury|gespr[äa]chspartner|entrevistador|intervenant|interlocuteur|"
    r"hiring manager|panelist|evaluador|personas que (?:te|le) entrevist)"
)
_NOT = r"(?:\b(?:not|never|nicht|keine?n?|ne|pas|no|nunca)\b|n['’]t\b)"
_HESITATE = r"(?!\s*(?:hesitat|z[öo]gern|h[ée]sit|dud|reply|antwort|r[ée]pond|respond))"
_CONTACT = r"(?:contact|kontakt|contacter|contactar|contacte|reach out|joindre|solliciter)"
_NO_CONTACT_NEAR = rx(
    rf"{_NOT}{_HESITATE}[^.!?\n]{{0,40}}?\b{_CONTACT}\w*[^.!?\n]{{0,50}}?\b{_WHO}|"
    rf"\b{_WHO}\w*[^.!?\n]{{0,40}}?{_NOT}[^.!?\n]{{0,30}}?{_CONTACT}"
)


def screen_wording(event: CalendarEvent) -> str | None:
    """The words that make the event read as a preliminary screen, if any."""
    title = meeting_title(event)
    match = SCREEN.search(title)
    if match is None and BEYOND_SCREEN.search(title) is None:
        match = SCREEN.search(event.description)
    return match.group(0) if match else None


def no_contact_wording(event: CalendarEvent) -> str | None:
    """The words by which the invitation asks candidates not to contact interviewers."""
    text = " ".join(event.description.split())
    match = _NO_CONTACT_WORDING.search(text) or _NO_CONTACT_NEAR.search(text)
    return match.group(0) if match else None
