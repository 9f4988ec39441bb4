"""A user's world on disk: a vdir calendar, a Maildir, a config file, and the CLI with a clock."""

from __future__ import annotations

import json
import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from interview_outreach.daemon.cli import main
from tests import configs

USER = "ada.lovelace@example.org"


@dataclass
class Result:
    code: int
    out: str
    err: str


class World:
    """Files a user has, and the command line run against them at a chosen moment."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys
        self.calendar = root / "calendar"
        self.maildir = root / "Mail"
        self.calendar.mkdir()
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        self.config = root / "config.toml"
        self.write_config()

    def write_config(self, extra_rules: str = "") -> None:
        configs.write_config(
            self.config,
            rules=extra_rules,
            storage=f"sqlite:///{self.root / 'state.db'}",
            accounts=[configs.local_account("home", USER, self.calendar, self.maildir)],
        )

    def add_event(
        self,
        uid: str,
        title: str,
        start: datetime,
        minutes: int = 60,
        *,
        organizer: tuple[str, str] = ("Jane Doe", "jane.doe@acme.com"),
        attendees: tuple[tuple[str, str], ...] = (("Raj Patel", "raj@acme.com"),),
        description: str = "Interview for the Senior Backend Engineer position at Acme.",
        location: str = "https://meet.example.com/xyz",
        status: str = "CONFIRMED",
        partstat: str = "ACCEPTED",
    ) -> None:
        cal = icalendar.Calendar()
        cal.add("prodid", "-//tests//EN")
        cal.add("version", "2.0")
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", datetime(2026, 11, 1, tzinfo=UTC))
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=minutes))
        event.add("summary", title)
        event.add("description", description)
        event.add("location", location)
        event.add("status", status)
        org = icalendar.vCalAddress(f"mailto:{organizer[1]}")
        org.params["cn"] = organizer[0]
        event.add("organizer", org)
        for name, email in (organizer, *attendees):
            person = icalendar.vCalAddress(f"mailto:{email}")
            person.params.update({"cn": name, "partstat": "ACCEPTED", "role": "REQ-PARTICIPANT"})
            event.add("attendee", person)
        me = icalendar.vCalAddress(f"mailto:{USER}")
        me.params.update({"cn": "Ada Lovelace", "partstat": partstat, "role": "REQ-PARTICIPANT"})
        event.add("attendee", me)
        cal.add_component(event)
        (self.calendar / f"{uid}.ics").write_bytes(cal.to_ical())

    def remove_event(self, uid: str) -> None:
        (self.calendar / f"{uid}.ics").unlink()

    def run(self, *args: str, at: datetime) -> Result:
        self.capsys.readouterr()
        code = main(["--config", str(self.config), *args], clock=lambda: at)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def status(self, at: datetime) -> dict[str, object]:
        result = self.run("status", "--json", at=at)
        assert result.code == 0, result.err
        data: dict[str, object] = json.loads(result.out)
        return data

    def drafts(self) -> list[mailbox.MaildirMessage]:
        if not (self.maildir / ".Drafts").exists():
            return []
        box = mailbox.Maildir(self.maildir / ".Drafts", create=False)
        return list(box)

    def draft_paths(self) -> list[Path]:
        folders = [self.maildir / ".Drafts" / sub for sub in ("cur", "new")]
        return sorted(p for folder in folders if folder.exists() for p in folder.iterdir())


@pytest.fixture
def world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> World:
    return World(tmp_path, capsys)
