"""The fake Calendar v3: events of a few calendars, full and incremental (sync token) listing.

Callers hold the fake's lock; nothing here is thread-safe on its own.
"""

from __future__ import annotations

import copy
import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .wire import ApiError, Query, first, flag, int_param

_SYNC_FORBIDDEN = ("timeMin", "timeMax", "q", "orderBy", "iCalUID", "updatedMin")
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


@dataclass
class StoredEvent:
    """One event as the calendar keeps it; ``seq`` orders changes for sync tokens."""

    event: dict[str, Any]
    seq: int


@dataclass
class Calendar:
    """A calendar: its events (deleted ones kept as tombstones) and display data."""

    summary: str
    events: dict[str, StoredEvent] = field(default_factory=dict)


@dataclass
class _SyncToken:
    calendar_id: str
    seq: int
    epoch: int


@dataclass
class _Page:
    """The rest of a listing, snapshotted at its first page; ``seq`` is the sync point."""

    calendar_id: str
    remaining: list[dict[str, Any]]
    page_size: int
    seq: int
    epoch: int
    incremental: bool


def rfc3339(moment: datetime) -> str:
    """``2024-05-01T10:00:00.000Z`` as Google writes timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def parse_rfc3339(text: str, name: str) -> datetime:
    """An RFC 3339 timestamp with an offset; anything else is a 400, as at Google."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(400, f"Bad Request: invalid {name} {text!r}", "badRequest")
    return moment


