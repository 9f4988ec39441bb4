"""What reading one iCalendar document gives, and the window test: no icalendar here.

The calendar imports the iCalendar reader (and icalendar with it, the heaviest import of a
local account) only when a file is to be read; an idle pass reads none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from interview_outreach.daemon.domain.model import CalendarEvent


@dataclass(frozen=True)
class IcsReading:
    """What one iCalendar document holds in a window, and what of it could not be read.

    ``problems`` is empty or one line naming the first few things skipped (``event 'abc'
    skipped: no DTSTART``); with a problem the document is incomplete, so an event missing
    from ``events`` proves nothing.
    """

    events: tuple[CalendarEvent, ...]
    problems: tuple[str, ...] = ()


def overlaps(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> bool:
    """Whether ``[start, end)`` overlaps ``[window_start, window_end)``.

    A zero-length event overlaps when its start lies in the window.
    """
    if end <= start:
        return window_start <= start < window_end
    return start < window_end and end > window_start
