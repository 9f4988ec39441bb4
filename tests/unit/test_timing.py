"""Due times in the user's zone: outreach window, working hours, DST, zone names."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.rules import Rules
from interview_outreach.daemon.domain.timing import (
    format_when,
    local_time,
    next_working_time,
    outreach_window,
    thankyou_due,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
RULES = Rules()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "tz", "opens", "closes"),
    [
        # Thursday 14:00 GMT: opens Monday 09:00, closes Wednesday 14:00.
        (utc(2026, 12, 10, 14), LONDON, utc(2026, 12, 7, 9), utc(2026, 12, 9, 14)),
        # Calendar days, not 72 h: an 08:00 interview still opens at 09:00 three days before.
        (utc(2026, 12, 10, 8), LONDON, utc(2026, 12, 7, 9), utc(2026, 12, 9, 8)),
        # Opens on the Sunday clocks go forward (29 March 2026): 09:00 BST is 08:00 UTC.
        (utc(2026, 4, 1, 9), LONDON, utc(2026, 3, 29, 8), utc(2026, 3, 31, 9)),
        # Interview in BST, window opened in GMT the Friday before.
        (utc(2026, 3, 30, 8), LONDON, utc(2026, 3, 27, 9), utc(2026, 3, 29, 8)),
        # Clocks go back on 25 October 2026: the window opens in BST, the interview is in GMT.
        (utc(2026, 10, 27, 10), LONDON, utc(2026, 10, 24, 8), utc(2026, 10, 26, 10)),
        # The interview's day is taken in the user's zone: 02:00 UTC is the evening before in NY.
        (utc(2026, 12, 10, 2), NEW_YORK, utc(2026, 12, 6, 14), utc(2026, 12, 9, 2)),
    ],
)
def test_outreach_window(start: datetime, tz: ZoneInfo, opens: datetime, closes: datetime) -> None:
    assert outreach_window(start, RULES, tz) == (opens, closes)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 12, 9, 10), utc(2026, 12, 9, 10)),  # Wednesday 10:00: already working hours
        (utc(2026, 12, 9, 7), utc(2026, 12, 9, 9)),  # before 09:00: same day 09:00
        (utc(2026, 12, 9, 18), utc(2026, 12, 10, 9)),  # 18:00 is closing time: next morning
        (utc(2026, 12, 11, 19), utc(2026, 12, 14, 9)),  # Friday evening: Monday
        (utc(2026, 12, 12, 12), utc(2026, 12, 14, 9)),  # Saturday: Monday
    ],
)
def test_next_working_time(at: datetime, expected: datetime) -> None:
    assert next_working_time(at, RULES, LONDON) == expected


def test_working_days_are_configurable() -> None:
    weekend_workers = Rules(working_days=frozenset({5, 6}))
    assert next_working_time(utc(2026, 12, 9, 10), weekend_workers, LONDON) == utc(2026, 12, 12, 9)


def test_thankyou_due_an_hour_after_the_end_in_working_hours() -> None:
    assert thankyou_due(utc(2026, 12, 9, 15), RULES, LONDON) == utc(2026, 12, 9, 16)
    assert thankyou_due(utc(2026, 12, 9, 17, 30), RULES, LONDON) == utc(2026, 12, 10, 9)


def test_a_wall_time_skipped_by_dst_moves_forward() -> None:
    moved = local_time(date(2026, 3, 29), time(1, 30), LONDON)
    assert moved.astimezone(UTC) == utc(2026, 3, 29, 1, 30)
    assert moved.strftime("%H:%M %Z") == "02:30 BST"


@pytest.mark.parametrize(
    ("at", "tz", "text"),
    [
        (utc(2026, 12, 10, 14), LONDON, "Thursday, 10 December 2026 at 14:00 GMT"),
        (utc(2026, 7, 10, 14), LONDON, "Friday, 10 July 2026 at 15:00 BST"),
        (utc(2026, 12, 10, 14), NEW_YORK, "Thursday, 10 December 2026 at 09:00 EST"),
        (
            utc(2026, 12, 10, 14),
            ZoneInfo("Asia/Dubai"),
            "Thursday, 10 December 2026 at 18:00 Asia/Dubai time (UTC+04)",
        ),
    ],
)
def test_format_when_names_the_zone(at: datetime, tz: ZoneInfo, text: str) -> None:
    assert format_when(at, tz) == text