class CalendarState:
    """All calendars of the fake user."""

    def __init__(self, user_email: str, time_zone: str, clock: Callable[[], datetime]) -> None:
        self.user_email = user_email
        self.time_zone = time_zone
        self.clock = clock
        self.calendars: dict[str, Calendar] = {"primary": Calendar(user_email)}
        self.seq = 0
        self.epoch = 0
        self.sync_tokens: dict[str, _SyncToken] = {}
        self.pages: dict[str, _Page] = {}
        self.page_limit: int | None = None  # fewer events a page than maxResults, as Google may

    # ----------------------------------------------------------------- control

    def calendar_key(self, calendar_id: str) -> str:
        """``primary`` and the user's address name the same calendar."""
        return "primary" if calendar_id in ("primary", self.user_email) else calendar_id

    def add_calendar(self, calendar_id: str, summary: str | None = None) -> None:
        """Make a (secondary) calendar exist, empty."""
        key = self.calendar_key(calendar_id)
        self.calendars.setdefault(key, Calendar(summary or calendar_id))

    def put_event(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Create or replace an event; Google's defaults are filled in. Returns the stored JSON."""
        key = self.calendar_key(calendar_id)
        calendar = self.calendars.setdefault(key, Calendar(calendar_id))
        stored = copy.deepcopy(event)
        event_id = stored.setdefault("id", _new_event_id())
        previous = calendar.events.get(event_id)
        now = rfc3339(self.clock())
        self.seq += 1
        stored.setdefault("kind", "calendar#event")
        stored.setdefault("status", "confirmed")
        stored.setdefault("iCalUID", f"{event_id}@google.com")
        stored.setdefault("sequence", 0)
        if previous is not None and "created" in previous.event:
            stored.setdefault("created", previous.event["created"])
        stored.setdefault("created", now)
        if "updated" not in event:
            stored["updated"] = now
        stored["etag"] = f'"{3_000_000_000_000_000 + self.seq}"'
        calendar.events[event_id] = StoredEvent(stored, self.seq)
        return copy.deepcopy(stored)

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event: it becomes a ``cancelled`` tombstone that incremental sync reports."""
        calendar = self.calendars.get(self.calendar_key(calendar_id))
        stored = calendar.events.get(event_id) if calendar else None
        if stored is None:
            raise KeyError(f"no event {event_id!r} in calendar {calendar_id!r}")
        self.seq += 1
        stored.event["status"] = "cancelled"
        stored.event["updated"] = rfc3339(self.clock())
        stored.event["etag"] = f'"{3_000_000_000_000_000 + self.seq}"'
        stored.seq = self.seq

    def expire_sync_tokens(self) -> None:
        """Every sync token issued so far (and incremental paging under way) answers 410."""
        self.epoch += 1

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Inspection: every stored event of a calendar (tombstones included)."""
        calendar = self.calendars.get(self.calendar_key(calendar_id))
        if calendar is None:
            return []
        return [copy.deepcopy(s.event) for s in calendar.events.values()]

    # --------------------------------------------------------------- endpoints

    def list_events(self, calendar_id: str, query: Query) -> dict[str, Any]:
        """``GET calendars/{calendarId}/events``."""
        key = self.calendar_key(calendar_id)
        calendar = self.calendars.get(key)
        if calendar is None:
            raise ApiError(404, "Not Found", "notFound")
        page_size = int_param(query, "maxResults", 250, low=1, high=2500)
        if self.page_limit is not None:
            page_size = min(page_size, self.page_limit)
        page_token = first(query, "pageToken")
        if page_token is not None:
            page = self.pages.get(page_token)  # reusable, as Google's are
            if page is None or page.calendar_id != key:
                raise ApiError(400, "Invalid page token value.", "invalid")
            if page.incremental and page.epoch != self.epoch:
                raise ApiError(410, None, "fullSyncRequired")
            return self._page(calendar, page)

        single = flag(query, "singleEvents")
        sync_token = first(query, "syncToken")
        if sync_token is not None:
            for name in _SYNC_FORBIDDEN:
                if name in query:
                    raise ApiError(
                        400, f"Invalid parameter combination: syncToken and {name}.", "invalid"
                    )
            token = self.sync_tokens.get(sync_token)
            if token is None or token.epoch != self.epoch or token.calendar_id != key:
                raise ApiError(410, None, "fullSyncRequired")
            changed = sorted(
                (s for s in calendar.events.values() if s.seq > token.seq), key=lambda s: s.seq
            )
            items = [_render(s.event) for s in changed if _fits_expansion(s.event, single)]
        else:
            items = self._full_listing(calendar, query, single)
        page = _Page(key, items, page_size, self.seq, self.epoch, sync_token is not None)
        return self._page(calendar, page)

    def get_event(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        """``GET calendars/{calendarId}/events/{eventId}`` (deleted events too, as Google)."""
        calendar = self.calendars.get(self.calendar_key(calendar_id))
        stored = calendar.events.get(event_id) if calendar else None
        if stored is None:
            raise ApiError(404, "Not Found", "notFound")
        return copy.deepcopy(stored.event)

    def calendar_list(self) -> dict[str, Any]:
        """``GET users/me/calendarList``."""
        items = [
            {
                "kind": "calendar#calendarListEntry",
                "id": self.user_email if key == "primary" else key,
                "summary": calendar.summary,
                "timeZone": self.time_zone,
                "accessRole": "owner",
                **({"primary": True} if key == "primary" else {}),
            }
            for key, calendar in self.calendars.items()
        ]
        return {"kind": "calendar#calendarList", "items": items}

    # ----------------------------------------------------------------- helpers

    def _full_listing(self, calendar: Calendar, query: Query, single: bool) -> list[dict[str, Any]]:
        time_min = first(query, "timeMin")
        time_max = first(query, "timeMax")
        low = parse_rfc3339(time_min, "timeMin") if time_min else None
        high = parse_rfc3339(time_max, "timeMax") if time_max else None
        if low and high and high <= low:
            raise ApiError(400, "The specified time range is empty.", "timeRangeEmpty")
        show_deleted = flag(query, "showDeleted")
        order_by = first(query, "orderBy")
        if order_by not in (None, "startTime", "updated"):
            raise ApiError(400, f"Invalid value for orderBy: {order_by}", "invalid")
        if order_by == "startTime" and not single:
            raise ApiError(
                400, "The requested ordering is not available for the particular query.", "invalid"
            )
        text = (first(query, "q") or "").casefold()
        ical_uid = first(query, "iCalUID")
        chosen: list[StoredEvent] = []
        for stored in sorted(calendar.events.values(), key=lambda s: s.seq):
            event = stored.event
            if event.get("status") == "cancelled" and not show_deleted:
                continue
            if not _fits_expansion(event, single):
                continue
            if ical_uid is not None and event.get("iCalUID") != ical_uid:
                continue
            if text and not _matches_text(event, text):
                continue
            if (low or high) and event.get("status") != "cancelled":
                start, end = self._bounds(event)
                if not _overlaps(start, end, low, high):
                    continue
            chosen.append(stored)
        if order_by == "startTime":
            chosen.sort(key=lambda s: self._bounds(s.event)[0])
        return [_render(s.event) for s in chosen]

    def _bounds(self, event: dict[str, Any]) -> tuple[datetime, datetime]:
        start = self._moment(event.get("start") or event.get("originalStartTime") or {})
        end = self._moment(event.get("end") or {}) if event.get("end") else start
        return start, end

    def _moment(self, when: dict[str, Any]) -> datetime:
        if "dateTime" in when:
            moment = datetime.fromisoformat(when["dateTime"])
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(when.get("timeZone") or self.time_zone))
            return moment
        if "date" in when:
            day = datetime.fromisoformat(when["date"])
            return day.replace(tzinfo=ZoneInfo(self.time_zone))
        return datetime.min.replace(tzinfo=UTC)

    def _page(self, calendar: Calendar, page: _Page) -> dict[str, Any]:
        """One page; the sync token (as of the first page) comes only with the last one."""
        result: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"{3_000_000_000_000_000 + self.seq}"',
            "summary": calendar.summary,
            "updated": rfc3339(self.clock()),
            "timeZone": self.time_zone,
            "accessRole": "owner",
            "defaultReminders": [],
            "items": page.remaining[: page.page_size],
        }
        rest = page.remaining[page.page_size :]
        if rest:
            token = secrets.token_urlsafe(24)
            self.pages[token] = dataclasses.replace(page, remaining=rest)
            result["nextPageToken"] = token
        else:
            token = "CP" + secrets.token_urlsafe(18) + "GAU="
            self.sync_tokens[token] = _SyncToken(page.calendar_id, page.seq, self.epoch)
            result["nextSyncToken"] = token
        return result


