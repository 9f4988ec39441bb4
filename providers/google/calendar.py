"""Google Calendar v3 as a ``CalendarSource``: a windowed full sync, then sync tokens.

The cursor is JSON holding one sync token per configured calendar and the end of the
window listed so far. Incremental answers bring deleted events as ``{"id", "status":
"cancelled"}``: those are reported in ``removed`` by event id. An expired token (410)
raises ``CursorExpired``. A listing that fails partway raises: none of it is reported and
the cursor stays where it was. An event that cannot be read is skipped and named in
``problems`` (so the listing proves no removal); one without start or end that is not
``cancelled`` is such an event, never a deletion.

A sync token reports only events that change. The window slides forward with time, so an
unchanged event that was beyond the end of the window at the full sync would never be
reported once it comes into the window. So when the window has moved past the end of what
was listed so far, an incremental call also lists the slice between the two, and a day
beyond (``SLICE_AHEAD``: one such extra request a day, not one every pass). Like the
changes a sync token brings, those events may lie outside the requested window.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from typing import Any

from interview_outreach.daemon.domain.addresses import Contacts, attendee_entries
from interview_outreach.daemon.domain.mime import single_line
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    EventStatus,
    Participant,
    ParticipantKind,
    Response,
    UserIdentity,
    instance_key,
)
from interview_outreach.daemon.errors import CursorExpired
from interview_outreach.daemon.ports import CalendarChanges
from interview_outreach.providers.google.http import Gone, GoogleHttp

log = logging.getLogger(__name__)

PAGE_SIZE = 250
SLICE_AHEAD = timedelta(days=1)
_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "declined": Response.DECLINED,
    "tentative": Response.TENTATIVE,
    "needsAction": Response.NEEDS_ACTION,
}


class GoogleCalendar:
    """The configured calendars of one Google account."""

    def __init__(
        self,
        account: str,
        http: GoogleHttp,
        service: Any,
        calendars: tuple[str, ...],
        user: UserIdentity,
    ) -> None:
        self._account = account
        self._http = http
        self._events = service.events()
        self._calendars = calendars
        self._user = user

    def changes(
        self, cursor: str | None, window_start: datetime, window_end: datetime
    ) -> CalendarChanges:
        """Every event in the window (no cursor) or what changed since the cursor."""
        tokens, listed_until = _cursor(cursor)
        incremental = listed_until is not None and all(c in tokens for c in self._calendars)
        slice_start = max(listed_until or window_end, window_start)
        slice_end = window_end + SLICE_AHEAD
        events: dict[tuple[str, str], CalendarEvent] = {}
        removed: list[str] = []
        problems: list[str] = []
        new_tokens: dict[str, str] = {}
        for calendar_id in self._calendars:
            query: dict[str, Any] = {
                "calendarId": calendar_id,
                "singleEvents": True,
                "maxResults": PAGE_SIZE,
            }
            if incremental:
                query["syncToken"] = tokens[calendar_id]
                items, new_tokens[calendar_id] = self._list(query)
                if slice_start < window_end:  # unchanged events the window has reached since
                    del query["syncToken"]
                    items += self._list(_windowed(query, slice_start, slice_end))[0]
            else:
                query = _windowed(query, window_start, window_end)
                items, new_tokens[calendar_id] = self._list(query)
            for item in items:
                event_id = str(item.get("id", ""))
                try:
                    event = self._event(item, calendar_id)
                except (KeyError, TypeError, ValueError, AttributeError) as error:
                    # One unreadable event must not hide the others; the problem it leaves
                    # makes this listing prove no removal.
                    log.warning("calendar %s: event %s skipped: %r", calendar_id, event_id, error)
                    problems.append(single_line(f"{calendar_id}: event {event_id}: {error!r}"))
                    continue
                if event is None:
                    if event_id:
                        removed.append(event_id)
                else:
                    events[calendar_id, event_id] = event  # the last version listed wins
        until = window_end
        if incremental and listed_until is not None:
            until = slice_end if slice_start < window_end else listed_until
        return CalendarChanges(
            events=tuple(events.values()),
            complete=not incremental,
            removed=tuple(removed),
            cursor=json.dumps({"v": 2, "tokens": new_tokens, "until": until.isoformat()}),
            problems=tuple(problems),
        )

    def _list(self, query: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        items: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            try:
                page = self._http.execute(self._events.list(**query, pageToken=page_token))
            except Gone as error:
                raise CursorExpired("the calendar sync token expired", self._account) from error
            items.extend(i for i in page.get("items", []) if isinstance(i, dict))
            page_token = page.get("nextPageToken")
            if not page_token:
                return items, str(page.get("nextSyncToken", ""))

    def _event(self, item: dict[str, Any], calendar_id: str) -> CalendarEvent | None:
        """The core's view of an event resource; ``None`` for a deletion stub."""
        start, end = item.get("start"), item.get("end")
        if not isinstance(start, dict) or not isinstance(end, dict):
            if item.get("status") == "cancelled":
                return None  # deleted events arrive as {"id", "status": "cancelled"}
            raise ValueError("an event without start or end")  # not a deletion: malformed
        tz = self._user.timezone
        all_day = "date" in start and "dateTime" not in start
        begins, ends = _when(start, tz), _when(end, tz)
        contacts = Contacts()
        organizer = _person(contacts, item.get("organizer"), organizer=True)
        attendees = tuple(
            p for p in (_person(contacts, a) for a in attendee_entries(item.get("attendees"))) if p
        )
        user_is_organizer = bool((item.get("organizer") or {}).get("self")) or (
            organizer is not None and organizer.email in self._user.addresses
        )
        original = item.get("originalStartTime")
        return CalendarEvent(
            uid=str(item.get("iCalUID") or item.get("id")),
            instance=instance_key(_original(original, tz))
            if item.get("recurringEventId") and original
            else "",
            title=str(item.get("summary", "")),
            description=str(item.get("description", "")),
            location=str(item.get("location", "")),
            start=begins,
            end=ends if ends > begins else begins,
            all_day=all_day,
            organizer=organizer,
            attendees=attendees,
            status=EventStatus.CANCELLED
            if item.get("status") == "cancelled"
            else EventStatus.CONFIRMED,
            user_response=Response.ACCEPTED if user_is_organizer else self._own_response(item),
            user_is_organizer=user_is_organizer,
            conference_url=_conference_url(item),
            source_id=str(item.get("id", "")),
            calendar=calendar_id,
            invalid_contacts=tuple(contacts.invalid),
        )

    def _own_response(self, item: dict[str, Any]) -> Response:
        for attendee in item.get("attendees", []):
            email = str(attendee.get("email", "")).lower()
            if attendee.get("self") or email in self._user.addresses:
                return _RESPONSES.get(str(attendee.get("responseStatus")), Response.NEEDS_ACTION)
        return Response.NEEDS_ACTION


