"""The time zone a ``TZID`` names in one VCALENDAR, resolved without trusting its VTIMEZONE.

A ``TZID`` is read as an IANA name, a Windows name (``W. Europe Standard Time``), an
Outlook display name (``(UTC+01:00) Amsterdam, Berlin, …``), the document's own VTIMEZONE
when its rules are plausible (yearly, few), or the ``(UTC+hh:mm)`` prefix of its name, in
that order; ``None`` means unknown, and the caller reads such times as floating.

This exists because a VTIMEZONE is input like any other: a ``FREQ=SECONDLY`` rule in one
never finished expanding and blocked every other file, and icalendar caches the first
VTIMEZONE of each TZID process-wide, so one document's definition would be used for every
later one. A VTIMEZONE is therefore checked here for plausibility and only then built, on
first use, with dateutil's ``tzical``, apart from every other document.
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from dateutil.tz import tzical  # type: ignore[import-untyped]
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from interview_outreach.daemon.domain.addresses import shown
from interview_outreach.providers.local.ics_text import (
    BYDAY,
    Component,
    marker,
    own_lines,
    property_value,
    rule_parts,
    split_line,
)

_log = logging.getLogger(__name__)
# icalendar's date-time type, whose parser carries no annotations.
_DATE_TIME: Any = icalendar.vDDDTypes

# Bounds of a VTIMEZONE that is used; candidates for daemon.domain.limits.
_MAX_ZONE_OBSERVANCES = 100
"""STANDARD/DAYLIGHT parts of a VTIMEZONE that is used; a real zone has a few."""
_MAX_ZONE_RDATES = 1_000
_MAX_ZONE_RULE_YEARS = 5_000
"""Years all yearly rules of one VTIMEZONE may together be walked, counted up to
_ZONE_RULES_END (Outlook's two rules from 1601 are 1,000)."""
_ZONE_RULES_END = 2100

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


class Zones:
    """The zone of each TZID of one VCALENDAR, resolved once (``None``: unknown)."""

    def __init__(self, definitions: list[Component], source: str) -> None:
        self._definitions: dict[str, Component] = {}
        for definition in definitions:
            tzid = property_value((line for _, line in own_lines(definition)), "TZID")
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
        named = zone_named(tzid)
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


def zone_named(tzid: str) -> ZoneInfo | None:
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


def _defined_zone(definition: Component) -> tzinfo | None:
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


def _observances(definition: Component) -> list[_Observance] | None:
    found: list[_Observance] = []
    current: _Observance | None = None
    for line in definition.lines[1:-1]:
        begins, ends = marker(line, "BEGIN"), marker(line, "END")
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
    name, _, value = split_line(line)
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
        parts = rule_parts(text)
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
    match = BYDAY.match(text.upper())
    return match is not None and (not match.group(1) or 1 <= abs(int(match.group(1))) <= 5)
