"""Recurrence rules expanded lazily, and only across the window asked for, in bounded work.

An RRULE is stranger's input: ``FREQ=SECONDLY;COUNT=1000000`` took minutes and gigabytes,
a ``FREQ=MINUTELY`` interview made thousands of drafts, a series from the year 1 is walked
for two thousand years before it reaches today, and dateutil ends its search for an
occurrence that never comes (a rule whose filters match no day) only at the year 9999.
So rules are not handed to ``recurring_ical_events`` at all: they are expanded here into
plain dates, which the caller hands on as RDATE. A rule repeating more often than
``MIN_RECURRENCE_INTERVAL`` is not expanded (``TooFrequent``); an hourly, daily or weekly
rule is moved up to the window by whole steps or cycles, and its calendar filters are
applied here; a monthly or yearly one is evaluated whole 400-year cycles later, just
before the year 9999, where the calendar is the same and such a search ends soon; and
every rule and every document has a budget of steps and occurrences (``Budget``).
"""

from __future__ import annotations

import calendar
import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import icalendar
from dateutil import rrule as dateutil_rrule  # type: ignore[import-untyped]

from interview_outreach.daemon.domain.addresses import shown
from interview_outreach.daemon.domain.limits import MIN_RECURRENCE_INTERVAL
from interview_outreach.providers.local.ics_text import BYDAY, rule_parts

# icalendar's date-time type, whose parser carries no annotations.
_DATE_TIME: Any = icalendar.vDDDTypes

# Bounds of this reader; candidates for daemon.domain.limits.
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


class Skipped(Exception):
    """An event that cannot be read; ``str()`` says why in a few words."""


class TooFrequent(Exception):
    """A rule repeating more often than MIN_RECURRENCE_INTERVAL: read as no occurrences."""


class Budget:
    """The rule steps and the occurrences one document has left."""

    def __init__(self) -> None:
        self.steps = _MAX_DOCUMENT_STEPS
        self.occurrences = _MAX_DOCUMENT_OCCURRENCES

    def check(self) -> None:
        """Raise ``Skipped`` when the document has no steps or occurrences left."""
        if self.steps <= 0:
            raise Skipped("the file holds more recurrence than is read")
        if self.occurrences <= 0:
            raise Skipped("the file holds more events than are read")


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


def rule_dates(
    rules: list[Any],
    start: date | datetime,
    duration: timedelta,
    *,
    low: datetime,
    high: datetime,
    inside: datetime,
    wanted: int,
    floating: tzinfo,
    budget: Budget,
) -> list[date | datetime]:
    """The dates the RRULE values ``rules`` of an event starting at ``start`` give near a
    window, for RDATE: those from ``low`` to ``high`` (and up to ``duration`` earlier, which
    may still overlap), all of them before ``inside`` (the window's start) and the first
    ``wanted`` from there on. A floating or all-day ``start`` is read in ``floating``.

    Raises ``Skipped`` for a rule that is not read and ``TooFrequent`` for one repeating
    more often than MIN_RECURRENCE_INTERVAL; the steps taken come out of ``budget``.
    """
    zone = start.tzinfo if isinstance(start, datetime) and start.tzinfo else floating
    lookback = min(max(duration, timedelta()), _MAX_LOOKBACK)
    low = _wall(low - lookback, zone)
    high = _wall(high, zone)
    inside = _wall(inside, zone)
    timed = isinstance(start, datetime)
    naive_start = _wall(start, zone) if timed else datetime.combine(start, time())
    instances: set[datetime] = set()
    for value in rules:
        rule = _rule(value)
        if not timed and rule.frequency == "HOURLY":
            raise Skipped("an hourly rule on an all-day event")
        until = _wall(rule.until, zone) if rule.until is not None else None
        span = _Span(low, high, until, budget, inside, wanted)
        instances.update(_instances(rule, naive_start, span))
    if not instances:
        return []
    before = sorted(i for i in instances if i < inside)
    ordered = (before + sorted(i for i in instances if i >= inside)[:wanted])[
        :_MAX_RULE_OCCURRENCES
    ]
    if isinstance(start, datetime):
        return [i.replace(tzinfo=start.tzinfo) for i in ordered]
    return [i.date() for i in ordered]


