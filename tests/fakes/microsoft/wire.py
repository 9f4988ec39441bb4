"""HTTP-level building blocks of the fake: responses, Graph and Entra ID errors, JWTs, ids.

Graph errors look like ``{"error": {"code", "message", "innerError": {...}}}``; the identity
platform answers ``{"error", "error_description", "error_codes", "timestamp", "trace_id",
"correlation_id", "error_uri"}`` as Microsoft Entra ID does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..https import Query, Response

GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
AAD_JSON = "application/json; charset=utf-8"


def json_response(
    status: int,
    payload: Any,
    headers: list[tuple[str, str]] | None = None,
    content_type: str = GRAPH_JSON,
) -> Response:
    """A JSON response (Graph's OData content type unless told otherwise)."""
    body = json.dumps(payload, indent=1).encode()
    return Response(status, body, [("Content-Type", content_type), *(headers or [])])


# ----------------------------------------------------------------- Graph errors

_GRAPH_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Bad request."),
    401: ("InvalidAuthenticationToken", "Access token is empty."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    404: ("ErrorItemNotFound", "The specified object was not found in the store."),
    409: ("ErrorIrresolvableConflict", "The change key passed in the request does not match."),
    410: ("SyncStateNotFound", "The sync state generation is not found or has expired."),
    429: ("ApplicationThrottled", "Application is over its MailboxConcurrency limit."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "Service Unavailable"),
    504: ("GatewayTimeout", "The gateway did not receive a response in time."),
}


def graph_error_payload(
    status: int, code: str | None = None, message: str | None = None
) -> dict[str, Any]:
    """Graph's error JSON for ``status`` (defaults per status, e.g. 429 ``ApplicationThrottled``)."""
    default_code, default_message = _GRAPH_DEFAULTS.get(status, ("UnknownError", "Error"))
    return {
        "error": {
            "code": code or default_code,
            "message": message or default_message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }


class GraphError(Exception):
    """Raised inside the fake to answer with a Graph JSON error."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        *,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.status = status
        self.payload = graph_error_payload(status, code, message)
        self.code = str(self.payload["error"]["code"])
        super().__init__(f"{status} {self.code}: {self.payload['error']['message']}")
        self.headers = headers or []

    def response(self) -> Response:
        """This error as an HTTP response."""
        return json_response(self.status, self.payload, self.headers)


# ------------------------------------------------------------ identity errors


def aad_error_payload(
    error: str, code: int, description: str, suberror: str | None = None
) -> dict[str, Any]:
    """The Microsoft identity platform's OAuth error JSON (``AADSTS<code>: …``)."""
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    payload: dict[str, Any] = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description} Trace ID: {trace_id} "
            f"Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    if suberror:
        payload["suberror"] = suberror
    return payload


class AadError(Exception):
    """Raised by the identity endpoints: an OAuth error with an ``AADSTS`` code."""

    def __init__(
        self, status: int, error: str, code: int, description: str, suberror: str | None = None
    ) -> None:
        super().__init__(f"{status} {error}: AADSTS{code}: {description}")
        self.status = status
        self.error = error
        self.aadsts = code
        self.payload = aad_error_payload(error, code, description, suberror)

    def response(self) -> Response:
        """This error as an HTTP response."""
        return json_response(self.status, self.payload, content_type=AAD_JSON)


# ----------------------------------------------------------------------- JWT

_JWT_KEY = secrets.token_bytes(32)


def b64url(data: bytes) -> str:
    """Padding-less URL-safe base64, as in JWTs and ``client_info``."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_json(value: Mapping[str, Any]) -> str:
    """``b64url`` of compact JSON."""
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def make_jwt(claims: Mapping[str, Any], kid: str = "fake-key") -> str:
    """A syntactically valid HS256 JWT (signed with a throw-away key; nobody verifies it)."""
    header = b64url_json({"typ": "JWT", "alg": "HS256", "kid": kid})
    payload = b64url_json(claims)
    signature = hmac.new(_JWT_KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def decode_jwt(token: str) -> dict[str, Any]:
    """The claims of a JWT, without verification."""
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


# ----------------------------------------------------------------------- ids


def opaque_id(prefix: str, nbytes: int = 48) -> str:
    """An Exchange-looking id: a fixed prefix and URL-safe base64 (``-``, ``_`` and ``=``)."""
    raw = base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode("ascii")
    return f"{prefix}{raw}AAA="


def change_key() -> str:
    """A new ``changeKey`` (also the ``@odata.etag`` payload)."""
    return base64.b64encode(secrets.token_bytes(15)).decode("ascii")


# ------------------------------------------------------------- query helpers


def first(query: Query, name: str, default: str | None = None) -> str | None:
    """The first value of parameter ``name``."""
    values = query.get(name)
    return values[0] if values else default


def parse_prefer(values: list[str]) -> dict[str, str]:
    """``Prefer`` headers (possibly several, comma-separated) as ``{lower-name: value}``."""
    prefs: dict[str, str] = {}
    for value in values:
        for part in re.findall(r'(?:[^,"]|"[^"]*")+', value):
            name, _, raw = part.strip().partition("=")
            if name:
                prefs[name.strip().lower()] = raw.strip().strip('"')
    return prefs


def graph_time(moment: datetime) -> str:
    """A message timestamp as Graph writes it: ``2024-05-01T10:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An ISO 8601 date-time; without offset it is UTC (as Graph reads query parameters)."""
    cleaned = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", cleaned)
    if match:  # Graph writes seven fractional digits; fromisoformat wants at most six
        cleaned = f"{match.group(1)}.{match.group(2)[:6].ljust(6, '0')}{match.group(3)}"
    moment = datetime.fromisoformat(cleaned)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body (what ``outlook.body-content-type="text"`` returns)."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\r\n".join(lines).strip()


def preview(body: Mapping[str, Any]) -> str:
    """``bodyPreview``: the first 255 characters of the text, whitespace collapsed."""
    content = str(body.get("content") or "")
    if str(body.get("contentType", "text")).lower() == "html":
        content = html_to_text(content)
    return " ".join(content.split())[:255]


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "blockquote", "hr"})
    _SKIP = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


# ------------------------------------------------------------------ time zones

_WINDOWS_ZONES = {
    "utc": "UTC",
    "coordinated universal time": "UTC",
    "gmt standard time": "Europe/London",
    "greenwich standard time": "Atlantic/Reykjavik",
    "w. europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris",
    "central europe standard time": "Europe/Budapest",
    "central european standard time": "Europe/Warsaw",
    "e. europe standard time": "Europe/Chisinau",
    "fle standard time": "Europe/Kiev",
    "gtb standard time": "Europe/Bucharest",
    "russian standard time": "Europe/Moscow",
    "eastern standard time": "America/New_York",
    "central standard time": "America/Chicago",
    "mountain standard time": "America/Denver",
    "pacific standard time": "America/Los_Angeles",
    "india standard time": "Asia/Kolkata",
    "china standard time": "Asia/Shanghai",
    "tokyo standard time": "Asia/Tokyo",
    "singapore standard time": "Asia/Singapore",
    "aus eastern standard time": "Australia/Sydney",
    "new zealand standard time": "Pacific/Auckland",
    "e. south america standard time": "America/Sao_Paulo",
}


def zone(name: str) -> tzinfo | None:
    """A Windows or IANA time zone name as Graph accepts them; None when unknown."""
    key = name.strip().strip('"')
    if key.lower() in ("utc", "etc/utc", "z", "tzone://microsoft/utc"):
        return UTC
    iana = _WINDOWS_ZONES.get(key.lower(), key)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass
class Prefs:
    """What a request's ``Prefer`` headers asked for, and what the fake honoured."""

    time_zone: tzinfo = UTC
    time_zone_label: str = "UTC"
    max_page_size: int | None = None
    immutable_ids: bool = False
    body_type: str | None = None
    applied: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, values: list[str]) -> Prefs:
        """Interpret ``Prefer`` headers; unknown preferences are ignored as Graph does."""
        raw = parse_prefer(values)
        prefs = cls()
        if "outlook.timezone" in raw:
            found = zone(raw["outlook.timezone"])
            if found is not None:
                prefs.time_zone, prefs.time_zone_label = found, raw["outlook.timezone"]
                prefs.applied.append(f'outlook.timezone="{raw["outlook.timezone"]}"')
        if "odata.maxpagesize" in raw and raw["odata.maxpagesize"].isdigit():
            prefs.max_page_size = max(1, int(raw["odata.maxpagesize"]))
            prefs.applied.append(f"odata.maxpagesize={prefs.max_page_size}")
        if raw.get("idtype", "").lower() == "immutableid":
            prefs.immutable_ids = True
            prefs.applied.append('IdType="ImmutableId"')
        if raw.get("outlook.body-content-type", "").lower() in ("text", "html"):
            prefs.body_type = raw["outlook.body-content-type"].lower()
            prefs.applied.append(f'outlook.body-content-type="{prefs.body_type}"')
        return prefs
