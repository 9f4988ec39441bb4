"""iCalendar documents → ``CalendarEvent`` occurrences.

Recurring events are expanded with ``recurring_ical_events``; times without a zone
(floating times, DATE values, unknown TZIDs without a VTIMEZONE) are read in the user's
time zone. ``icalendar`` resolves IANA TZIDs without a VTIMEZONE and Windows zone names
(``W. Europe Standard Time``) itself, and ``recurring_ical_events`` applies
``X-WR-TIMEZONE``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from daemon.domain.model import (
    CalendarEvent,
    EventStatus,
    Participant,
    ParticipantKind,
    Response,
    UserIdentity,
    instance_key,
)
from daemon.errors import SourceUnreadable

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


def events_from_ics(
    data: bytes, user: UserIdentity, window_start: datetime, window_end: datetime
) -> list[CalendarEvent]:
    """Every occurrence in the iCalendar document ``data`` overlapping the window.

    ``calendar`` is left empty for the caller to set. Raises ``SourceUnreadable`` with a
    one-line message when ``data`` is not a readable iCalendar document.
    """
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
        if not calendars:
            raise ValueError("no VCALENDAR found")
        events: list[CalendarEvent] = []
        for cal in calendars:
            events.extend(_calendar_events(cal, user, window_start, window_end))
    except Exception as error:
        # Third-party parsers fail on strangers' data in many ways; all mean "unreadable".
        raise SourceUnreadable(_one_line(error)) from error
    return events


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _calendar_events(
    cal: Any, user: UserIdentity, window_start: datetime, window_end: datetime
) -> Iterable[CalendarEvent]:
    if not isinstance(cal, icalendar.Calendar):
        raise ValueError(f"expected a VCALENDAR, found {getattr(cal, 'name', '?')}")
    cancelled = str(cal.get("METHOD", "")).upper() == "CANCEL"
    recurring = _recurring_uids(cal)
    query = recurring_ical_events.of(cal)
    for component in query.between(window_start - _MARGIN, window_end + _MARGIN):
        event = _event(component, user, recurring, cancelled)
        if overlaps(event.start, event.end, window_start, window_end):
            yield event


def overlaps(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> bool:
    """Whether ``[start, end)`` overlaps ``[window_start, window_end)``.

    A zero-length event overlaps when its start lies in the window.
    """
    if end <= start:
        return window_start <= start < window_end
    return start < window_end and end > window_start


def _recurring_uids(cal: Any) -> set[str]:
    """UIDs of events that are a series (a rule, dates, or overridden occurrences)."""
    return {
        str(vevent.get("UID", ""))
        for vevent in cal.walk("VEVENT")
        if any(name in vevent for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    }


def _event(vevent: Any, user: UserIdentity, recurring: set[str], cancelled: bool) -> CalendarEvent:
    uid = _text(vevent, "UID")
    if not uid:
        raise ValueError("an event has no UID")
    start, end, all_day = _times(vevent, user.timezone)
    instance = _instance(vevent, user.timezone) if uid in recurring else ""
    # An organizer rarely carries a PARTSTAT; they attend what they organize.
    organizer = _participant(vevent.get("ORGANIZER"), Response.ACCEPTED)
    attendees = tuple(
        p for p in (_participant(a) for a in _as_list(vevent.get("ATTENDEE"))) if p is not None
    )
    user_is_organizer = organizer is not None and organizer.email in user.addresses
    return CalendarEvent(
        uid=uid,
        title=_text(vevent, "SUMMARY"),
        start=start,
        end=end,
        instance=instance,
        description=_text(vevent, "DESCRIPTION"),
        location=_text(vevent, "LOCATION"),
        all_day=all_day,
        organizer=organizer,
        attendees=attendees,
        status=_status(vevent, cancelled),
        user_response=_user_response(attendees, user, user_is_organizer),
        user_is_organizer=user_is_organizer,
        conference_url=_conference_url(vevent),
        source_id=f"{uid}/{instance}" if instance else uid,
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(vevent: Any, name: str) -> str:
    values = _as_list(vevent.get(name))
    return str(values[0]).strip() if values else ""


def aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    """``value`` as an aware datetime: floating times and dates are read in ``zone``."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(), tzinfo=zone)


def _times(vevent: Any, zone: ZoneInfo) -> tuple[datetime, datetime, bool]:
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


def recurrence_instance(value: date | datetime, zone: ZoneInfo) -> str:
    """The ``instance`` of an occurrence: its original start in ISO 8601 UTC.

    ``2025-03-24T10:00:00Z`` for timed occurrences, ``2025-03-24`` for all-day ones.
    """
    return instance_key(aware(value, zone) if isinstance(value, datetime) else value)


def _instance(vevent: Any, zone: ZoneInfo) -> str:
    recurrence_id = vevent.get("RECURRENCE-ID")
    original = recurrence_id.dt if recurrence_id is not None else vevent["DTSTART"].dt
    return recurrence_instance(original, zone)


def _email(value: Any) -> str:
    text = "".join(str(value).split())
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.lower()


def _param(value: Any, name: str) -> str:
    params = getattr(value, "params", {})
    return str(params.get(name, "")).strip()


def _participant(value: Any, default: Response = Response.NEEDS_ACTION) -> Participant | None:
    if value is None:
        return None
    address = _email(value)
    if not address:
        return None
    return Participant(
        email=address,
        name=" ".join(_param(value, "CN").strip('"').split()),
        kind=_KINDS.get(_param(value, "CUTYPE").upper(), ParticipantKind.PERSON),
        required=_param(value, "ROLE").upper() not in _OPTIONAL_ROLES,
        response=_RESPONSES.get(_param(value, "PARTSTAT").upper(), default),
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
