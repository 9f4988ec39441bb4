"""The fake Graph calendar: the user's default calendar, ``calendarView`` and its delta.

Events are stored as Graph event JSON with start and end kept as instants (all-day events as
floating dates in the mailbox's time zone). ``calendarView`` returns occurrences and single
instances overlapping the window; series masters are stored but never listed, and the fake
does not expand recurrence patterns: put each occurrence you want seen.

Delta: the first call needs ``startDateTime`` and ``endDateTime`` and nothing else; later
calls follow ``@odata.nextLink``/``@odata.deltaLink`` and must not add query parameters.
Changed events come whole; events deleted, or moved out of the window, come as
``{"id", "@removed": {"reason": "deleted"}}`` — deletions are reported even for events the
client never saw (Graph does that too: removed items "may lie outside the window").

Callers hold the fake's lock.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from .delta import Change, DeltaBook, SyncState
from .wire import (
    GraphError,
    Prefs,
    Query,
    change_key,
    first,
    graph_time,
    opaque_id,
    parse_time,
    preview,
    zone,
)

EVENT_PROPERTIES = frozenset(
    {
        "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
        "transactionId", "originalStartTimeZone", "originalEndTimeZone", "iCalUId",
        "reminderMinutesBeforeStart", "isReminderOn", "hasAttachments", "subject",
        "bodyPreview", "importance", "sensitivity", "isAllDay", "isCancelled", "isOrganizer",
        "responseRequested", "seriesMasterId", "showAs", "type", "webLink", "onlineMeetingUrl",
        "isOnlineMeeting", "onlineMeetingProvider", "allowNewTimeProposals", "isDraft",
        "hideAttendees", "responseStatus", "body", "start", "end", "location", "locations",
        "recurrence", "attendees", "organizer", "onlineMeeting", "originalStart",
    }
)  # fmt: skip
_EVENT_FORMAT = "%Y-%m-%dT%H:%M:%S.0000000"
_DEFAULT_PAGE = 10
_MAX_PAGE = 1000


@dataclass
class StoredEvent:
    """One event of the calendar (or its tombstone)."""

    data: dict[str, Any]
    start: datetime
    end: datetime
    seq: int
    deleted: bool = False
    garbled: dict[str, Any] = field(default_factory=dict)  # served as is; see garble_event
    dropped: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        """The event id."""
        return str(self.data["id"])


class CalendarState:
    """The default calendar of the fake mailbox."""

    def __init__(
        self, user_email: str, user_name: str, time_zone: str, clock: Callable[[], datetime]
    ) -> None:
        self.user_email = user_email
        self.user_name = user_name
        self.mailbox_zone = zone(time_zone) or UTC
        self._clock = clock
        self.seq = 0
        self.events: dict[str, StoredEvent] = {}
        self.book = DeltaBook()
        self.page_limit: int | None = None  # smaller pages than asked, as Graph may page

    # ------------------------------------------------------------------ world

    def put_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace an event from Graph event JSON; returns it (UTC) as stored."""
        data = copy.deepcopy(dict(event))
        event_id = str(data.get("id") or opaque_id("AAMkAGI2"))
        existing = self.events.get(event_id)
        for side in ("start", "end"):
            value = data.get(side)
            if not isinstance(value, Mapping) or "dateTime" not in value:
                raise ValueError(f"event {side} needs {{'dateTime', 'timeZone'}}: {value!r}")
        all_day = bool(data.get("isAllDay"))
        start = self._instant(data["start"], all_day)
        end = self._instant(data["end"], all_day)
        if end < start:
            raise ValueError("event ends before it starts")
        now = graph_time(self._clock())
        stored = {
            "id": event_id,
            "createdDateTime": existing.data["createdDateTime"] if existing else now,
            "lastModifiedDateTime": now,
            "changeKey": change_key(),
            "categories": [],
            "transactionId": None,
            "originalStartTimeZone": data["start"].get("timeZone", "UTC"),
            "originalEndTimeZone": data["end"].get("timeZone", "UTC"),
            "iCalUId": "040000008200E00074C5B7101A82E00800000000" + secrets.token_hex(28).upper(),
            "reminderMinutesBeforeStart": 15,
            "isReminderOn": True,
            "hasAttachments": False,
            "subject": "",
            "importance": "normal",
            "sensitivity": "normal",
            "isAllDay": all_day,
            "isCancelled": False,
            "isOrganizer": False,
            "responseRequested": True,
            "seriesMasterId": None,
            "showAs": "busy",
            "type": "singleInstance",
            "webLink": f"https://outlook.office365.com/owa/?itemid={event_id}&exvsurl=1&path=/calendar/item",
            "onlineMeetingUrl": None,
            "isOnlineMeeting": False,
            "onlineMeetingProvider": "unknown",
            "allowNewTimeProposals": True,
            "isDraft": False,
            "hideAttendees": False,
            "responseStatus": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "body": {"contentType": "html", "content": ""},
            "location": {
                "displayName": "",
                "locationType": "default",
                "uniqueIdType": "unknown",
                "address": {},
                "coordinates": {},
            },
            "locations": [],
            "recurrence": None,
            "attendees": [],
            "organizer": {"emailAddress": {"name": self.user_name, "address": self.user_email}},
            "onlineMeeting": None,
        }
        if existing is not None:
            stored["iCalUId"] = existing.data["iCalUId"]
        stored.update({k: v for k, v in data.items() if k not in ("start", "end")})
        stored["id"] = event_id
        stored["bodyPreview"] = data.get("bodyPreview", preview(stored["body"]))
        if stored.get("onlineMeeting") and "isOnlineMeeting" not in data:
            stored["isOnlineMeeting"] = True
            stored["onlineMeetingProvider"] = data.get("onlineMeetingProvider", "teamsForBusiness")
        self.seq += 1
        self.events[event_id] = StoredEvent(stored, start, end, self.seq)
        return self.render(self.events[event_id], Prefs())

    def delete_event(self, event_id: str) -> None:
        """Delete an event (KeyError when unknown); delta then reports it ``@removed``."""
        event = self.events[event_id]
        if event.deleted:
            raise KeyError(event_id)
        self.seq += 1
        event.deleted = True
        event.seq = self.seq

    def garble_event(self, event_id: str, replace: Mapping[str, Any], drop: frozenset[str]) -> None:
        """Serve an event with properties replaced or missing (KeyError when unknown): the
        malformed item a client must survive. Counts as a change, so delta reports it."""
        event = self.events[event_id]
        self.seq += 1
        event.seq = self.seq
        event.garbled = copy.deepcopy(dict(replace))
        event.dropped = drop

    def stored_events(self) -> list[dict[str, Any]]:
        """Inspection: every live event, rendered in UTC."""
        return [self.render(e, Prefs()) for e in self.events.values() if not e.deleted]

    # ---------------------------------------------------------------- serving

    def get_event(self, event_id: str, query: Query, prefs: Prefs) -> dict[str, Any]:
        """``GET /me/events/{id}``."""
        event = self.events.get(event_id)
        if event is None or event.deleted:
            raise GraphError(404)
        return _select(self.render(event, prefs), query)

    def calendar_view(self, query: Query, prefs: Prefs, link_base: str) -> dict[str, Any]:
        """``GET /me/calendarView?startDateTime&endDateTime`` with ``$top``/``$skip``."""
        start, end = self._window(query)
        visible = sorted(
            (e for e in self.events.values() if self._visible(e, start, end)),
            key=lambda e: (e.start, e.id),
        )
        top = min(_int(query, "$top", prefs.max_page_size or _DEFAULT_PAGE), _MAX_PAGE)
        skip = _int(query, "$skip", 0)
        page = visible[skip : skip + top]
        payload: dict[str, Any] = {
            "@odata.context": f"{link_base.split('/me/', maxsplit=1)[0]}/$metadata#users('me')/calendarView",
            "value": [_select(self.render(e, prefs), query) for e in page],
        }
        if skip + top < len(visible):
            params = {k: v[0] for k, v in query.items() if k not in ("$skip",)}
            params |= {"$top": str(top), "$skip": str(skip + top)}
            payload["@odata.nextLink"] = (
                link_base + "?" + "&".join(f"{k}={v}" for k, v in params.items())
            )
        return payload

    def delta(self, query: Query, prefs: Prefs, link_base: str) -> dict[str, Any]:
        """``GET /me/calendarView/delta``: first call, next page, or changes since a token."""
        skiptoken, deltatoken = first(query, "$skiptoken"), first(query, "$deltatoken")
        if skiptoken or deltatoken:
            extra = sorted(k for k in query if k not in ("$skiptoken", "$deltatoken"))
            if extra:
                raise GraphError(
                    400,
                    "ErrorInvalidUrlQuery",
                    f"Query parameters {extra} are not allowed with a skip or delta token: "
                    "follow @odata.nextLink and @odata.deltaLink exactly as returned.",
                )
        if skiptoken:
            round_, offset = self.book.resume(skiptoken, link_base)
        elif deltatoken:
            state = self.book.state(deltatoken, link_base)
            round_, offset = self._changes_since(state)
        else:
            unsupported = sorted(
                k for k in query if k.startswith("$") or k not in ("startDateTime", "endDateTime")
            )
            if unsupported:
                raise GraphError(
                    400,
                    "ErrorInvalidUrlQuery",
                    f"The following parameters are not supported with change tracking over "
                    f"the 'CalendarView' resource: {', '.join(unsupported)}.",
                )
            start, end = self._window(query)
            page_size = min(
                prefs.max_page_size or _DEFAULT_PAGE, _MAX_PAGE, self.page_limit or _MAX_PAGE
            )
            visible = sorted(
                (e for e in self.events.values() if self._visible(e, start, end)),
                key=lambda e: (e.start, e.id),
            )
            state = SyncState(
                {"start": start, "end": end}, self.seq, frozenset(e.id for e in visible), page_size
            )
            round_, offset = self.book.start_round([Change(e.id) for e in visible], state)
        changes, next_skip, next_delta = self.book.page(round_, offset)
        payload: dict[str, Any] = {
            "@odata.context": f"{link_base.split('/me/', maxsplit=1)[0]}/$metadata#Collection(event)",
            "value": [self._render_change(c, prefs) for c in changes],
        }
        if next_skip:
            payload["@odata.nextLink"] = f"{link_base}?$skiptoken={next_skip}"
        else:
            payload["@odata.deltaLink"] = f"{link_base}?$deltatoken={next_delta}"
        return payload

    def render(self, event: StoredEvent, prefs: Prefs) -> dict[str, Any]:
        """The event as Graph returns it, times in the preferred zone (UTC by default)."""
        data = copy.deepcopy(event.data)
        data["@odata.etag"] = f'W/"{data["changeKey"]}"'
        for side, instant in (("start", event.start), ("end", event.end)):
            if event.data.get("isAllDay"):
                local = instant.astimezone(self.mailbox_zone).replace(tzinfo=None)
                text = local.strftime(_EVENT_FORMAT)
            else:
                text = instant.astimezone(prefs.time_zone).strftime(_EVENT_FORMAT)
            data[side] = {"dateTime": text, "timeZone": prefs.time_zone_label}
        data.update(copy.deepcopy(event.garbled))
        for name in event.dropped:
            data.pop(name, None)
        return data

    # ---------------------------------------------------------------- helpers

    def _changes_since(self, state: SyncState) -> tuple[Any, int]:
        start, end = state.params["start"], state.params["end"]
        known = set(state.known)
        changes: list[Change] = []
        for event in sorted(self.events.values(), key=lambda e: e.seq):
            if event.seq <= state.seq:
                continue
            if event.deleted:
                changes.append(Change(event.id, (event.id, event.id)))
                known.discard(event.id)
            elif self._visible(event, start, end):
                changes.append(Change(event.id))
                known.add(event.id)
            elif event.id in known:
                changes.append(Change(event.id, (event.id, event.id)))
                known.discard(event.id)
        new_state = SyncState(state.params, self.seq, frozenset(known), state.page_size)
        return self.book.start_round(changes, new_state)

    def _render_change(self, change: Change, prefs: Prefs) -> dict[str, Any]:
        event = self.events.get(change.key)
        if change.removed_ids is not None or event is None or event.deleted:
            return {
                "@odata.type": "#microsoft.graph.event",
                "id": change.key,
                "@removed": {"reason": "deleted"},
            }
        return self.render(event, prefs)

    def _instant(self, value: Mapping[str, Any], all_day: bool) -> datetime:
        text = str(value["dateTime"])
        if all_day:
            day = date.fromisoformat(text[:10])
            return datetime.combine(day, time(), self.mailbox_zone).astimezone(UTC)
        zone_name = str(value.get("timeZone") or "UTC")
        tz: tzinfo | None = zone(zone_name)
        if tz is None:
            raise ValueError(f"unknown time zone {zone_name!r}")
        moment = parse_time(text)
        if not re.search(r"(Z|[+-]\d\d:?\d\d)$", text.strip()):
            moment = moment.replace(tzinfo=tz)  # Graph's dateTime has no offset: use timeZone
        return moment.astimezone(UTC)

    @staticmethod
    def _window(query: Query) -> tuple[datetime, datetime]:
        start_text, end_text = first(query, "startDateTime"), first(query, "endDateTime")
        if not start_text or not end_text:
            raise GraphError(
                400,
                "ErrorInvalidParameter",
                "This request requires a time window specified by the query string parameters "
                "StartDateTime and EndDateTime.",
            )
        try:
            return parse_time(start_text), parse_time(end_text)
        except ValueError:
            raise GraphError(
                400, "ErrorInvalidParameter", f"Invalid time window {start_text}..{end_text}"
            ) from None

    @staticmethod
    def _visible(event: StoredEvent, start: datetime, end: datetime) -> bool:
        if event.deleted or event.data.get("type") == "seriesMaster":
            return False
        if event.start == event.end:
            return start <= event.start < end
        return event.start < end and event.end > start


def _int(query: Query, name: str, default: int) -> int:
    value = first(query, name)
    if value is None:
        return default
    if not value.isdigit():
        raise GraphError(400, "BadRequest", f"Invalid value '{value}' for {name}.")
    return int(value)


def _select(resource: dict[str, Any], query: Query) -> dict[str, Any]:
    """Apply ``$select`` (id and ``@odata.etag`` always stay)."""
    wanted = first(query, "$select")
    if not wanted:
        return resource
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    for name in names:
        if name not in EVENT_PROPERTIES:
            raise GraphError(
                400,
                "RequestBroker--ParseUri",
                f"Could not find a property named '{name}' on type 'microsoft.graph.event'.",
            )
    keep = {"id", "@odata.etag", *names}
    return {k: v for k, v in resource.items() if k in keep}


__all__ = ["EVENT_PROPERTIES", "CalendarState", "StoredEvent"]
