"""The daemon in-process: real APScheduler, real vdir + Maildir + SQLite, an injected clock.

The pass's ``now`` comes from a clock that starts at a chosen moment and runs with the
machine's monotonic time, so nothing depends on today's date while APScheduler keeps its
own real timing. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import keyring
import pytest

import interview_outreach.daemon.runtime as daemon_runtime
from interview_outreach.daemon.config import Config, load_config
from interview_outreach.daemon.domain.model import ActionKind, ActionState, UserIdentity
from interview_outreach.daemon.errors import ConfigError, StorageError
from interview_outreach.daemon.ports import Account
from interview_outreach.daemon.runtime import (
    Daemon,
    PassInterrupted,
    guarded,
    jitter_seconds,
)
from interview_outreach.daemon.sdnotify import SystemdNotifier
from interview_outreach.daemon.store.repository import Store
from interview_outreach.providers.local.calendar import LocalCalendar
from interview_outreach.providers.local.mailbox import LocalMailbox
from tests import configs
from tests.e2e.conftest import World
from tests.fakes.clock import Clock
from tests.fakes.keyring_memory import MemoryKeyring

# Thursday 10 December 2026, 14:00 London (GMT = UTC in winter).
START = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
WINDOW_OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 09:00, three days before


class RunningClock:
    """Starts at ``start`` and advances with the machine's monotonic clock."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.origin)


@dataclass
class RecordingNotifier:
    messages: list[tuple[str, str]] = field(default_factory=list)

    def notify(self, summary: str, body: str) -> bool:
        self.messages.append((summary, body))
        return True


