"""A local calendar re-reads only what changed, and a change it reports is positive evidence.

Files are read through ``read_ics``; counting its calls tells what was read (never timing).
Files are given a modification time in the past, as a synced vdir has: a file changed in
the last two seconds is read again on the next pass whatever its stamp says.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import interview_outreach.providers.local.calendar
from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.daemon.ports import CalendarChanges
from interview_outreach.providers.local.calendar import LocalCalendar
from interview_outreach.providers.local.read_state import MARGIN, ReadState

USER = UserIdentity("Ada Lovelace", frozenset({"ada@example.org"}), ZoneInfo("Europe/London"))
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
LOOKBACK, LOOKAHEAD = timedelta(days=4), timedelta(days=45)
# File times are the file system's (the wall clock), not the pass's: only "not in the
# last 2 s" matters.
AN_HOUR_AGO = time.time() - 3600


def event_text(uid: str, start: datetime, *extra: str, title: str = "Interview") -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SUMMARY:{title}",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        "DURATION:PT1H",
        "ORGANIZER:mailto:rec@acme.com",
        *extra,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def write(path: Path, text: str, mtime: float = AN_HOUR_AGO) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


class Reads:
    """Counts the files ``read_ics`` is given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sources: list[str] = []
        real = interview_outreach.providers.local.calendar.read_ics

        def counting(data: bytes, *args: Any, **kwargs: Any) -> Any:
            self.sources.append(Path(kwargs.get("source", "")).name)
            return real(data, *args, **kwargs)

        monkeypatch.setattr(interview_outreach.providers.local.calendar, "read_ics", counting)

    def take(self) -> list[str]:
        taken, self.sources = sorted(self.sources), []
        return taken


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    return Reads(monkeypatch)


@pytest.fixture
def vdir(tmp_path: Path) -> Path:
    folder = tmp_path / "calendar"
    folder.mkdir()
    write(folder / "a.ics", event_text("a", NOW + timedelta(days=2)))
    write(folder / "b.ics", event_text("b", NOW + timedelta(days=3)))
    return folder


def sync(calendar: LocalCalendar, cursor: str | None, now: datetime = NOW) -> CalendarChanges:
    return calendar.changes(cursor, now - LOOKBACK, now + LOOKAHEAD)


def test_a_second_pass_over_an_unchanged_vdir_reads_no_file(vdir: Path, reads: Reads) -> None:
    calendar = LocalCalendar(vdir, USER)
    first = sync(calendar, None)
    assert first.complete and {e.uid for e in first.events} == {"a", "b"}
    assert reads.take() == ["a.ics", "b.ics"]
    second = sync(calendar, first.cursor, NOW + timedelta(minutes=5))
    assert reads.take() == []
    assert (second.events, second.removed, second.complete) == ((), (), False)
    assert second.cursor == first.cursor


def test_a_changed_file_is_read_and_an_event_it_no_longer_holds_is_removed(
    vdir: Path, reads: Reads
) -> None:
    calendar = LocalCalendar(vdir, USER)
    cursor = sync(calendar, None).cursor
    reads.take()
    write(vdir / "a.ics", event_text("a2", NOW + timedelta(days=2)), AN_HOUR_AGO + 60)
    changes = sync(calendar, cursor)
    assert reads.take() == ["a.ics"]
    assert [e.uid for e in changes.events] == ["a2"]
    assert changes.removed == ("a",)


def test_a_deleted_file_removes_its_events(vdir: Path, reads: Reads) -> None:
    calendar = LocalCalendar(vdir, USER)
    cursor = sync(calendar, None).cursor
    (vdir / "b.ics").unlink()
    changes = sync(calendar, cursor)
    assert changes.removed == ("b",) and changes.events == ()


def test_a_file_replaced_by_a_rename_with_the_same_stamp_is_read(vdir: Path, reads: Reads) -> None:
    """vdirsyncer writes a new file and renames it over the old one: a new inode."""
    calendar = LocalCalendar(vdir, USER)
    cursor = sync(calendar, None).cursor
    reads.take()
    stat = (vdir / "a.ics").stat()
    replacement = vdir / ".a.ics.tmp"
    replacement.write_text(event_text("a", NOW + timedelta(days=2), title="Moved"), "utf-8")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    replacement.replace(vdir / "a.ics")
    changes = sync(calendar, cursor)
    assert reads.take() == ["a.ics"]
    assert [e.title for e in changes.events] == ["Moved"]


def test_a_half_written_file_removes_nothing_and_is_read_again_next_pass(
    vdir: Path, reads: Reads
) -> None:
    calendar = LocalCalendar(vdir, USER)
    cursor = sync(calendar, None).cursor
    whole = (vdir / "a.ics").read_text("utf-8")
    write(vdir / "a.ics", whole[: whole.index("END:VEVENT")], AN_HOUR_AGO + 60)
    reads.take()
    broken = sync(calendar, cursor)
    assert broken.removed == () and broken.problems
    again = sync(calendar, broken.cursor)
    assert reads.take() == ["a.ics", "a.ics"]  # still broken, so still read each pass
    assert again.removed == ()
    write(vdir / "a.ics", whole, AN_HOUR_AGO + 120)
    mended = sync(calendar, again.cursor)
    assert [e.uid for e in mended.events] == ["a"] and mended.problems == ()


