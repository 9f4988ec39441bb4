"""Lossless JSON form of a domain :class:`~daemon.domain.model.Interview`.

The store keeps each interview as a snapshot so that ``explain`` can show exactly what
was detected, even after the calendar changed. Datetimes keep their time zone: an ISO
8601 string with offset, plus the IANA key of a ``ZoneInfo`` (and ``fold``) when there is
one, so the wall-clock time in that zone is restored exactly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    Detection,
    EventStatus,
    Exclusion,
    Interview,
    Participant,
    ParticipantKind,
    RecipientRule,
    Response,
    Signal,
    SkipReason,
)

FORMAT_VERSION = 2
"""Written into every snapshot; bump it when the layout changes incompatibly."""

_READABLE_VERSIONS = frozenset({1, FORMAT_VERSION})
# Version 1 had ``primary_contact`` (the organizer when an interviewer, else the first
# required one) where version 2 has ``recipient`` and the rule that chose it.

JsonObject = dict[str, Any]


def interview_to_json(interview: Interview) -> str:
    """Serialise ``interview`` completely, as compact JSON text."""
    data: JsonObject = {
        "format": FORMAT_VERSION,
        "id": interview.id,
        "account": interview.account,
        "event": _event_out(interview.event),
        "detection": {
            "is_interview": interview.detection.is_interview,
            "score": interview.detection.score,
            "signals": [
                {"name": s.name, "weight": s.weight, "detail": s.detail}
                for s in interview.detection.signals
            ],
            "vetoed_by": interview.detection.vetoed_by,
        },
        "interviewers": [_participant_out(p) for p in interview.interviewers],
        "excluded": [_exclusion_out(x) for x in interview.excluded],
        "recipient": (
            None if interview.recipient is None else _participant_out(interview.recipient)
        ),
        "recipient_rule": (
            None if interview.recipient_rule is None else interview.recipient_rule.value
        ),
        "recipient_detail": interview.recipient_detail,
        "company": interview.company,
        "role": interview.role,
        "skip_reason": None if interview.skip_reason is None else interview.skip_reason.value,
        "skip_detail": interview.skip_detail,
    }
    # ASCII with \u escapes: any Python string survives, even lone surrogates that no
    # database encoding could hold.
    return json.dumps(data, separators=(",", ":"))


def interview_from_json(text: str) -> Interview:
    """Rebuild the :class:`Interview` that :func:`interview_to_json` wrote.

    Raises ``ValueError`` when ``text`` is not such a snapshot.
    """
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        version = data.get("format")
        if version not in _READABLE_VERSIONS:
            raise ValueError(f"unknown snapshot format {version!r}")
        detection = data["detection"]
        event = _event_in(data["event"])
        recipient, rule = _recipient_in(data, event)
        skip = data["skip_reason"]
        return Interview(
            id=str(data["id"]),
            account=str(data["account"]),
            event=event,
            detection=Detection(
                is_interview=bool(detection["is_interview"]),
                score=int(detection["score"]),
                signals=tuple(
                    Signal(name=str(s["name"]), weight=int(s["weight"]), detail=str(s["detail"]))
                    for s in detection["signals"]
                ),
                vetoed_by=str(detection.get("vetoed_by", "")),
            ),
            interviewers=tuple(_participant_in(p) for p in data["interviewers"]),
            excluded=tuple(_exclusion_in(x) for x in data["excluded"]),
            recipient=recipient,
            recipient_rule=rule,
            company=str(data["company"]),
            role=str(data["role"]),
            skip_reason=None if skip is None else SkipReason(skip),
            skip_detail=str(data.get("skip_detail", "")),
            recipient_detail=str(data.get("recipient_detail", "")),
        )
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
        raise ValueError(f"malformed interview snapshot: {exc!r}") from exc


def _recipient_in(
    data: JsonObject, event: CalendarEvent
) -> tuple[Participant | None, RecipientRule | None]:
    """The recipient and its rule; from a version 1 snapshot, its primary contact and the
    old rule that chose it (the organizer when it was them, else the first required)."""
    if "recipient" in data:
        person, rule = data["recipient"], data.get("recipient_rule")
        return (
            None if person is None else _participant_in(person),
            None if rule is None else RecipientRule(rule),
        )
    legacy = data["primary_contact"]
    if legacy is None:
        return None, None
    person = _participant_in(legacy)
    organizer = event.organizer
    if organizer is not None and organizer.email == person.email:
        return person, RecipientRule.ORGANIZER
    return person, RecipientRule.FIRST_REQUIRED


def datetime_to_json(value: datetime) -> JsonObject:
    """The JSON form of one datetime, keeping its zone (see the module docstring)."""
    out: JsonObject = {"iso": value.isoformat()}
    if value.fold:
        out["fold"] = value.fold
    tz = value.tzinfo
    if isinstance(tz, ZoneInfo) and tz.key is not None:
        out["zone"] = tz.key
    elif isinstance(tz, timezone):
        offset = tz.utcoffset(None)
        name = tz.tzname(None)
        # timezone.utc and unnamed fixed offsets come back from the ISO string itself.
        if tz is not UTC and name != timezone(offset).tzname(None):
            out["tzname"] = name
    return out


def datetime_from_json(data: JsonObject) -> datetime:
    """The datetime that :func:`datetime_to_json` described."""
    parsed = datetime.fromisoformat(str(data["iso"])).replace(fold=int(data.get("fold", 0)))
    zone = data.get("zone")
    if zone is not None:
        # The wall-clock time in the named zone is the truth; its offset is recomputed.
        return parsed.replace(tzinfo=ZoneInfo(str(zone)))
    name = data.get("tzname")
    if name is not None:
        offset = parsed.utcoffset()
        if offset is None:
            raise ValueError("tzname given for a naive datetime")
        return parsed.replace(tzinfo=timezone(offset, str(name)))
    return parsed


def _participant_out(p: Participant) -> JsonObject:
    return {
        "email": p.email,
        "name": p.name,
        "kind": p.kind.value,
        "required": p.required,
        "response": p.response.value,
    }


def _participant_in(data: JsonObject) -> Participant:
    return Participant(
        email=str(data["email"]),
        name=str(data.get("name", "")),
        kind=ParticipantKind(data.get("kind", ParticipantKind.PERSON.value)),
        required=bool(data.get("required", True)),
        response=Response(data.get("response", Response.NEEDS_ACTION.value)),
    )


def _exclusion_out(x: Exclusion) -> JsonObject:
    return {"email": x.email, "reason": x.reason}


def _exclusion_in(data: JsonObject) -> Exclusion:
    return Exclusion(email=str(data["email"]), reason=str(data["reason"]))


def _event_out(e: CalendarEvent) -> JsonObject:
    return {
        "uid": e.uid,
        "title": e.title,
        "start": datetime_to_json(e.start),
        "end": datetime_to_json(e.end),
        "instance": e.instance,
        "description": e.description,
        "location": e.location,
        "all_day": e.all_day,
        "organizer": None if e.organizer is None else _participant_out(e.organizer),
        "attendees": [_participant_out(p) for p in e.attendees],
        "status": e.status.value,
        "user_response": e.user_response.value,
        "user_is_organizer": e.user_is_organizer,
        "conference_url": e.conference_url,
        "source_id": e.source_id,
        "calendar": e.calendar,
        "invalid_contacts": [_exclusion_out(x) for x in e.invalid_contacts],
    }


def _event_in(data: JsonObject) -> CalendarEvent:
    organizer = data.get("organizer")
    return CalendarEvent(
        uid=str(data["uid"]),
        title=str(data["title"]),
        start=datetime_from_json(data["start"]),
        end=datetime_from_json(data["end"]),
        instance=str(data.get("instance", "")),
        description=str(data.get("description", "")),
        location=str(data.get("location", "")),
        all_day=bool(data.get("all_day", False)),
        organizer=None if organizer is None else _participant_in(organizer),
        attendees=tuple(_participant_in(p) for p in data.get("attendees", ())),
        status=EventStatus(data.get("status", EventStatus.CONFIRMED.value)),
        user_response=Response(data.get("user_response", Response.NEEDS_ACTION.value)),
        user_is_organizer=bool(data.get("user_is_organizer", False)),
        conference_url=str(data.get("conference_url", "")),
        source_id=str(data.get("source_id", "")),
        calendar=str(data.get("calendar", "")),
        invalid_contacts=tuple(_exclusion_in(x) for x in data.get("invalid_contacts", ())),
    )
