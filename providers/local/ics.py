"""iCalendar documents → ``CalendarEvent`` occurrences, bounded against hostile input.

A document is split into its VCALENDARs, VTIMEZONEs and VEVENTs as text before anything
is parsed (``ics_text``), so that one bad component costs only itself:

- Time zones. Each ``TZID`` is resolved by ``zones``; an unknown one is read in the user's
  zone, as floating times and dates are. VTIMEZONE text never reaches icalendar, whose
  process-wide cache would keep the first definition of a TZID for every later document.
- Events. The VEVENTs of one UID (a series and its moved occurrences) are read together,
  apart from every other UID; one that cannot be read is skipped and named in
  ``IcsReading.problems``, and the rest of the document is still read.
- Recurrence. Rules are expanded by ``recurrence``, lazily and only across the window
  asked for, then handed to ``recurring_ical_events`` as plain dates (RDATE) to apply
  exceptions and moved occurrences. A rule repeating more often than
  ``MIN_RECURRENCE_INTERVAL`` is not expanded at all, and one series yields at most
  ``MAX_INSTANCES_PER_SERIES`` occurrences. ``X-WR-TIMEZONE`` is applied before rules are
  expanded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import icalendar
import recurring_ical_events
import x_wr_timezone  # type: ignore[import-untyped]

from interview_outreach.daemon.domain.addresses import Contacts, shown, without_controls
from interview_outreach.daemon.domain.limits import (
    MAX_ATTENDEES_PER_EVENT,
    MAX_INSTANCES_PER_SERIES,
    MIN_RECURRENCE_INTERVAL,
)
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    EventStatus,
    Participant,
    ParticipantKind,
    Response,
    UserIdentity,
    instance_key,
)
from interview_outreach.daemon.errors import SourceUnreadable
from interview_outreach.providers.local.ics_text import (
    CalendarText,
    Component,
    calendars,
    own_lines,
    parameter,
    property_value,
    split_line,
    top_level,
)
from interview_outreach.providers.local.reading import IcsReading, overlaps
from interview_outreach.providers.local.recurrence import Budget, Skipped, TooFrequent, rule_dates
from interview_outreach.providers.local.zones import Zones, zone_named

_log = logging.getLogger(__name__)

_KINDS = {
    "INDIVIDUAL": ParticipantKind.PERSON,
    "ROOM": ParticipantKind.RESOURCE,
    "RESOURCE": ParticipantKind.RESOURCE,
    "GROUP": ParticipantKind.GROUP,
    "UNKNOWN": ParticipantKind.UNKNOWN,
}
_RESPONSES = {
    "ACCEPTED": Response.ACCEPTED,
    "DECLINED": Response.DECLINED,
    "TENTATIVE": Response.TENTATIVE,
    "NEEDS-ACTION": Response.NEEDS_ACTION,
    # Whoever delegated the invitation will not attend themselves.
    "DELEGATED": Response.DECLINED,
}
_OPTIONAL_ROLES = frozenset({"OPT-PARTICIPANT", "NON-PARTICIPANT"})
_CONFERENCE_PROPERTIES = ("X-GOOGLE-CONFERENCE", "X-MICROSOFT-SKYPETEAMSMEETINGURL")
_CONFERENCE_HOSTS = (
    "zoom.us",
    "meet.google.com",
    "teams.microsoft.com",
    "teams.live.com",
    "webex.com",
)
_URL = re.compile(r"https://[^\s<>\"'()\[\]]+", re.IGNORECASE)
# recurring_ical_events compares floating and DATE values in its own way; ask it for a
# wider window and apply the exact one after times are read in the user's zone.
_MARGIN = timedelta(days=2)

# Bound of this reader; a candidate for daemon.domain.limits.
_MAX_PROBLEMS = 5
"""Problems named for one document; the rest are counted."""

_CONTACT_PROPERTIES = frozenset({"ORGANIZER", "ATTENDEE"})
# Stands in, inside the reader only, for a contact line icalendar cannot read.
_UNREADABLE_CONTACT = "X-INTERVIEW-OUTREACH-UNREADABLE-CONTACT"
_ZONED_PROPERTIES = frozenset({"DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE", "DUE"})


def read_ics(
    data: bytes,
    user: UserIdentity,
    window_start: datetime,
    window_end: datetime,
    source: str = "",
) -> IcsReading:
    """Every occurrence in the iCalendar document ``data`` overlapping the window.

    ``calendar`` is left empty for the caller to set; ``source`` names the document in
    log lines. What cannot be read is skipped and named in ``problems``. Raises
    ``SourceUnreadable`` only when ``data`` holds no VCALENDAR at all.
    """
    found = calendars(data)
    if not found:
        raise SourceUnreadable("no VCALENDAR found")
    window = _Window(window_start, window_end)
    problems = _Problems()
    budget = Budget()
    events: list[CalendarEvent] = []
    for text in found:
        events.extend(_read_calendar(text, user, window, problems, budget, source))
    return IcsReading(tuple(events), problems.lines())


def events_from_ics(
    data: bytes, user: UserIdentity, window_start: datetime, window_end: datetime
) -> list[CalendarEvent]:
    """Every occurrence in ``data`` overlapping the window, or nothing at all.

    The strict form of :func:`read_ics`: raises ``SourceUnreadable`` with a one-line
    message when any part of ``data`` could not be read.
    """
    reading = read_ics(data, user, window_start, window_end)
    if reading.problems:
        raise SourceUnreadable(reading.problems[0])
    return list(reading.events)


def aware(value: date | datetime, zone: tzinfo) -> datetime:
    """``value`` as an aware datetime: floating times and dates are read in ``zone``."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(), tzinfo=zone)


