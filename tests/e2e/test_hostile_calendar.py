"""Hostile calendar files through the command line: each report reproduced as written.

1. ``RRULE:FREQ=SECONDLY;COUNT=1000000`` on any event: a pass took 2 min 37 s and 4.4 GB;
   without an end, memory grew until the machine gave out.
2. A VTIMEZONE whose STANDARD/DAYLIGHT rule is ``FREQ=SECONDLY`` never finished and
   blocked every other file.
3. An interview event with ``FREQ=MINUTELY`` made 2,763 drafts in 180 s.

Each pass here must leave the other interviews drafted, in bounds far below the reports
(generous, for slow machines; tests/unit/test_ics_hostile.py measures one file at a time).
"""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from interview_outreach.daemon.domain.model import interview_id
from tests.e2e.conftest import USER, Result, World
from tests.e2e.test_lifecycle import START, WINDOW_OPENS, body_of, interview

SECONDS = 30.0
PEAK_BYTES = 256 * 1024 * 1024


def write_ics(world: World, name: str, *lines: str) -> None:
    """A calendar file of ``lines`` (VTIMEZONEs and VEVENTs), written as raw text."""
    text = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//hostile//EN", *lines, "END:VCALENDAR", ""]
    )
    (world.calendar / f"{name}.ics").write_text(text, encoding="utf-8")


def hostile_interview(uid: str, dtstart: str, *extra: str) -> list[str]:
    """An invitation that reads as an interview with Globex, one hour long."""
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261101T000000Z",
        f"DTSTART{dtstart}",
        "DURATION:PT1H",
        "SUMMARY:Globex – Technical interview (Data Engineer)",
        "DESCRIPTION:Interview for the Data Engineer position at Globex.",
        "LOCATION:https://meet.example.com/abc",
        "ORGANIZER;CN=Mia Chen:mailto:mia.chen@globex.com",
        "ATTENDEE;CN=Mia Chen;PARTSTAT=ACCEPTED:mailto:mia.chen@globex.com",
        f"ATTENDEE;CN=Ada Lovelace;PARTSTAT=ACCEPTED:mailto:{USER}",
        *extra,
        "END:VEVENT",
    ]


@dataclass
class Pass:
    result: Result
    seconds: float
    peak_bytes: int


def measured_pass(world: World, at: datetime) -> Pass:
    tracemalloc.start()
    began = time.perf_counter()
    try:
        result = world.run("once", at=at)
    finally:
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Pass(result, seconds, peak)


def tracked(world: World, at: datetime) -> set[str]:
    interviews = world.status(at=at)["interviews"]
    assert isinstance(interviews, list)
    return {str(i["id"]) for i in interviews}


def recipients(world: World) -> list[str]:
    return sorted(str(d["To"]) for d in world.drafts())


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY;COUNT=1000000", "FREQ=SECONDLY"])
def test_a_secondly_rule_costs_nothing_and_the_other_interviews_are_drafted(
    world: World, rule: str
) -> None:
    interview(world)  # Acme, in a file of its own
    write_ics(
        world, "secondly", *hostile_interview("globex-1", ":20261210T140000Z", f"RRULE:{rule}")
    )

    done = measured_pass(world, WINDOW_OPENS)

    assert done.result.code == 0, done.result.err
    assert "skipped" not in done.result.err  # not a fault: the rule is read as no occurrences
    assert recipients(world) == ["Jane Doe <jane.doe@acme.com>"]
    assert tracked(world, WINDOW_OPENS) == {interview_id("acme-1")}
    assert done.seconds < SECONDS and done.peak_bytes < PEAK_BYTES, done


SECONDLY_ZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:W. Europe Standard Time",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "RRULE:FREQ=SECONDLY",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:19700101T000030",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "RRULE:FREQ=SECONDLY",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
]


def test_a_vtimezone_with_a_secondly_rule_blocks_no_file_and_its_events_keep_their_time(
    world: World,
) -> None:
    interview(world)  # Acme, 14:00 London
    # Globex, at 16:00 Berlin: 15:00 London. The zone's own rules are not used: its name is.
    write_ics(
        world,
        "zone",
        *SECONDLY_ZONE,
        *hostile_interview("globex-1", ";TZID=W. Europe Standard Time:20261210T160000"),
    )

    done = measured_pass(world, WINDOW_OPENS)

    assert done.result.code == 0, done.result.err
    assert recipients(world) == [
        "Jane Doe <jane.doe@acme.com>",
        "Mia Chen <mia.chen@globex.com>",
    ]
    (globex,) = [d for d in world.drafts() if "globex" in str(d["To"])]
    assert "Thursday, 10 December 2026 at 15:00 GMT" in body_of(globex)
    assert done.seconds < SECONDS and done.peak_bytes < PEAK_BYTES, done


def test_a_minutely_interview_makes_no_drafts_and_the_others_are_drafted(world: World) -> None:
    interview(world)
    write_ics(
        world,
        "minutely",
        *hostile_interview("globex-1", ":20261210T150000Z", "RRULE:FREQ=MINUTELY"),
    )

    outreach = measured_pass(world, WINDOW_OPENS)
    assert recipients(world) == ["Jane Doe <jane.doe@acme.com>"]
    after = START + timedelta(hours=3)  # both interviews ended: the thank-yous are due
    thanks = measured_pass(world, after)
    # Acme's thank-yous; its untouched outreach went when the interview started.
    assert recipients(world) == ["Jane Doe <jane.doe@acme.com>", "Raj Patel <raj@acme.com>"]

    for done in (outreach, thanks):
        assert done.result.code == 0, done.result.err
        assert done.seconds < SECONDS and done.peak_bytes < PEAK_BYTES, done
    assert tracked(world, after) == {interview_id("acme-1")}


def test_a_broken_event_beside_an_interview_costs_only_itself_and_removes_nothing(
    world: World,
) -> None:
    write_ics(world, "mixed", *hostile_interview("globex-1", ":20261210T150000Z"))
    first = world.run("once", at=WINDOW_OPENS)
    assert first.code == 0, first.err
    assert recipients(world) == ["Mia Chen <mia.chen@globex.com>"]

    # The same file gains an event the reader cannot read, and the interview loses its
    # start: both are named, and the interview is not taken as cancelled.
    broken = ["BEGIN:VEVENT", "UID:broken-1", "SUMMARY:no start", "END:VEVENT"]
    startless = [line for line in hostile_interview("globex-1", ":x") if "DTSTART" not in line]
    write_ics(world, "mixed", *startless, *broken)
    second = world.run("once", at=WINDOW_OPENS + timedelta(hours=1))

    assert second.code == 0, second.err
    (line,) = [line for line in second.err.splitlines() if "skipped" in line]
    assert line.startswith(f"home: skipped: {world.calendar / 'mixed.ics'}: ")
    assert "event 'globex-1' skipped: no DTSTART" in line
    assert "event 'broken-1' skipped: no DTSTART" in line
    assert recipients(world) == ["Mia Chen <mia.chen@globex.com>"]  # the draft is kept
    interviews = world.status(at=WINDOW_OPENS)["interviews"]
    assert isinstance(interviews, list) and len(interviews) == 1
    assert interviews[0]["skip_reason"] is None
