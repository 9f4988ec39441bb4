"""Killed with SIGKILL at every crash point of a pass, then restarted: never a duplicate draft.

For each provider (the local Maildir, Gmail on the fake, Graph on the fake) and each kind
of mailbox write — create (an outreach and two thank-yous in one pass), create a reply
(the follow-up in the sent outreach's thread), update (a rescheduled interview), delete (a
cancelled one) — a world is set up with normal passes; then the pass that writes runs in a
process of its own (``tests/e2e/crash_child.py``) and is killed before and after every
provider write and before and after every commit that writes to the database: every one
of them, as counted by a first, uninterrupted run of that same pass (read-only
transactions are not counted: killing the process around one changes nothing a crash at
the next counted point would not). After each kill a normal pass recovers, and:

* each action that should have a draft has exactly one (by its derived Message-ID), with
  the newest content; an action that should have none has none;
* ``status --json`` shows the expected states, and no action is left half done;
* the audit log agrees with the mailbox: replayed in order, every ``create_draft`` or
  ``adopt_draft`` claims a draft not yet claimed, every ``update_draft``/``delete_draft``
  one that was, and what is claimed at the end is what the mailbox holds (drafts the user
  sent aside); exactly one claim per draft, one ``update_draft``/``delete_draft`` per
  update or deletion;
* the killed process's lease (its pid dead on this host, the lease not yet expired) is
  taken over at once — the recovery pass is never "passed over" — and given back;
* a second recovery pass changes nothing, and nothing was ever sent.

A second set kills the pass that reconciles an interrupted write, at each of its points.

The clock is injected everywhere (the fake servers share the test's); nothing sleeps.
Each world is prepared once and copied back (files, database, keyring, the fake server's
state) before each crash point. Each test prints its crash-point table (``-s``): the
point, what the commit writes, the drafts in the mailbox when the process died, who held
the lease, how many drafts the restart adopted, and the outcome.
"""

from __future__ import annotations

import contextlib
import copy
import email
import email.policy
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
import msal
import pytest

from interview_outreach.daemon.cli import main
from interview_outreach.daemon.domain.identity import action_message_id
from interview_outreach.daemon.domain.mime import normalize_message_id
from interview_outreach.daemon.domain.model import ActionKind, ActionRecord, ActionState
from interview_outreach.daemon.store.records import AuditEntry
from interview_outreach.daemon.store.repository import Store
from tests import configs
from tests.e2e.conftest import World
from tests.fakes.clock import Clock
from tests.fakes.google import FakeGoogle
from tests.fakes.keyring_file import FileKeyring
from tests.fakes.microsoft import FakeMicrosoft

ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 60.0

# Monday 7 December 2026 in London (GMT = UTC in winter).
WINDOW_OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Acme's outreach is due
START = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)  # Thursday: Acme's interview
RESCHEDULED = datetime(2026, 12, 11, 15, 0, tzinfo=UTC)  # Friday
GLOBEX_START = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # ends 08:30: thanks due 09:30

CLAIMS = ("create_draft", "adopt_draft")


@dataclass(frozen=True)
class Invite:
    """One invitation, whatever calendar it is put in."""

    uid: str
    title: str
    description: str
    start: datetime
    organizer: tuple[str, str]
    attendees: tuple[tuple[str, str], ...] = ()
    minutes: int = 60
    cancelled: bool = False

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


ACME = Invite(
    "acme-1",
    "Acme – Technical interview (Senior Backend Engineer)",
    "Interview for the Senior Backend Engineer position at Acme.",
    START,
    ("Jane Doe", "jane.doe@acme.com"),
    (("Raj Patel", "raj@acme.com"),),
)
GLOBEX = Invite(
    "globex-1",
    "Globex – Final round interview (Data Engineer)",
    "Final round interview for the Data Engineer position at Globex.",
    GLOBEX_START,
    ("Hank Scorpio", "hank@globex.com"),
    (("Lee Chan", "lee@globex.com"),),
)


# -- the child processes ------------------------------------------------------------------


@dataclass
class Child:
    pid: int
    returncode: int
    out: str
    err: str