@contextlib.contextmanager
def running(daemon: Daemon) -> Iterator[threading.Thread]:
    """Run ``daemon.serve`` in a thread; stop and join it at the end of the block."""
    daemon.start()
    thread = threading.Thread(target=daemon.serve, name="daemon-serve", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        daemon.request_stop()
        thread.join(timeout=10)
        daemon.stop()
        daemon.close()


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


@pytest.fixture
def world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> World:
    return World(tmp_path, capsys)


@pytest.fixture(autouse=True)
def _memory_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


def loader(world: World) -> Callable[[], Config]:
    return lambda: load_config(world.config, {"HOME": str(world.root)})


def make_daemon(world: World, clock: Callable[[], datetime], **kwargs: Any) -> Daemon:
    kwargs.setdefault("notifier", RecordingNotifier())
    kwargs.setdefault("systemd", SystemdNotifier({}))
    return Daemon(loader(world), clock=clock, **kwargs)


def interview(world: World, uid: str = "acme-1") -> None:
    world.add_event(uid, "Acme – Technical interview (Senior Backend Engineer)", START)


def outreach_state(world: World, interview_id: str | None = None) -> ActionState | None:
    with Store(f"sqlite:///{world.root / 'state.db'}") as store:
        for item in store.interviews():
            if interview_id is None or item.interview.id == interview_id:
                record = item.action(ActionKind.OUTREACH)
                return record.state if record else None
    return None


def test_wakes_for_a_due_action_within_seconds_of_its_due_time(world: World) -> None:
    interview(world)
    clock = RunningClock(WINDOW_OPENS - timedelta(seconds=2))
    daemon = make_daemon(world, clock, poll_seconds=3600)  # only the wake-up can act in time
    with running(daemon):
        # The first pass (right away) plans the outreach for 09:00 and sets a wake-up.
        assert wait_for(lambda: daemon.passes >= 1, 10)
        assert world.draft_paths() == []
        assert daemon.wakeup_time() is not None
        assert wait_for(lambda: daemon.passes >= 2, 10), "no wake-up after the due time"
        assert len(world.draft_paths()) == 1
        outcome = daemon.last_outcome
        assert outcome is not None
        assert WINDOW_OPENS <= outcome.at <= WINDOW_OPENS + timedelta(seconds=3)
        assert outcome.created == 1
    assert outreach_state(world) is ActionState.DRAFTED
    assert len(world.draft_paths()) == 1


def test_a_new_interview_is_picked_up_within_one_poll_interval(world: World) -> None:
    clock = RunningClock(WINDOW_OPENS + timedelta(hours=1))
    notifier = RecordingNotifier()
    daemon = make_daemon(world, clock, poll_seconds=0.5, notifier=notifier)
    with running(daemon):
        assert wait_for(lambda: daemon.passes >= 1, 10)
        assert world.draft_paths() == []
        interview(world)
        added = time.monotonic()
        assert wait_for(lambda: len(world.draft_paths()) == 1, 10)
        elapsed = time.monotonic() - added
        # One interval plus its jitter plus the pass itself; generous for a loaded machine.
        assert elapsed < 0.5 + jitter_seconds(0.5) + 3, elapsed
    assert notifier.messages and notifier.messages[0][0] == "1 new draft to review"
    assert "Nothing was sent" in notifier.messages[0][1]


def test_notifications_can_be_turned_off(world: World) -> None:
    world.write_config()
    text = world.config.read_text()
    world.config.write_text(
        text.replace("[storage]", "[daemon]\nnotifications = false\n\n[storage]")
    )
    interview(world)
    notifier = RecordingNotifier()
    daemon = make_daemon(world, RunningClock(WINDOW_OPENS + timedelta(hours=1)), notifier=notifier)
    with running(daemon):
        assert wait_for(lambda: len(world.draft_paths()) == 1, 10)
    assert notifier.messages == []


def test_no_wakeup_without_planned_work_and_none_for_work_already_overdue(world: World) -> None:
    clock = RunningClock(WINDOW_OPENS - timedelta(days=1))
    daemon = make_daemon(world, clock, poll_seconds=3600)
    with running(daemon):
        assert wait_for(lambda: daemon.passes >= 1, 10)
        assert daemon.wakeup_time() is None  # nothing tracked yet
        interview(world)
        assert daemon.run_due_pass() is not None
        wake = daemon.wakeup_time()
        assert wake is not None
        # The outreach is due in a day (clock time): the job runs a day from now (machine time).
        expected = datetime.now(UTC) + timedelta(days=1)
        assert abs((wake - expected).total_seconds()) < 30


def test_an_action_that_fell_due_during_another_pass_is_woken_for_at_once(world: World) -> None:
    interview(world)
    clock = Clock(WINDOW_OPENS - timedelta(minutes=1))
    daemon = make_daemon(world, clock, poll_seconds=3600)
    with running(daemon):
        assert wait_for(lambda: daemon.passes >= 1, 10)
        assert daemon.wakeup_time() is not None  # for 09:00
        # A pass (of another account, say) started a second before 09:00 and ended after it.
        clock.at = WINDOW_OPENS + timedelta(milliseconds=100)
        started = WINDOW_OPENS - timedelta(seconds=1)
        wake = daemon._schedule_wakeup(pass_started=started)
        assert wake == clock.at  # not dropped until the next poll, an hour away
        job = daemon.wakeup_time()
        assert job is not None and job <= datetime.now(UTC) + timedelta(seconds=5)
        # Already due when the pass began and still due after it: its account is failing
        # or another process holds it; no wake-up of its own, or the daemon would spin.
        later = daemon._schedule_wakeup(pass_started=clock.at)
        assert later is not None and later > clock.at + timedelta(days=1)  # the thank-you
        job = daemon.wakeup_time()
        assert job is not None and job > datetime.now(UTC) + timedelta(days=1)


def test_every_account_gets_its_own_coalesced_single_instance_job(world: World) -> None:
    daemon = make_daemon(world, RunningClock(WINDOW_OPENS), poll_seconds=3600)
    with running(daemon):
        jobs = {job.id: job for job in daemon.scheduler_jobs()}
        assert "poll:home" in jobs
        job = jobs["poll:home"]
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.trigger.interval == timedelta(seconds=3600)
        assert job.trigger.jitter == jitter_seconds(3600)


def test_reload_keeps_the_old_configuration_when_the_new_one_is_broken(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = make_daemon(world, RunningClock(WINDOW_OPENS), poll_seconds=3600)
    with running(daemon):
        good = daemon.config
        world.config.write_text(world.config.read_text() + "\n[rules]\ndraft_tme = 1\n")
        assert daemon.reload() is False
        assert daemon.config is good
        assert any("kept the previous configuration" in r.getMessage() for r in caplog.records)

        # A fixed file with a second account is taken, and the account gets its own job.
        second = world.root / "Mail2"
        for sub in ("cur", "new", "tmp"):
            (second / sub).mkdir(parents=True)
        world.write_config()
        configs.append_account(
            world.config, configs.local_account("second", "ada@second.org", world.calendar, second)
        )
        assert daemon.reload() is True
        assert [a.name for a in daemon.config.accounts] == ["home", "second"]
        assert {j.id for j in daemon.scheduler_jobs()} >= {"poll:home", "poll:second"}


def test_reload_is_requested_from_another_thread_like_a_signal(world: World) -> None:
    daemon = make_daemon(world, RunningClock(WINDOW_OPENS), poll_seconds=3600)
    with running(daemon):
        world.config.write_text(world.config.read_text().replace('"home"', '"house"'))
        daemon.request_reload()
        assert wait_for(lambda: daemon.config.accounts[0].name == "house", 5)


def test_a_broken_configuration_stops_the_start(world: World) -> None:
    world.config.write_text("[profile]\n")
    daemon = make_daemon(world, RunningClock(WINDOW_OPENS))
    try:
        with pytest.raises(ConfigError):
            daemon.start()
    finally:
        daemon.close()


def test_ready_then_watchdog_then_stopping_reach_the_notify_socket(world: World) -> None:
    name = f"interview-outreach-test-{uuid.uuid4().hex}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind("\0" + name)
    listener.settimeout(5)
    messages: list[str] = []
    env = {"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "200000"}  # pet every 0.1 s
    daemon = make_daemon(world, RunningClock(WINDOW_OPENS), systemd=SystemdNotifier(env))
    try:
        with running(daemon):
            while sum(m == "WATCHDOG=1" for m in messages) < 3:
                messages.extend(listener.recv(4096).decode().split("\n"))
        while "STOPPING=1" not in messages:
            messages.extend(listener.recv(4096).decode().split("\n"))
    finally:
        listener.close()
    assert messages[0] == "READY=1"
    assert messages.index("READY=1") < messages.index("WATCHDOG=1") < messages.index("STOPPING=1")


def test_stop_waits_for_the_pass_in_flight(world: World) -> None:
    daemon = make_daemon(world, RunningClock(WINDOW_OPENS), poll_seconds=3600)
    in_pass, release = threading.Event(), threading.Event()
    real_pass = daemon.pass_once

    def slow_pass(*args: Any) -> Any:
        in_pass.set()
        release.wait(5)
        return real_pass(*args)

    daemon.pass_once = slow_pass  # type: ignore[method-assign]
    daemon.start()
    try:
        assert in_pass.wait(5)
        threading.Timer(0.3, release.set).start()
        began = time.monotonic()
        assert daemon.stop() is True
        assert 0.2 < time.monotonic() - began < 5
        assert not daemon.abandoned_pass
    finally:
        release.set()
        daemon.close()


def test_a_pass_that_does_not_end_in_time_is_abandoned_not_waited_for(world: World) -> None:
    daemon = make_daemon(world, RunningClock(WINDOW_OPENS), poll_seconds=3600, stop_grace=0.3)
    in_pass, release = threading.Event(), threading.Event()

    def stuck_pass(*args: Any) -> Any:
        in_pass.set()
        release.wait(10)
        raise PassInterrupted("stopped", "home")

    daemon.pass_once = stuck_pass  # type: ignore[method-assign]
    daemon.start()
    try:
        assert in_pass.wait(5)
        began = time.monotonic()
        assert daemon.stop() is False
        assert time.monotonic() - began < 2
        assert daemon.abandoned_pass
    finally:
        release.set()
        daemon.close()


def test_a_stopping_daemon_refuses_the_next_provider_call_but_not_the_address(
    world: World,
) -> None:
    user = UserIdentity("Ada", frozenset({"ada@example.org"}), ZoneInfo("Europe/London"))
    account = Account(
        "home",
        "local",
        LocalCalendar(world.calendar, user),
        LocalMailbox(
            "ada@example.org", world.maildir, world.maildir / ".Drafts", world.maildir / ".Sent"
        ),
    )
    stopping = threading.Event()
    account = guarded(account, stopping)
    assert account.mailbox.changes(None) is not None
    stopping.set()
    assert account.mailbox.address() == "ada@example.org"
    draft: Any = None  # the guard refuses before looking at the draft
    with pytest.raises(PassInterrupted):
        account.mailbox.create_draft(draft)
    with pytest.raises(PassInterrupted):
        account.calendar.changes(None, START, START)
    assert not (world.maildir / ".Drafts").exists()


def test_the_stop_guard_covers_every_method_a_provider_has_not_only_the_known_ones() -> None:
    class Mailbox:
        calls = 0

        def address(self) -> str:
            return "ada@example.org"

        def a_method_added_later(self) -> str:
            Mailbox.calls += 1
            return "done"

    stopping = threading.Event()
    inner: Any = Mailbox()
    account = guarded(Account("home", "local", inner, inner), stopping)
    later: Any = account.mailbox
    assert later.a_method_added_later() == "done"
    stopping.set()
    with pytest.raises(PassInterrupted):
        later.a_method_added_later()
    assert Mailbox.calls == 1 and account.mailbox.address() == "ada@example.org"


def test_a_stuck_pass_stops_the_watchdog_so_systemd_restarts_the_service(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("interview_outreach.daemon.runtime.STUCK_AFTER_SECONDS", 0.3)
    name = f"interview-outreach-test-{uuid.uuid4().hex}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind("\0" + name)
    listener.settimeout(0.1)
    received: list[tuple[float, str]] = []
    done = threading.Event()

    def receive() -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                for line in listener.recv(4096).decode().split("\n"):
                    received.append((time.monotonic(), line))

    env = {"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "100000"}  # pet every 0.05 s
    daemon = make_daemon(world, RunningClock(WINDOW_OPENS), systemd=SystemdNotifier(env))
    in_pass, release = threading.Event(), threading.Event()

    def stuck_pass(*args: Any) -> Any:
        in_pass.set()
        release.wait(10)
        raise PassInterrupted("stopped", "home")

    daemon.pass_once = stuck_pass  # type: ignore[method-assign]
    receiver = threading.Thread(target=receive)
    receiver.start()
    try:
        with running(daemon):
            assert in_pass.wait(5)
            stuck_at = time.monotonic()
            time.sleep(1.0)  # bounded: well past the 0.3 s after which the pass is stuck
            release.set()
    finally:
        release.set()
        done.set()
        receiver.join(5)
        listener.close()
    pets = [at - stuck_at for at, line in received if line == "WATCHDOG=1"]
    assert any(at < 0.25 for at in pets), pets  # petted while the pass was young…
    assert not any(0.6 < at < 1.0 for at in pets), pets  # …and no longer once stuck


def test_an_account_passed_moments_ago_is_skipped_before_it_is_opened(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Processes sharing the accounts: the other's fresh pass costs one short query."""
    interview(world)
    clock = Clock(WINDOW_OPENS + timedelta(hours=1))
    daemon = make_daemon(world, clock, poll_seconds=3600)
    with running(daemon):
        assert wait_for(lambda: daemon.passes >= 1, 10)
        passes = daemon.passes

        opened: list[object] = []
        real_open = daemon_runtime.open_accounts

        def recording(*args: Any, **kwargs: Any) -> Any:
            opened.append(args)
            return real_open(*args, **kwargs)

        monkeypatch.setattr(daemon_runtime, "open_accounts", recording)
        clock.at += timedelta(minutes=20)  # under half the interval since the first pass
        assert daemon.run_account_pass("home") is None
        assert daemon.passes == passes and opened == []
        monkeypatch.undo()
        clock.at += timedelta(minutes=20)  # 40 minutes: due again
        assert daemon.run_account_pass("home") is not None
        assert daemon.passes == passes + 1


def test_the_next_due_time_is_read_again_only_after_an_action_was_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(WINDOW_OPENS - timedelta(days=1))
    daemon = make_daemon(world, clock, poll_seconds=3600)
    with running(daemon):
        assert wait_for(lambda: daemon.passes >= 1, 10)
        store = daemon._store
        assert store is not None
        asked: list[datetime] = []
        real_next_due = store.next_due

        def counting(now: datetime, after: datetime | None = None) -> datetime | None:
            asked.append(now)
            return real_next_due(now, after)

        monkeypatch.setattr(store, "next_due", counting)
        clock.at += timedelta(hours=1)
        assert daemon.run_account_pass("home") is not None  # idle: nothing written
        assert asked == [] and daemon.wakeup_time() is None
        interview(world)
        clock.at += timedelta(hours=1)
        assert daemon.run_account_pass("home") is not None  # the outreach is planned
        assert asked, "a planned action must move the wake-up"
        wake = daemon.wakeup_time()
        assert wake is not None
        expected = datetime.now(UTC) + (WINDOW_OPENS - clock.at)
        assert abs((wake - expected).total_seconds()) < 30


def test_a_database_fault_in_the_round_check_fails_that_pass_only(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(WINDOW_OPENS + timedelta(hours=1))
    daemon = make_daemon(world, clock, poll_seconds=3600)
    with running(daemon):
        assert wait_for(lambda: daemon.passes >= 1, 10)
        store = daemon._store
        assert store is not None

        def unreachable(*args: object) -> bool:
            raise StorageError("database state.db: disk I/O error")

        monkeypatch.setattr(store, "passed_or_held", unreachable)
        clock.at += timedelta(hours=1)
        assert daemon.run_account_pass("home") is None  # said, not raised into the scheduler
        assert "pass failed: database state.db: disk I/O error" in caplog.text