def test_a_file_that_just_changed_is_read_again_until_it_has_settled(
    vdir: Path, reads: Reads
) -> None:
    """Two writes inside one tick of a coarse clock can leave mtime and size alike."""
    calendar = LocalCalendar(vdir, USER)
    cursor = sync(calendar, None).cursor
    reads.take()
    (vdir / "b.ics").write_text(event_text("b", NOW + timedelta(days=4)), "utf-8")  # now
    cursor = sync(calendar, cursor).cursor
    cursor = sync(calendar, cursor).cursor
    assert reads.take() == ["b.ics", "b.ics"]


def test_an_event_beyond_the_window_is_reported_once_the_window_reaches_it(
    vdir: Path, reads: Reads
) -> None:
    calendar = LocalCalendar(vdir, USER)
    write(vdir / "far.ics", event_text("far", NOW + LOOKAHEAD + timedelta(days=3)))
    first = sync(calendar, None)
    assert "far" not in {e.uid for e in first.events}
    reads.take()
    later = NOW + timedelta(days=3)  # the window then ends where "far" starts
    cursor = sync(calendar, first.cursor, later - timedelta(hours=1)).cursor
    assert reads.take() == []
    changes = sync(calendar, cursor, later + timedelta(hours=1))
    assert reads.take() == ["far.ics"]
    assert [e.uid for e in changes.events] == ["far"]


def test_a_far_event_is_due_no_later_than_the_margin_read(vdir: Path, reads: Reads) -> None:
    calendar = LocalCalendar(vdir, USER)
    write(vdir / "farther.ics", event_text("x", NOW + LOOKAHEAD + MARGIN * 3))
    cursor = sync(calendar, None).cursor
    reads.take()
    sync(calendar, cursor, NOW + MARGIN + timedelta(minutes=1))
    assert reads.take() == ["a.ics", "b.ics", "farther.ics"]


def test_a_weekly_series_reports_each_new_occurrence_as_the_window_moves(
    tmp_path: Path, reads: Reads
) -> None:
    folder = tmp_path / "series"
    folder.mkdir()
    write(folder / "s.ics", event_text("s", NOW + timedelta(days=1), "RRULE:FREQ=WEEKLY"))
    calendar = LocalCalendar(folder, USER)
    first = sync(calendar, None)
    seen = {e.instance for e in first.events}
    cursor = first.cursor
    for day in range(1, 15):
        changes = sync(calendar, cursor, NOW + timedelta(days=day))
        seen |= {e.instance for e in changes.events}
        cursor = changes.cursor
        assert changes.removed == ()
    expected = {e.instance for e in sync(calendar, None, NOW + timedelta(days=14)).events} | {
        e.instance for e in first.events
    }
    assert seen == expected and len(seen) == 9  # 7 at first, then one a week


def test_an_event_that_left_the_window_is_not_reported_removed(vdir: Path, reads: Reads) -> None:
    calendar = LocalCalendar(vdir, USER)
    cursor = sync(calendar, None).cursor
    later = NOW + timedelta(days=10)  # both events ended more than LOOKBACK ago
    write(vdir / "a.ics", event_text("c", later + timedelta(days=1)), AN_HOUR_AGO + 60)
    (vdir / "b.ics").unlink()
    changes = sync(calendar, cursor, later)
    assert [e.uid for e in changes.events] == ["c"]
    assert changes.removed == ()  # "a" and "b" ended before the window: trimmed, not removed
    write(vdir / "a.ics", event_text("d", later + timedelta(days=1)), AN_HOUR_AGO + 120)
    assert sync(calendar, changes.cursor, later).removed == ("c",)


@pytest.mark.parametrize("cursor", ["", "not json", '{"v": 99}', '{"v": 1, "files": {"a": [1]}}'])
def test_a_cursor_that_cannot_be_understood_means_read_everything(
    vdir: Path, reads: Reads, cursor: str
) -> None:
    assert ReadState.decode(cursor) is None
    changes = sync(LocalCalendar(vdir, USER), cursor)
    assert changes.complete and reads.take() == ["a.ics", "b.ics"]


def test_a_single_file_calendar_is_read_only_when_it_changed(tmp_path: Path, reads: Reads) -> None:
    path = tmp_path / "export.ics"
    write(path, event_text("one", NOW + timedelta(days=2)))
    calendar = LocalCalendar(path, USER)
    cursor = sync(calendar, None).cursor
    assert sync(calendar, cursor).events == ()
    write(path, event_text("two", NOW + timedelta(days=2)), AN_HOUR_AGO + 60)
    changes = sync(calendar, cursor)
    assert [e.uid for e in changes.events] == ["two"] and changes.removed == ("one",)
    assert reads.take() == ["export.ics", "export.ics"]