class Children:
    """Runs ``tests.e2e.crash_child`` passes, each a process of its own.

    They are forked by one ``crash_child --serve`` process that imported the program once
    (a new interpreter per pass would take most of the time of this file); every pass is
    still a separate process that is really killed. ``fresh`` starts a new interpreter.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        home = folder / "home"
        self.base_env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "PYTHONPATH": str(ROOT),
            # No DBUS_SESSION_BUS_ADDRESS: nothing reaches the desktop of whoever runs this.
        }
        self.count = 0
        self._log = (folder / "serve.err").open("wb")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.crash_child", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=self.base_env,
            cwd=ROOT,
            bufsize=0,
        )
        self._pending = b""  # answer bytes read but not yet consumed

    def _files(self) -> tuple[Path, Path]:
        self.count += 1
        return self.folder / f"{self.count}.out", self.folder / f"{self.count}.err"

    def run(self, argv: list[str], env: dict[str, str]) -> Child:
        out, err = self._files()
        request = {"argv": argv, "env": env, "out": str(out), "err": str(err)}
        assert self.server.stdin is not None
        self.server.stdin.write(json.dumps(request).encode() + b"\n")
        started = self._answer(argv, CHILD_TIMEOUT)
        if started is None:
            pytest.fail(f"crash_child --serve did not start a pass: {argv}")
        ended = self._answer(argv, CHILD_TIMEOUT)
        if ended is None:
            os.kill(started["pid"], signal.SIGKILL)  # the pass we started is stuck: end it
            self._answer(argv, CHILD_TIMEOUT)
            pytest.fail(f"a crash_child pass took more than {CHILD_TIMEOUT} s: {argv}")
        return Child(ended["pid"], ended["returncode"], out.read_text(), err.read_text())

    def _answer(self, argv: list[str], timeout: float) -> Any:
        """The next JSON line from the fork server, or ``None`` after ``timeout`` seconds."""
        assert self.server.stdout is not None
        descriptor = self.server.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([descriptor], [], [], left)[0]:
                return None
            chunk = os.read(descriptor, 4096)
            if not chunk:
                pytest.fail(f"crash_child --serve ended (see {self.folder / 'serve.err'}): {argv}")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)

    def fresh(self, argv: list[str], env: dict[str, str]) -> Child:
        """The same, in a new interpreter: ``python -m tests.e2e.crash_child ARGV``."""
        out, err = self._files()
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.crash_child", *argv],
                stdout=stdout,
                stderr=stderr,
                env={**self.base_env, **env},
                cwd=ROOT,
            )
            try:
                code = process.wait(timeout=CHILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail(f"crash_child took more than {CHILD_TIMEOUT} s: {argv}")
        return Child(process.pid, code, out.read_text(), err.read_text())

    def close(self) -> None:
        if self.server.poll() is None:
            assert self.server.stdin is not None
            self.server.stdin.close()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        assert self.server.stdout is not None
        self.server.stdout.close()
        self._log.close()


@pytest.fixture(scope="module")
def children(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Children]:
    runner = Children(tmp_path_factory.mktemp("children"))
    yield runner
    runner.close()


# -- one user's world, per provider ------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    folder: Path
    state: dict[str, Any]


class CrashWorld:
    """A user's calendar, mailbox, configuration and keyring for one provider."""

    provider = ""
    account = ""
    user = ""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True)
        self.config = root / "config.toml"
        self.keyring_path = root / "keyring.json"
        self.url = f"sqlite:///{root / 'state.db'}"

    # what differs per provider
    def put(self, invite: Invite) -> None:
        raise NotImplementedError

    def drafts(self) -> list[tuple[str, str]]:
        """(Message-ID, plain text) of every draft in the mailbox, duplicates included."""
        raise NotImplementedError

    def send_draft(self, at: datetime) -> None:
        """The user sends the only draft there is, at ``at``."""
        raise NotImplementedError

    def sent(self) -> set[str]:
        """The Message-IDs of the sent messages."""
        raise NotImplementedError

    def authorize(self) -> None:
        """Keep the account's tokens in the keyring file."""

    def set_time(self, at: datetime) -> None:
        """Tell the fake servers what time it is."""

    def check_fake(self) -> list[str]:
        """Problems the fake server saw (a send, a request it did not know)."""
        return []

    def fake_state(self) -> dict[str, Any]:
        """A copy of what the fake server holds (mail, events, grants)."""
        return {}

    def set_fake_state(self, state: dict[str, Any]) -> None:
        """Make the fake server hold a copy of ``state``."""

    def save(self, folder: Path) -> Saved:
        """Everything of this world (files, database, keyring, the fake's state), copied."""
        shutil.copytree(self.root, folder)
        return Saved(folder, self.fake_state())

    def restore(self, saved: Saved) -> None:
        """Back to the moment ``saved`` was taken (no process may be using the world)."""
        shutil.rmtree(self.root)
        shutil.copytree(saved.folder, self.root)
        self.set_fake_state(saved.state)

    def child_env(self) -> dict[str, str]:
        return FileKeyring.environment(self.keyring_path)

    # the command line, in this process
    def cli(self, *args: str, at: datetime) -> tuple[int, str, str]:
        self.set_time(at)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--config", str(self.config), *args], clock=lambda: at)
        return code, out.getvalue(), err.getvalue()

    def once(self, at: datetime) -> str:
        code, out, err = self.cli("once", at=at)
        assert code == 0, f"once at {at:%a %H:%M} failed ({code}):\n{out}{err}"
        return out

    def status(self) -> dict[str, Any]:
        code, out, err = self.cli("status", "--json", at=WINDOW_OPENS)
        assert code == 0, err
        data: dict[str, Any] = json.loads(out)
        return data


