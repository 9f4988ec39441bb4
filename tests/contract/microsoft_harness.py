"""The Microsoft provider under the contract suite, talking to the fake Microsoft over HTTPS.

The provider is the product's own: ``GraphCalendar`` and ``GraphMailbox`` over one
``GraphHttp`` (requests), aimed at ``FakeMicrosoft``'s Graph endpoint with a token the fake
issued (no sign-in: MSAL is the e2e test's business). The harness plays the world through
the fake's control methods: invitations appear as Graph event resources, the user sends,
edits or discards drafts in Outlook, mail is delivered.

One fake server serves the whole test session (``shared_fake``); every harness resets it.
Events get the suite's ids (``fake_harness.suite_id``); the fake, like Graph, treats ids as
opaque. The Microsoft-only tests use Graph-shaped ids (``AAMkAG…``).
"""

from __future__ import annotations

import email.utils
import html
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

import requests

from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    EventStatus,
    Participant,
    ParticipantKind,
    Response,
    UserIdentity,
    instance_key,
)
from interview_outreach.daemon.ports import CalendarSource, Mailbox
from interview_outreach.providers.microsoft.calendar import GraphCalendar
from interview_outreach.providers.microsoft.graph import MAX_CONCURRENT, GraphHttp
from interview_outreach.providers.microsoft.mail import GraphMailbox
from tests.contract.fake_harness import FakeHarness, SharedFake
from tests.fakes.microsoft import FakeMicrosoft

_RESPONSES = {
    Response.ACCEPTED: "accepted",
    Response.DECLINED: "declined",
    Response.TENTATIVE: "tentativelyAccepted",
    Response.NEEDS_ACTION: "none",
}
_GRAPH_TIME = "%Y-%m-%dT%H:%M:%S.0000000"
_NEVER = "0001-01-01T00:00:00Z"  # Graph's "no answer time"
# Headers the fake writes itself from the message's properties (its transport headers).
_OWN_HEADERS = frozenset(
    {
        *("from", "to", "cc", "subject", "date", "message-id"),
        *("mime-version", "content-type", "content-transfer-encoding"),
    }
)
_FOLDERS = {"inbox": "inbox", "sent": "sentitems", "deleted": "deleteditems"}

_SHARED = SharedFake(lambda: FakeMicrosoft().start())
shared_fake = _SHARED.get
stop_shared_fake = _SHARED.stop


def event_resource(event: CalendarEvent, user: UserIdentity, event_id: str) -> dict[str, Any]:
    """``event`` as a Graph event resource, as ``calendarView/delta`` would return it."""
    is_organizer = event.organizer is not None and event.organizer.email in user.addresses
    response = "organizer" if is_organizer else _RESPONSES[event.user_response]
    resource: dict[str, Any] = {
        "id": event_id,
        "iCalUId": event.uid,
        "type": "singleInstance",
        "subject": event.title,
        "body": {"contentType": "html", "content": html_body(event.description)},
        "start": when(event.start, event.all_day, user),
        "end": when(event.end, event.all_day, user),
        "isAllDay": event.all_day,
        "isCancelled": event.status is EventStatus.CANCELLED,
        "isOrganizer": is_organizer,
        "responseStatus": {"response": response, "time": _NEVER},
        "location": {"displayName": event.location, "locationType": "default"},
        "attendees": [_attendee(a) for a in event.attendees],
    }
    if event.organizer is not None:
        resource["organizer"] = {"emailAddress": _email_address(event.organizer)}
    if event.conference_url:
        resource["onlineMeeting"] = {"joinUrl": event.conference_url}
        resource["isOnlineMeeting"] = True
        resource["onlineMeetingProvider"] = (
            "teamsForBusiness" if "teams.microsoft.com" in event.conference_url else "unknown"
        )
    return resource


def when(moment: datetime, all_day: bool, user: UserIdentity) -> dict[str, str]:
    """A Graph ``dateTimeTimeZone``: UTC for timed events, a local midnight for all-day ones."""
    if all_day:
        zone = getattr(user.timezone, "key", "UTC")
        return {"dateTime": f"{moment.date().isoformat()}T00:00:00.0000000", "timeZone": zone}
    return {"dateTime": moment.astimezone(UTC).strftime(_GRAPH_TIME), "timeZone": "UTC"}


