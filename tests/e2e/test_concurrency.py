"""Never twice: several interview-outreach processes at once on one configuration.

Real processes (``python -m tests.concurrency_child``: the CLI of this working tree),
released together by a barrier, on local accounts whose due actions' Message-IDs are known
in advance; the drafts are then counted by Message-ID in every account's ``.Drafts``.
``bench/concurrency.py`` runs the same at a larger scale and prints figures.

Also, deterministically and in-process (``daemon.cli.main(..., clock=...)``): who holds an
account's lease decides whether ``once`` passes it over, naming the holder, or takes it.
"""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from interview_outreach.daemon.cli import main
from interview_outreach.daemon.leasing import LEASE_TTL, process_alive
from interview_outreach.daemon.store.records import Claimant, Lease, LeaseHeld
from interview_outreach.daemon.store.repository import Store
from tests.concurrency_world import (
    PASSED_OVER,
    RUN_WORKED,
    World,
    build_world,
    message_ids,
    start_processes,
    wait_all,
)
from tests.databases import postgres_url

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # Tuesday; London is on UTC in December
ROUNDS = 3
PASSED_OVER_TEXT = "passed over: another interview-outreach process is working on it"


def assert_exactly_once(world: World) -> None:
    tally = world.count()
    assert tally.duplicated == [], f"drafted more than once: {tally.duplicated}"
    assert tally.missing == [], f"never drafted (accounts {sorted(tally.accounts_missing())})"
    assert tally.unexpected == [], f"drafts of no due action: {tally.unexpected}"
    assert tally.total == len(world.expected)


# ---------------------------------------------------------------------------------------------
# Processes at once
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("processes", [2, 8])
def test_once_processes_started_together_draft_every_action_once(
    tmp_path: Path, processes: int
) -> None:
    for round_number in range(ROUNDS):
        world = build_world(
            tmp_path / f"round-{round_number}", accounts=3, interviews=4, now=NOW, actions="both"
        )
        # The database exists, as after the first start: creating a new one together is
        # test_a_new_sqlite_database_waits_for_another_process_writing_it.
        Store(f"sqlite:///{world.root / 'state.db'}").close()
        children = start_processes(world.root, world.config, "once", processes, at=NOW)
        codes = wait_all(children, timeout=120)

        context = f"round {round_number}: " + " | ".join(
            f"pid {c.pid} exit {code}: {c.out()!r} {c.err()!r}"
            for c, code in zip(children, codes, strict=True)
        )
        assert codes == [0] * processes, context
        assert_exactly_once(world)
        worked: set[str] = set()
        for child in children:
            assert child.err() == "", context
            lines = child.out().splitlines()
            # One line per account: it worked on it, or it names who did.
            assert sorted(line.split(":")[0] for line in lines) == ["acc000", "acc001", "acc002"]
            for line in lines:
                if PASSED_OVER_TEXT in line:
                    held = PASSED_OVER.fullmatch(line)
                    assert held is not None, line
                    assert int(held["pid"]) in {c.pid for c in children} - {child.pid}, line
                    assert held["host"] == socket.gethostname()
                else:
                    worked.add(line.split(":")[0])
        assert worked == {"acc000", "acc001", "acc002"}, context