class LocalWorld(CrashWorld):
    provider = "local"
    account = "home"
    user = "ada.lovelace@example.org"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.files = World(root, None)  # type: ignore[arg-type]  # (capsys: not used here)
        self.config = self.files.config

    def put(self, invite: Invite) -> None:
        self.files.add_event(
            invite.uid,
            invite.title,
            invite.start,
            invite.minutes,
            organizer=invite.organizer,
            attendees=invite.attendees,
            description=invite.description,
            status="CANCELLED" if invite.cancelled else "CONFIRMED",
        )

    def drafts(self) -> list[tuple[str, str]]:
        found = []
        for path in self.files.draft_paths():
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            found.append((normalize_message_id(message["Message-ID"]), _plain(message)))
        return found

    def send_draft(self, at: datetime) -> None:
        # As a mail client does: the file moves to Sent, flagged S instead of D.
        (path,) = self.files.draft_paths()
        sent = self.files.maildir / ".Sent" / "cur"
        sent.mkdir(parents=True, exist_ok=True)
        target = sent / path.name.replace(":2,D", ":2,S")
        path.rename(target)
        os.utime(target, (at.timestamp(), at.timestamp()))

    def sent(self) -> set[str]:
        folder = self.files.maildir / ".Sent" / "cur"
        paths = list(folder.iterdir()) if folder.exists() else []
        return {
            normalize_message_id(email.message_from_bytes(p.read_bytes())["Message-ID"])
            for p in paths
        }


class GoogleWorld(CrashWorld):
    provider = "google"
    account = "personal"
    user = "ada.lovelace@gmail.com"

    def __init__(self, root: Path, fake: FakeGoogle, clock: Clock) -> None:
        super().__init__(root)
        self.fake, self.clock = fake, clock
        fake.reset()
        secrets_file = fake.client_secrets(root / "google-client.json")
        account = configs.google_account(self.account, secrets_file, fake.root)
        configs.write_config(self.config, storage=self.url, accounts=[account])

    def authorize(self) -> None:
        # What `auth` keeps (providers/google/auth.py save_credentials), without a browser.
        grant = self.fake.issue_credentials()
        entry = {
            "token": grant["token"],
            "refresh_token": grant["refresh_token"],
            "expiry": None,
            "address": self.user,
        }
        FileKeyring(self.keyring_path).set_password(
            "interview-outreach", self.account, json.dumps(entry)
        )

    def set_time(self, at: datetime) -> None:
        self.clock.at = at

    def child_env(self) -> dict[str, str]:
        return {**super().child_env(), **self.fake.env()}

    def put(self, invite: Invite) -> None:
        zone = "Europe/London"

        def person(name: str, address: str, **extra: Any) -> dict[str, Any]:
            return {"email": address, "displayName": name, "responseStatus": "accepted", **extra}

        people = [
            person(*invite.organizer, organizer=True),
            *(person(*attendee) for attendee in invite.attendees),
            {"email": self.user, "self": True, "responseStatus": "accepted"},
        ]
        self.fake.put_event(
            "primary",
            {
                "id": invite.uid.replace("-", ""),
                "iCalUID": f"{invite.uid}@example.com",
                "status": "cancelled" if invite.cancelled else "confirmed",
                "summary": invite.title,
                "description": invite.description,
                "start": {"dateTime": invite.start.isoformat(), "timeZone": zone},
                "end": {"dateTime": invite.end.isoformat(), "timeZone": zone},
                "organizer": {"email": invite.organizer[1], "displayName": invite.organizer[0]},
                "attendees": people,
            },
        )

    def drafts(self) -> list[tuple[str, str]]:
        return [
            (normalize_message_id(m["Message-ID"]), _plain(m)) for m in self.fake.drafts().values()
        ]

    def send_draft(self, at: datetime) -> None:
        (draft_id,) = self.fake.drafts()
        self.fake.user_sends_draft(draft_id, at)

    def sent(self) -> set[str]:
        return {normalize_message_id(m["Message-ID"]) for m in self.fake.messages("SENT").values()}

    STATE = ("oauth", "calendar", "gmail")

    def fake_state(self) -> dict[str, Any]:
        return _copy_state(self.fake, self.STATE, self.clock, self.fake)

    def set_fake_state(self, state: dict[str, Any]) -> None:
        for name, value in _copy_state(self.fake, self.STATE, self.clock, state).items():
            setattr(self.fake, name, value)

    def check_fake(self) -> list[str]:
        problems = [f"the product called a send endpoint: {r}" for r in self.fake.forbidden_calls]
        problems += [f"unknown request {r}" for r in self.fake.unknown_calls]
        return problems + [f"fake server error: {e}" for e in self.fake.server_errors]