def html_body(text: str) -> str:
    """Plain text as the HTML body Outlook stores for an invitation."""
    lines = "<br>\r\n".join(html.escape(line) for line in text.split("\n"))
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f"</head><body><div>{lines}</div></body></html>"
    )


def _email_address(participant: Participant) -> dict[str, str]:
    return {"name": participant.name or participant.email, "address": participant.email}


def _attendee(participant: Participant) -> dict[str, Any]:
    # Graph's attendee types are required, optional and resource: a group reads as a person.
    if participant.kind is ParticipantKind.RESOURCE:
        kind = "resource"
    else:
        kind = "required" if participant.required else "optional"
    return {
        "type": kind,
        "status": {"response": _RESPONSES[participant.response], "time": _NEVER},
        "emailAddress": _email_address(participant),
    }


class MicrosoftHarness(FakeHarness[FakeMicrosoft]):
    """The Microsoft provider (default calendar + mailbox) against the shared fake."""

    name = "microsoft"
    service = "Graph"
    capabilities: frozenset[str] = frozenset({"listed_cancelled_events"})  # and no others
    lacks: ClassVar[dict[str, str]] = {  # why each capability it lacks is missing
        "attendee_groups": "Graph attendee types are required, optional and resource only: "
        "a group's address reads as a person (test_microsoft_participants_*)",
        "any_thread_headers": "a Graph message's JSON cannot carry In-Reply-To or References; "
        "reply drafts get them from createReply on the sent message they answer "
        "(test_microsoft_a_followup_*)",
    }

    def __init__(self, root: Path, user: UserIdentity) -> None:
        fake = shared_fake()
        super().__init__(user, fake)
        fake.user_email = self.address
        fake.display_name = user.name
        fake.time_zone = getattr(user.timezone, "key", "UTC")
        fake.max_concurrent = MAX_CONCURRENT  # more at once would be throttled (429)
        fake.response_delay = 0.0
        fake.rewrite_text_bodies = True  # text bodies come back as Exchange stores them
        fake.reset()
        fake.reset_peak_concurrency()
        self.session = requests.Session()
        self.session.verify = fake.ca_path
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override ``verify``
        self.token_requests: list[bool] = []  # force_refresh of every token GraphHttp asked for
        self._access_token = str(fake.issue_token()["access_token"])
        self.http = GraphHttp(
            "microsoft",
            fake.graph_endpoint,
            self._token,
            self.session,
            sleep=self.slept.append,
            jitter=lambda: 0.0,
        )
        self.graph_calendar = GraphCalendar("microsoft", self.http, user)
        self.graph_mailbox = GraphMailbox("microsoft", self.http, self.address)
        self.calendar: CalendarSource = self.graph_calendar
        self.mailbox: Mailbox = self.graph_mailbox

    def _token(self, force_refresh: bool) -> str:
        """What MSAL's ``acquire_token_silent`` would give: a fresh token when forced."""
        self.token_requests.append(force_refresh)
        if force_refresh:
            self._access_token = str(self.fake.issue_token()["access_token"])
        return self._access_token

    # ------------------------------------------------------------------ the world

    def add_event(self, event: CalendarEvent) -> None:
        self.put(event)

    def _resource(self, event: CalendarEvent, event_id: str) -> dict[str, Any]:
        return event_resource(event, self.user, event_id)

    def _put_resource(self, resource: dict[str, Any]) -> None:
        self.fake.put_event(resource)

    def _master_fields(self, event: CalendarEvent, count: int) -> dict[str, Any]:
        local_start = event.start.astimezone(self.user.timezone)
        pattern = {
            "type": "weekly",
            "interval": 1,
            "firstDayOfWeek": "sunday",
            "daysOfWeek": [local_start.strftime("%A").lower()],
        }
        numbered = {
            "type": "numbered",
            "startDate": local_start.date().isoformat(),
            "numberOfOccurrences": count,
            "recurrenceTimeZone": self._zone(),
        }
        return {"type": "seriesMaster", "recurrence": {"pattern": pattern, "range": numbered}}

    def _instance_key(self, event: CalendarEvent, start: datetime) -> str:
        return instance_key(start.date() if event.all_day else start)

    def _instance_id(self, master_id: str, start: datetime) -> str:
        """A Graph-shaped occurrence id: ``{master_id}_occ20250310``."""
        return f"{master_id}_occ{start.astimezone(UTC):%Y%m%d}"

    def _instance_fields(
        self, event: CalendarEvent, master_id: str, start: datetime
    ) -> dict[str, Any]:
        # As ``calendarView`` lists an occurrence.
        return {
            "type": "occurrence",
            "seriesMasterId": master_id,
            "originalStart": original_start(start, event.all_day),
            "originalStartTimeZone": self._zone(),
        }

    def _zone(self) -> str:
        return getattr(self.user.timezone, "key", "UTC")

    def remove_event(self, uid: str) -> None:
        for stored in self.fake.events():
            if stored.get("iCalUId") == uid:
                self.fake.delete_event(str(stored["id"]))

    def deliver(self, message: EmailMessage, folder: str = "inbox") -> str:
        """``message`` arrives in the Inbox, or lands in Sent Items ("sent"); returns its id.

        It arrives at its Date. One whose In-Reply-To names a message of the mailbox joins
        that message's conversation, as Outlook threads it; its other headers (In-Reply-To,
        References, Auto-Submitted …) are kept as the message's internet headers. The fake
        delivers to the Inbox only: mail for Sent Items arrives and is moved there.
        """
        assert folder in _FOLDERS, f"the fake Microsoft has no folder {folder!r}"
        date = email.utils.parsedate_to_datetime(message["Date"]) if message["Date"] else None
        part = message.get_body(preferencelist=("plain",))
        body = part.get_content() if isinstance(part, EmailMessage) else ""
        parent = self._message_named(message["In-Reply-To"])
        headers = [
            (name, str(value))
            for name, value in message.items()
            if name.lower() not in _OWN_HEADERS
            and not (parent is not None and self._fake_threads(name, str(value), parent))
        ]
        delivered = self.fake.deliver(
            str(message["From"]),
            str(message["Subject"] or ""),
            body,
            conversation_of=str(parent["id"]) if parent is not None else None,
            headers=headers,
            internet_message_id=message["Message-ID"],
            to=_addresses(message, "To"),
            cc=_addresses(message, "Cc"),
            at=date.astimezone(UTC) if date else None,
        )
        message_id = str(delivered["id"])
        if folder != "inbox":
            self.fake.user_moves_message(message_id, _FOLDERS[folder])
        return message_id

    def _message_named(self, in_reply_to: object) -> dict[str, Any] | None:
        if not in_reply_to:
            return None
        wanted = "".join(str(in_reply_to).split())
        stored = [*self.fake.inbox(), *self.fake.sent()]
        return next((m for m in stored if m.get("internetMessageId") == wanted), None)

    @staticmethod
    def _fake_threads(name: str, value: str, parent: dict[str, Any]) -> bool:
        """Whether the fake writes this thread header itself for a reply to ``parent``."""
        if name.lower() == "in-reply-to":
            return bool("".join(value.split()) == parent["internetMessageId"])
        if name.lower() == "references":
            return bool(value.split() == [*parent["_references"], parent["internetMessageId"]])
        return False

    # ------------------------------------------------------------------ teardown

    def close(self) -> None:
        """Close the connections and check what the fake saw: nothing sent, no calendar
        write, nothing Graph lacks, at most four requests at once, immutable ids asked for."""
        self.http.close()
        self._check_fake()
        fake = self.fake
        assert fake.peak_concurrency <= MAX_CONCURRENT, fake.peak_concurrency
        graph = [r for r in fake.requests if r.path.startswith("/v1.0/")]
        plain_ids = [
            r.path for r in graph if 'IdType="ImmutableId"' not in (r.header("Prefer") or "")
        ]
        assert not plain_ids, f"requests without immutable ids: {plain_ids}"


def original_start(start: datetime, all_day: bool) -> str:
    """Graph's ``originalStart`` (a DateTimeOffset in UTC) of an occurrence."""
    moment = start.replace(hour=0, minute=0, second=0, microsecond=0) if all_day else start
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _addresses(message: EmailMessage, name: str) -> list[str]:
    values = [str(v) for v in message.get_all(name, [])]
    # Quoted, not RFC 2047-encoded: the fake reads names with ``parseaddr``.
    return [
        '"' + display.replace("\\", "\\\\").replace('"', '\\"') + f'" <{address}>'
        if display
        else address
        for display, address in email.utils.getaddresses(values)
        if address
    ]
