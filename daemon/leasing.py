"""One writer per account: the lease a pass holds while it works on an account.

A pass takes the account's lease in the store before touching the account, renews it
before every mailbox write (so a process whose lease was taken over stops before writing)
and gives it back at the end. A lease left by a process that died is taken over when it
expires, or at once when its holder was a process on this host that no longer runs.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from interview_outreach.daemon.ports import Clock
from interview_outreach.daemon.store.records import Claimant, Lease, LeaseHeld
from interview_outreach.daemon.store.repository import Store

LEASE_TTL = timedelta(minutes=5)
"""How long a lease lasts unless renewed; a dead holder on another host is waited out."""

HEARTBEAT_EVERY = LEASE_TTL / 3


def this_process() -> Claimant:
    """A claimant for this process, with an id of its own for one pass of one account."""
    return Claimant(host=socket.gethostname(), pid=os.getpid(), holder_id=uuid.uuid4().hex)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (one of another user's counts as running)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe_holder(held: LeaseHeld, timezone: tzinfo) -> str:
    """``pid 4242 on laptop since 10:02:03`` for the line that passes an account over."""
    return f"pid {held.pid} on {held.host} since {held.since.astimezone(timezone):%H:%M:%S}"


@dataclass
class AccountLease:
    """The lease this pass holds on one account."""

    store: Store
    lease: Lease
    clock: Clock
    ttl: timedelta = LEASE_TTL
    renewed_at: datetime | None = None

    @classmethod
    def acquire(
        cls, store: Store, account: str, clock: Clock, ttl: timedelta = LEASE_TTL
    ) -> AccountLease | LeaseHeld:
        """The account's lease for this process, or who holds it."""
        now = clock()
        got = store.acquire_lease(account, this_process(), now, ttl, process_alive)
        if isinstance(got, LeaseHeld):
            return got
        return cls(store, got, clock, ttl, renewed_at=now)

    def renew(self) -> None:
        """Extend the lease now; raises ``LeaseLost`` when another process took it over."""
        now = self.clock()
        self.lease = self.store.renew_lease(self.lease, now, self.ttl)
        self.renewed_at = now

    def heartbeat(self) -> None:
        """Renew the lease if it was last renewed a while ago (between two interviews)."""
        if self.renewed_at is None or self.clock() - self.renewed_at >= HEARTBEAT_EVERY:
            self.renew()

    def release(self) -> None:
        """Give the lease back."""
        self.store.release_lease(self.lease)