class MicrosoftWorld(CrashWorld):
    provider = "microsoft"
    account = "work"
    user = "ada@contoso.example"

    def __init__(self, root: Path, fake: FakeMicrosoft, clock: Clock) -> None:
        super().__init__(root)
        self.fake, self.clock = fake, clock
        fake.reset()
        account = configs.microsoft_account(
            self.account, fake.client_id, fake.authority, fake.graph_endpoint
        )
        configs.write_config(self.config, storage=self.url, accounts=[account])

    def authorize(self) -> None:
        # The real device-code sign-in (the module fixture has the fake's user enter the code).
        code, out, err = self.cli("auth", self.account, at=self.clock.at)
        assert code == 0, out + err

    def set_time(self, at: datetime) -> None:
        self.clock.at = at

    def child_env(self) -> dict[str, str]:
        return {**super().child_env(), **self.fake.env()}

    def put(self, invite: Invite) -> None:
        def when(at: datetime) -> dict[str, str]:
            return {"dateTime": at.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}

        def person(name: str, address: str) -> dict[str, Any]:
            return {
                "type": "required",
                "status": {"response": "accepted"},
                "emailAddress": {"name": name, "address": address},
            }

        self.fake.put_event(
            {
                "id": invite.uid,
                "iCalUId": f"{invite.uid}@example.com",
                "subject": invite.title,
                "body": {"contentType": "text", "content": invite.description},
                "start": when(invite.start),
                "end": when(invite.end),
                "isCancelled": invite.cancelled,
                "isOrganizer": False,
                "responseStatus": {"response": "accepted"},
                "organizer": {
                    "emailAddress": {"name": invite.organizer[0], "address": invite.organizer[1]}
                },
                "attendees": [person(*invite.organizer), *(person(*a) for a in invite.attendees)],
            }
        )

    def drafts(self) -> list[tuple[str, str]]:
        return [
            (normalize_message_id(d["internetMessageId"]), str(d["body"]["content"]))
            for d in self.fake.drafts()
        ]

    def send_draft(self, at: datetime) -> None:
        (draft,) = self.fake.drafts()
        self.fake.user_sends_draft(draft["id"], at)

    def sent(self) -> set[str]:
        return {normalize_message_id(m["internetMessageId"]) for m in self.fake.sent()}

    STATE = ("identity", "calendar", "mail")

    def fake_state(self) -> dict[str, Any]:
        return _copy_state(self.fake, self.STATE, self.clock, self.fake)

    def set_fake_state(self, state: dict[str, Any]) -> None:
        for name, value in _copy_state(self.fake, self.STATE, self.clock, state).items():
            setattr(self.fake, name, value)

    def check_fake(self) -> list[str]:
        problems = [f"the product called a send endpoint: {r}" for r in self.fake.forbidden_calls]
        problems += [f"unknown request {r}" for r in self.fake.unknown_calls]
        return problems + [f"fake server error: {e}" for e in self.fake.server_errors]


def _copy_state(fake: Any, names: tuple[str, ...], clock: Clock, source: Any) -> dict[str, Any]:
    """Deep copies of ``names`` (of ``source``, a fake or a saved dict); the clock is shared."""
    memo: dict[int, Any] = {id(clock): clock}
    get = source.get if isinstance(source, dict) else lambda name: getattr(fake, name)
    return {name: copy.deepcopy(get(name), memo) for name in names}


def _plain(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


@pytest.fixture(scope="module")
def google_fake() -> Iterator[tuple[FakeGoogle, Clock]]:
    clock = Clock(WINDOW_OPENS)
    # Access tokens outlive every test: refreshing tokens is not what is tested here.
    with FakeGoogle(
        user_email=GoogleWorld.user,
        time_zone="Europe/London",
        clock=clock,
        access_token_lifetime=365 * 24 * 3600,
    ) as fake:
        yield fake, clock


@pytest.fixture(scope="module")
def microsoft_fake() -> Iterator[tuple[FakeMicrosoft, Clock]]:
    clock = Clock(WINDOW_OPENS)
    with (
        FakeMicrosoft(
            user_email=MicrosoftWorld.user,
            display_name="Ada Lovelace",
            clock=clock,
            access_token_lifetime=365 * 24 * 3600,
        ) as fake,
        pytest.MonkeyPatch.context() as patch,
    ):
        original = msal.PublicClientApplication.initiate_device_flow

        def initiate_and_complete(
            self: msal.PublicClientApplication, *args: Any, **kwargs: Any
        ) -> Any:
            flow = original(self, *args, **kwargs)
            fake.complete_device_flow(flow["user_code"])  # the user enters the code at once
            return flow

        patch.setattr(msal.PublicClientApplication, "initiate_device_flow", initiate_and_complete)
        yield fake, clock


@pytest.fixture
def new_world(
    request: pytest.FixtureRequest, provider: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Path], CrashWorld]]:
    """Builds a fresh world of ``provider`` (the fake's state is reset) in a folder."""
    previous = keyring.get_keyring()
    if provider == "local":

        def build(root: Path) -> CrashWorld:
            world = LocalWorld(root)
            keyring.set_keyring(FileKeyring(world.keyring_path))
            return world

    else:
        fake, clock = request.getfixturevalue(f"{provider}_fake")
        for name, value in fake.env().items():  # the CLI run in this process trusts it too
            monkeypatch.setenv(name, value)
        kind = GoogleWorld if provider == "google" else MicrosoftWorld

        def build(root: Path) -> CrashWorld:
            world = kind(root, fake, clock)
            keyring.set_keyring(FileKeyring(world.keyring_path))
            world.authorize()
            return world

    yield build
    keyring.set_keyring(previous)


# -- the scenarios ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    at: datetime  # when the pass that is killed runs
    operation: str  # the mailbox write the killed pass is there for
    drafted: tuple[tuple[str, ActionKind, str], ...] = ()  # (uid, kind, recipient) drafts
    removed: tuple[tuple[str, ActionKind, str], ...] = ()  # drafts that must be gone
    states: tuple[tuple[str, str, str, str | None], ...] = ()  # (company, action, state, reason)
    text: str = ""  # what every draft says afterwards...
    not_text: str = ""  # ...and what it no longer says