def _new_event_id() -> str:
    return "".join(secrets.choice(_BASE32HEX) for _ in range(26))


def _fits_expansion(event: dict[str, Any], single: bool) -> bool:
    """singleEvents=true lists instances, not recurring masters; false lists masters only.

    The fake does not expand ``recurrence`` rules: tests put the instances they want.
    """
    if single:
        return "recurrence" not in event
    return "recurringEventId" not in event


def _render(event: dict[str, Any]) -> dict[str, Any]:
    """A listed event: cancelled ones are minimal, as Google sends them."""
    if event.get("status") != "cancelled":
        return copy.deepcopy(event)
    minimal: dict[str, Any] = {k: event[k] for k in ("kind", "etag", "id", "status") if k in event}
    for extra in ("recurringEventId", "originalStartTime"):
        if extra in event:
            minimal[extra] = copy.deepcopy(event[extra])
    return minimal


def _matches_text(event: dict[str, Any], text: str) -> bool:
    fields = [event.get("summary"), event.get("description"), event.get("location")]
    fields += [a.get("email") for a in event.get("attendees", [])]
    return any(text in str(f).casefold() for f in fields if f)


def _overlaps(start: datetime, end: datetime, low: datetime | None, high: datetime | None) -> bool:
    """``[start, end)`` overlaps ``[low, high)``; a zero-length event counts by its start."""
    if high is not None and start >= high:
        return False
    if low is None:
        return True
    return end > low if end > start else start >= low
