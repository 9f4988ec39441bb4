"""iCalendar documents → ``CalendarEvent`` occurrences, bounded against hostile input.

A document is split into its VCALENDARs, VTIMEZONEs and VEVENTs as text before anything
is parsed, so that one bad component costs only itself:

- Time zones. A ``TZID`` is read as an IANA name, a Windows name (``W. Europe Standard
  Time``), an Outlook display name (``(UTC+01:00) Amsterdam, Berlin, …``), the document's
  own VTIMEZONE when its rules are plausible (yearly, few), or the ``(UTC+hh:mm)`` prefix of
  its name, in that order; an unknown one is read in the user's zone, as floating times
  and dates are. VTIMEZONE text never reaches icalendar, whose process-wide cache would
  keep the first definition of a TZID for every later document.
- Events. The VEVENTs of one UID (a series and its moved occurrences) are read together,
  apart from every other UID; one that cannot be read is skipped and named in
  ``IcsReading.problems``, and the rest of the document is still read.
- Recurrence. Rules are expanded here, lazily and only across the window asked for, then
  handed to ``recurring_ical_events`` as plain dates (RDATE) to apply exceptions and moved
  occurrences. A rule repeating more often than ``MIN_RECURRENCE_INTERVAL`` is not
  expanded at all, and one series yields at most ``MAX_INSTANCES_PER_SERIES`` occurrences.
  ``X-WR-TIMEZONE`` is applied before rules are expanded.
"""

from __future__ import annotations

import calendar
import itertools
import logging
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
import x_wr_timezone  # type: ignore[import-untyped]
from dateutil import rrule as dateutil_rrule  # type: ignore[import-untyped]
from dateutil.tz import tzical  # type: ignore[import-untyped]
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from daemon.domain.addresses import Contacts, shown
from daemon.domain.limits import (
    MAX_ATTENDEES_PER_EVENT,
    MAX_INSTANCES_PER_SERIES,
    MIN_RECURRENCE_INTERVAL,
)
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

_log = logging.getLogger(__name__)
# icalendar's date-time type, whose parser carries no annotations.
_DATE_TIME: Any = icalendar.vDDDTypes

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

# Bounds of this reader; candidates for daemon.domain.limits.
_MAX_PROBLEMS = 5
"""Problems named for one document; the rest are counted."""
_MAX_RULE_STEPS = 10_000
"""Occurrences one rule may be stepped through to cover one window; each step of an
hourly or daily rule with BYDAY counts 8 (dateutil looks at every day): about 60 ms."""
_FILTERED_DAY_STEP = 8
_MAX_RULE_OCCURRENCES = 2_000
"""Occurrences of one rule looked at for one window; an hourly rule has about 1,300."""
_MAX_DOCUMENT_STEPS = 50_000
"""Steps all rules of one document may take together: five rules at their bound, hundreds
of hourly ones, thousands of daily or weekly ones."""
_MAX_DOCUMENT_OCCURRENCES = 3_000
"""Occurrences read from one document in one window (about half a second of work); a
personal calendar has a few hundred in the look-ahead window."""
_MAX_COUNTED_PERIODS = 5_000
"""Months or years a monthly or yearly rule with COUNT may be walked from its start."""
_MAX_LOOKBACK = timedelta(days=366)
"""How long before the window an occurrence may start and still be looked for."""
_MAX_ZONE_OBSERVANCES = 100
"""STANDARD/DAYLIGHT parts of a VTIMEZONE that is used; a real zone has a few."""
_MAX_ZONE_RDATES = 1_000
_MAX_ZONE_RULE_YEARS = 5_000
"""Years all yearly rules of one VTIMEZONE may together be walked, counted up to
_ZONE_RULES_END (Outlook's two rules from 1601 are 1,000)."""
_ZONE_RULES_END = 2100
_MAX_RULE_VALUES = 400
"""Values in one BYxxx part of a rule (a year has 366 days)."""
_MAX_INTERVAL = 1_000_000

_TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY"})
_FREQUENCIES = {
    "YEARLY": dateutil_rrule.YEARLY,
    "MONTHLY": dateutil_rrule.MONTHLY,
    "WEEKLY": dateutil_rrule.WEEKLY,
    "DAILY": dateutil_rrule.DAILY,
    "HOURLY": dateutil_rrule.HOURLY,
}
_STEPS = {"HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}
_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_NUMBER_RANGES = {
    "BYSECOND": (0, 59),
    "BYMINUTE": (0, 59),
    "BYHOUR": (0, 23),
    "BYMONTHDAY": (-31, 31),
    "BYYEARDAY": (-366, 366),
    "BYWEEKNO": (-53, 53),
    "BYMONTH": (1, 12),
    "BYSETPOS": (-366, 366),
}
# Hourly, daily and weekly rules are expanded without these, which only leave days out;
# they are applied here so that no rule can make dateutil search for years.
_CALENDAR_FILTERS = ("BYMONTH", "BYMONTHDAY", "BYYEARDAY")
# The Gregorian calendar repeats itself every 400 years, to the weekday.
_CALENDAR_CYCLE_YEARS = 400

_ZONED_PROPERTIES = frozenset({"DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE", "DUE"})
_ZONE_KEY = re.compile(r"^[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*$")
_DISPLAY_PREFIX = re.compile(
    r"^\s*\(\s*(?:UTC|GMT)\s*(?:([+-])\s*(\d{1,2})(?:[:.](\d{2}))?)?\s*\)\s*(.*)$",
    re.IGNORECASE,
)
# Outlook's and Exchange's display names of their zones, by the first place they name
# (letters only): "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna".
_DISPLAY_NAMES = {
    "coordinateduniversaltime": "UTC",
    "greenwichmeantime": "Europe/London",
    "dublin": "Europe/London",
    "amsterdam": "Europe/Berlin",
    "belgrade": "Europe/Budapest",
    "brussels": "Europe/Paris",
    "sarajevo": "Europe/Warsaw",
    "westcentralafrica": "Africa/Lagos",
    "athens": "Europe/Bucharest",
    "bucharest": "Europe/Bucharest",
    "helsinki": "Europe/Helsinki",
    "jerusalem": "Asia/Jerusalem",
    "cairo": "Africa/Cairo",
    "harare": "Africa/Johannesburg",
    "istanbul": "Europe/Istanbul",
    "moscow": "Europe/Moscow",
    "nairobi": "Africa/Nairobi",
    "tehran": "Asia/Tehran",
    "abudhabi": "Asia/Dubai",
    "islamabad": "Asia/Karachi",
    "chennai": "Asia/Kolkata",
    "kathmandu": "Asia/Kathmandu",
    "bangkok": "Asia/Bangkok",
    "beijing": "Asia/Shanghai",
    "kualalumpur": "Asia/Singapore",
    "singapore": "Asia/Singapore",
    "taipei": "Asia/Taipei",
    "perth": "Australia/Perth",
    "osaka": "Asia/Tokyo",
    "seoul": "Asia/Seoul",
    "adelaide": "Australia/Adelaide",
    "brisbane": "Australia/Brisbane",
    "canberra": "Australia/Sydney",
    "auckland": "Pacific/Auckland",
    "hawaii": "Pacific/Honolulu",
    "alaska": "America/Anchorage",
    "pacifictimeuscanada": "America/Los_Angeles",
    "arizona": "America/Phoenix",
    "mountaintimeuscanada": "America/Denver",
    "centraltimeuscanada": "America/Chicago",
    "saskatchewan": "America/Regina",
    "guadalajara": "America/Mexico_City",
    "easterntimeuscanada": "America/New_York",
    "indianaeast": "America/Indiana/Indianapolis",
    "bogota": "America/Bogota",
    "atlantictimecanada": "America/Halifax",
    "santiago": "America/Santiago",
    "newfoundland": "America/St_Johns",
    "brasilia": "America/Sao_Paulo",
    "buenosaires": "America/Argentina/Buenos_Aires",
    "casablanca": "Africa/Casablanca",
}


@dataclass(frozen=True)
class IcsReading:
    """What one iCalendar document holds in a window, and what of it could not be read.

    ``problems`` is empty or one line naming the first few things skipped (``event 'abc'
    skipped: no DTSTART``); with a problem the document is incomplete, so an event missing
    from ``events`` proves nothing.
    """

    events: tuple[CalendarEvent, ...]
    problems: tuple[str, ...] = ()


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
    calendars = _calendars(_content_lines(data))
    if not calendars:
        raise SourceUnreadable("no VCALENDAR found")
    window = _Window(window_start, window_end)
    problems = _Problems()
    budget = _Budget()
    events: list[CalendarEvent] = []
    for text in calendars:
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


def overlaps(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> bool:
    """Whether ``[start, end)`` overlaps ``[window_start, window_end)``.

    A zero-length event overlaps when its start lies in the window.
    """
    if end <= start:
        return window_start <= start < window_end
    return start < window_end and end > window_start


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


# --- reading the document as text ---------------------------------------------------------

# icalendar's unfolding expression, linear on long runs of line breaks.
_UNFOLD = re.compile(r"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
_NEWLINE = re.compile(r"\r?\n")
_NAME = re.compile(r"[A-Za-z0-9-]+(?=[;:])")


@dataclass
class _Component:
    """A component as its unfolded content lines, from BEGIN to END."""

    name: str
    lines: list[str]
    complete: bool


@dataclass
class _CalendarText:
    """One VCALENDAR: its own properties and the components that are read."""

    properties: list[str] = field(default_factory=list)
    timezones: list[_Component] = field(default_factory=list)
    events: list[_Component] = field(default_factory=list)
    unreadable_lines: int = 0
    complete: bool = False


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


def _content_lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    return [line for line in _NEWLINE.split(_UNFOLD.sub("", text)) if line.strip()]


def _name(line: str) -> str:
    """The property name of a content line, upper case; "" when it is no content line."""
    match = _NAME.match(line)
    return match.group(0).upper() if match else ""


def _marker(line: str, word: str) -> str:
    """The component a ``BEGIN:``/``END:`` line (``word``) opens or closes, else ""."""
    size = len(word) + 1
    if line[:size].upper() != word + ":":
        return ""
    return line[size:].strip().upper()


def _calendars(lines: list[str]) -> list[_CalendarText]:
    found: list[_CalendarText] = []
    index = 0
    while index < len(lines):
        if _marker(lines[index], "BEGIN") == "VCALENDAR":
            text, index = _calendar(lines, index + 1)
            found.append(text)
        else:
            index += 1  # text outside any VCALENDAR is not part of the calendar
    return found


def _calendar(lines: list[str], index: int) -> tuple[_CalendarText, int]:
    text = _CalendarText()
    while index < len(lines):
        line = lines[index]
        begins = _marker(line, "BEGIN")
        if begins:
            component, index = _component(lines, index)
            if begins == "VTIMEZONE":
                text.timezones.append(component)
            elif begins == "VEVENT":
                text.events.append(component)
            continue  # other components (VTODO, VJOURNAL, ...) are not read
        ends = _marker(line, "END")
        if ends == "VCALENDAR":
            text.complete = True
            return text, index + 1
        if ends or not _name(line):
            text.unreadable_lines += 1
        else:
            text.properties.append(line)
        index += 1
    return text, index


def _component(lines: list[str], index: int) -> tuple[_Component, int]:
    """The component opening at ``index``; it ends at the END of its own name only."""
    name = _marker(lines[index], "BEGIN")
    depth = 0
    for end in range(index, len(lines)):
        if _marker(lines[end], "BEGIN") == name:
            depth += 1
        elif _marker(lines[end], "END") == name:
            depth -= 1
            if depth == 0:
                return _Component(name, lines[index : end + 1], True), end + 1
    return _Component(name, lines[index:], False), len(lines)


def _split(line: str) -> tuple[str, list[str], str]:
    """A content line as its name, its raw parameters (``K=V``) and its value."""
    segments: list[str] = []
    start = 0
    quoted = False
    for position, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in ";:":
            segments.append(line[start:position])
            start = position + 1
            if char == ":":
                return segments[0], segments[1:], line[start:]
    return line, [], ""


def _param(params: list[str], name: str) -> str:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().upper() == name:
            return value.strip().strip('"')
    return ""


def _value(line: str) -> str:
    return _split(line)[2].strip()


def _top_level(component: _Component) -> Iterator[tuple[int, str]]:
    """Index and name of the component's own lines, not those of nested components."""
    depth = 0
    for index, line in enumerate(component.lines[1:-1], 1):
        if _marker(line, "BEGIN"):
            depth += 1
        elif _marker(line, "END"):
            depth -= 1
        elif depth == 0:
            yield index, _name(line)


def _property(lines: Iterable[str], name: str) -> str:
    return next((_value(line) for line in lines if _name(line) == name), "")


# --- time zones -----------------------------------------------------------------------------


class _Zones:
    """The zone of each TZID of one VCALENDAR, resolved once (``None``: unknown)."""

    def __init__(self, definitions: list[_Component], source: str) -> None:
        self._definitions: dict[str, _Component] = {}
        for definition in definitions:
            tzid = _property((line for _, line in _own_lines(definition)), "TZID")
            self._definitions.setdefault(tzid, definition)
        self._resolved: dict[str, tzinfo | None] = {}
        self._source = source

    def zone(self, tzid: str) -> tzinfo | None:
        """The zone ``tzid`` names in this calendar."""
        if tzid not in self._resolved:
            self._resolved[tzid] = self._resolve(tzid)
        return self._resolved[tzid]

    def key(self, tzid: str) -> str:
        """The IANA name ``tzid`` resolves to, or "" when it is no IANA zone."""
        zone = self.zone(tzid)
        return zone.key if isinstance(zone, ZoneInfo) else ""

    def _resolve(self, tzid: str) -> tzinfo | None:
        named = _zone_named(tzid)
        if named is not None:
            return named
        definition = self._definitions.get(tzid)
        if definition is not None:
            defined = _defined_zone(definition)
            if defined is not None:
                return defined
            _log.info(
                "%s: the VTIMEZONE of '%s' is not plausible and is not used",
                self._source or "calendar",
                shown(tzid),
            )
        return _offset_zone(tzid)


def _own_lines(component: _Component) -> Iterator[tuple[int, str]]:
    for index, _ in _top_level(component):
        yield index, component.lines[index]


def _zone_named(tzid: str) -> ZoneInfo | None:
    """The IANA zone a TZID names: an IANA name (also with a vendor prefix such as
    ``/mozilla.org/20050126_1/Europe/Berlin``), a Windows name or an Outlook display name.
    """
    name = tzid.strip().strip("/")
    if not name or len(name) > 200:
        return None
    candidates = [name, WINDOWS_TO_OLSON.get(name, "")]
    parts = name.split("/")
    candidates.extend("/".join(parts[start:]) for start in range(1, len(parts)))
    candidates.append(_display_name(name))
    for candidate in candidates:
        zone = _iana(candidate)
        if zone is not None:
            return zone
    return None


def _iana(key: str) -> ZoneInfo | None:
    if not key or not _ZONE_KEY.match(key):
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _display_name(name: str) -> str:
    match = _DISPLAY_PREFIX.match(name)
    if match is None:
        return ""
    first_place = re.split(r"[,;/:]", match.group(4), maxsplit=1)[0]
    return _DISPLAY_NAMES.get(re.sub(r"[^a-z]", "", first_place.lower()), "")


def _offset_zone(tzid: str) -> tzinfo | None:
    """A fixed-offset zone from a ``(UTC+hh:mm)`` prefix: the last resort."""
    match = _DISPLAY_PREFIX.match(tzid)
    if match is None:
        return None
    sign, hours, minutes = match.group(1), match.group(2), match.group(3)
    if not hours:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset > timedelta(hours=14):
        return None
    return timezone(-offset if sign == "-" else offset)


def _defined_zone(definition: _Component) -> tzinfo | None:
    """The zone a VTIMEZONE defines, when its rules are plausible; else ``None``."""
    observances = _observances(definition)
    if observances is None or not _plausible_zone(observances):
        return None
    text = "\r\n".join(
        ["BEGIN:VTIMEZONE", "TZID:zone"]
        + [line for observance in observances for line in observance.lines]
        + ["END:VTIMEZONE", ""]
    )
    try:
        return tzical(StringIO(text)).get()  # type: ignore[no-any-return]
    except Exception:  # dateutil rejects what it cannot read in many ways
        return None


@dataclass
class _Observance:
    """A STANDARD or DAYLIGHT part of a VTIMEZONE, as the lines dateutil reads."""

    lines: list[str]
    start: datetime | None = None
    rules: list[str] = field(default_factory=list)
    rdates: int = 0


def _observances(definition: _Component) -> list[_Observance] | None:
    found: list[_Observance] = []
    current: _Observance | None = None
    for line in definition.lines[1:-1]:
        begins, ends = _marker(line, "BEGIN"), _marker(line, "END")
        if begins in ("STANDARD", "DAYLIGHT"):
            current = _Observance([f"BEGIN:{begins}"])
        elif begins:
            return None
        elif current is not None and ends:
            current.lines.append(f"END:{ends}")
            found.append(current)
            current = None
        elif current is not None:
            _observance_line(current, line)
    return found


def _observance_line(observance: _Observance, line: str) -> None:
    name, _, value = _split(line)
    name, value = name.upper(), value.strip()
    if name == "DTSTART":
        value = value.rstrip("Zz")
        value = value if "T" in value else value + "T000000"
        observance.start = _naive_datetime(value)
        observance.lines.append(f"DTSTART:{value}")
    elif name == "RRULE":
        observance.rules.append(value)
        observance.lines.append(f"RRULE:{value}")
    elif name == "RDATE":
        observance.rdates += value.count(",") + 1
        observance.lines.append(f"RDATE:{value}")
    elif name in ("TZOFFSETFROM", "TZOFFSETTO", "TZNAME"):
        observance.lines.append(f"{name}:{value}")


def _naive_datetime(value: str) -> datetime | None:
    try:
        parsed = _DATE_TIME.from_ical(value)
    except (ValueError, TypeError):
        return None
    return parsed if isinstance(parsed, datetime) and parsed.tzinfo is None else None


def _plausible_zone(observances: list[_Observance]) -> bool:
    """Whether a VTIMEZONE reads like a real zone: a few parts, yearly rules from a known
    start, a bounded number of dates. Anything else is not expanded at all."""
    if not observances or len(observances) > _MAX_ZONE_OBSERVANCES:
        return False
    if sum(o.rdates for o in observances) > _MAX_ZONE_RDATES:
        return False
    years = 0
    for observance in observances:
        if observance.start is None:
            return False
        for rule in observance.rules:
            if not _plausible_zone_rule(rule):
                return False
            years += max(0, _ZONE_RULES_END - observance.start.year)
    return years <= _MAX_ZONE_RULE_YEARS


def _plausible_zone_rule(text: str) -> bool:
    try:
        parts = _rule_parts(text)
    except ValueError:
        return False
    allowed = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTH", "BYDAY", "BYMONTHDAY", "WKST"}
    if not parts.keys() <= allowed or parts.get("FREQ") != ["YEARLY"]:
        return False
    if parts.get("INTERVAL", ["1"]) != ["1"] or len(parts.get("BYMONTH", ())) != 1:
        return False
    try:
        month = int(parts["BYMONTH"][0])
        count = int(parts.get("COUNT", ["1"])[0])
        days = [int(day) for day in parts.get("BYMONTHDAY", ())]
    except ValueError:
        return False
    longest = calendar.monthrange(2001, month)[1] if 1 <= month <= 12 else 0
    weekdays = parts.get("BYDAY", [])
    return (
        longest > 0
        and 1 <= count <= 1000
        and len(days) <= 7
        and all(1 <= abs(day) <= longest for day in days)
        and len(weekdays) <= 1
        and all(_plausible_zone_weekday(day) for day in weekdays)
    )


def _plausible_zone_weekday(text: str) -> bool:
    match = _BYDAY.match(text.upper())
    return match is not None and (not match.group(1) or 1 <= abs(int(match.group(1))) <= 5)


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every event of one VCALENDAR is read with."""

    user: UserIdentity
    window: _Window
    zones: _Zones
    wall_zone: tzinfo | None  # X-WR-TIMEZONE, resolved
    cancelled: bool
    source: str
    budget: _Budget


class _Budget:
    """The rule steps and the occurrences one document has left."""

    def __init__(self) -> None:
        self.steps = _MAX_DOCUMENT_STEPS
        self.occurrences = _MAX_DOCUMENT_OCCURRENCES

    def check(self) -> None:
        if self.steps <= 0:
            raise _Skipped("the file holds more recurrence than is read")
        if self.occurrences <= 0:
            raise _Skipped("the file holds more events than are read")


class _Skipped(Exception):
    """An event that cannot be read; ``str()`` says why in a few words."""


class _TooFrequent(Exception):
    """A rule repeating more often than MIN_RECURRENCE_INTERVAL: read as no occurrences."""


def _read_calendar(
    text: _CalendarText,
    user: UserIdentity,
    window: _Window,
    problems: _Problems,
    budget: _Budget,
    source: str,
) -> list[CalendarEvent]:
    if not text.complete:
        problems.add("no END:VCALENDAR: the file ends early")
    if text.unreadable_lines:
        problems.add(f"{text.unreadable_lines} unreadable lines outside any event")
    scale = _property(text.properties, "CALSCALE").upper()
    if scale not in ("", "GREGORIAN"):
        problems.add(f"calendar scale {shown(scale)} is not read")
        return []
    zones = _Zones(text.timezones, source)
    wall = _property(text.properties, "X-WR-TIMEZONE")
    context = _Context(
        user=user,
        window=window,
        zones=zones,
        wall_zone=_zone_named(wall) if wall else None,
        cancelled=_property(text.properties, "METHOD").upper() == "CANCEL",
        source=source or "calendar",
        budget=budget,
    )
    events: list[CalendarEvent] = []
    for uid, components in _by_uid(text.events, problems).items():
        events.extend(_read_series(uid, components, context, problems))
    return events


def _by_uid(components: list[_Component], problems: _Problems) -> dict[str, list[_Component]]:
    """The VEVENTs of each UID, in the order the UIDs first appear."""
    groups: dict[str, list[_Component]] = {}
    for component in components:
        uid = _property((line for _, line in _own_lines(component)), "UID")
        if not component.complete:
            problems.event(uid, "no END:VEVENT: the file ends inside it")
        elif not uid:
            problems.event("", "no UID")
        else:
            groups.setdefault(uid, []).append(component)
    return groups


def _read_series(
    uid: str, components: list[_Component], context: _Context, problems: _Problems
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
    except _TooFrequent:
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
    uid: str, component: _Component, context: _Context, problems: _Problems
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


def _prepared_lines(component: _Component, zones: _Zones) -> list[str]:
    """The component's lines with at most MAX_ATTENDEES_PER_EVENT attendees and each
    TZID of a time replaced by the IANA name it resolves to."""
    lines = list(component.lines)
    dropped: set[int] = set()
    attendees = 0
    for index, name in _top_level(component):
        if name == "ATTENDEE":
            attendees += 1
            if attendees > MAX_ATTENDEES_PER_EVENT:
                dropped.add(index)
        elif name in _ZONED_PROPERTIES and "TZID" in lines[index].upper():
            lines[index] = _with_zone_key(lines[index], zones)
    return [line for index, line in enumerate(lines) if index not in dropped]


def _with_zone_key(line: str, zones: _Zones) -> str:
    name, params, value = _split(line)
    tzid = _param(params, "TZID")
    key = zones.key(tzid) if tzid else ""
    if not key or key == tzid:
        return line
    params = [f"TZID={key}" if p.partition("=")[0].strip().upper() == "TZID" else p for p in params]
    return f"{name};{';'.join(params)}:{value}"


def _localize(vevent: Any, zones: _Zones) -> None:
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


def _relocate(value: Any, tzid: Any, zones: _Zones) -> None:
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
        raise _Skipped("no DTSTART")
    if not isinstance(start, icalendar.vDDDTypes) or not isinstance(start.dt, date):
        raise _Skipped("unreadable DTSTART")
    for name in ("DTEND", "RECURRENCE-ID"):
        value = vevent.get(name)
        if value is not None and not isinstance(getattr(value, "dt", None), date):
            raise _Skipped(f"unreadable {name}")


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


# --- recurrence rules -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """An RRULE as read here; ``numbers`` holds the BYxxx parts other than BYDAY."""

    frequency: str
    interval: int
    count: int | None
    until: date | datetime | None
    weekdays: tuple[tuple[int, int], ...]  # (weekday, nth); nth 0 is every such weekday
    numbers: dict[str, tuple[int, ...]]
    week_start: int


def _exdates(vevent: Any) -> list[Any]:
    return [x for x in _as_list(vevent.get("EXDATE")) if isinstance(x, icalendar.vDDDLists)]


def _rules_as_dates(vevent: Any, context: _Context, wanted: int) -> None:
    """Replace the event's RRULEs with the dates they give near the window (RDATE): those
    starting before it that may still overlap it, and the first ``wanted`` inside it."""
    start = vevent["DTSTART"].dt
    zone = start.tzinfo if isinstance(start, datetime) and start.tzinfo else context.user.timezone
    first, end, _ = _times(vevent, context.user.timezone)
    lookback = min(max(end - first, timedelta()), _MAX_LOOKBACK)
    low = _wall(context.window.start - _MARGIN - lookback, zone)
    high = _wall(context.window.end + _MARGIN, zone)
    inside = _wall(context.window.start, zone)
    timed = isinstance(start, datetime)
    naive_start = _wall(start, zone) if timed else datetime.combine(start, time())
    instances: set[datetime] = set()
    for value in _as_list(vevent.get("RRULE")):
        rule = _rule(value)
        if not timed and rule.frequency == "HOURLY":
            raise _Skipped("an hourly rule on an all-day event")
        until = _wall(rule.until, zone) if rule.until is not None else None
        span = _Span(low, high, until, context.budget, inside, wanted)
        instances.update(_instances(rule, naive_start, span))
    del vevent["RRULE"]
    if instances:
        before = sorted(i for i in instances if i < inside)
        ordered = (before + sorted(i for i in instances if i >= inside)[:wanted])[
            :_MAX_RULE_OCCURRENCES
        ]
        dates: list[date | datetime] = (
            [i.replace(tzinfo=start.tzinfo) for i in ordered]
            if timed
            else [i.date() for i in ordered]
        )
        vevent.add("RDATE", icalendar.vDDDLists(dates), encode=False)


def _wall(value: date | datetime, zone: tzinfo) -> datetime:
    """``value`` as a naive wall-clock time in ``zone``; a date is its last moment."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time.max)
    if value.tzinfo is None:
        return value
    return value.astimezone(zone).replace(tzinfo=None)


def _rule(value: Any) -> _Rule:
    if not isinstance(value, icalendar.vRecur):
        raise _Skipped("unreadable RRULE")
    recur: Any = value
    parts = _rule_parts(recur.to_ical().decode())
    unknown = (
        parts.keys() - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY"} - set(_NUMBER_RANGES)
    )
    if unknown:
        raise _Skipped(f"RRULE part {shown(sorted(unknown)[0])} is not supported")
    frequency = _single(parts, "FREQ")
    if frequency not in _FREQUENCIES and frequency not in _TOO_FREQUENT:
        raise _Skipped(f"unknown RRULE frequency {shown(frequency)}")
    interval = int(_single(parts, "INTERVAL") or 1)
    count = _single(parts, "COUNT")
    until = _single(parts, "UNTIL")
    if not 1 <= interval <= _MAX_INTERVAL or (count and int(count) < 1):
        raise _Skipped("implausible RRULE INTERVAL or COUNT")
    return _Rule(
        frequency=frequency,
        interval=interval,
        count=int(count) if count else None,
        until=_DATE_TIME.from_ical(until) if until else None,
        weekdays=tuple(_weekday(day) for day in parts.get("BYDAY", ())),
        numbers={key: _numbers(key, parts[key]) for key in _NUMBER_RANGES if key in parts},
        week_start=_WEEKDAYS.get(_single(parts, "WKST") or "MO", 0),
    )


def _rule_parts(text: str) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {}
    for part in text.split(";"):
        key, equals, values = part.partition("=")
        if not equals or not values:
            raise ValueError(f"unreadable rule part {shown(part)}")
        parts[key.strip().upper()] = [v.strip().upper() for v in values.split(",")]
    if "FREQ" not in parts:
        raise ValueError("a rule without FREQ")
    return parts


def _single(parts: dict[str, list[str]], key: str) -> str:
    values = parts.get(key, [])
    if len(values) > 1:
        raise _Skipped(f"RRULE {key} has several values")
    return values[0] if values else ""


def _weekday(text: str) -> tuple[int, int]:
    match = _BYDAY.match(text)
    nth = int(match.group(1) or 0) if match else 0
    if match is None or abs(nth) > 53:
        raise _Skipped(f"unreadable RRULE BYDAY {shown(text)}")
    return _WEEKDAYS[match.group(2)], nth


def _numbers(key: str, values: list[str]) -> tuple[int, ...]:
    low, high = _NUMBER_RANGES[key]
    if len(values) > _MAX_RULE_VALUES:
        raise _Skipped(f"RRULE {key} has too many values")
    try:
        numbers = tuple(int(value) for value in values)
    except ValueError as error:
        raise _Skipped(f"unreadable RRULE {key}") from error
    if not all(low <= n <= high and (n != 0 or low == 0) for n in numbers):
        raise _Skipped(f"RRULE {key} out of range")
    return numbers


@dataclass
class _Span:
    """Where a rule's occurrences are wanted, as naive wall-clock times: from ``low`` to
    ``high`` and ``until``; those before ``inside`` (the window's start) and the first
    ``wanted`` from there on."""

    low: datetime
    high: datetime
    until: datetime | None
    budget: _Budget
    inside: datetime
    wanted: int


def _instances(rule: _Rule, start: datetime, span: _Span) -> list[datetime]:
    """The occurrences of ``rule`` from ``start`` in ``span``."""
    if _too_frequent(rule):
        raise _TooFrequent
    if start > span.high or (span.until is not None and span.until < span.low):
        return []
    if rule.frequency in ("YEARLY", "MONTHLY"):
        found = _calendar_instances(rule, start, span)
    else:
        found = _stepped_instances(rule, start, span)
    if any(
        later - earlier < MIN_RECURRENCE_INTERVAL for earlier, later in itertools.pairwise(found)
    ):
        raise _TooFrequent
    return found


def _too_frequent(rule: _Rule) -> bool:
    numbers = rule.numbers
    return (
        rule.frequency in _TOO_FREQUENT
        or len(set(numbers.get("BYSECOND", ()))) > 1
        or len(set(numbers.get("BYMINUTE", ()))) > 1
    )


def _stepped_instances(rule: _Rule, start: datetime, span: _Span) -> list[datetime]:
    """Hourly, daily and weekly rules: stepped from a start moved up to the window."""
    if "BYWEEKNO" in rule.numbers:
        raise _Skipped("BYWEEKNO in a rule that is not yearly")
    filters = {k: frozenset(rule.numbers[k]) for k in _CALENDAR_FILTERS if k in rule.numbers}
    if filters and rule.frequency == "WEEKLY" and "BYSETPOS" in rule.numbers:
        raise _Skipped("weekly BYSETPOS with BYMONTH, BYMONTHDAY or BYYEARDAY is not supported")
    if not _recurs(rule, start):
        return []
    step = _STEPS[rule.frequency] * rule.interval
    count = rule.count
    if count is not None and not filters:
        start, count = _counted_up(rule, start, count, span.low)
        if count <= 0:
            return []  # the count ran out before the window
    elif count is None:
        start = _moved_up(start, step, span.low)
    weight = _FILTERED_DAY_STEP if rule.weekdays and rule.frequency != "WEEKLY" else 1
    return _walk(_stepped(rule, start), span, count, filters, weight)


def _stepped(rule: _Rule, start: datetime) -> Iterator[datetime]:
    """An hourly, daily or weekly rule from ``start`` without its calendar filters."""
    return iter(
        dateutil_rrule.rrule(
            _FREQUENCIES[rule.frequency],
            dtstart=start,
            interval=rule.interval,
            wkst=rule.week_start,
            byweekday=sorted({day for day, _ in rule.weekdays}) or None,
            byhour=rule.numbers.get("BYHOUR"),
            byminute=rule.numbers.get("BYMINUTE"),
            bysecond=rule.numbers.get("BYSECOND"),
            bysetpos=rule.numbers.get("BYSETPOS"),
            cache=False,
        )
    )


def _counted_up(rule: _Rule, start: datetime, count: int, low: datetime) -> tuple[datetime, int]:
    """``start`` moved up to the window by whole cycles, and the COUNT left from there.

    Without calendar filters an hourly, daily or weekly rule repeats itself every
    ``lcm(step, 7 days)`` to the minute, so each cycle holds as many occurrences as the
    first: counted once, not walked.
    """
    hours = (_STEPS[rule.frequency] * rule.interval) // timedelta(hours=1)
    cycle = timedelta(hours=math.lcm(hours, 7 * 24))
    cycles = (low - start) // cycle - 1
    if cycles <= 0:
        return start, count
    end = start + cycle
    per_cycle = sum(1 for _ in itertools.takewhile(lambda v: v < end, _stepped(rule, start)))
    return start + cycle * cycles, count - per_cycle * cycles


def _moved_up(start: datetime, step: timedelta, low: datetime) -> datetime:
    """``start`` moved by whole steps to at least one step before ``low``; an hourly,
    daily or weekly rule gives the same occurrences from there on."""
    steps = (low - start) // step - 1
    return start + step * steps if steps > 0 else start


def _recurs(rule: _Rule, start: datetime) -> bool:
    """Whether the rule without its calendar filters has occurrences at all; then it has
    one at least every week (daily) or every 168 steps (hourly)."""
    weekdays = {day for day, _ in rule.weekdays}
    times = _count(rule, "BYMINUTE") * _count(rule, "BYSECOND")
    if rule.frequency != "HOURLY":
        times *= _count(rule, "BYHOUR")
    if rule.frequency == "WEEKLY":
        times *= len(weekdays) or 1
    positions = rule.numbers.get("BYSETPOS", ())
    if positions and not any(abs(position) <= times for position in positions):
        return False
    if rule.frequency == "DAILY" and weekdays:
        return any((start.weekday() + k * rule.interval) % 7 in weekdays for k in range(7))
    hours = set(rule.numbers.get("BYHOUR", ()))
    if rule.frequency == "HOURLY" and (weekdays or hours):
        for k in range(168):
            elapsed = start.hour + k * rule.interval
            day, hour = (start.weekday() + elapsed // 24) % 7, elapsed % 24
            if (not weekdays or day in weekdays) and (not hours or hour in hours):
                return True
        return False
    return True


def _count(rule: _Rule, key: str) -> int:
    return len(set(rule.numbers.get(key, ()))) or 1


def _on_calendar(value: datetime, filters: dict[str, frozenset[int]]) -> bool:
    months = filters.get("BYMONTH")
    if months and value.month not in months:
        return False
    days = filters.get("BYMONTHDAY")
    if days:
        length = calendar.monthrange(value.year, value.month)[1]
        if value.day not in days and value.day - length - 1 not in days:
            return False
    year_days = filters.get("BYYEARDAY")
    if year_days:
        length = 366 if calendar.isleap(value.year) else 365
        day = value.timetuple().tm_yday
        if day not in year_days and day - length - 1 not in year_days:
            return False
    return True


def _calendar_instances(rule: _Rule, start: datetime, span: _Span) -> list[datetime]:
    """Monthly and yearly rules, evaluated 400·INTERVAL years later: the calendar is the
    same there, and dateutil's search for a next occurrence ends at the year 9999."""
    numbers = dict(rule.numbers)
    if not numbers.keys() & {"BYWEEKNO", "BYYEARDAY", "BYMONTHDAY"} and not rule.weekdays:
        # dateutil's defaults taken from the start, made explicit so that it can move.
        numbers["BYMONTHDAY"] = (start.day,)
        if rule.frequency == "YEARLY":
            numbers.setdefault("BYMONTH", (start.month,))
    yearly = rule.frequency == "YEARLY"
    months = rule.interval * (12 if yearly else 1)
    if rule.count is None:
        start = _moved_up_months(start, months, span.low, yearly=yearly)
    elif _months(start, span.high) // months > _MAX_COUNTED_PERIODS:
        raise _Skipped("its rule would be walked for centuries to reach the window")
    shift = _shift_years(rule, span.high)
    expanded = dateutil_rrule.rrule(
        _FREQUENCIES[rule.frequency],
        dtstart=_add_years(start, shift),
        interval=rule.interval,
        wkst=rule.week_start,
        count=rule.count,
        bymonth=numbers.get("BYMONTH"),
        bymonthday=numbers.get("BYMONTHDAY"),
        byyearday=numbers.get("BYYEARDAY"),
        byweekno=numbers.get("BYWEEKNO"),
        byweekday=[dateutil_rrule.weekday(day, nth or None) for day, nth in rule.weekdays] or None,
        byhour=numbers.get("BYHOUR"),
        byminute=numbers.get("BYMINUTE"),
        bysecond=numbers.get("BYSECOND"),
        bysetpos=numbers.get("BYSETPOS"),
        cache=False,
    )
    return _walk((_add_years(v, -shift) for v in expanded), span, None, {})


def _months(start: datetime, end: datetime) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _moved_up_months(start: datetime, months: int, low: datetime, *, yearly: bool) -> datetime:
    """``start`` moved by whole periods to the first day of a period before ``low``."""
    periods = _months(start, low) // months - 1
    if periods <= 0:
        return start
    index = start.year * 12 + start.month - 1 + periods * months
    return start.replace(year=index // 12, month=1 if yearly else index % 12 + 1, day=1)


def _shift_years(rule: _Rule, high: datetime) -> int:
    cycle = _CALENDAR_CYCLE_YEARS * rule.interval
    return (date.max.year - 1 - high.year) // cycle * cycle


def _add_years(value: datetime, years: int) -> datetime:
    return value.replace(year=value.year + years) if years else value


def _walk(
    occurrences: Iterable[datetime],
    span: _Span,
    count: int | None,
    filters: dict[str, frozenset[int]],
    weight: int = 1,
) -> list[datetime]:
    """The occurrences inside the span up to COUNT, each one after a bounded number of
    steps (of ``weight`` each), which are taken from the document's budget."""
    span.budget.check()
    found: list[datetime] = []
    matched = steps = inside = 0
    try:
        for value in occurrences:
            steps += weight
            if steps > _MAX_RULE_STEPS:
                raise _Skipped("its rule is too long to expand")
            if value > span.high or (span.until is not None and value > span.until):
                break
            if filters and not _on_calendar(value, filters):
                continue
            matched += 1
            if count is not None and matched > count:
                break
            if value >= span.low:
                found.append(value)
                inside += value >= span.inside
                if inside >= span.wanted or len(found) >= _MAX_RULE_OCCURRENCES:
                    break
    finally:
        span.budget.steps -= steps
    return found


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


def _parameter(value: Any, name: str) -> str:
    params = getattr(value, "params", {})
    return str(params.get(name, "")).strip()


def _participant(
    contacts: Contacts, value: Any, default: Response = Response.NEEDS_ACTION
) -> Participant | None:
    if value is None:
        return None
    # Folding can leave white space inside an address; it is never part of one.
    address = "".join(str(value).split())
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