OUTREACH = ("acme-1", ActionKind.OUTREACH, "jane.doe@acme.com")
SCENARIOS = {
    "create": Scenario(
        "create",
        WINDOW_OPENS + timedelta(minutes=30),
        "create_draft",
        drafted=(
            OUTREACH,
            ("globex-1", ActionKind.THANKYOU, "hank@globex.com"),
            ("globex-1", ActionKind.THANKYOU, "lee@globex.com"),
        ),
        states=(
            ("Acme", "outreach", "drafted", None),
            ("Globex", "thankyou", "drafted", None),
        ),
    ),
    "followup": Scenario(
        "followup",
        WINDOW_OPENS + timedelta(hours=25),
        "create_draft",
        drafted=(("acme-1", ActionKind.FOLLOWUP, "jane.doe@acme.com"),),
        states=(("Acme", "outreach", "sent", None), ("Acme", "followup", "drafted", None)),
    ),
    "update": Scenario(
        "update",
        WINDOW_OPENS + timedelta(hours=1),
        "update_draft",
        drafted=(OUTREACH,),
        states=(("Acme", "outreach", "drafted", None),),
        text="Friday, 11 December 2026 at 15:00 GMT",
        not_text="Thursday",
    ),
    "delete": Scenario(
        "delete",
        WINDOW_OPENS + timedelta(hours=1),
        "delete_draft",
        removed=(OUTREACH,),
        states=(
            ("Acme", "outreach", "cancelled", "cancelled"),
            ("Acme", "followup", "cancelled", "cancelled"),
            ("Acme", "thankyou", "cancelled", "cancelled"),
        ),
    ),
}


def prepare(world: CrashWorld, scenario: Scenario) -> None:
    """Normal passes up to the one that is killed."""
    if scenario.name == "create":
        # Acme's outreach is due at 09:00; Globex's interview (found after it began: too
        # late for an outreach) ends at 08:30, so its two thank-yous are due at 09:30.
        world.put(ACME)
        world.put(GLOBEX)
        world.once(WINDOW_OPENS - timedelta(minutes=15))
        assert world.drafts() == []
        return
    world.put(ACME)
    world.once(WINDOW_OPENS)
    assert len(world.drafts()) == 1
    if scenario.name == "followup":
        # The user sends the outreach at 09:30 and hears nothing: a follow-up (a reply
        # in the outreach's thread) is due 24 h later.
        world.set_time(WINDOW_OPENS + timedelta(minutes=30))
        world.send_draft(WINDOW_OPENS + timedelta(minutes=30))
        world.once(WINDOW_OPENS + timedelta(hours=1))
        assert world.drafts() == []
    elif scenario.name == "update":
        world.put(replace(ACME, start=RESCHEDULED))
    else:
        world.put(replace(ACME, cancelled=True))


# -- what must hold after a crash and a restart -----------------------------------------


@dataclass
class Snapshot:
    """The mailbox, `status --json`, the audit log and the stored actions at one moment."""

    drafts: list[tuple[str, str]]
    sent: set[str]
    status: dict[str, Any]
    audit: list[AuditEntry]
    actions: list[ActionRecord]
    events: dict[str, tuple[str, str]]  # "acme-1" → the stored invitation's (UID, instance)
    user: str

    def message_id(self, action: tuple[str, ActionKind, str]) -> str:
        """The action's Message-ID, derived as every process must derive it."""
        uid, kind, recipient = action
        return action_message_id(*self.events[uid], kind, recipient, self.user)


def snapshot(world: CrashWorld, store: Store | None = None, status: bool = True) -> Snapshot:
    """What there is now; ``status``: also ask `status --json` (else ``{}``)."""
    with contextlib.nullcontext(store) if store else Store(world.url) as opened:
        audit = opened.audit()
        tracked = opened.interviews()
    events = {
        t.interview.event.uid.split("@")[0]: (t.interview.event.uid, t.interview.event.instance)
        for t in tracked
    }
    actions = [a for t in tracked for a in t.actions]
    shown = world.status() if status else {}
    return Snapshot(sorted(world.drafts()), world.sent(), shown, audit, actions, events, world.user)


