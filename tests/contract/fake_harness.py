"""What the Google and Microsoft contract harnesses share: a provider against a loopback fake.

``SharedFake`` keeps one fake server for the whole test session; ``FakeHarness`` is the
base of ``GoogleHarness`` and ``MicrosoftHarness``: events put under the suite's ids, weekly
series, the user's draft actions, and the checks of what the fake saw when the harness
closes. Each subclass turns an event into its service's resource and says how its service
names a series' instances.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from interview_outreach.daemon.domain.model import CalendarEvent, DraftRef, UserIdentity


class WorldFake(Protocol):
    """What a harness asks of a fake server: stopping, the user's draft actions, its logs."""

    def stop(self) -> None:
        """Stop serving."""
        ...

    def user_edits_draft(self, draft_id: str, new_body: str) -> object:
        """The user rewrites the draft's text."""
        ...

    def user_deletes_draft(self, draft_id: str) -> None:
        """The user discards the draft."""
        ...

    def user_sends_draft(self, draft_id: str, at: datetime | None = None) -> object:
        """The user sends the draft."""
        ...

    @property
    def forbidden_calls(self) -> list[Any]:
        """Attempts to send mail or to write the calendar."""
        ...

    @property
    def unknown_calls(self) -> list[Any]:
        """Requests the fake does not implement."""
        ...

    @property
    def server_errors(self) -> list[str]:
        """Tracebacks of bugs in the fake itself."""
        ...


F = TypeVar("F", bound=WorldFake)


class SharedFake(Generic[F]):
    """One fake server for the whole test session, started on first use; every harness
    resets it."""

    def __init__(self, start: Callable[[], F]) -> None:
        self._start = start
        self._fake: F | None = None
        self._lock = threading.Lock()

    def get(self) -> F:
        """The session's fake, started on first use."""
        with self._lock:
            if self._fake is None:
                self._fake = self._start()
            return self._fake

    def stop(self) -> None:
        """Stop the session's fake, if it was started (end of the test session)."""
        with self._lock:
            if self._fake is not None:
                self._fake.stop()
                self._fake = None


def suite_id(uid: str, instance: str = "") -> str:
    """The event id a harness gives an invitation: the suite's ``source_id``.

    The contract suite names events by ``source_id`` the way the local provider does
    (``uid``, ``uid/instance``). The remote providers report ``source_id`` = the event
    resource's ``id`` verbatim, so the harnesses give events exactly those ids (the fakes
    treat ids as opaque). The provider-only tests use the service's own id shapes.
    """
    return f"{uid}/{instance}" if instance else uid


def weekly(event: CalendarEvent, count: int) -> list[tuple[datetime, datetime]]:
    """``(start, end)`` of ``count`` weekly occurrences at the same wall-clock time."""
    length = event.end - event.start
    # Adding to an aware datetime keeps the wall-clock time across DST, like RRULE.
    starts = [event.start + timedelta(weeks=week) for week in range(count)]
    return [(start, start + length) for start in starts]


class FakeHarness(Generic[F]):
    """A remote provider against its shared fake: the world's side of the contract suite."""

    service = ""
    """The service's name in the close checks' messages ("Google", "Graph")."""

    def __init__(self, user: UserIdentity, fake: F) -> None:
        self.user = user
        self.address = sorted(user.addresses)[0]
        self.fake = fake
        self.slept: list[float] = []  # what the provider's HTTP client would have waited

    # ------------------------------------------------------------------ the world

    def put(self, event: CalendarEvent, event_id: str | None = None, **extra: Any) -> str:
        """Put ``event`` into the calendar under ``event_id``; returns the id."""
        event_id = event_id or suite_id(event.uid, event.instance)
        self._put_resource({**self._resource(event, event_id), **extra})
        return event_id

    def add_weekly(self, event: CalendarEvent, count: int, master_id: str = "") -> list[str]:
        """The series master, and its instances as the service lists them.

        Instance ids are the service's own (``_instance_id``) when ``master_id`` is given,
        else the suite's ``source_id``. Returns the instance ids.
        """
        own_ids = bool(master_id)
        master_id = master_id or suite_id(event.uid)
        self.put(event, master_id, **self._master_fields(event, count))
        ids = []
        for start, end in weekly(event, count):
            instance = self._instance_key(event, start)
            occurrence = dataclasses.replace(event, start=start, end=end, instance=instance)
            event_id = (
                self._instance_id(master_id, start) if own_ids else suite_id(event.uid, instance)
            )
            self.put(occurrence, event_id, **self._instance_fields(event, master_id, start))
            ids.append(event_id)
        return ids

    def user_edits_draft(self, ref: DraftRef, new_body: str) -> None:
        """As the service's editor saves an edit."""
        self.fake.user_edits_draft(ref.draft_id, new_body)

    def user_deletes_draft(self, ref: DraftRef) -> None:
        self.fake.user_deletes_draft(ref.draft_id)

    def user_sends_draft(self, ref: DraftRef, at: datetime) -> None:
        self.fake.user_sends_draft(ref.draft_id, at)

    # ------------------------------------------------------- the service's shapes

    def _resource(self, event: CalendarEvent, event_id: str) -> dict[str, Any]:
        """``event`` as the service's event resource."""
        raise NotImplementedError

    def _put_resource(self, resource: dict[str, Any]) -> None:
        """Store an event resource in the fake's calendar."""
        raise NotImplementedError

    def _master_fields(self, event: CalendarEvent, count: int) -> dict[str, Any]:
        """What makes an event resource a weekly series' master."""
        raise NotImplementedError

    def _instance_key(self, event: CalendarEvent, start: datetime) -> str:
        """The suite's instance key of the occurrence at ``start``."""
        raise NotImplementedError

    def _instance_id(self, master_id: str, start: datetime) -> str:
        """The service's own id of the occurrence at ``start``."""
        raise NotImplementedError

    def _instance_fields(
        self, event: CalendarEvent, master_id: str, start: datetime
    ) -> dict[str, Any]:
        """What ties an occurrence's resource to its master."""
        raise NotImplementedError

    # ------------------------------------------------------------------ teardown

    def _check_fake(self) -> None:
        """Nothing sent, no calendar write, nothing the service lacks, no crash of the fake."""
        forbidden = [f"{r.method} {r.path}" for r in self.fake.forbidden_calls]
        unknown = [f"{r.method} {r.path}" for r in self.fake.unknown_calls]
        errors = self.fake.server_errors
        fake_name = type(self.fake).__name__.removeprefix("Fake")
        assert not forbidden, f"the provider tried to send mail or write the calendar: {forbidden}"
        assert not unknown, f"the provider called what {self.service} does not have: {unknown}"
        assert not errors, f"the fake {fake_name} crashed:\n" + "\n".join(errors)