def _cursor(cursor: str | None) -> tuple[dict[str, str], datetime | None]:
    """The sync tokens and the end of the window listed so far (``None``: full sync)."""
    try:
        data = json.loads(cursor) if cursor else None
    except ValueError:
        return {}, None
    if not isinstance(data, dict) or data.get("v") != 2 or not isinstance(data.get("tokens"), dict):
        return {}, None
    try:
        until = datetime.fromisoformat(str(data.get("until")))
    except ValueError:
        return {}, None
    if until.tzinfo is None:
        return {}, None
    return {str(k): str(v) for k, v in data["tokens"].items() if v}, until


def _windowed(query: dict[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    return {**query, "timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "showDeleted": False}


def _rfc3339(at: datetime) -> str:
    return at.isoformat()


def _when(value: dict[str, Any], tz: Any) -> datetime:
    if "dateTime" in value:
        parsed = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    day = date.fromisoformat(str(value["date"]))
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _original(value: dict[str, Any], tz: Any) -> date | datetime:
    if "dateTime" in value:
        return _when(value, tz)
    return date.fromisoformat(str(value["date"]))


def _person(contacts: Contacts, value: Any, *, organizer: bool = False) -> Participant | None:
    """An attendee, or the organizer (who attends, as in iCalendar: accepted, required)."""
    if not isinstance(value, dict) or not value.get("email"):
        return None
    email = str(value["email"]).lower()
    resource = bool(value.get("resource")) or email.endswith("resource.calendar.google.com")
    group = email.endswith("group.calendar.google.com")
    kind = (
        ParticipantKind.RESOURCE
        if resource
        else ParticipantKind.GROUP
        if group
        else ParticipantKind.PERSON
    )
    return contacts.person(
        email,
        str(value.get("displayName") or ""),
        kind=kind,
        required=organizer or not value.get("optional"),
        response=Response.ACCEPTED
        if organizer
        else _RESPONSES.get(str(value.get("responseStatus")), Response.NEEDS_ACTION),
    )


def _conference_url(item: dict[str, Any]) -> str:
    entry_points = (item.get("conferenceData") or {}).get("entryPoints") or []
    for entry in entry_points:
        if isinstance(entry, dict) and entry.get("entryPointType") == "video" and entry.get("uri"):
            return str(entry["uri"])
    return str(item.get("hangoutLink", ""))