def problems_after_recovery(world: CrashWorld, scenario: Scenario, seen: Snapshot) -> list[str]:
    """Everything that must hold once a pass ran to its end (after any crash)."""
    problems: list[str] = []
    expected = {seen.message_id(a): " ".join(map(str, a)) for a in scenario.drafted}
    removed = {seen.message_id(a): " ".join(map(str, a)) for a in scenario.removed}

    # the mailbox: one draft per action, with the newest content
    counts = Counter(mid for mid, _ in seen.drafts)
    problems += [
        f"{counts[m]} drafts for {what}, not 1" for m, what in expected.items() if counts[m] != 1
    ]
    problems += [
        f"{n} draft(s) {m} that should not be there" for m, n in counts.items() if m not in expected
    ]
    for mid, text in seen.drafts:
        if scenario.text not in text or (scenario.not_text and scenario.not_text in text):
            problems.append(f"draft {mid} does not say {scenario.text!r} only:\n{text}")

    # status --json
    by_company = {i["company"]: i for i in seen.status["interviews"]}
    for company, action, state, reason in scenario.states:
        entries = by_company[company]["actions"][action]
        for entry in entries if isinstance(entries, list) else [entries]:
            if (entry["state"], entry["reason"]) != (state, reason):
                problems.append(f"status: {company} {action} is {entry}, not {state} {reason}")
    if scenario.name == "delete" and by_company["Acme"]["skip_reason"] != "cancelled":
        problems.append(f"status: Acme's skip_reason is {by_company['Acme']['skip_reason']}")

    # the store: nothing left half done, drafts recorded under their derived Message-ID
    for record in seen.actions:
        if record.removing or record.pending_hash or record.state is ActionState.DRAFTING:
            problems.append(f"left half done: {record}")
        if record.state is ActionState.DRAFTED and record.message_id not in expected:
            problems.append(f"recorded as drafted under {record.message_id}: {record}")

    # the audit log: replayed, and one entry per draft written
    in_mailbox = set(counts)
    problems += audit_problems(seen.audit, in_mailbox, seen.sent)
    ops = Counter((e.operation, normalize_message_id(e.message_id)) for e in seen.audit)
    for mid in [*in_mailbox, *removed]:
        claims = sum(ops[(op, mid)] for op in CLAIMS)
        if claims != 1:
            problems.append(f"audit: {claims} create_draft/adopt_draft entries for {mid}, not 1")
    if scenario.operation in ("update_draft", "delete_draft"):
        for mid in expected if scenario.operation == "update_draft" else removed:
            if ops[(scenario.operation, mid)] != 1:
                number = ops[(scenario.operation, mid)]
                problems.append(f"audit: {number} {scenario.operation} entries for {mid}, not 1")
    return problems + world.check_fake()


def audit_problems(audit: list[AuditEntry], in_mailbox: set[str], sent: set[str]) -> list[str]:
    """The audit log replayed in order: what it says exists must be what the mailbox holds.

    A draft the user sent (``sent``) stopped being one without an entry of the program's.
    """
    problems = []
    live: dict[str, bool] = {}
    for entry in audit:
        mid = normalize_message_id(entry.message_id)
        if entry.operation in CLAIMS:
            if live.get(mid):
                problems.append(f"audit: {entry.operation} of {mid}, which it already claimed")
            live[mid] = True
        elif entry.operation in ("update_draft", "delete_draft"):
            if not live.get(mid):
                problems.append(f"audit: {entry.operation} of {mid}, which it never claimed")
            live[mid] = entry.operation == "update_draft"
        elif entry.operation == "found_sent" and mid not in sent:
            problems.append(f"audit: found_sent {mid}, which was not sent")
    claimed = {mid for mid, alive in live.items() if alive} - sent
    problems += [f"audit claims {m}, which is not in the mailbox" for m in claimed - in_mailbox]
    problems += [
        f"{m} is in the mailbox, but the audit does not claim it" for m in in_mailbox - claimed
    ]
    return problems


# -- one crash point --------------------------------------------------------------------


@dataclass
class Outcome:
    spec: str
    label: str
    drafts_at_kill: int = 0
    lease: str = ""
    adopted: int = 0
    problems: list[str] = field(default_factory=list)
    same_as: str = ""  # not run: killing here leaves exactly what killing there does


EVERY_POINT = os.environ.get("INTERVIEW_OUTREACH_CRASH_POINTS") == "every"
"""Also run the points that leave the same state as the point before them (slower)."""


@dataclass(frozen=True)
class Point:
    spec: str  # POINT:WHEN:N
    label: str  # what the commit writes
    same_as: str  # the previous point, when nothing durable happens between the two


def crash_points(report: dict[str, Any]) -> list[Point]:
    """Every crash point of a counted pass, in the order reached.

    Only a commit or a mailbox write changes anything that outlives the process; between
    one's end and the start of the next the process only reads. So the point just before
    a commit that directly follows another point's *after* leaves exactly the state that
    point left: it is listed, but the earlier point stands for it.
    """
    points: list[Point] = []
    for line in report["trace"]:
        spec, _, label = line.partition(" ")
        previous = points[-1].spec if points else ""
        same = spec.startswith("commit:before:") and ":after:" in previous
        points.append(Point(spec, label, previous if same else ""))
    return points


def run_points(
    children: Children,
    world: CrashWorld,
    start: Saved,
    scenario: Scenario,
    points: list[Point],
    at: datetime | None = None,
    killed_before: tuple[int, ...] = (),
) -> list[Outcome]:
    """Each point from ``start``: killed there, restarted, checked."""
    outcomes = []
    for number, point in enumerate(points):
        if point.same_as and not EVERY_POINT:
            outcomes.append(Outcome(point.spec, point.label, same_as=point.same_as))
            continue
        world.restore(start)
        outcome = crash_and_recover(
            children, world, scenario, point.spec, point.label, at, killed_before
        )
        outcomes.append(outcome)
        if outcome.problems:  # kept to look at
            shutil.copytree(world.root, start.folder.parent / f"failed-{number}")
    return outcomes


def child_args(world: CrashWorld, at: datetime, *mode: str) -> list[str]:
    return ["--config", str(world.config), "--at", at.isoformat(), *mode]