def recurrence_instance(value: date | datetime, zone: tzinfo) -> str:
    """The ``instance`` of an occurrence: its original start in ISO 8601 UTC.

    ``2025-03-24T10:00:00Z`` for timed occurrences, ``2025-03-24`` for all-day ones.
    """
    return instance_key(aware(value, zone) if isinstance(value, datetime) else value)


# --- what one document is read with -------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime


class _Problems:
    """What of one document could not be read: the first few named, the rest counted."""

    def __init__(self) -> None:
        self._kept: list[str] = []
        self._more = 0

    def add(self, line: str) -> None:
        if len(self._kept) < _MAX_PROBLEMS:
            self._kept.append(line)
        else:
            self._more += 1

    def event(self, uid: str, reason: str) -> None:
        self.add(f"event '{shown(uid)}' skipped: {reason}" if uid else f"event skipped: {reason}")

    def lines(self) -> tuple[str, ...]:
        """At most one line for the whole document."""
        more = [f"{self._more} more"] if self._more else []
        return ("; ".join(self._kept + more),) if self._kept else ()


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every event of one VCALENDAR is read with."""

    user: UserIdentity
    window: _Window
    zones: Zones
    wall_zone: tzinfo | None  # X-WR-TIMEZONE, resolved
    cancelled: bool
    source: str
    budget: Budget


def _read_calendar(
    text: CalendarText,
    user: UserIdentity,
    window: _Window,
    problems: _Problems,
    budget: Budget,
    source: str,
) -> list[CalendarEvent]:
    if not text.complete:
        problems.add("no END:VCALENDAR: the file ends early")
    if text.unreadable_lines:
        problems.add(f"{text.unreadable_lines} unreadable lines outside any event")
    scale = property_value(text.properties, "CALSCALE").upper()
    if scale not in ("", "GREGORIAN"):
        problems.add(f"calendar scale {shown(scale)} is not read")
        return []
    zones = Zones(text.timezones, source)
    wall = property_value(text.properties, "X-WR-TIMEZONE")
    context = _Context(
        user=user,
        window=window,
        zones=zones,
        wall_zone=zone_named(wall) if wall else None,
        cancelled=property_value(text.properties, "METHOD").upper() == "CANCEL",
        source=source or "calendar",
        budget=budget,
    )
    events: list[CalendarEvent] = []
    for uid, components in _by_uid(text.events, problems).items():
        events.extend(_read_series(uid, components, context, problems))
    return events


def _by_uid(components: list[Component], problems: _Problems) -> dict[str, list[Component]]:
    """The VEVENTs of each UID, in the order the UIDs first appear."""
    groups: dict[str, list[Component]] = {}
    for component in components:
        uid = property_value((line for _, line in own_lines(component)), "UID")
        if not component.complete:
            problems.event(uid, "no END:VEVENT: the file ends inside it")
        elif not uid:
            problems.event("", "no UID")
        else:
            groups.setdefault(uid, []).append(component)
    return groups


def _read_series(
    uid: str, components: list[Component], context: _Context, problems: _Problems
) -> list[CalendarEvent]:
    """The occurrences of one UID; nothing it raises leaves here."""
    try:
        parsed = [
            vevent
            for component in components
            if (vevent := _parse_event(uid, component, context, problems)) is not None
        ]
        if not parsed:
            return []
        context.budget.check()
        found = _occurrences(uid, parsed, context)
        context.budget.occurrences -= len(found)
        return found
    except TooFrequent:
        _log.info(
            "%s: event '%s' repeats more often than every %s; not expanded, no events read",
            context.source,
            shown(uid),
            MIN_RECURRENCE_INTERVAL,
        )
        return []
    except Exception as error:
        # Third-party parsers fail on strangers' data in many ways; all mean "unreadable".
        problems.event(uid, _one_line(error))
        return []


def _parse_event(
    uid: str, component: Component, context: _Context, problems: _Problems
) -> Any | None:
    """One VEVENT as icalendar reads it, its times in their zones; ``None`` if unreadable."""
    try:
        text = "\r\n".join(_prepared_lines(component, context.zones))
        vevent = icalendar.Event.from_ical(text)
        _localize(vevent, context.zones)
        _check(vevent)
    except Exception as error:
        problems.event(uid, _one_line(error))
        return None
    return vevent


def _prepared_lines(component: Component, zones: Zones) -> list[str]:
    """The component's lines with at most MAX_ATTENDEES_PER_EVENT attendees and each
    TZID of a time replaced by the IANA name it resolves to."""
    lines = list(component.lines)
    dropped: set[int] = set()
    attendees = 0
    for index, name in top_level(component):
        if name == "ATTENDEE":
            attendees += 1
            if attendees > MAX_ATTENDEES_PER_EVENT:
                dropped.add(index)
                continue
        if name in _CONTACT_PROPERTIES:
            lines[index] = _readable_contact(lines[index])
        elif name in _ZONED_PROPERTIES and "TZID" in lines[index].upper():
            lines[index] = _with_zone_key(lines[index], zones)
    return [line for index, line in enumerate(lines) if index not in dropped]


def _readable_contact(line: str) -> str:
    """An ORGANIZER or ATTENDEE line icalendar can read, or one naming it as unreadable.

    icalendar drops a whole property whose parameters hold a control character or an
    unbalanced quote, with no error the reader sees; the invitation would then seem to
    have no interviewer. Controls in the parameters become spaces (the name is cleaned
    later); a line that still cannot be read is kept as an unreadable contact, so that
    ``explain`` names it instead of saying nobody was invited.
    """
    name, params, value = split_line(line)
    if params and not line[: len(line) - len(value)].isprintable():
        params = [without_controls(param) for param in params]
        line = f"{name};{';'.join(params)}:{value}"
    try:
        icalendar.parser.Contentline(line).parts()  # type: ignore[no-untyped-call]
    except Exception:
        entry = without_controls(value or line)[:200]
        return f"{_UNREADABLE_CONTACT}:{entry}"
    return line


def _with_zone_key(line: str, zones: Zones) -> str:
    name, params, value = split_line(line)
    tzid = parameter(params, "TZID")
    key = zones.key(tzid) if tzid else ""
    if not key or key == tzid:
        return line
    params = [f"TZID={key}" if p.partition("=")[0].strip().upper() == "TZID" else p for p in params]
    return f"{name};{';'.join(params)}:{value}"


def _localize(vevent: Any, zones: Zones) -> None:
    """Each time with a TZID in the zone this reader resolves it to (unknown: floating)."""
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "DUE"):
        value = vevent.get(name)
        if isinstance(value, icalendar.vDDDTypes):
            _relocate(value, value.params.get("TZID"), zones)
    for name in ("EXDATE", "RDATE"):
        for values in _as_list(vevent.get(name)):
            if isinstance(values, icalendar.vDDDLists):
                tzid = values.params.get("TZID")
                for value in values.dts:
                    _relocate(value, tzid, zones)


def _relocate(value: Any, tzid: Any, zones: Zones) -> None:
    if not tzid:
        return
    zone = zones.zone(str(tzid))
    moved = value.dt
    if isinstance(moved, datetime):
        value.dt = moved.replace(tzinfo=zone)
    elif isinstance(moved, tuple):
        value.dt = tuple(
            part.replace(tzinfo=zone) if isinstance(part, datetime) else part for part in moved
        )


def _check(vevent: Any) -> None:
    start = vevent.get("DTSTART")
    if start is None:
        raise Skipped("no DTSTART")
    if not isinstance(start, icalendar.vDDDTypes) or not isinstance(start.dt, date):
        raise Skipped("unreadable DTSTART")
    for name in ("DTEND", "RECURRENCE-ID"):
        value = vevent.get(name)
        if value is not None and not isinstance(getattr(value, "dt", None), date):
            raise Skipped(f"unreadable {name}")


def _occurrences(uid: str, vevents: list[Any], context: _Context) -> list[CalendarEvent]:
    series = icalendar.Calendar()
    for vevent in vevents:
        series.add_component(vevent)
    if context.wall_zone is not None:
        series = x_wr_timezone.to_standard(series, timezone=context.wall_zone)
    recurring = any(
        name in vevent
        for vevent in series.walk("VEVENT")
        for name in ("RRULE", "RDATE", "RECURRENCE-ID")
    )
    # An excluded or moved occurrence makes room for one more of the rule's.
    spare = sum(
        1 if "RECURRENCE-ID" in vevent else sum(len(x.dts) for x in _exdates(vevent))
        for vevent in series.walk("VEVENT")
    )
    for vevent in series.walk("VEVENT"):
        if "RRULE" in vevent and "RECURRENCE-ID" not in vevent:
            _rules_as_dates(vevent, context, MAX_INSTANCES_PER_SERIES + spare)
    window = context.window
    query = recurring_ical_events.of(series)
    found = []
    for component in query.between(window.start - _MARGIN, window.end + _MARGIN):
        event = _event(uid, component, context, recurring)
        if overlaps(event.start, event.end, window.start, window.end):
            found.append(event)
    found.sort(key=lambda e: (e.start, e.instance))
    return found[:MAX_INSTANCES_PER_SERIES]


def _exdates(vevent: Any) -> list[Any]:
    return [x for x in _as_list(vevent.get("EXDATE")) if isinstance(x, icalendar.vDDDLists)]


def _rules_as_dates(vevent: Any, context: _Context, wanted: int) -> None:
    """Replace the event's RRULEs with the dates they give near the window (RDATE): those
    starting before it that may still overlap it, and the first ``wanted`` inside it."""
    first, end, _ = _times(vevent, context.user.timezone)
    window = context.window
    dates = rule_dates(
        _as_list(vevent.get("RRULE")),
        vevent["DTSTART"].dt,
        end - first,
        low=window.start - _MARGIN,
        high=window.end + _MARGIN,
        inside=window.start,
        wanted=wanted,
        floating=context.user.timezone,
        budget=context.budget,
    )
    del vevent["RRULE"]
    if dates:
        vevent.add("RDATE", icalendar.vDDDLists(dates), encode=False)


# --- one occurrence -------------------------------------------------------------------------


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _event(uid: str, vevent: Any, context: _Context, recurring: bool) -> CalendarEvent:
    user = context.user
    start, end, all_day = _times(vevent, user.timezone)
    instance = _instance(vevent, user.timezone) if recurring else ""
    contacts = Contacts()
    # An organizer rarely carries a PARTSTAT; they attend what they organize.
    organizer = _participant(contacts, _first(vevent.get("ORGANIZER")), Response.ACCEPTED)
    for entry in _as_list(vevent.get(_UNREADABLE_CONTACT)):
        contacts.unreadable(str(entry), "unreadable attendee or organizer entry")
    attendees: list[Participant] = []
    for value in _as_list(vevent.get("ATTENDEE")):
        if contacts.full:
            break
        attendee = _participant(contacts, value)
        if attendee is not None:
            attendees.append(attendee)
    user_is_organizer = organizer is not None and organizer.email in user.addresses
    return CalendarEvent(
        uid=_text(vevent, "UID") or uid,
        title=_text(vevent, "SUMMARY"),
        start=start,
        end=end,
        instance=instance,
        description=_text(vevent, "DESCRIPTION"),
        location=_text(vevent, "LOCATION"),
        all_day=all_day,
        organizer=organizer,
        attendees=tuple(attendees),
        status=_status(vevent, context.cancelled),
        user_response=_user_response(tuple(attendees), user, user_is_organizer),
        user_is_organizer=user_is_organizer,
        conference_url=_conference_url(vevent),
        source_id=f"{uid}/{instance}" if instance else uid,
        invalid_contacts=tuple(contacts.invalid),
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    values = _as_list(value)
    return values[0] if values else None


def _text(vevent: Any, name: str) -> str:
    values = _as_list(vevent.get(name))
    return str(values[0]).strip() if values else ""


def _times(vevent: Any, zone: tzinfo) -> tuple[datetime, datetime, bool]:
    raw_start = vevent["DTSTART"].dt
    all_day = not isinstance(raw_start, datetime)
    start = aware(raw_start, zone)
    if "DTEND" in vevent:
        end = aware(vevent["DTEND"].dt, zone)
    elif "DURATION" in vevent:
        end = start + vevent["DURATION"].dt
    else:
        end = start + (timedelta(days=1) if all_day else timedelta())
    if all_day:
        # Wall-clock midnights, also across a DST change inside a multi-day event.
        end = datetime.combine(end.date(), time(), tzinfo=zone)
    return start, max(start, end), all_day


def _instance(vevent: Any, zone: tzinfo) -> str:
    recurrence_id = vevent.get("RECURRENCE-ID")
    original = recurrence_id.dt if recurrence_id is not None else vevent["DTSTART"].dt
    return recurrence_instance(original, zone)


_FOLDING = re.compile(r"[ \t\r\n]+")


def _parameter(value: Any, name: str) -> str:
    params = getattr(value, "params", {})
    return str(params.get(name, "")).strip()


def _participant(
    contacts: Contacts, value: Any, default: Response = Response.NEEDS_ACTION
) -> Participant | None:
    if value is None:
        return None
    # Folding can leave spaces, tabs or line breaks inside an address; they are never part
    # of one. Other characters str.split() takes for white space (\x1c-\x1f) are controls
    # that must reach the address check, not vanish before it.
    address = _FOLDING.sub("", str(value))
    if not address or address.lower() == "mailto:":
        return None
    return contacts.person(
        address,
        _parameter(value, "CN").strip('"'),
        kind=_KINDS.get(_parameter(value, "CUTYPE").upper(), ParticipantKind.PERSON),
        required=_parameter(value, "ROLE").upper() not in _OPTIONAL_ROLES,
        response=_RESPONSES.get(_parameter(value, "PARTSTAT").upper(), default),
    )


def _status(vevent: Any, cancelled: bool) -> EventStatus:
    status = _text(vevent, "STATUS").upper()
    if cancelled or status == "CANCELLED":
        return EventStatus.CANCELLED
    if status == "TENTATIVE":
        return EventStatus.TENTATIVE
    return EventStatus.CONFIRMED


def _user_response(
    attendees: tuple[Participant, ...], user: UserIdentity, user_is_organizer: bool
) -> Response:
    if user_is_organizer:
        return Response.ACCEPTED
    for attendee in attendees:
        if attendee.email in user.addresses:
            return attendee.response
    return Response.NEEDS_ACTION


def _conference_url(vevent: Any) -> str:
    for name in _CONFERENCE_PROPERTIES:
        value = _text(vevent, name)
        if value:
            return value
    for text in (_text(vevent, "LOCATION"), _text(vevent, "DESCRIPTION")):
        for match in _URL.finditer(text):
            url = match.group(0).rstrip(".,;:!?")
            host = url[len("https://") :].split("/", 1)[0].split("?", 1)[0].lower()
            if any(host == h or host.endswith("." + h) for h in _CONFERENCE_HOSTS):
                return url
    return ""
