"""Many local accounts and several interview-outreach processes at once (tests and bench).

A *world* is a folder of local accounts (a vdir calendar and a Maildir each) sharing one
config file and one database, with interviews whose actions are due: an outreach (the
interview starts 36 hours after ``now``, always inside its outreach window) or a
thank-you (the interview ended a little more than ``thankyou_after_minutes`` before
``now``, or ends so that its thank-you falls due later, while the processes run). Every
due action's Message-ID is known in advance (``daemon.domain.identity``), so what the
processes did is counted in the mailboxes themselves: drafts per Message-ID in every
``.Drafts`` folder.

Processes are started with :func:`start_processes`: each child imports the program, says
it is ready, and waits for a common "go" file, so they all start their work within a
millisecond or so of each other (a barrier), not staggered by their import time.
"""

from __future__ import annotations

import email.parser
import email.policy
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar

from interview_outreach.daemon.domain.identity import action_message_id
from interview_outreach.daemon.domain.model import ActionKind
from tests import configs

ROOT = Path(__file__).resolve().parents[1]
CHILD_MODULE = "tests.concurrency_child"
PASSED_OVER = re.compile(
    r"^(?P<account>\S+): passed over: another interview-outreach process is working on it "
    r"\(pid (?P<pid>\d+) on (?P<host>\S+) since (?P<since>\d\d:\d\d:\d\d)\)$",
    re.MULTILINE,
)
"""The line ``once`` prints for an account another process holds (SPEC section 4)."""

RUN_WORKED = re.compile(r"account (?P<account>\S+): \d+ events, \d+ interviews tracked; "
                        r"drafts: (?P<created>\d+) created")  # fmt: skip
"""The line ``run`` logs for an account it passed (held the lease and worked on it)."""

RUN_PASSED_OVER = re.compile(r"account (?P<account>\S+): passed over: ")

THANKYOU_AFTER_MINUTES = 60


@dataclass(frozen=True)
class AccountFiles:
    """One local account of a world."""

    name: str
    address: str
    calendar: Path
    maildir: Path

    @property
    def drafts(self) -> Path:
        return self.maildir / ".Drafts"


@dataclass
class World:
    """The files of many local accounts, and the Message-ID of every action due in them."""

    root: Path
    config: Path
    accounts: list[AccountFiles]
    expected: dict[str, str] = field(default_factory=dict)
    """Message-ID of each action that must be drafted → the account it belongs to."""
    due: dict[str, datetime] = field(default_factory=dict)
    """Message-ID of each action that must be drafted → when it falls due."""

    def count(self) -> Tally:
        """The drafts in every account's Drafts folder, by Message-ID."""
        drafts: Counter[str] = Counter()
        for account in self.accounts:
            drafts.update(message_ids(account.drafts))
        return Tally(drafts, self.expected)


@dataclass(frozen=True)
class Tally:
    """What the mailboxes hold, compared with what was due."""

    drafts: Counter[str]
    expected: dict[str, str]

    @property
    def total(self) -> int:
        return sum(self.drafts.values())

    @property
    def duplicated(self) -> list[str]:
        """Message-IDs of actions drafted more than once."""
        return sorted(m for m, n in self.drafts.items() if n > 1)

    @property
    def extra_drafts(self) -> int:
        """Drafts beyond the first of each action."""
        return sum(n - 1 for n in self.drafts.values() if n > 1)

    @property
    def missing(self) -> list[str]:
        """Message-IDs of due actions with no draft."""
        return sorted(m for m in self.expected if self.drafts[m] == 0)

    @property
    def unexpected(self) -> list[str]:
        """Drafts with a Message-ID of no due action."""
        return sorted(m for m in self.drafts if m not in self.expected)

    @property
    def complete(self) -> bool:
        return not self.missing

    def accounts_missing(self) -> set[str]:
        return {self.expected[m] for m in self.missing}


def message_ids(folder: Path) -> list[str]:
    """The Message-ID of every message in a Maildir folder (``cur`` and ``new``)."""
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    found = []
    for sub in ("cur", "new"):
        directory = folder / sub
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            try:
                with path.open("rb") as handle:
                    headers = parser.parse(handle)
            except FileNotFoundError:
                continue  # renamed meanwhile; counted under its new name, if any
            found.append(str(headers.get("Message-ID", "")).strip().lower())
    return found