def crash_and_recover(
    children: Children,
    world: CrashWorld,
    scenario: Scenario,
    spec: str,
    label: str,
    at: datetime | None = None,
    killed_before: tuple[int, ...] = (),
) -> Outcome:
    """Kill the pass at ``spec`` (the world prepared), restart, check: what happened.

    The pass runs at ``at`` (default: the scenario's time), the restarts a minute apart.
    ``killed_before``: pids of passes killed earlier, which may still hold the lease.
    """
    outcome = Outcome(spec, label)
    at = at or scenario.at
    with Store(world.url) as store:  # one for every look at the database of this point
        _crash_and_recover(children, world, store, scenario, spec, at, killed_before, outcome)
    return outcome


def _crash_and_recover(
    children: Children,
    world: CrashWorld,
    store: Store,
    scenario: Scenario,
    spec: str,
    at: datetime,
    killed_before: tuple[int, ...],
    outcome: Outcome,
) -> None:
    world.set_time(at)
    child = children.run(child_args(world, at, "--crash", spec), world.child_env())
    if child.returncode != -signal.SIGKILL:
        outcome.problems.append(
            f"the pass was not killed (exit {child.returncode}):\n{child.out}{child.err}"
        )
        return
    outcome.drafts_at_kill = len(world.drafts())

    # The lease the killed pass held (if it got that far): its pid is dead on this host.
    restart = at + timedelta(minutes=1)
    held = store.lease_holder(world.account, at)
    if held is None:
        outcome.lease = "free"
        if not spec.startswith("commit:"):
            outcome.problems.append("killed during a mailbox write, yet no lease was held")
    elif held.pid not in (child.pid, *killed_before):
        outcome.problems.append(f"lease held by pid {held.pid}, the child was {child.pid}")
    elif held.expires_at <= restart:
        outcome.problems.append("the lease expired before the restart: takeover not tested")
    else:
        outcome.lease = "dead pid"

    first = world.once(restart)
    if "passed over" in first:
        outcome.problems.append(f"the recovery pass was passed over: {first}")
    if store.lease_holder(world.account, restart) is not None:
        outcome.problems.append("the recovery pass did not give its lease back")
    seen = snapshot(world, store)
    outcome.adopted = sum(e.operation == "adopt_draft" for e in seen.audit)
    outcome.problems += problems_after_recovery(world, scenario, seen)

    # `status --json` only shows what the store holds: the store is compared instead.
    second = world.once(restart + timedelta(minutes=1))
    if "drafts: 0 created, 0 updated, 0 removed" not in second:
        outcome.problems.append(f"the second recovery pass changed drafts: {second}")
    again = snapshot(world, store, status=False)
    if again.drafts != seen.drafts:
        outcome.problems.append("the second recovery pass changed the mailbox")
    if again.actions != seen.actions:
        outcome.problems.append("the second recovery pass changed the actions")
    if again.audit != seen.audit:
        outcome.problems.append(
            f"the second recovery pass audited {again.audit[len(seen.audit) :]}"
        )


def table(title: str, outcomes: list[Outcome]) -> str:
    run = sum(not o.same_as for o in outcomes)
    lines = [
        f"{title}: {len(outcomes)} crash points, {run} run",
        f"  {'point':<22} {'the commit writes':<44} {'drafts':>6}  {'lease':<8} "
        f"{'adopted':>7}  after restart",
    ]
    for o in outcomes:
        result = "ok" if not o.problems else "FAIL: " + "; ".join(o.problems)[:400]
        if o.same_as:
            lines.append(f"  {o.spec:<22} {o.label[:44]:<44} (the state {o.same_as} leaves)")
            continue
        lines.append(
            f"  {o.spec:<22} {o.label[:44]:<44} {o.drafts_at_kill:>6}  {o.lease:<8} "
            f"{o.adopted:>7}  {result}"
        )
    return "\n".join(lines)


# -- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("scenario_name", list(SCENARIOS))
@pytest.mark.parametrize("provider", ["local", "google", "microsoft"])
def test_a_pass_killed_at_any_point_leaves_one_draft_per_action(
    provider: str,
    scenario_name: str,
    children: Children,
    new_world: Callable[[Path], CrashWorld],
    tmp_path: Path,
) -> None:
    """Every crash point of the pass (counted by running it once), each from the same start."""
    scenario = SCENARIOS[scenario_name]
    world = new_world(tmp_path / "world")
    prepare(world, scenario)
    start = world.save(tmp_path / "prepared")
    world.set_time(scenario.at)
    report_file = tmp_path / "points.json"
    child = children.run(
        child_args(world, scenario.at, "--count", str(report_file)), world.child_env()
    )
    assert child.returncode == 0, child.out + child.err
    report = json.loads(report_file.read_text())
    writes = len(scenario.drafted) if scenario.operation == "create_draft" else 1
    assert report["counts"].get(f"{scenario.operation}:after") == writes, report
    # The uninterrupted pass is held to what a recovered one must satisfy.
    assert problems_after_recovery(world, scenario, snapshot(world)) == []

    outcomes = run_points(children, world, start, scenario, crash_points(report))
    title = f"{provider} / {scenario.name}"
    print("\n" + table(title, outcomes))
    assert not any(o.problems for o in outcomes), table(title, outcomes)


