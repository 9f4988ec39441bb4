"""One scrubber for every text that leaves the process or is stored.

Anything from a service or a calendar may carry a secret (a service echoing the request's
``Authorization`` header in an error) or terminal control sequences (an ``.ics`` title with
an escape sequence). :func:`scrub` masks the one and makes the other visible but harmless;
log records, command output, stored errors and ``explain`` all go through it.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_SECRET_NAMES = (
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "user_code",
    "client_secret",
    "client_assertion",
    "assertion",
    "password",
    "passwd",
    "secret",
    "api_key",
    "apikey",
    "token",
    "code",
)
_SECRET_KEYS = "|".join(_SECRET_NAMES)
# Names never used for anything but a secret: masked after ": " and " = " too, unquoted.
_UNAMBIGUOUS_NAMES = (
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "client_secret",
    "client_assertion",
    "api_key",
)
_UNAMBIGUOUS_KEYS = "|".join(_UNAMBIGUOUS_NAMES)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer <token>  /  Basic <credentials>
    (re.compile(r"\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE), rf"\1\2{REDACTED}"),
    # https://user:password@host/  (the user stays: it says which account)
    (
        re.compile(r"\b([a-z][a-z0-9+.-]*://[^\s:/?#@\[\]]*:)[^\s/?#@]+@", re.IGNORECASE),
        rf"\1{REDACTED}@",
    ),
    # https://<token>@host/  (a long user part alone is a token, not a user name)
    (
        re.compile(r"\b([a-z][a-z0-9+.-]*://)[^\s:/?#@\[\]]{16,}@", re.IGNORECASE),
        rf"\1{REDACTED}@",
    ),
    # "refresh_token": "…"  (JSON, Python reprs)
    (
        re.compile(rf"""(["'](?:{_SECRET_KEYS})["']\s*:\s*)(["'])(?:\\.|(?!\2).)*\2""", re.I),
        rf"\1\2{REDACTED}\2",
    ),
    # refresh_token=…  code=…  (query strings, form bodies, key=value logs)
    (
        re.compile(rf"""\b({_SECRET_KEYS})=(?!{re.escape(REDACTED)})[^\s&"',;)}}\]]+""", re.I),
        rf"\1={REDACTED}",
    ),
    # refresh_token: …  client_secret = "…"  (YAML, TOML, MSAL's and other libraries' logs)
    (
        re.compile(
            rf"""\b({_UNAMBIGUOUS_KEYS})(\s*[:=]\s*)(?!["']?{re.escape(REDACTED)})"""
            r"""("[^"]*"|'[^']*'|[^\s"',;)}\]]+)""",
            re.IGNORECASE,
        ),
        rf"\1\2{REDACTED}",
    ),
    # Google's access ("ya29.…") and refresh ("1//…") tokens and authorization codes
    # ("4/0A…"), and JSON web tokens (Microsoft's access and ID tokens), wherever they appear.
    (re.compile(r"\bya29\.[A-Za-z0-9._-]+"), REDACTED),
    (re.compile(r"(?<![\w/])1//[A-Za-z0-9._-]{10,}"), REDACTED),
    (re.compile(r"(?<![\w/])4/[0-9A-Za-z_-]{20,}"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
)


def redact(text: str) -> str:
    """``text`` with every token-like value replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_LINE_BREAK = re.compile(r"\r?\n")
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators (str.splitlines and
# some terminals break lines there too).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def scrub(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with secrets masked and control characters shown as ``\\xNN``.

    Line feeds (and tabs) are kept only with ``keep_newlines``, for multi-line output;
    otherwise a line break becomes a space: a one-line message never becomes two. The
    Unicode line separators U+2028 and U+2029 are shown as ``\\u2028`` and ``\\u2029``.
    """
    text = redact(text)
    if not keep_newlines:
        text = _LINE_BREAK.sub(" ", text)
    pattern = _CONTROL if keep_newlines else _CONTROL_OR_NEWLINE
    return pattern.sub(_shown, text)


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def scrub_json(text: str) -> str:
    """JSON text with secrets masked and the characters a terminal obeys escaped.

    ``json.dumps`` already escapes C0 controls; DEL, the C1 controls (``\\x9b`` starts an
    escape sequence on many terminals) and the Unicode line separators become ``\\uXXXX``
    escapes, so the text stays valid JSON with the same meaning.
    """
    escaped = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return redact(escaped)
