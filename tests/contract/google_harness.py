"""The Google provider under the contract suite, talking to the fake Google over HTTPS.

The provider is the product's own: ``GoogleCalendar`` and ``GmailMailbox`` over clients
built by ``providers.google.build_service`` (google-api-python-client, bundled discovery)
and one ``GoogleHttp`` (google-auth-httplib2), aimed at ``FakeGoogle``. The harness plays
the world through the fake's control methods: invitations appear as Calendar v3 event
resources, the user sends, edits or discards drafts in Gmail, mail is delivered.

One fake server serves the whole test session (``shared_fake``); every harness resets it.
Events get the suite's ids (``fake_harness.suite_id``): the fake, unlike Google, accepts ids
outside base32hex. The Google-only tests use Google-shaped ids (``abc123``,
``abc123_20250310T100000Z``).
"""

from __future__ import annotations

import email.utils
import os
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from google.oauth2.credentials import Credentials

from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    DraftRef,
    EventStatus,
    Participant,
    ParticipantKind,
    Response,
    UserIdentity,
    instance_key,
)
from interview_outreach.daemon.ports import CalendarSource, Mailbox
from interview_outreach.providers.google.calendar import GoogleCalendar
from interview_outreach.providers.google.connection import build_service
from interview_outreach.providers.google.gmail import GmailMailbox
from interview_outreach.providers.google.http import GoogleHttp
from tests.contract.fake_harness import FakeHarness, SharedFake
from tests.fakes.google import FakeGoogle

_RESPONSE_STATUS = {
    Response.ACCEPTED: "accepted",
    Response.DECLINED: "declined",
    Response.TENTATIVE: "tentative",
    Response.NEEDS_ACTION: "needsAction",
}
_LABELS = {"inbox": "INBOX", "sent": "SENT"}
_CA_VARIABLE = "HTTPLIB2_CA_CERTS"

_SHARED = SharedFake(lambda: FakeGoogle(seed=1).start())
shared_fake = _SHARED.get
stop_shared_fake = _SHARED.stop


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


class GoogleHarness(FakeHarness[FakeGoogle]):
    """The Google provider (Calendar ``primary`` + Gmail) against the shared fake Google."""

    name = "google"
    service = "Google"
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
        fake = shared_fake()
        super().__init__(user, fake)
        fake.user_email = self.address
        fake.time_zone = getattr(user.timezone, "key", "UTC")
        fake.reset()
        self._saved_ca = os.environ.get(_CA_VARIABLE)
        os.environ[_CA_VARIABLE] = fake.ca_path  # read by providers.google.http.new_http()
        self.http = GoogleHttp(
            "google",
            Credentials(**fake.issue_credentials()),
            lambda _: None,
            sleep=self.slept.append,
            jitter=lambda: 0.0,
        )
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

    def add_event(self, event: CalendarEvent) -> None:
        if event.status is EventStatus.CANCELLED:
            # How Calendar v3 holds a cancelled invitation: a deleted event.
            self.fake.delete_event("primary", self.put(event))
            return
        self.put(event)

    def _resource(self, event: CalendarEvent, event_id: str) -> dict[str, Any]:
        return event_resource(event, self.user, event_id)

    def _put_resource(self, resource: dict[str, Any]) -> None:
        self.fake.put_event("primary", resource)

    def _master_fields(self, event: CalendarEvent, count: int) -> dict[str, Any]:
        return {"recurrence": [f"RRULE:FREQ=WEEKLY;COUNT={count}"]}

    def _instance_key(self, event: CalendarEvent, start: datetime) -> str:
        return instance_key(start)

    def _instance_id(self, master_id: str, start: datetime) -> str:
        """Google's instance id: ``{master_id}_20250310T100000Z``."""
        return f"{master_id}_{start.astimezone(UTC):%Y%m%dT%H%M%SZ}"

    def _instance_fields(
        self, event: CalendarEvent, master_id: str, start: datetime
    ) -> dict[str, Any]:
        # As ``singleEvents=true`` lists an instance.
        return {"recurringEventId": master_id, "originalStartTime": when(start, event.all_day)}

    def remove_event(self, uid: str) -> None:
        for stored in self.fake.events("primary"):
            if stored.get("iCalUID") == uid and stored.get("status") != "cancelled":
                self.fake.delete_event("primary", str(stored["id"]))

    def service_rewrites_draft(self, ref: DraftRef) -> bytes:
        """Gmail stores the draft anew (other folding, encoding and wrapping), ids unchanged."""
        return self.fake.service_rewrites_draft(ref.draft_id)

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
        self._check_fake()
