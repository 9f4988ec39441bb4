"""HTTP-level building blocks shared by the fake's services: responses and Google errors."""

from __future__ import annotations

import base64
import json
from typing import Any

from ..https import Query, Response

JSON_TYPE = "application/json; charset=UTF-8"

# Google's canonical status names (google.rpc.Code) for the HTTP codes the fake produces.
# 410 is deliberately absent: Calendar's "fullSyncRequired" error carries no status.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
}

_DEFAULT_REASONS = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "conflict",
    410: "fullSyncRequired",
    429: "rateLimitExceeded",
    500: "backendError",
    501: "notImplemented",
    503: "backendError",
}

_DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "Conflict",
    410: "Sync token is no longer valid, a full sync is required.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Backend Error",
    501: "Not Implemented",
    503: "The service is currently unavailable.",
}


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    """A JSON response with Google's content type."""
    body = json.dumps(payload, indent=1).encode()
    return Response(status, body, [("Content-Type", JSON_TYPE), *(headers or [])])


def error_payload(
    code: int,
    message: str | None = None,
    reason: str | None = None,
    *,
    error_extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Google's JSON error shape: ``{"error": {"code", "message", "errors": [...], "status"}}``."""
    text = message or _DEFAULT_MESSAGES.get(code, "Error")
    item: dict[str, str] = {
        "domain": "global",
        "reason": reason or _DEFAULT_REASONS.get(code, "error"),
        "message": text,
    }
    item.update(error_extra or {})
    error: dict[str, Any] = {"code": code, "message": text, "errors": [item]}
    if code in _STATUS_NAMES:
        error["status"] = _STATUS_NAMES[code]
    return {"error": error}


class ApiError(Exception):
    """Raised inside the fake to answer with a Google JSON error."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        reason: str | None = None,
        *,
        headers: list[tuple[str, str]] | None = None,
        error_extra: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code} {message or _DEFAULT_MESSAGES.get(code, '')}")
        self.code = code
        self.payload = error_payload(code, message, reason, error_extra=error_extra)
        self.headers = headers or []

    def response(self) -> Response:
        """This error as an HTTP response."""
        return json_response(self.code, self.payload, self.headers)


class OAuthError(Exception):
    """Raised by the OAuth endpoints: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(f"{code} {error}: {description}")
        self.code = code
        self.error = error
        self.description = description

    def response(self) -> Response:
        """This error as an HTTP response (OAuth errors are not in the API error shape)."""
        return json_response(
            self.code, {"error": self.error, "error_description": self.description}
        )


def b64url_encode(data: bytes) -> str:
    """URL-safe base64 with padding, as Gmail returns ``raw`` and body ``data``."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode URL-safe (or standard) base64 with or without padding."""
    cleaned = "".join(text.split()).replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


def first(query: Query, name: str, default: str | None = None) -> str | None:
    """The first value of parameter ``name``."""
    values = query.get(name)
    return values[0] if values else default


def flag(query: Query, name: str) -> bool:
    """A boolean query parameter (``true``/``false``, as the client library sends them)."""
    value = first(query, name)
    if value is None:
        return False
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ApiError(400, f"Invalid value for {name}: {value}", "invalid")


def int_param(query: Query, name: str, default: int, *, low: int, high: int) -> int:
    """An integer parameter clamped to ``high``; below ``low`` is a 400 like Google's."""
    value = first(query, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ApiError(
            400, f"Invalid value '{value}'. Values must match int32.", "invalid"
        ) from None
    if number < low:
        raise ApiError(400, f"Invalid value '{value}' for {name}.", "invalid")
    return min(number, high)
