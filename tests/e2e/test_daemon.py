"""``interview-outreach run`` as a real process: sd_notify, watchdog, SIGHUP, SIGTERM.

The daemon takes its time from the machine's clock (it has no hidden clock setting), so the
calendar here is built relative to the real now: an interview 36 hours ahead is always
inside its outreach window (opened at 09:00 three calendar days before, closing 24 hours
before the start), whatever the date and time the test runs at. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from interview_outreach.daemon.cli import main
from tests.e2e.conftest import World

ROOT = Path(__file__).resolve().parents[2]
STOP_DEADLINE = 10.0


class Daemon:
    """The daemon process, its notify socket and its stderr (a file, read as it grows)."""

    def __init__(
        self, world: World, *, watchdog_usec: int = 1_000_000, args: Sequence[str] = ()
    ) -> None:
        self.name = f"interview-outreach-test-{uuid.uuid4().hex}"
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind("\0" + self.name)
        self.socket.settimeout(0.2)
        self.messages: list[str] = []
        self.stderr_path = world.root / "daemon.stderr"
        home = world.root / "home"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "NOTIFY_SOCKET": "@" + self.name,
            "WATCHDOG_USEC": str(watchdog_usec),
            "PYTHONPATH": str(ROOT),
            # No DBUS_SESSION_BUS_ADDRESS: notifications become log lines, not pop-ups on the
            # desktop of whoever runs the tests.
        }
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "interview_outreach.daemon",
                    *(args or ("--config", str(world.config), "run")),
                ],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                cwd=ROOT,
            )

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def collect(self) -> None:
        try:
            while True:
                self.messages.extend(self.socket.recv(4096).decode().split("\n"))
        except (TimeoutError, BlockingIOError):
            return

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.collect()
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(
                    f"the daemon exited ({self.process.returncode}) before {what}:\n{self.stderr}"
                )
        pytest.fail(f"no {what} within {timeout} s:\n{self.stderr}")

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, float]:
        began = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=STOP_DEADLINE + 5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"the daemon did not stop:\n{self.stderr}")
        elapsed = time.monotonic() - began
        self.collect()
        return code, elapsed

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.socket.close()


@pytest.fixture
def daemon_of(world: World) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(**kwargs: Any) -> Daemon:
        started.append(Daemon(world, **kwargs))
        return started[-1]

    yield start
    for daemon in started:
        daemon.close()


def add_interviews(world: World, count: int, ahead: timedelta = timedelta(hours=36)) -> None:
    start = (datetime.now(UTC) + ahead).replace(second=0, microsecond=0)
    for index in range(count):
        world.add_event(
            f"interview-{index}",
            f"Technical interview – Backend Engineer at Company{index}",
            start + timedelta(minutes=index),
            organizer=(f"Person {index}", f"person{index}@company{index}.com"),
            attendees=(),
            description=f"Interview for the Backend Engineer position at Company{index}.",
        )


def drafts_by_recipient(world: World) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in world.drafts():
        counts[message["To"]] = counts.get(message["To"], 0) + 1
    return counts


def test_run_reports_ready_pets_the_watchdog_drafts_and_stops_on_sigterm(
    world: World, daemon_of: Callable[..., Daemon]
) -> None:
    add_interviews(world, 1)
    daemon = daemon_of(watchdog_usec=1_000_000)  # pet every 0.5 s
    daemon.wait_for(lambda: "READY=1" in daemon.messages, 30, "READY=1")
    daemon.wait_for(lambda: len(world.draft_paths()) == 1, 30, "outreach draft")
    daemon.wait_for(lambda: daemon.messages.count("WATCHDOG=1") >= 3, 10, "three WATCHDOG=1")
    daemon.wait_for(
        lambda: any(m.startswith("STATUS=last pass") for m in daemon.messages), 10, "a status"
    )

    code, elapsed = daemon.stop(signal.SIGTERM)

    assert code == 0, daemon.stderr
    assert elapsed < STOP_DEADLINE, elapsed
    assert "STOPPING=1" in daemon.messages
    assert "stopped cleanly" in daemon.stderr
    assert "Traceback" not in daemon.stderr
    assert "1 new draft to review" in daemon.stderr  # no session bus: a log line instead

    # Nothing lost, nothing doubled: another pass finds the draft made and makes no other.
    result = world.run("once", at=datetime.now(UTC))
    assert result.code == 0, result.err
    assert "0 created" in result.out
    assert drafts_by_recipient(world) == {"Person 0 <person0@company0.com>": 1}
    data = world.status(at=datetime.now(UTC))
    assert data["interviews"][0]["actions"]["outreach"]["state"] == "drafted"  # type: ignore[index]


def test_run_verbose_with_its_options_after_the_command_logs_each_pass(
    world: World, daemon_of: Callable[..., Daemon]
) -> None:
    add_interviews(world, 1)
    daemon = daemon_of(args=("run", "-v", "--config", str(world.config)))
    daemon.wait_for(
        lambda: (
            "INFO daemon.runtime: account home: 1 events, 1 interviews tracked; drafts: "
            "1 created, 0 updated, 0 removed" in daemon.stderr
        ),
        30,
        "the pass in the log",
    )
    code, _ = daemon.stop(signal.SIGTERM)
    assert code == 0, daemon.stderr
    assert " DEBUG " not in daemon.stderr  # that is -vv


def test_sigterm_in_the_middle_of_a_pass_loses_nothing_and_doubles_nothing(
    world: World, daemon_of: Callable[..., Daemon]
) -> None:
    count = 40
    world.write_config(extra_rules=f"max_new_drafts_per_pass = {count}")  # all in one pass
    add_interviews(world, count)
    daemon = daemon_of()
    daemon.wait_for(lambda: len(world.draft_paths()) >= 1, 60, "a first draft")

    code, elapsed = daemon.stop(signal.SIGTERM)

    assert code == 0, daemon.stderr
    assert elapsed < STOP_DEADLINE, elapsed
    assert "Traceback" not in daemon.stderr
    made = len(world.draft_paths())
    assert 1 <= made <= count

    result = main(["--config", str(world.config), "once"])
    assert result == 0
    counts = drafts_by_recipient(world)
    assert len(counts) == count, counts  # every interview got its note…
    assert set(counts.values()) == {1}, counts  # …exactly once


def test_sighup_with_a_broken_file_keeps_the_old_configuration(
    world: World, daemon_of: Callable[..., Daemon]
) -> None:
    daemon = daemon_of()
    daemon.wait_for(lambda: "READY=1" in daemon.messages, 30, "READY=1")
    daemon.wait_for(lambda: "account home:" in daemon.stderr, 30, "the first pass")
    good = world.config.read_text()
    world.config.write_text(good + "\n[daemon]\npoll_seconds = 5\n")

    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for(lambda: "kept the previous configuration" in daemon.stderr, 10, "the reload")
    assert "daemon.poll_seconds: 5 is too small" in daemon.stderr
    assert daemon.process.poll() is None  # still running

    world.config.write_text(good)
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for(lambda: "configuration reloaded" in daemon.stderr, 10, "the second reload")

    code, _ = daemon.stop(signal.SIGINT)
    assert code == 0, daemon.stderr


def test_run_with_a_broken_configuration_exits_2_without_reporting_ready(
    world: World, daemon_of: Callable[..., Daemon]
) -> None:
    world.config.write_text("[profile]\nname = 1\n")
    daemon = daemon_of()
    code = daemon.process.wait(timeout=30)
    daemon.collect()
    assert code == 2
    assert "READY=1" not in daemon.messages
    assert "profile.name" in daemon.stderr
    assert "Traceback" not in daemon.stderr
