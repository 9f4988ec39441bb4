"""An iCalendar document as text: its VCALENDARs, their VTIMEZONEs and VEVENTs, and lines.

The document is split here before any parser sees it, so that one bad component costs
only itself: an unclosed VEVENT, a stray line or an unknown component is counted or
skipped, and every other component is still read. Nothing here parses values beyond
splitting a content line and a recurrence rule into their parts; no text of a VTIMEZONE
is ever handed to icalendar, whose process-wide cache would keep the first definition of
a TZID for every later document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from interview_outreach.daemon.domain.addresses import shown

# icalendar's unfolding expression, linear on long runs of line breaks.
_UNFOLD = re.compile(r"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
_NEWLINE = re.compile(r"\r?\n")
_NAME = re.compile(r"[A-Za-z0-9-]+(?=[;:])")

BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
"""One BYDAY value of a rule: an optional ordinal (group 1) and a weekday (group 2)."""


@dataclass
class Component:
    """A component as its unfolded content lines, from BEGIN to END."""

    name: str
    lines: list[str]
    complete: bool


@dataclass
class CalendarText:
    """One VCALENDAR: its own properties and the components that are read."""

    properties: list[str] = field(default_factory=list)
    timezones: list[Component] = field(default_factory=list)
    events: list[Component] = field(default_factory=list)
    unreadable_lines: int = 0
    complete: bool = False


def calendars(data: bytes) -> list[CalendarText]:
    """The VCALENDARs of the document ``data``, in order; text outside them is ignored."""
    lines = _content_lines(data)
    found: list[CalendarText] = []
    index = 0
    while index < len(lines):
        if marker(lines[index], "BEGIN") == "VCALENDAR":
            text, index = _calendar(lines, index + 1)
            found.append(text)
        else:
            index += 1  # text outside any VCALENDAR is not part of the calendar
    return found


def _content_lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    return [line for line in _NEWLINE.split(_UNFOLD.sub("", text)) if line.strip()]


def _name(line: str) -> str:
    """The property name of a content line, upper case; "" when it is no content line."""
    match = _NAME.match(line)
    return match.group(0).upper() if match else ""


def marker(line: str, word: str) -> str:
    """The component a ``BEGIN:``/``END:`` line (``word``) opens or closes, else ""."""
    size = len(word) + 1
    if line[:size].upper() != word + ":":
        return ""
    return line[size:].strip().upper()


def _calendar(lines: list[str], index: int) -> tuple[CalendarText, int]:
    text = CalendarText()
    while index < len(lines):
        line = lines[index]
        begins = marker(line, "BEGIN")
        if begins:
            component, index = _component(lines, index)
            if begins == "VTIMEZONE":
                text.timezones.append(component)
            elif begins == "VEVENT":
                text.events.append(component)
            continue  # other components (VTODO, VJOURNAL, ...) are not read
        ends = marker(line, "END")
        if ends == "VCALENDAR":
            text.complete = True
            return text, index + 1
        if ends or not _name(line):
            text.unreadable_lines += 1
        else:
            text.properties.append(line)
        index += 1
    return text, index


def _component(lines: list[str], index: int) -> tuple[Component, int]:
    """The component opening at ``index``; it ends at the END of its own name only."""
    name = marker(lines[index], "BEGIN")
    depth = 0
    for end in range(index, len(lines)):
        if marker(lines[end], "BEGIN") == name:
            depth += 1
        elif marker(lines[end], "END") == name:
            depth -= 1
            if depth == 0:
                return Component(name, lines[index : end + 1], True), end + 1
    return Component(name, lines[index:], False), len(lines)


def split_line(line: str) -> tuple[str, list[str], str]:
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


def parameter(params: list[str], name: str) -> str:
    """The value of the parameter ``name`` (upper case) among raw ``params``, else ""."""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().upper() == name:
            return value.strip().strip('"')
    return ""


def _value(line: str) -> str:
    return split_line(line)[2].strip()


def top_level(component: Component) -> Iterator[tuple[int, str]]:
    """Index and name of the component's own lines, not those of nested components."""
    depth = 0
    for index, line in enumerate(component.lines[1:-1], 1):
        if marker(line, "BEGIN"):
            depth += 1
        elif marker(line, "END"):
            depth -= 1
        elif depth == 0:
            yield index, _name(line)


def own_lines(component: Component) -> Iterator[tuple[int, str]]:
    """Index and text of the component's own lines, not those of nested components."""
    for index, _ in top_level(component):
        yield index, component.lines[index]


def property_value(lines: Iterable[str], name: str) -> str:
    """The value of the first property ``name`` (upper case) among ``lines``, else ""."""
    return next((_value(line) for line in lines if _name(line) == name), "")


def rule_parts(text: str) -> dict[str, list[str]]:
    """A recurrence rule's parts, upper case; raises ``ValueError`` when it has no FREQ."""
    parts: dict[str, list[str]] = {}
    for part in text.split(";"):
        key, equals, values = part.partition("=")
        if not equals or not values:
            raise ValueError(f"unreadable rule part {shown(part)}")
        parts[key.strip().upper()] = [v.strip().upper() for v in values.split(",")]
    if "FREQ" not in parts:
        raise ValueError("a rule without FREQ")
    return parts
