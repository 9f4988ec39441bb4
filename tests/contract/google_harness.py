"""The Google provider under the contract suite, talking to the fake Google over HTTPS.

The provider is the product's own: ``GoogleCalendar`` and ``GmailMailbox`` over clients
built by ``providers.google.build_service`` (google-api-python-client, bundled discovery)
and one ``GoogleHttp`` (google-auth-httplib2), aimed at ``FakeGoogle``. The harness plays
the world through the fake's control methods: invitations appear as Calendar v3 event
resources, the user sends, edits or discards drafts in Gmail, mail is delivered.

One fake server serves the whole test session (``shared_fake``); every harness resets it.
"""

from __future__ import annotations

import dataclasses
import email.utils
import os
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from google.oauth2.credentials import Credentials

from daemon.domain.model import (
    CalendarEvent,
    DraftRef,
    EventStatus,
    Participant,
    ParticipantKind,
    Response,
    UserIdentity,
    instance_key,
)
from daemon.ports import CalendarSource, Mailbox
from providers.google.calendar import GoogleCalendar
from providers.google.connection import build_service
from providers.google.gmail import GmailMailbox
from providers.google.http import GoogleHttp
from tests.fakes.google import FakeGoogle

_RESPONSE_STATUS = {
    Response.ACCEPTED: "accepted",
    Response.DECLINED: "declined",
    Response.TENTATIVE: "tentative",
    Response.NEEDS_ACTION: "needsAction",
}
_LABELS = {"inbox": "INBOX", "sent": "SENT"}
_CA_VARIABLE = "HTTPLIB2_CA_CERTS"

_fake: FakeGoogle | None = None
_fake_lock = threading.Lock()


def shared_fake() -> FakeGoogle:
    """The session's fake Google, started on first use."""
    global _fake  # noqa: PLW0603
    with _fake_lock:
        if _fake is None:
            _fake = FakeGoogle(seed=1).start()
        return _fake


def stop_shared_fake() -> None:
    """Stop the session's fake Google, if it was started (end of the test session)."""
    global _fake  # noqa: PLW0603
    with _fake_lock:
        if _fake is not None:
            _fake.stop()
            _fake = None


def google_id(uid: str, instance: str = "") -> str:
    """The event id the harness gives an invitation: the suite's ``source_id``.

    The contract suite names events by ``source_id`` the way the local provider does
    (``uid``, ``uid/instance``). The Google provider reports ``source_id`` = the event
    resource's ``id`` verbatim, whatever it looks like, so the harness gives events exactly
    those ids (the fake, unlike Google, accepts ids outside base32hex). The Google-only
    tests use Google-shaped ids (``abc123``, ``abc123_20250310T100000Z``).
    """
    return f"{uid}/{instance}" if instance else uid


def event_resource(event: CalendarEvent, user: UserIdentity, event_id: str) -> dict[str, Any]:
    """``event`` as a Calendar v3 event resource, as ``events.list`` would return it."""
    resource: dict[str, Any] = {
        "id": event_id,
        "iCalUID": event.uid,
        "status": "cancelled" if event.status is EventStatus.CANCELLED else "confirmed",
        "summary": event.title,
        "start": when(event.start, event.all_day),
        "end": when(event.end, event.all_day),
    }
    if event.description:
        resource["description"] = event.description
    if event.location:
        resource["location"] = event.location
    if event.organizer is not None:
        resource["organizer"] = _person(event.organizer, user, organizer=True)
        resource["creator"] = {"email": event.organizer.email}
    if event.attendees:
        resource["attendees"] = [_person(a, user) for a in event.attendees]
    if event.conference_url:
        resource["conferenceData"] = _conference(event.conference_url)
        if "meet.google.com" in event.conference_url:
            resource["hangoutLink"] = event.conference_url
    return resource


def when(moment: datetime, all_day: bool) -> dict[str, str]:
    """A Calendar v3 ``start``/``end``/``originalStartTime``."""
    if all_day:
        return {"date": moment.date().isoformat()}
    zone = moment.tzinfo.key if isinstance(moment.tzinfo, ZoneInfo) else "UTC"
    return {"dateTime": moment.isoformat(), "timeZone": zone}


def _person(
    participant: Participant, user: UserIdentity, *, organizer: bool = False
) -> dict[str, Any]:
    person: dict[str, Any] = {"email": participant.email}
    if participant.name:
        person["displayName"] = participant.name
    if participant.email in user.addresses:
        person["self"] = True
    if organizer:
        return person
    # Calendar v3 has no attendee type for groups: a group is listed like a person.
    if participant.kind is ParticipantKind.RESOURCE:
        person["resource"] = True
    if not participant.required:
        person["optional"] = True
    person["responseStatus"] = _RESPONSE_STATUS[participant.response]
    return person


def _conference(url: str) -> dict[str, Any]:
    meet = "meet.google.com" in url
    return {
        "conferenceId": url.rstrip("/").rsplit("/", 1)[-1],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet" if meet else "addOn"},
            "name": "Google Meet" if meet else "Video call",
        },
        "entryPoints": [
            {"entryPointType": "video", "uri": url, "label": url.split("://", 1)[-1]},
            {"entryPointType": "phone", "uri": "tel:+44-20-0000-0000", "pin": "123456"},
        ],
    }


