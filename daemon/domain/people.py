"""Who is who on an invitation: the user, interviewers, and everyone who is neither."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from interview_outreach.daemon.domain.language import words
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    Exclusion,
    Participant,
    ParticipantKind,
    UserIdentity,
)

# Free mail providers: a colleague there is not "at the user's organisation".
PUBLIC_MAIL_DOMAINS: frozenset[str] = words(
    """
    gmail.com googlemail.com outlook.com hotmail.com hotmail.co.uk live.com msn.com yahoo.com
    yahoo.co.uk yahoo.fr yahoo.de icloud.com me.com mac.com aol.com proton.me protonmail.com
    pm.me gmx.de gmx.net gmx.com web.de t-online.de mail.com yandex.com yandex.ru zoho.com
    fastmail.com hey.com orange.fr free.fr laposte.net sfr.fr libero.it qq.com 163.com
    tutanota.com posteo.de mailbox.org telefonica.net hotmail.es outlook.de outlook.fr
    outlook.es
    """
)

# Applicant-tracking tools that send interview invitations on an employer's behalf.
HIRING_TOOL_DOMAINS: frozenset[str] = words(
    """
    greenhouse.io greenhouse-mail.io lever.co hire.lever.co ashbyhq.com goodtime.io workday.com
    myworkday.com smartrecruiters.com icims.com jobvite.com teamtailor.com teamtailor-mail.com
    personio.de personio.com workable.com recruitee.com bamboohr.com modernloop.io gem.com
    paradox.ai hirevue.com successfactors.com taleo.net jazzhr.com breezy.hr pinpointhq.com
    join.com softgarden.io softgarden.de welcometothejungle.com
    """
)

# Every tool that sends invitations for someone: hiring tools and general booking tools.
SCHEDULING_TOOL_DOMAINS: frozenset[str] = HIRING_TOOL_DOMAINS | words(
    """
    calendly.com cronofy.com doodle.com youcanbook.me rippling.com
    calendar-notification.google.com hubspot.com zoom.us
    """
)

_RESOURCE_DOMAIN_HINTS = ("resource.calendar.google.com", "group.calendar.google.com")

_NO_REPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|notifications?|notify|calendar|scheduling|"
    r"scheduler|invites?|invitations?|mailer-daemon|postmaster|bounces?|automated|system|"
    r"no[-_.]?responder|ne[-_.]?pas[-_.]?r[eé]pondre|nicht[-_.]?antworten|keine[-_.]?antwort)"
    r"([-_.+].*)?$"
)

# Shared role mailboxes: writing "Dear careers" would embarrass the user.
_ROLE_MAILBOX = re.compile(
    r"^(careers?|jobs?|recruiting|recruitment|recruiters?|talent|talent[-_.]?acquisition|ta|"
    r"hr|people|peopleops|hiring|candidates?|apply|applications?|karriere|bewerbung(en)?|"
    r"personal|personalabteilung|stellen|emplois?|recrutement|candidatures?|rh|drh|"
    r"rrhh|recursos[-_.]?humanos|reclutamiento|seleccion|talento|empleos?|trabajo|vacantes|"
    r"info|hello|contact|team|office|admin|support|"
    r"interviews?|interviewing|coordinator|scheduling[-_.]?team)([-_.+].*)?$"
)


def _domain_matches(domain: str, domains: Iterable[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)


def is_public_domain(domain: str) -> bool:
    """Whether ``domain`` belongs to a free mail provider rather than an organisation."""
    return domain in PUBLIC_MAIL_DOMAINS


def is_hiring_tool(address: str) -> bool:
    """Whether ``address`` belongs to an applicant-tracking service."""
    return _domain_matches(address.rpartition("@")[2], HIRING_TOOL_DOMAINS)


def is_scheduling_tool(address: str) -> bool:
    """Whether ``address`` belongs to an applicant-tracking or scheduling service."""
    return _domain_matches(address.rpartition("@")[2], SCHEDULING_TOOL_DOMAINS)


# What scheduling tools are called when they sign an invitation with their own name.
TOOL_NAMES: frozenset[str] = words(
    """
    greenhouse lever ashby goodtime workday smartrecruiters icims personio teamtailor jobvite
    workable recruitee bamboohr softgarden successfactors taleo modernloop calendly doodle zoom
    cronofy
    """
)


def is_shared_sender(address: str) -> bool:
    """Whether ``address`` sends for an organisation rather than for one person: a
    scheduling tool, a no-reply address or a shared role mailbox."""
    local = address.partition("@")[0]
    return (
        is_scheduling_tool(address)
        or _NO_REPLY.match(local) is not None
        or _ROLE_MAILBOX.match(local) is not None
    )


def organisation_domains(user: UserIdentity) -> frozenset[str]:
    """The user's own non-public domains: people there are the user's colleagues."""
    return frozenset(d for d in user.domains if not is_public_domain(d))


def exclusion_reason(person: Participant, user: UserIdentity) -> str | None:
    """Why ``person`` is not an interviewer, or ``None`` when they are one."""
    local, _, domain = person.email.partition("@")
    if person.email in user.addresses:
        return "that is you"
    if not domain:
        return "no usable address"
    if person.kind is ParticipantKind.RESOURCE or _domain_matches(domain, _RESOURCE_DOMAIN_HINTS):
        return "a room or other resource"
    if person.kind is ParticipantKind.GROUP:
        return "a group, not a person"
    if is_scheduling_tool(person.email):
        return "a scheduling tool's address"
    if _NO_REPLY.match(local):
        return "a no-reply address"
    if _ROLE_MAILBOX.match(local):
        return "a shared role mailbox, not a person"
    if domain in organisation_domains(user):
        return "a colleague at your own organisation"
    return None


def everyone(event: CalendarEvent) -> list[Participant]:
    """Organizer first, then attendees, each address once."""
    seen: set[str] = set()
    people: list[Participant] = []
    for person in ([event.organizer] if event.organizer else []) + list(event.attendees):
        if person.email and person.email not in seen:
            seen.add(person.email)
            people.append(person)
    return people


def split_participants(
    event: CalendarEvent, user: UserIdentity
) -> tuple[tuple[Participant, ...], tuple[Exclusion, ...]]:
    """The interviewers of ``event`` and, separately, everyone else with the reason."""
    interviewers: list[Participant] = []
    excluded: list[Exclusion] = []
    for person in everyone(event):
        reason = exclusion_reason(person, user)
        if reason is None:
            interviewers.append(person)
        else:
            excluded.append(Exclusion(person.email, reason))
    return tuple(interviewers), (*excluded, *event.invalid_contacts)


def employer_domain(event: CalendarEvent, user: UserIdentity) -> str:
    """The most common organisation domain on the invitation that is not the user's own."""
    own = user.domains
    domains = [
        p.domain
        for p in everyone(event)
        if p.domain
        and p.domain not in own
        and not is_public_domain(p.domain)
        and not is_scheduling_tool(p.email)
        and not _domain_matches(p.domain, _RESOURCE_DOMAIN_HINTS)
    ]
    if not domains:
        return ""
    return Counter(domains).most_common(1)[0][0]


ENGLISH_HONORIFICS = "dr|prof|mr|mrs|ms|mx"
"""Honorifics written before a name in English (and so in invitations in any language), as a
regular-expression alternation, without their dots."""

HONORIFICS = ENGLISH_HONORIFICS + "|herr|frau|mme|mlle|m|monsieur|madame|sr|sra|srta|don|doña"
"""The same, with the German, French and Spanish ones."""


def display_name(person: Participant) -> str:
    """The person's name as written on the invitation, or one guessed from the address."""
    name = " ".join(person.name.replace('"', "").split())
    if name and "@" not in name:
        if "," in name:  # "Doe, Jane" as directory services write it
            last, _, first = name.partition(",")
            name = f"{first.strip()} {last.strip()}".strip()
        return name
    local = person.email.partition("@")[0]
    parts = [p for p in re.split(r"[._-]+", local) if p.isalpha()]
    if len(parts) >= 2 and all(len(p) > 1 for p in parts):
        return " ".join(p.capitalize() for p in parts)
    return ""