def test_run_processes_sharing_postgresql_draft_every_action_once(tmp_path: Path) -> None:
    url = postgres_url()
    world = build_world(
        tmp_path, accounts=20, interviews=1, now=datetime.now(UTC), storage_url=url,
        actions="thankyou", thankyou_due=[timedelta(minutes=-2), timedelta(seconds=-1)],
    )  # fmt: skip
    children = start_processes(world.root, world.config, "run", 4)
    try:
        deadline = time.monotonic() + 60
        while not world.count().complete and time.monotonic() < deadline:
            assert all(c.process.poll() is None for c in children), [c.err() for c in children]
            time.sleep(0.2)
        time.sleep(1.0)  # a late duplicate would show up now
    finally:
        for child in children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        codes = wait_all(children, timeout=20)

    logs = [child.err() for child in children]
    assert codes == [0, 0, 0, 0], logs
    assert_exactly_once(world)
    served = {m["account"] for log in logs for m in RUN_WORKED.finditer(log)}
    assert served == {a.name for a in world.accounts}
    created = sum(int(m["created"]) for log in logs for m in RUN_WORKED.finditer(log))
    assert created == len(world.expected)  # no process made a draft it then lost track of
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:  # a clean stop gives every lease back
            assert connection.execute(sa.text("SELECT count(*) FROM leases")).scalar() == 0
    finally:
        engine.dispose()
    errors = [
        line
        for log in logs
        for line in log.splitlines()
        if " ERROR " in line or "Traceback" in line
    ]
    assert errors == []  # e.g. no pass failed on two processes taking one lease


def acquire_in_thread(store: Store, result: list[object]) -> threading.Thread:
    """``store.acquire_lease`` of acc000 at NOW by this host, in a thread; outcome in ``result``."""

    def acquire() -> None:
        me = Claimant(socket.gethostname(), 1, "a" * 32)
        try:
            result.append(store.acquire_lease("acc000", me, NOW, LEASE_TTL, process_alive))
        except Exception as error:  # e.g. a unique violation: reported by the assertions
            result.append(error)

    thread = threading.Thread(target=acquire)
    thread.start()
    return thread


def wait_until_blocked(engine: sa.Engine, thread: threading.Thread) -> None:
    """Until a session waits for a lock (the thread's), or the thread ended."""
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    deadline = time.monotonic() + 10
    with engine.connect() as probe:
        while not probe.execute(sa.text(waiting)).scalar() and thread.is_alive():
            assert time.monotonic() < deadline, "acquire_lease never waited"
            time.sleep(0.02)


INSERT_LEASE = sa.text(
    "INSERT INTO leases (account, holder_id, host, pid, acquired_at, renewed_at, expires_at)"
    " VALUES ('acc000', :holder, 'build-box', 4242, :now, :now, :exp)"
)


def test_a_lease_taken_meanwhile_on_postgresql_is_held_not_an_error() -> None:
    """Two processes insert an account's first lease row: the second one is passed over."""
    url = postgres_url()
    store = Store(url)
    engine = sa.create_engine(url)
    result: list[object] = []
    try:
        with engine.connect() as other:
            # Another process inserts the account's first lease row and has not committed.
            other.begin()
            other.execute(INSERT_LEASE, {"holder": "b" * 32, "now": NOW, "exp": NOW + LEASE_TTL})
            thread = acquire_in_thread(store, result)
            wait_until_blocked(engine, thread)
            other.commit()
            thread.join(timeout=10)
    finally:
        engine.dispose()
        store.close()
    assert len(result) == 1
    held = result[0]
    assert isinstance(held, LeaseHeld), f"got {held!r} instead of the holder"
    assert (held.host, held.pid) == ("build-box", 4242)


def test_a_lease_given_back_meanwhile_on_postgresql_is_taken_not_an_error() -> None:
    """The holder releases the lease between our INSERT (conflict) and our row lock."""
    url = postgres_url()
    store = Store(url)
    engine = sa.create_engine(url)
    result: list[object] = []
    try:
        with engine.begin() as setup:  # held by another process, which is about to finish
            setup.execute(INSERT_LEASE, {"holder": "b" * 32, "now": NOW, "exp": NOW + LEASE_TTL})
        with engine.connect() as holder:
            holder.begin()
            holder.execute(sa.text("SELECT * FROM leases WHERE account = 'acc000' FOR UPDATE"))
            thread = acquire_in_thread(store, result)
            wait_until_blocked(engine, thread)
            # Its pass ends: it gives the lease back (Store.release_lease deletes the row).
            holder.execute(sa.text("DELETE FROM leases WHERE account = 'acc000'"))
            holder.commit()
            thread.join(timeout=10)
    finally:
        engine.dispose()
        store.close()
    assert len(result) == 1
    assert not isinstance(result[0], Exception), f"got {result[0]!r}"
    assert isinstance(result[0], Lease)  # the account is free: ours now


