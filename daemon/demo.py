"""``interview-outreach demo``: a sample vdir calendar + Maildir that shows the rules at work."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import platformdirs

from interview_outreach.daemon.accounts import open_accounts
from interview_outreach.daemon.config import load_config, system_timezone
from interview_outreach.daemon.domain.timing import local_time
from interview_outreach.daemon.errors import UserError
from interview_outreach.daemon.passes import PassReport, run_pass
from interview_outreach.daemon.private_files import private_dir, write_private
from interview_outreach.daemon.report import pass_report_lines, status_table
from interview_outreach.daemon.scrub import scrub
from interview_outreach.daemon.store.repository import Store

MARKER = ".interview-outreach-demo"
USER_NAME = "Alex Morgan"
USER_ADDRESS = "alex.morgan@example.org"


@dataclass(frozen=True)
class SampleEvent:
    """One invitation of the sample calendar, placed relative to today."""

    slug: str
    title: str
    day_offset: int
    at: tuple[int, int]
    minutes: int
    organizer: tuple[str, str]
    attendees: tuple[tuple[str, str], ...]
    description: str
    location: str = ""


SAMPLES = (
    SampleEvent(
        slug="northwind-technical",
        title="Technical interview – Senior Backend Engineer",
        day_offset=2,
        at=(14, 0),
        minutes=60,
        organizer=("Jane Doe", "jane.doe@northwindrobotics.com"),
        attendees=(("Raj Patel", "raj.patel@northwindrobotics.com"),),
        description=(
            "Hi Alex,\nthank you for your application for the Senior Backend Engineer position at "
            "Northwind Robotics. Jane and Raj from the platform team will talk with you about "
            "distributed systems.\nJoin: https://meet.example.com/abc-defg-hij"
        ),
        location="https://meet.example.com/abc-defg-hij",
    ),
    SampleEvent(
        slug="globex-final",
        title="Final round – Product Designer",
        day_offset=10,
        at=(10, 0),
        minutes=90,
        organizer=("Maria Garcia", "maria.garcia@globex.com"),
        attendees=(("Tom Baker", "tom.baker@globex.com"),),
        description=(
            "Final interview round for the Product Designer role at Globex: portfolio review and "
            "a conversation with the design team."
        ),
        location="Globex HQ, 5th floor",
    ),
    SampleEvent(
        slug="initech-screen",
        title="Recruiter screen",
        day_offset=2,
        at=(11, 0),
        minutes=20,
        organizer=("Sam Lee", "sam.lee@initech.com"),
        attendees=(),
        description="A short intro call about the Data Engineer opening and your application.",
        location="Phone",
    ),
    SampleEvent(
        slug="umbrella-hm",
        title="Hiring manager interview – Data Analyst",
        day_offset=-1,
        at=(15, 0),
        minutes=60,
        organizer=("Chris Kim", "chris.kim@umbrella-analytics.com"),
        attendees=(),
        description="Interview for the Data Analyst position with Chris Kim, hiring manager.",
        location="https://zoom.example.com/j/123456",
    ),
    SampleEvent(
        slug="lunch",
        title="Lunch with Jordan",
        day_offset=1,
        at=(12, 30),
        minutes=60,
        organizer=("Jordan Smith", "jordan.smith@gmail.com"),
        attendees=(),
        description="Usual place?",
        location="Café Nero",
    ),
)


def run_demo(directory: Path | None, clock: Callable[[], datetime]) -> int:
    """Build the sample (replacing an earlier demo), run one pass, print what happened."""
    root = (
        directory or Path(platformdirs.user_data_dir("interview-outreach")) / "demo"
    ).expanduser()
    _prepare(root)
    tz = system_timezone(os.environ)
    now = clock()
    config_path = _write_sample(root, tz, now)
    config = load_config(config_path, os.environ)
    with Store(config.storage.url) as store:
        opened = open_accounts(config, message_index=store.message_index)
        report = run_pass(config, store, opened.accounts, now, opened.unavailable)
        table = status_table(store.interviews(), [], config.profile.timezone)
    drafts = root / "mail" / ".Drafts"
    count = sum(1 for _ in (drafts / "cur").iterdir())
    created = sum(a.tally.created for a in report.accounts)
    print(f"Demo built in {root}\n")
    print(scrub(table, keep_newlines=True))
    print(
        f"\n{created} draft(s) prepared; {count} in {drafts} — a Maildir folder, readable with "
        f"any Maildir client, e.g.  mutt -f {drafts}\nNothing was sent.\n"
        f"Look closer:  {_command_name()} --config {config_path} explain ID"
    )
    failed = PassReport([a for a in report.accounts if a.error])  # the demo has one account
    for _, line in pass_report_lines(failed):
        print(line, file=sys.stderr)
    return 1 if failed.failed else 0


def _command_name() -> str:
    """How the user can call this program again: by name when it is on PATH."""
    if shutil.which("interview-outreach"):
        return "interview-outreach"
    invoked = Path(sys.argv[0])
    return str(invoked.resolve()) if invoked.name == "interview-outreach" else "interview-outreach"


def _prepare(root: Path) -> None:
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise UserError(
                f"{root} exists and is not an earlier demo; choose an empty folder with --dir"
            )
        shutil.rmtree(root)
    private_dir(root)
    write_private(root / MARKER, "made by `interview-outreach demo`; safe to delete\n")


def _write_sample(root: Path, tz: ZoneInfo, now: datetime) -> Path:
    calendar = private_dir(root / "calendar")
    for folder in ("cur", "new", "tmp"):
        private_dir(root / "mail" / folder)
    today = now.astimezone(tz).date()
    for sample in SAMPLES:
        start = local_time(today + timedelta(days=sample.day_offset), time(*sample.at), tz)
        write_private(calendar / f"{sample.slug}.ics", _ics(sample, start, now))
    config_path = root / "config.toml"
    write_private(
        config_path,
        f"""# Made by `interview-outreach demo`. See config.example.toml for every key.
[profile]
name = "{USER_NAME}"
timezone = "{tz.key}"
highlights = ["six years of building reliable backend services", "mentoring junior engineers"]

[storage]
url = "sqlite:///{root / "demo.db"}"

[[accounts]]
name = "demo"
provider = "local"
address = "{USER_ADDRESS}"
calendar = "calendar"
maildir = "mail"
""",
    )
    return config_path


def _ics(sample: SampleEvent, start: datetime, now: datetime) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//interview-outreach//demo//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("uid", f"{sample.slug}@demo.interview-outreach")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", start.astimezone(UTC) + timedelta(minutes=sample.minutes))
    event.add("summary", sample.title)
    event.add("description", sample.description)
    event.add("location", sample.location)
    event.add("status", "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{sample.organizer[1]}")
    organizer.params["cn"] = sample.organizer[0]
    event.add("organizer", organizer)
    people = (sample.organizer, *sample.attendees, (USER_NAME, USER_ADDRESS))
    for name, email in people:
        attendee = icalendar.vCalAddress(f"mailto:{email}")
        attendee.params.update({"cn": name, "role": "REQ-PARTICIPANT", "partstat": "ACCEPTED"})
        event.add("attendee", attendee)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