class GoogleHarness:
    """The Google provider (Calendar ``primary`` + Gmail) against the shared fake Google."""

    name = "google"
    capabilities: frozenset[str] = frozenset()
    lacks: ClassVar[
        dict[str, str]
    ] = {  # why each capability of ``harness.CAPABILITIES`` is missing
        "attendee_groups": "Calendar v3 attendees carry no type for groups: a group's address "
        "reads as a person (roles, resources and responses: test_google_participants_*)",
        "listed_cancelled_events": "a cancelled Calendar v3 event is a deleted one, left out "
        "of listings without showDeleted and reported in `removed` by incremental sync "
        "(test_google_cancelled_*)",
    }

    def __init__(self, root: Path, user: UserIdentity) -> None:
        self.user = user
        self.address = sorted(user.addresses)[0]
        fake = shared_fake()
        fake.user_email = self.address
        fake.time_zone = getattr(user.timezone, "key", "UTC")
        fake.reset()
        self.fake = fake
        self._saved_ca = os.environ.get(_CA_VARIABLE)
        os.environ[_CA_VARIABLE] = fake.ca_path  # read by providers.google.http.new_http()
        self.slept: list[float] = []  # what GoogleHttp would have waited, in seconds
        self.http = GoogleHttp(
            "google", Credentials(**fake.issue_credentials()), lambda _: None,
            sleep=self.slept.append, jitter=lambda: 0.0,
        )  # fmt: skip
        try:
            calendar = build_service("calendar", "v3", self.http, fake.root)
            gmail = build_service("gmail", "v1", self.http, fake.root)
        except BaseException:
            self.close()
            raise
        self.google_calendar = GoogleCalendar("google", self.http, calendar, ("primary",), user)
        self.gmail = GmailMailbox("google", self.http, gmail, self.address)
        self.calendar: CalendarSource = self.google_calendar
        self.mailbox: Mailbox = self.gmail

    # ------------------------------------------------------------------ the world

    def put(self, event: CalendarEvent, event_id: str | None = None, **extra: Any) -> str:
        """Put ``event`` into the primary calendar under ``event_id``; returns the id."""
        event_id = event_id or google_id(event.uid, event.instance)
        self.fake.put_event("primary", {**event_resource(event, self.user, event_id), **extra})
        return event_id

    def add_event(self, event: CalendarEvent) -> None:
        if event.status is EventStatus.CANCELLED:
            # How Calendar v3 holds a cancelled invitation: a deleted event.
            self.fake.delete_event("primary", self.put(event))
            return
        self.put(event)

    def add_weekly(self, event: CalendarEvent, count: int, master_id: str = "") -> list[str]:
        """The recurring master, and its instances as ``singleEvents=true`` lists them.

        Instance ids are Google's (``{master_id}_20250310T100000Z``) when ``master_id`` is
        given, else the suite's ``source_id``. Returns the instance ids.
        """
        googles_ids = bool(master_id)
        master_id = master_id or google_id(event.uid)
        self.put(event, master_id, recurrence=[f"RRULE:FREQ=WEEKLY;COUNT={count}"])
        ids = []
        for start, end in weekly(event, count):
            instance = instance_key(start)
            occurrence = dataclasses.replace(event, start=start, end=end, instance=instance)
            event_id = (
                f"{master_id}_{start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
                if googles_ids
                else google_id(event.uid, instance)
            )
            original = when(start, event.all_day)
            self.put(occurrence, event_id, recurringEventId=master_id, originalStartTime=original)
            ids.append(event_id)
        return ids

    def remove_event(self, uid: str) -> None:
        for stored in self.fake.events("primary"):
            if stored.get("iCalUID") == uid and stored.get("status") != "cancelled":
                self.fake.delete_event("primary", str(stored["id"]))

    def user_edits_draft(self, ref: DraftRef, new_body: str) -> None:
        """As Gmail's editor saves an edit: same draft and thread, a new message id."""
        self.fake.user_edits_draft(ref.draft_id, new_body)

    def service_rewrites_draft(self, ref: DraftRef) -> bytes:
        """Gmail stores the draft anew (other folding, encoding and wrapping), ids unchanged."""
        return self.fake.service_rewrites_draft(ref.draft_id)

    def user_deletes_draft(self, ref: DraftRef) -> None:
        self.fake.user_deletes_draft(ref.draft_id)

    def user_sends_draft(self, ref: DraftRef, at: datetime) -> None:
        self.fake.user_sends_draft(ref.draft_id, at)

    def deliver(self, message: EmailMessage, folder: str = "inbox") -> str:
        """``message`` arrives with label INBOX or SENT (or ``folder`` as a label's name).

        Gmail's internal date (what the provider reports as the date) is when the message
        arrived or was sent; for the suite that is the message's Date header.
        """
        date = email.utils.parsedate_to_datetime(message["Date"]) if message["Date"] else None
        label = _LABELS.get(folder, folder)
        return self.fake.deliver(
            message, labels=(label,), at=date.astimezone(UTC) if date else None
        )

    # ------------------------------------------------------------------ teardown

    def close(self) -> None:
        """Close the connections, restore the environment and check the fake's logs."""
        self.http.close()
        if self._saved_ca is None:
            os.environ.pop(_CA_VARIABLE, None)
        else:
            os.environ[_CA_VARIABLE] = self._saved_ca
        forbidden = self.fake.forbidden_calls
        unknown = self.fake.unknown_calls
        errors = self.fake.server_errors
        assert not forbidden, f"the provider tried to send mail or write the calendar: {forbidden}"
        assert not unknown, f"the provider called what Google does not have: {unknown}"
        assert not errors, "the fake Google crashed:\n" + "\n".join(errors)


def weekly(event: CalendarEvent, count: int) -> list[tuple[datetime, datetime]]:
    """``(start, end)`` of ``count`` weekly occurrences at the same wall-clock time."""
    length = event.end - event.start
    # Adding to an aware datetime keeps the wall-clock time across DST, like RRULE.
    starts = [event.start + timedelta(weeks=week) for week in range(count)]
    return [(start, start + length) for start in starts]
