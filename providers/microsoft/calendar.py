"""Microsoft Graph calendar as a ``CalendarSource``: ``/me/calendarView/delta`` over a window.

The first call carries the window; after that the delta link is the cursor and is
followed exactly as given. Removed events come as ``{"id", "@removed"}``. A round that
fails partway raises: none of it is reported and the delta link stays where it was. An
event that cannot be read is skipped and named in ``problems`` (so the round proves no
removal).
"""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, date, datetime, time
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
from interview_outreach.providers.microsoft.graph import GraphHttp, SyncStateGone

log = logging.getLogger(__name__)

_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "organizer": Response.ACCEPTED,
    "declined": Response.DECLINED,
    "tentativelyaccepted": Response.TENTATIVE,
    "none": Response.NEEDS_ACTION,
    "notresponded": Response.NEEDS_ACTION,
}


class GraphCalendar:
    """The default calendar of one Microsoft account."""

    def __init__(self, account: str, http: GraphHttp, user: UserIdentity) -> None:
        self._account = account
        self._http = http
        self._user = user

    def changes(
        self, cursor: str | None, window_start: datetime, window_end: datetime
    ) -> CalendarChanges:
        """Every event in the window (no cursor), else what changed since the delta link."""
        events: list[CalendarEvent] = []
        removed: list[str] = []
        problems: list[str] = []
        if cursor:
            url, params = cursor, None
        else:
            url = "/me/calendarView/delta"
            params = {"startDateTime": _iso(window_start), "endDateTime": _iso(window_end)}
        while True:
            try:
                page = self._http.get(url, params)
            except SyncStateGone as error:
                raise CursorExpired("the calendar delta link expired", self._account) from error
            for item in page.get("value", []):
                if not isinstance(item, dict):
                    continue
                if "@removed" in item:
                    removed.append(str(item.get("id", "")))
                    continue
                try:
                    events.append(self._event(item))
                except (KeyError, TypeError, ValueError, AttributeError) as error:
                    # One unreadable event must not hide the others; the problem it leaves
                    # makes this listing prove no removal.
                    event_id = str(item.get("id", ""))
                    log.warning("calendar: event %s skipped: %r", event_id, error)
                    problems.append(single_line(f"calendar: event {event_id}: {error!r}"))
            if page.get("@odata.nextLink"):
                url, params = str(page["@odata.nextLink"]), None
                continue
            delta = page.get("@odata.deltaLink")
            if not delta:
                # Graph ends every round with a delta link; an answer without one was cut
                # short, and what it did not list proves nothing.
                log.warning("calendar: a delta round ended without a delta link")
                problems.append("calendar: the listing ended without a delta link (incomplete)")
            return CalendarChanges(
                events=tuple(events),
                complete=cursor is None,
                removed=tuple(r for r in removed if r),
                cursor=str(delta) if delta else cursor,
                problems=tuple(problems),
            )

    def _event(self, item: dict[str, Any]) -> CalendarEvent:
        tz = self._user.timezone
        all_day = bool(item.get("isAllDay"))
        start, end = _when(item.get("start"), all_day, tz), _when(item.get("end"), all_day, tz)
        contacts = Contacts()
        # The organizer counts as accepted, as in iCalendar.
        organizer = _person(
            contacts,
            (item.get("organizer") or {}).get("emailAddress"),
            required=True,
            response=Response.ACCEPTED,
        )
        attendees = tuple(
            p
            for p in (_attendee(contacts, a) for a in attendee_entries(item.get("attendees")))
            if p
        )
        is_organizer = bool(item.get("isOrganizer"))
        response = str((item.get("responseStatus") or {}).get("response", "none")).lower()
        original = item.get("originalStart")
        instance = ""
        if item.get("seriesMasterId") and original:
            instance = _instance(str(original), all_day, tz)
        return CalendarEvent(
            uid=str(item.get("iCalUId") or item.get("id")),
            instance=instance,
            title=str(item.get("subject") or ""),
            description=_text(item.get("body")) or str(item.get("bodyPreview") or ""),
            location=str((item.get("location") or {}).get("displayName") or ""),
            start=start,
            end=end if end > start else start,
            all_day=all_day,
            organizer=organizer,
            attendees=attendees,
            status=EventStatus.CANCELLED if item.get("isCancelled") else EventStatus.CONFIRMED,
            user_response=Response.ACCEPTED
            if is_organizer
            else _RESPONSES.get(response, Response.NEEDS_ACTION),
            user_is_organizer=is_organizer,
            conference_url=str((item.get("onlineMeeting") or {}).get("joinUrl") or ""),
            source_id=str(item.get("id", "")),
            calendar="calendar",
            invalid_contacts=tuple(contacts.invalid),
        )


def _instance(original: str, all_day: bool, tz: Any) -> str:
    """The shared ``instance`` key from Graph's ``originalStart`` (a DateTimeOffset).

    An all-day occurrence's key is its date: the local date when ``originalStart`` is a
    midnight in the user's zone, else the UTC date (Graph writes floating midnights as UTC).
    """
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", original.strip())
    moment = datetime.fromisoformat(trimmed.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not all_day:
        return instance_key(moment)
    local = moment.astimezone(tz)
    return instance_key(local.date() if local.time() == time() else moment.astimezone(UTC).date())


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(value: Any, all_day: bool, tz: Any) -> datetime:
    """Graph's {dateTime, timeZone}; all-day events are dates in the user's zone."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        raise ValueError("an event time without dateTime")  # never a made-up moment
    raw = str(value["dateTime"])
    if all_day:
        day = date.fromisoformat(raw[:10])
        return datetime(day.year, day.month, day.day, tzinfo=tz)
    # Graph writes up to 7 fractional digits; Python reads at most 6.
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", raw)
    parsed = datetime.fromisoformat(trimmed.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        zone = str(value.get("timeZone") or "UTC")
        parsed = (
            parsed.replace(tzinfo=UTC)
            if zone.upper() in {"UTC", "ETC/UTC"}
            else parsed.replace(tzinfo=tz)
        )
    return parsed


def _person(
    contacts: Contacts,
    address: Any,
    *,
    required: bool,
    kind: ParticipantKind = ParticipantKind.PERSON,
    response: Response = Response.NEEDS_ACTION,
) -> Participant | None:
    if not isinstance(address, dict) or not address.get("address"):
        return None
    return contacts.person(
        str(address["address"]),
        str(address.get("name") or ""),
        kind=kind,
        required=required,
        response=response,
    )


def _attendee(contacts: Contacts, value: Any) -> Participant | None:
    if not isinstance(value, dict):
        return None
    response = str((value.get("status") or {}).get("response", "none")).lower()
    return _person(
        contacts,
        value.get("emailAddress"),
        required=value.get("type") != "optional",
        kind=ParticipantKind.RESOURCE
        if value.get("type") == "resource"
        else ParticipantKind.PERSON,
        response=_RESPONSES.get(response, Response.NEEDS_ACTION),
    )


def _text(body: Any) -> str:
    """The event body as plain text (Outlook usually sends HTML)."""
    if not isinstance(body, dict):
        return ""
    content = str(body.get("content") or "")
    if str(body.get("contentType", "")).lower() != "html":
        return content
    content = re.sub(r"(?is)<(script|style).*?</\1>", " ", content)
    content = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", content)
    content = re.sub(r"<[^>]+>", " ", content)
    lines = [" ".join(html.unescape(line).split()) for line in content.splitlines()]
    return "\n".join(line for line in lines if line)