def build_world(
    root: Path,
    *,
    accounts: int,
    interviews: int,
    now: datetime,
    storage_url: str | None = None,
    actions: str = "outreach",
    thankyou_due: Sequence[timedelta] = (),
    poll_seconds: int = 300,
) -> World:
    """``accounts`` local accounts with ``interviews`` interviews each, in ``root``.

    ``actions`` says which action of each interview is due: ``outreach`` (the interview
    starts 36 hours after ``now``), ``thankyou`` (the interview is over and its thank-you
    falls due at ``now`` plus one of the offsets ``thankyou_due``, taken in turn across
    accounts and interviews; by default a minute ago) or ``both`` (every other interview
    of each kind). The rules make every day a working day from 00:00 to 23:59, so no
    thank-you is moved (unless it falls due in the last minute of a day).
    """
    if actions not in {"outreach", "thankyou", "both"}:
        raise ValueError(f"actions must be outreach, thankyou or both, not {actions!r}")
    offsets = tuple(thankyou_due) or (timedelta(minutes=-1),)
    root.mkdir(parents=True, exist_ok=True)
    files = []
    expected: dict[str, str] = {}
    due_at: dict[str, datetime] = {}
    for a in range(accounts):
        name = f"acc{a:03d}"
        account = AccountFiles(
            name, f"user{a:03d}@example.org", root / name / "calendar", root / name / "Mail"
        )
        account.calendar.mkdir(parents=True)
        for sub in ("cur", "new", "tmp"):
            (account.maildir / sub).mkdir(parents=True)
        files.append(account)
        for i in range(interviews):
            uid = f"{name}-interview-{i}@bench.example.com"
            interviewer = f"interviewer{i}@company{a:03d}x{i}.com"
            if actions == "outreach" or (actions == "both" and i % 2 == 0):
                start, due = now + timedelta(hours=36), now
                kind = ActionKind.OUTREACH
            else:
                k = i // 2 if actions == "both" else i
                due = now + offsets[(a + k) % len(offsets)]
                start = due - timedelta(minutes=THANKYOU_AFTER_MINUTES + 60)
                kind = ActionKind.THANKYOU
            write_interview(account, uid, start, interviewer, company=f"Company{a:03d}x{i}")
            message_id = action_message_id(uid, "", kind, interviewer, account.address)
            expected[message_id], due_at[message_id] = name, due
    config = root / "config.toml"
    config.write_text(_config_text(root, files, storage_url, poll_seconds), encoding="utf-8")
    config.chmod(0o600)
    return World(root, config, files, expected, due_at)


def write_interview(
    account: AccountFiles, uid: str, start: datetime, interviewer: str, company: str
) -> None:
    """A one-hour interview with one interviewer (the organizer) in ``account``'s calendar."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//interview-outreach concurrency//EN")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime(2026, 1, 1, tzinfo=UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=60))
    event.add("summary", "Interview – Senior Backend Engineer")
    event.add(
        "description",
        f"Interview for the Senior Backend Engineer position at {company}. "
        "Join: https://meet.example.com/abc",
    )
    event.add("status", "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{interviewer}")
    organizer.params["cn"] = "Jane Doe"
    event.add("organizer", organizer)
    for name, address in (("Jane Doe", interviewer), ("Ada Lovelace", account.address)):
        person = icalendar.vCalAddress(f"mailto:{address}")
        person.params.update({"cn": name, "partstat": "ACCEPTED", "role": "REQ-PARTICIPANT"})
        event.add("attendee", person)
    cal.add_component(event)
    (account.calendar / f"{uid}.ics").write_bytes(cal.to_ical())


def _config_text(
    root: Path, accounts: list[AccountFiles], storage_url: str | None, poll_seconds: int
) -> str:
    return configs.config_text(
        rules={
            "thankyou_after_minutes": THANKYOU_AFTER_MINUTES,
            "working_hours": "00:00-23:59",
            "working_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        },
        storage=storage_url or f"sqlite:///{root / 'state.db'}",
        daemon={"poll_seconds": poll_seconds, "notifications": False},
        accounts=[
            configs.local_account(a.name, a.address, a.calendar, a.maildir) for a in accounts
        ],
    )


# ---------------------------------------------------------------------------------------------
# Processes started together
# ---------------------------------------------------------------------------------------------


@dataclass
class Child:
    """One interview-outreach process and where its output goes."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def out(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def err(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")


def child_env(home: Path) -> dict[str, str]:
    """A private home, the working tree's code, no desktop session."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "PYTHONPATH": str(ROOT),
        "LANG": "C.UTF-8",
    }


def start_processes(
    root: Path,
    config: Path,
    command: str,
    count: int,
    *,
    at: datetime | None = None,
    tag: str = "p",
    before_go: Callable[[], object] | None = None,
    ready_timeout: float = 120.0,
) -> list[Child]:
    """``count`` processes of ``interview-outreach --config CONFIG COMMAND``, released together.

    ``at`` fixes the clock of every child (``daemon.cli.main(..., clock=...)``); without
    it they use the machine's clock. ``before_go`` runs once every child is ready (the
    configuration is read only after "go": it may write it). Returns once all are released.
    """
    root.mkdir(parents=True, exist_ok=True)
    barrier = root / f"barrier-{tag}-{time.monotonic_ns()}"
    barrier.mkdir()
    home = root / "home"
    home.mkdir(exist_ok=True)
    children = []
    for index in range(count):
        stdout, stderr = barrier / f"{index}.out", barrier / f"{index}.err"
        argv = [sys.executable, "-m", CHILD_MODULE, str(barrier), str(config), command]
        if at is not None:
            argv.append(at.isoformat())
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(argv, stdout=out, stderr=err, env=child_env(home), cwd=ROOT)
        children.append(Child(process, stdout, stderr))
    try:
        deadline = time.monotonic() + ready_timeout
        while sum(1 for _ in barrier.glob("ready.*")) < count:
            if time.monotonic() > deadline or any(c.process.poll() is not None for c in children):
                problems = "; ".join(c.err().strip()[-300:] for c in children if c.err().strip())
                raise RuntimeError(f"the processes did not all get ready: {problems}")
            time.sleep(0.01)
        if before_go is not None:
            before_go()
    except BaseException:
        for child in children:
            child.process.kill()
            child.process.wait()
        raise
    (barrier / "go").touch()
    return children


def wait_all(children: Sequence[Child], timeout: float) -> list[int]:
    """The exit codes; a child still running after ``timeout`` seconds is killed (code -9)."""
    deadline = time.monotonic() + timeout
    codes = []
    for child in children:
        try:
            codes.append(child.process.wait(timeout=max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            child.process.kill()
            codes.append(child.process.wait())
    return codes