def test_a_new_sqlite_database_waits_for_another_process_writing_it(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t (x)")  # a new database: still in rollback-journal mode
    other.execute("BEGIN IMMEDIATE")  # another process is writing it
    release = threading.Timer(0.5, other.execute, args=("COMMIT",))
    release.start()
    try:
        started = time.monotonic()
        Store(f"sqlite:///{path}").close()  # waits for the writer (busy_timeout), then opens
        assert time.monotonic() - started >= 0.4
    finally:
        release.join()
        other.close()


# ---------------------------------------------------------------------------------------------
# Who holds the lease (in-process, with the injected clock)
# ---------------------------------------------------------------------------------------------


def run_once(world: World, capsys: pytest.CaptureFixture[str], at: datetime) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--config", str(world.config), "once"], clock=lambda: at)
    captured = capsys.readouterr()
    assert captured.err == ""
    return code, captured.out


def drafted(world: World, account: str) -> list[str]:
    return sorted(message_ids(next(a for a in world.accounts if a.name == account).drafts))


def due_in(world: World, account: str) -> list[str]:
    return sorted(m for m, name in world.expected.items() if name == account)


def hold(world: World, claimant: Claimant, at: datetime) -> None:
    with Store(f"sqlite:///{world.root / 'state.db'}") as store:
        lease = store.acquire_lease("acc000", claimant, at, LEASE_TTL, process_alive)
    assert isinstance(lease, Lease)


def finished_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_lease_of_a_live_process_is_passed_over_and_of_a_dead_one_taken_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = build_world(tmp_path, accounts=2, interviews=2, now=NOW, actions="outreach")
    host = socket.gethostname()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        hold(world, Claimant(host, sleeper.pid, "f" * 32), NOW - timedelta(seconds=90))

        code, out = run_once(world, capsys, NOW)

        assert code == 0
        assert out.splitlines() == [
            f"acc000: {PASSED_OVER_TEXT} (pid {sleeper.pid} on {host} since 09:58:30)",
            "acc001: 2 events, 2 interviews tracked; drafts: 2 created, 0 updated, 0 removed",
        ]
        assert drafted(world, "acc000") == []
        assert drafted(world, "acc001") == due_in(world, "acc001")
    finally:
        sleeper.kill()
        sleeper.wait()

    # Its holder is gone (same host, the pid no longer runs): taken over at once, although
    # the lease would last until 10:03:30.
    code, out = run_once(world, capsys, NOW + timedelta(seconds=1))

    assert code == 0
    assert PASSED_OVER_TEXT not in out
    assert "acc000: 2 events, 2 interviews tracked; drafts: 2 created" in out
    assert_exactly_once(world)
    with Store(f"sqlite:///{world.root / 'state.db'}") as store:
        assert store.lease_holder("acc000", NOW + timedelta(seconds=1)) is None  # given back


def test_a_lease_of_another_host_is_waited_out_until_it_expires(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = build_world(tmp_path, accounts=2, interviews=2, now=NOW, actions="outreach")
    dead = finished_pid()  # no such process here: says nothing about one on another host
    hold(world, Claimant("build-box.example", dead, "e" * 32), NOW)

    code, out = run_once(world, capsys, NOW + LEASE_TTL - timedelta(seconds=1))

    assert code == 0
    assert f"acc000: {PASSED_OVER_TEXT} (pid {dead} on build-box.example since 10:00:00)" in out
    assert drafted(world, "acc000") == []
    assert drafted(world, "acc001") == due_in(world, "acc001")

    code, out = run_once(world, capsys, NOW + LEASE_TTL)  # it has expired

    assert code == 0
    assert PASSED_OVER_TEXT not in out
    assert "acc000: 2 events, 2 interviews tracked; drafts: 2 created" in out
    assert_exactly_once(world)
