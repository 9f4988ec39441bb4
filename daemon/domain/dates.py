"""Dates and times as each draft language writes them, from tables kept here.

The operating system's locale plays no part: a German draft reads "Dienstag, 8. Dezember
2026, um 14:00 Uhr MEZ" on any machine. Every time carries the name of the user's zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from interview_outreach.daemon.domain.language import Language

_WEEKDAYS: dict[Language, tuple[str, ...]] = {
    Language.EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    Language.DE: ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    Language.FR: ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    Language.ES: ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}

# Each language's code, then its twelve month names in order.
_MONTH_TABLE = """
en January February March April May June July August September October November December
de Januar Februar März April Mai Juni Juli August September Oktober November Dezember
fr janvier février mars avril mai juin juillet août septembre octobre novembre décembre
es enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
"""
_MONTHS: dict[Language, tuple[str, ...]] = {
    Language(code): tuple(names)
    for code, *names in map(str.split, _MONTH_TABLE.strip().splitlines())
}

# German readers know central and eastern European zones by their German names.
_GERMAN_ZONES = {
    "CET": "MEZ",
    "CEST": "MESZ",
    "EET": "OEZ",
    "EEST": "OESZ",
    "WET": "WEZ",
    "WEST": "WESZ",
}

# Zones without an abbreviation (tzdata writes "+04" for Asia/Dubai) are named in full.
_UNNAMED_ZONE: dict[Language, str] = {
    Language.EN: "{zone} time (UTC{offset})",
    Language.DE: "(Zeitzone {zone}, UTC{offset})",
    Language.FR: "(fuseau horaire {zone}, UTC{offset})",
    Language.ES: "(zona horaria {zone}, UTC{offset})",
}


def weekday_name(at: datetime, tz: ZoneInfo, language: Language) -> str:
    """The day of the week of ``at`` in ``tz``: "Tuesday", "Dienstag", "mardi", "martes"."""
    return _WEEKDAYS[language][at.astimezone(tz).weekday()]


def format_day(at: datetime, tz: ZoneInfo, language: Language) -> str:
    """The day without the year: "Tuesday, 8 December", "Dienstag, 8. Dezember",
    "mardi 8 décembre", "martes 8 de diciembre"."""
    local = at.astimezone(tz)
    weekday = _WEEKDAYS[language][local.weekday()]
    month = _MONTHS[language][local.month - 1]
    if language is Language.DE:
        return f"{weekday}, {local.day}. {month}"
    if language is Language.FR:
        return f"{weekday} {_french_day(local.day)} {month}"
    if language is Language.ES:
        return f"{weekday} {local.day} de {month}"
    return f"{weekday}, {local.day} {month}"


def format_clock(at: datetime, tz: ZoneInfo, language: Language) -> str:
    """The time of day without the zone: "14:00", "14:00 Uhr", "14 h 00"."""
    local = at.astimezone(tz)
    if language is Language.DE:
        return f"{local:%H:%M} Uhr"
    if language is Language.FR:
        return f"{local.hour} h {local:%M}"
    return f"{local:%H:%M}"


def zone_label(at: datetime, tz: ZoneInfo, language: Language) -> str:
    """The zone's name at ``at`` as the draft writes it: "GMT", "MEZ", "(zona horaria ...)"."""
    local = at.astimezone(tz)
    abbreviation = local.tzname() or ""
    if abbreviation and abbreviation[0] not in "+-":
        return (
            _GERMAN_ZONES.get(abbreviation, abbreviation)
            if language is Language.DE
            else abbreviation
        )
    zone = tz.key.replace("_", " ")
    return _UNNAMED_ZONE[language].format(zone=zone, offset=abbreviation)


def format_when(at: datetime, tz: ZoneInfo, language: Language) -> str:
    """Date, time and zone, to follow "on" / "am" / "le" / "el" in a sentence:
    "Tuesday, 8 December 2026 at 14:00 GMT", "Dienstag, 8. Dezember 2026, um 14:00 Uhr MEZ",
    "mardi 8 décembre 2026 à 14 h 00 CET", "martes 8 de diciembre de 2026 a las 14:00 CET"."""
    local = at.astimezone(tz)
    day = format_day(at, tz, language)
    clock = format_clock(at, tz, language)
    zone = zone_label(at, tz, language)
    if language is Language.DE:
        return f"{day} {local.year}, um {clock} {zone}"
    if language is Language.FR:
        return f"{day} {local.year} à {clock} {zone}"
    if language is Language.ES:
        article = "la" if local.hour == 1 else "las"
        return f"{day} de {local.year} a {article} {clock} {zone}"
    return f"{day} {local.year} at {clock} {zone}"


def _french_day(day: int) -> str:
    return "1er" if day == 1 else str(day)