def _wall(value: date | datetime, zone: tzinfo) -> datetime:
    """``value`` as a naive wall-clock time in ``zone``; a date is its last moment."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time.max)
    if value.tzinfo is None:
        return value
    return value.astimezone(zone).replace(tzinfo=None)


def _rule(value: Any) -> _Rule:
    if not isinstance(value, icalendar.vRecur):
        raise Skipped("unreadable RRULE")
    recur: Any = value
    parts = rule_parts(recur.to_ical().decode())
    unknown = (
        parts.keys() - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY"} - set(_NUMBER_RANGES)
    )
    if unknown:
        raise Skipped(f"RRULE part {shown(sorted(unknown)[0])} is not supported")
    frequency = _single(parts, "FREQ")
    if frequency not in _FREQUENCIES and frequency not in _TOO_FREQUENT:
        raise Skipped(f"unknown RRULE frequency {shown(frequency)}")
    interval = int(_single(parts, "INTERVAL") or 1)
    count = _single(parts, "COUNT")
    until = _single(parts, "UNTIL")
    if not 1 <= interval <= _MAX_INTERVAL or (count and int(count) < 1):
        raise Skipped("implausible RRULE INTERVAL or COUNT")
    return _Rule(
        frequency=frequency,
        interval=interval,
        count=int(count) if count else None,
        until=_DATE_TIME.from_ical(until) if until else None,
        weekdays=tuple(_weekday(day) for day in parts.get("BYDAY", ())),
        numbers={key: _numbers(key, parts[key]) for key in _NUMBER_RANGES if key in parts},
        week_start=_WEEKDAYS.get(_single(parts, "WKST") or "MO", 0),
    )


def _single(parts: dict[str, list[str]], key: str) -> str:
    values = parts.get(key, [])
    if len(values) > 1:
        raise Skipped(f"RRULE {key} has several values")
    return values[0] if values else ""


def _weekday(text: str) -> tuple[int, int]:
    match = BYDAY.match(text)
    nth = int(match.group(1) or 0) if match else 0
    if match is None or abs(nth) > 53:
        raise Skipped(f"unreadable RRULE BYDAY {shown(text)}")
    return _WEEKDAYS[match.group(2)], nth


def _numbers(key: str, values: list[str]) -> tuple[int, ...]:
    low, high = _NUMBER_RANGES[key]
    if len(values) > _MAX_RULE_VALUES:
        raise Skipped(f"RRULE {key} has too many values")
    try:
        numbers = tuple(int(value) for value in values)
    except ValueError as error:
        raise Skipped(f"unreadable RRULE {key}") from error
    if not all(low <= n <= high and (n != 0 or low == 0) for n in numbers):
        raise Skipped(f"RRULE {key} out of range")
    return numbers


@dataclass
class _Span:
    """Where a rule's occurrences are wanted, as naive wall-clock times: from ``low`` to
    ``high`` and ``until``; those before ``inside`` (the window's start) and the first
    ``wanted`` from there on."""

    low: datetime
    high: datetime
    until: datetime | None
    budget: Budget
    inside: datetime
    wanted: int


def _instances(rule: _Rule, start: datetime, span: _Span) -> list[datetime]:
    """The occurrences of ``rule`` from ``start`` in ``span``."""
    if _too_frequent(rule):
        raise TooFrequent
    if start > span.high or (span.until is not None and span.until < span.low):
        return []
    if rule.frequency in ("YEARLY", "MONTHLY"):
        found = _calendar_instances(rule, start, span)
    else:
        found = _stepped_instances(rule, start, span)
    if any(
        later - earlier < MIN_RECURRENCE_INTERVAL for earlier, later in itertools.pairwise(found)
    ):
        raise TooFrequent
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
        raise Skipped("BYWEEKNO in a rule that is not yearly")
    filters = {k: frozenset(rule.numbers[k]) for k in _CALENDAR_FILTERS if k in rule.numbers}
    if filters and rule.frequency == "WEEKLY" and "BYSETPOS" in rule.numbers:
        raise Skipped("weekly BYSETPOS with BYMONTH, BYMONTHDAY or BYYEARDAY is not supported")
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
        raise Skipped("its rule would be walked for centuries to reach the window")
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
                raise Skipped("its rule is too long to expand")
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
