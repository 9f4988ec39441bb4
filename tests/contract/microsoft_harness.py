"""The Microsoft provider under the contract suite, talking to the fake Microsoft over HTTPS.

The provider is the product's own: ``GraphCalendar`` and ``GraphMailbox`` over one
``GraphHttp`` (requests), aimed at ``FakeMicrosoft``'s Graph endpoint with a token the fake
issued (no sign-in: MSAL is the e2e test's business). The harness plays the world through
the fake's control methods: invitations appear as Graph event resources, the user sends,
edits or discards drafts in Outlook, mail is delivered.

One fake server serves the whole test session (``shared_fake``); every harness resets it.
"""

from __future__ import annotations

import dataclasses
import email.utils
import html
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

import requests

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
from providers.microsoft.calendar import GraphCalendar
from providers.microsoft.graph import MAX_CONCURRENT, GraphHttp
from providers.microsoft.mail import GraphMailbox
from tests.contract.google_harness import weekly
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
    {"from", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type",
     "content-transfer-encoding"}
)  # fmt: skip
_FOLDERS = {"inbox": "inbox", "sent": "sentitems", "deleted": "deleteditems"}

_fake: FakeMicrosoft | None = None
_fake_lock = threading.Lock()


def shared_fake() -> FakeMicrosoft:
    """The session's fake Microsoft, started on first use."""
    global _fake  # noqa: PLW0603
    with _fake_lock:
        if _fake is None:
            _fake = FakeMicrosoft().start()
        return _fake


def stop_shared_fake() -> None:
    """Stop the session's fake Microsoft, if it was started (end of the test session)."""
    global _fake  # noqa: PLW0603
    with _fake_lock:
        if _fake is not None:
            _fake.stop()
            _fake = None


def graph_id(uid: str, instance: str = "") -> str:
    """The event id the harness gives an invitation: the suite's ``source_id``.

    The Microsoft provider reports ``source_id`` = the event's Graph ``id`` verbatim, so
    the harness gives events the ids the suite names them by (``uid``, ``uid/instance``);
    the fake, like Graph, treats ids as opaque. The Microsoft-only tests use Graph-shaped
    ids (``AAMkAG…``).
    """
    return f"{uid}/{instance}" if instance else uid


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


class MicrosoftHarness:
    """The Microsoft provider (default calendar + mailbox) against the shared fake."""

    name = "microsoft"
    capabilities: frozenset[str] = frozenset({"listed_cancelled_events"})  # and no others
    lacks: ClassVar[dict[str, str]] = {  # why each capability it lacks is missing
        "attendee_groups": "Graph attendee types are required, optional and resource only: "
        "a group's address reads as a person (test_microsoft_participants_*)",
        "any_thread_headers": "a Graph message's JSON cannot carry In-Reply-To or References; "
        "reply drafts get them from createReply on the sent message they answer "
        "(test_microsoft_a_followup_*)",
    }

    def __init__(self, root: Path, user: UserIdentity) -> None:
        self.user = user
        self.address = sorted(user.addresses)[0]
        fake = shared_fake()
        fake.user_email = self.address
        fake.display_name = user.name
        fake.time_zone = getattr(user.timezone, "key", "UTC")
        fake.max_concurrent = MAX_CONCURRENT  # more at once would be throttled (429)
        fake.response_delay = 0.0
        fake.rewrite_text_bodies = True  # text bodies come back as Exchange stores them
        fake.reset()
        fake.reset_peak_concurrency()
        self.fake = fake
        self.session = requests.Session()
        self.session.verify = fake.ca_path
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override ``verify``
        self.token_requests: list[bool] = []  # force_refresh of every token GraphHttp asked for
        self._access_token = str(fake.issue_token()["access_token"])
        self.slept: list[float] = []  # what GraphHttp would have waited, in seconds
        self.http = GraphHttp(
            "microsoft", fake.graph_endpoint, self._token, self.session,
            sleep=self.slept.append, jitter=lambda: 0.0,
        )  # fmt: skip
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

    def put(self, event: CalendarEvent, event_id: str | None = None, **extra: Any) -> str:
        """Put ``event`` into the default calendar under ``event_id``; returns the id."""
        event_id = event_id or graph_id(event.uid, event.instance)
        self.fake.put_event({**event_resource(event, self.user, event_id), **extra})
        return event_id

    def add_event(self, event: CalendarEvent) -> None:
        self.put(event)

    def add_weekly(self, event: CalendarEvent, count: int, master_id: str = "") -> list[str]:
        """The series master, and its occurrences as ``calendarView`` lists them.

        Occurrence ids are Graph-shaped (``{master_id}_occ20250310``) when ``master_id``
        is given, else the suite's ``source_id``. Returns the occurrence ids.
        """
        graphs_ids = bool(master_id)
        master_id = master_id or graph_id(event.uid)
        zone = getattr(self.user.timezone, "key", "UTC")
        local_start = event.start.astimezone(self.user.timezone)
        recurrence = {
            "pattern": {
                "type": "weekly", "interval": 1, "firstDayOfWeek": "sunday",
                "daysOfWeek": [local_start.strftime("%A").lower()],
            },
            "range": {
                "type": "numbered", "startDate": local_start.date().isoformat(),
                "numberOfOccurrences": count, "recurrenceTimeZone": zone,
            },
        }  # fmt: skip
        self.put(event, master_id, type="seriesMaster", recurrence=recurrence)
        ids = []
        for start, end in weekly(event, count):
            instance = instance_key(start.date() if event.all_day else start)
            occurrence = dataclasses.replace(event, start=start, end=end, instance=instance)
            event_id = (
                f"{master_id}_occ{start.astimezone(UTC):%Y%m%d}"
                if graphs_ids
                else graph_id(event.uid, instance)
            )
            self.put(
                occurrence, event_id, type="occurrence", seriesMasterId=master_id,
                originalStart=original_start(start, event.all_day), originalStartTimeZone=zone,
            )  # fmt: skip
            ids.append(event_id)
        return ids

    def remove_event(self, uid: str) -> None:
        for stored in self.fake.events():
            if stored.get("iCalUId") == uid:
                self.fake.delete_event(str(stored["id"]))

    def user_edits_draft(self, ref: DraftRef, new_body: str) -> None:
        self.fake.user_edits_draft(ref.draft_id, new_body)

    def user_deletes_draft(self, ref: DraftRef) -> None:
        self.fake.user_deletes_draft(ref.draft_id)

    def user_sends_draft(self, ref: DraftRef, at: datetime) -> None:
        self.fake.user_sends_draft(ref.draft_id, at)

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
            str(message["From"]), str(message["Subject"] or ""), body,
            conversation_of=str(parent["id"]) if parent is not None else None,
            headers=headers, internet_message_id=message["Message-ID"],
            to=_addresses(message, "To"), cc=_addresses(message, "Cc"),
            at=date.astimezone(UTC) if date else None,
        )  # fmt: skip
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
        fake = self.fake
        forbidden = [f"{r.method} {r.path}" for r in fake.forbidden_calls]
        unknown = [f"{r.method} {r.path}" for r in fake.unknown_calls]
        errors = fake.server_errors
        assert not forbidden, f"the provider tried to send mail or write the calendar: {forbidden}"
        assert not unknown, f"the provider called what Graph does not have: {unknown}"
        assert not errors, "the fake Microsoft crashed:\n" + "\n".join(errors)
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
