"""When things are due, always computed in the user's time zone (DST-safe)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from interview_outreach.daemon.domain.rules import Rules


def local_time(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``day`` at wall-clock ``at`` in ``tz``; a time skipped by a DST jump moves forward."""
    naive = datetime.combine(day, at)
    # Round-tripping through UTC normalises wall times that do not exist (spring forward).
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def outreach_window(start: datetime, rules: Rules, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """When the outreach window opens and closes for an interview starting at ``start``.

    It opens on the calendar day ``outreach_earliest_days`` before the interview's day, at
    ``draft_time``, and closes ``outreach_latest_days`` × 24 h before the start.
    """
    interview_day = start.astimezone(tz).date()
    opens = local_time(
        interview_day - timedelta(days=rules.outreach_earliest_days), rules.draft_time, tz
    )
    closes = start - timedelta(hours=24 * rules.outreach_latest_days)
    return opens, closes


def next_working_time(at: datetime, rules: Rules, tz: ZoneInfo) -> datetime:
    """``at`` if it falls within working hours, else the start of the next working period."""
    local = at.astimezone(tz)
    day = local.date()
    for offset in range(8):
        current = day + timedelta(days=offset)
        if current.weekday() not in rules.working_days:
            continue
        opens = local_time(current, rules.working_hours_start, tz)
        closes = local_time(current, rules.working_hours_end, tz)
        if local < opens:
            return opens
        if local < closes:
            return local
    # No working day configured within a week cannot happen (config requires one); be safe.
    return local


def thankyou_due(end: datetime, rules: Rules, tz: ZoneInfo) -> datetime:
    """When a thank-you becomes due: some time after the end, moved into working hours."""
    return next_working_time(end + timedelta(minutes=rules.thankyou_after_minutes), rules, tz)


def followup_due(sent_at: datetime, rules: Rules, tz: ZoneInfo) -> datetime:
    """When a follow-up becomes due after the outreach was sent, in working hours."""
    return next_working_time(sent_at + timedelta(hours=rules.followup_after_hours), rules, tz)


def format_when(at: datetime, tz: ZoneInfo) -> str:
    """A date and time with the zone's name, e.g. "Tuesday, 8 December 2026 at 14:00 GMT"."""
    local = at.astimezone(tz)
    abbreviation = local.tzname() or ""
    if not abbreviation or abbreviation[0] in "+-":
        # Zones without an abbreviation (e.g. Asia/Dubai shows "+04"): name the zone itself.
        abbreviation = f"{tz.key.replace('_', ' ')} time (UTC{abbreviation})"
    return f"{local:%A}, {local.day} {local:%B %Y} at {local:%H:%M} {abbreviation}"


def format_short(at: datetime, tz: ZoneInfo) -> str:
    """A compact local time for tables: "Tue 08 Dec 14:00 GMT"."""
    local = at.astimezone(tz)
    return f"{local:%a %d %b %H:%M} {local.tzname() or ''}".rstrip()
