"""One writer per account: the lease in the store, on SQLite and PostgreSQL.

Also the claim of an interview seen in two accounts, decided in one statement.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interview_outreach.daemon.errors import LeaseLost
from interview_outreach.daemon.leasing import AccountLease, process_alive
from interview_outreach.daemon.store.records import AccountState, Claimant, Lease, LeaseHeld
from interview_outreach.daemon.store.repository import Store
from tests.databases import postgres_url
from tests.unit.test_store import make_interview

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)
HERE = Claimant("laptop", 100, "a" * 32)
SAME_HOST = Claimant("laptop", 200, "b" * 32)
OTHER_HOST = Claimant("server", 100, "c" * 32)


def alive(pid: int) -> bool:
    return True


def dead(pid: int) -> bool:
    return False


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'state.db'}" if request.param == "sqlite" else postgres_url()
    s = Store(url)
    yield s
    s.close()


def test_a_free_account_is_leased_and_then_held(store: Store) -> None:
    lease = store.acquire_lease("home", HERE, T0, TTL, alive)
    assert isinstance(lease, Lease)
    assert (lease.acquired_at, lease.expires_at) == (T0, T0 + TTL)
    held = store.acquire_lease("home", SAME_HOST, T0 + timedelta(minutes=1), TTL, alive)
    assert held == LeaseHeld("home", "laptop", 100, T0, T0 + TTL)
    assert isinstance(store.acquire_lease("work", SAME_HOST, T0, TTL, alive), Lease)
    assert store.lease_holder("home", T0) == held
    assert store.lease_holder("home", T0 + TTL) is None  # expired: nobody holds it


def test_a_released_lease_is_free_again(store: Store) -> None:
    lease = store.acquire_lease("home", HERE, T0, TTL, alive)
    assert isinstance(lease, Lease)
    store.release_lease(lease)
    assert isinstance(store.acquire_lease("home", SAME_HOST, T0, TTL, alive), Lease)
    store.release_lease(lease)  # no longer ours: releasing it changes nothing
    assert isinstance(store.acquire_lease("home", HERE, T0, TTL, alive), LeaseHeld)


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    store.acquire_lease("home", OTHER_HOST, T0, TTL, alive)
    later = T0 + TTL - timedelta(seconds=1)
    assert isinstance(store.acquire_lease("home", HERE, later, TTL, alive), LeaseHeld)
    taken = store.acquire_lease("home", HERE, T0 + TTL, TTL, alive)
    assert isinstance(taken, Lease) and taken.claimant == HERE


def test_a_dead_holder_on_this_host_is_taken_over_at_once(store: Store) -> None:
    store.acquire_lease("home", SAME_HOST, T0, TTL, alive)
    assert isinstance(store.acquire_lease("home", HERE, T0, TTL, alive), LeaseHeld)
    assert isinstance(store.acquire_lease("home", HERE, T0, TTL, dead), Lease)


def test_a_holder_on_another_host_is_never_judged_by_local_pids(store: Store) -> None:
    store.acquire_lease("home", OTHER_HOST, T0, TTL, alive)
    assert isinstance(store.acquire_lease("home", HERE, T0, TTL, dead), LeaseHeld)


def test_renewing_extends_and_a_lost_lease_raises(store: Store) -> None:
    lease = store.acquire_lease("home", OTHER_HOST, T0, TTL, alive)
    assert isinstance(lease, Lease)
    renewed = store.renew_lease(lease, T0 + timedelta(minutes=4), TTL)
    assert renewed.expires_at == T0 + timedelta(minutes=9)
    late = T0 + timedelta(minutes=6)
    assert isinstance(store.acquire_lease("home", HERE, late, TTL, alive), LeaseHeld)
    taken = store.acquire_lease("home", HERE, T0 + timedelta(minutes=9), TTL, alive)
    assert isinstance(taken, Lease)
    with pytest.raises(LeaseLost, match="another process took over"):
        store.renew_lease(renewed, T0 + timedelta(minutes=9), TTL)


def test_many_threads_racing_for_one_account_get_it_once(store: Store) -> None:
    winners: list[Claimant] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(8)

    def race(n: int) -> None:
        claimant = Claimant(f"host-{n}", n, f"{n:032d}")
        barrier.wait()
        try:
            if isinstance(store.acquire_lease("home", claimant, T0, TTL, alive), Lease):
                winners.append(claimant)
        except Exception as error:  # a lost race must be an answer, never an error
            errors.append(error)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(winners) == 1


def test_account_lease_renews_with_its_clock_and_releases(store: Store) -> None:
    now = [T0]
    lease = AccountLease.acquire(store, "home", lambda: now[0], TTL)
    assert isinstance(lease, AccountLease)
    now[0] = T0 + timedelta(minutes=1)
    lease.heartbeat()  # renewed a minute ago: not yet
    assert lease.lease.expires_at == T0 + TTL
    now[0] = T0 + timedelta(minutes=2)
    lease.heartbeat()
    assert lease.lease.expires_at == T0 + timedelta(minutes=7)
    held = AccountLease.acquire(store, "home", lambda: now[0], TTL)
    assert isinstance(held, LeaseHeld)  # this very process, but another pass: not shared
    lease.release()
    assert store.lease_holder("home", now[0]) is None


def test_process_alive() -> None:
    assert process_alive(1)
    assert not process_alive(0)
    assert not process_alive(2**22 + 12345)  # above any pid_max: never a running process


def test_an_interview_in_two_accounts_is_claimed_once(store: Store) -> None:
    mine = make_interview()
    theirs = dataclasses.replace(mine, account="work")
    assert store.claim_interview(mine, T0)
    assert not store.claim_interview(theirs, T0)
    assert store.claim_interview(mine, T0 + timedelta(hours=1))  # the owner updates it
    stored = store.get(mine.id)
    assert stored is not None and stored.interview.account == "personal"
    store.mark_gone(mine.id, T0)
    assert store.claim_interview(theirs, T0)  # the owner's copy is gone: it moves over
    stored = store.get(mine.id)
    assert stored is not None and stored.interview.account == "work" and not stored.gone


def test_a_scheduled_round_sees_an_account_passed_lately_or_being_passed(store: Store) -> None:
    """What lets several `run` processes divide a round: one short read per account."""
    half_round = timedelta(minutes=2, seconds=30)

    def fresh(now: datetime, holder_alive: bool = True) -> bool:
        check = alive if holder_alive else dead
        return store.passed_or_held("home", now - half_round, now, HERE, check)

    assert not fresh(T0)  # never passed, not held
    lease = store.acquire_lease("home", OTHER_HOST, T0, TTL, alive)
    assert isinstance(lease, Lease)
    assert fresh(T0)  # being passed on another host
    assert fresh(T0, holder_alive=False)  # another host's pids mean nothing here
    assert not fresh(T0 + TTL)  # its lease expired
    store.release_lease(lease)
    assert not fresh(T0)
    local = store.acquire_lease("home", SAME_HOST, T0, TTL, alive)
    assert isinstance(local, Lease)
    assert fresh(T0)  # another process of this host is passing it
    assert not fresh(T0, holder_alive=False)  # it died: the round takes the account over
    store.release_lease(local)
    store.save_account_state(
        AccountState(name="home", provider="local", address="a@b.example", last_pass_at=T0)
    )
    assert fresh(T0 + timedelta(minutes=1))
    assert not fresh(T0 + timedelta(minutes=3))