def test_a_new_interpreter_killed_after_a_draft_was_made_recovers(
    children: Children, tmp_path: Path
) -> None:
    """The child as a command of its own (no fork server) is killed and recovered alike."""
    world = LocalWorld(tmp_path / "world")
    scenario = SCENARIOS["create"]
    prepare(world, scenario)
    child = children.fresh(
        child_args(world, scenario.at, "--crash", "create_draft:after:1"), world.child_env()
    )
    assert child.returncode == -signal.SIGKILL, child.out + child.err
    assert "SIGKILL at create_draft:after:1" in child.err
    assert len(world.drafts()) == 1
    with Store(world.url) as store:
        held = store.lease_holder(world.account, scenario.at)
    assert held is not None and held.pid == child.pid
    assert "passed over" not in world.once(scenario.at + timedelta(minutes=1))
    seen = snapshot(world)
    assert problems_after_recovery(world, scenario, seen) == []
    assert [e.operation for e in seen.audit].count("adopt_draft") == 1


def test_the_checks_catch_a_duplicate_and_an_unaudited_draft(tmp_path: Path) -> None:
    """The checks themselves fail on what they are there to catch."""
    world = LocalWorld(tmp_path / "world")
    scenario = SCENARIOS["update"]
    prepare(world, scenario)
    world.once(scenario.at)
    seen = snapshot(world)
    assert problems_after_recovery(world, scenario, seen) == []
    (path,) = world.files.draft_paths()
    copy = path.with_name("1." + path.name.split(".", 1)[1])
    copy.write_bytes(path.read_bytes())  # a second draft with the same Message-ID
    problems = problems_after_recovery(world, scenario, snapshot(world))
    assert any("2 drafts for acme-1 outreach" in p for p in problems), problems
    path.unlink()
    copy.unlink()  # the draft is gone, yet the audit log says it exists
    problems = problems_after_recovery(world, scenario, snapshot(world))
    assert any("audit claims" in p and "not in the mailbox" in p for p in problems), problems


@pytest.mark.parametrize("scenario_name", ["followup", "update", "delete"])
@pytest.mark.parametrize("provider", ["local"])
def test_a_recovery_killed_at_any_point_still_leaves_one_draft_per_action(
    provider: str,
    scenario_name: str,
    children: Children,
    new_world: Callable[[Path], CrashWorld],
    tmp_path: Path,
) -> None:
    """Killed twice: after the mailbox write (before its outcome was recorded), and then
    the pass that reconciles it, at each of its crash points."""
    scenario = SCENARIOS[scenario_name]
    world = new_world(tmp_path / "world")
    prepare(world, scenario)
    world.set_time(scenario.at)
    first = f"{scenario.operation}:after:1"
    killed = children.run(child_args(world, scenario.at, "--crash", first), world.child_env())
    assert killed.returncode == -signal.SIGKILL, killed.out + killed.err
    crashed = world.save(tmp_path / "crashed")
    at = scenario.at + timedelta(minutes=1)
    world.set_time(at)
    report_file = tmp_path / "points.json"
    child = children.run(child_args(world, at, "--count", str(report_file)), world.child_env())
    assert child.returncode == 0, child.out + child.err
    assert problems_after_recovery(world, scenario, snapshot(world)) == []

    points = crash_points(json.loads(report_file.read_text()))
    outcomes = run_points(children, world, crashed, scenario, points, at, (killed.pid,))
    title = f"{provider} / {scenario.name}, killed at {first}, then its recovery"
    print("\n" + table(title, outcomes))
    assert not any(o.problems for o in outcomes), table(title, outcomes)


def test_an_update_reconciled_by_a_pass_killed_in_turn_is_audited_once(
    children: Children, tmp_path: Path
) -> None:
    """The pass that finishes an interrupted update is killed right after the audit line.

    A pass killed after ``update_draft`` returned leaves the draft updated and the intent
    (``pending_hash``) recorded. The next pass reconciles it: it appends the audit line
    ``update_draft … reconciled`` and then, in another transaction, records the outcome.
    Killed between the two, the next pass reconciles the same update again and audits it a
    second time: two ``update_draft`` lines for one update of the mailbox.
    """
    world = LocalWorld(tmp_path / "world")
    scenario = SCENARIOS["update"]
    prepare(world, scenario)
    killed = children.run(
        child_args(world, scenario.at, "--crash", "update_draft:after:1"), world.child_env()
    )
    assert killed.returncode == -signal.SIGKILL
    crashed = world.save(tmp_path / "crashed")
    at = scenario.at + timedelta(minutes=1)
    report_file = tmp_path / "points.json"
    counted = children.run(child_args(world, at, "--count", str(report_file)), world.child_env())
    assert counted.returncode == 0, counted.out + counted.err
    trace = json.loads(report_file.read_text())["trace"]
    # The first commit that wrote the audit line (alone, as it is: before the outcome).
    audit_commit = next(
        p.split()[0] for p in trace if p.startswith("commit:after:") and "audit_log" in p
    )
    world.restore(crashed)

    again = children.run(child_args(world, at, "--crash", audit_commit), world.child_env())
    assert again.returncode == -signal.SIGKILL
    world.once(at + timedelta(minutes=1))
    (draft,) = world.drafts()
    assert "Friday, 11 December 2026 at 15:00 GMT" in draft[1]
    with Store(world.url) as store:
        updates = [e for e in store.audit() if e.operation == "update_draft"]
    assert len(updates) == 1, [(e.at.isoformat(), e.detail) for e in updates]
