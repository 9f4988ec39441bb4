"""RFC 2822 helpers for the fake Gmail: parsing, Gmail's payload JSON, snippets, threading keys."""

from __future__ import annotations

import email
import email.policy
import email.utils
import html
import re
import secrets
import textwrap
from email.message import EmailMessage, Message
from typing import Any

from .search import normalize_msgid
from .wire import b64url_encode

_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def parse(raw: bytes) -> EmailMessage:
    """Parse RFC 2822 bytes with the modern email policy."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def to_bytes(message: EmailMessage | bytes) -> bytes:
    """Raw bytes of a message given either way."""
    if isinstance(message, bytes):
        return message
    return message.as_bytes(policy=email.policy.SMTP)


def normalize_subject(subject: str | None) -> str:
    """The subject Gmail compares threads by: without Re:/Fwd: prefixes, casefolded."""
    return " ".join(_PREFIX.sub("", subject or "").split()).casefold()


def referenced_ids(message: Message) -> list[str]:
    """Normalised Message-IDs named by In-Reply-To and References (In-Reply-To first)."""
    found: list[str] = []
    for name in ("In-Reply-To", "References"):
        for value in message.get_all(name) or []:
            found.extend(normalize_msgid(m) for m in re.findall(r"<[^<>]+>", str(value)))
    return list(dict.fromkeys(found))


def message_id_of(message: Message) -> str:
    """The normalised Message-ID header, or ``""``."""
    return normalize_msgid(str(message.get("Message-ID", "")))


def headers_json(part: Message, only: list[str] | None = None) -> list[dict[str, str]]:
    """Gmail's ``payload.headers``: decoded values, optionally only the named ones."""
    wanted = {name.lower() for name in only} if only else None
    return [
        {"name": name, "value": str(value)}
        for name, value in part.items()
        if wanted is None or name.lower() in wanted
    ]


def payload_json(part: Message, part_id: str = "") -> dict[str, Any]:
    """Gmail's ``format=full`` payload tree (body data is transfer-decoded, base64url)."""
    result: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": headers_json(part),
    }
    if part.is_multipart():
        result["body"] = {"size": 0}
        children = part.get_payload()
        assert isinstance(children, list)
        prefix = f"{part_id}." if part_id else ""
        result["parts"] = [payload_json(child, f"{prefix}{i}") for i, child in enumerate(children)]
    else:
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        result["body"] = {"size": len(data), "data": b64url_encode(data)} if data else {"size": 0}
    return result


def body_text(message: EmailMessage) -> str:
    """The plain text of a message (HTML stripped of tags when there is no text part)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        return ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = html.unescape(_TAGS.sub(" ", content))
    return content


def snippet(message: EmailMessage) -> str:
    """Gmail's snippet: about 200 characters of body text, whitespace collapsed, HTML-escaped."""
    text = " ".join(body_text(message).split())[:200]
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def has_attachment(message: EmailMessage) -> bool:
    """Whether any part is an attachment."""
    return any(True for _ in message.iter_attachments()) if message.is_multipart() else False


def prepare_sent(raw: bytes, sender: str, *, message_id: str | None = None) -> bytes:
    """The raw message as Gmail sends a draft: Message-ID/Date/From added when missing.

    Gmail keeps an existing Message-ID; ``message_id`` simulates a client that rewrites it.
    """
    message = parse(raw)
    if message_id is not None:
        del message["Message-ID"]
        message["Message-ID"] = message_id
    elif "Message-ID" not in message:
        message["Message-ID"] = f"<{secrets.token_hex(12)}@mail.gmail.com>"
    if "Date" not in message:
        message["Date"] = email.utils.formatdate(localtime=False)
    if "From" not in message:
        message["From"] = sender
    return message.as_bytes(policy=email.policy.SMTP)


def replace_body(raw: bytes, new_body: str) -> bytes:
    """The message with its body replaced by ``new_body`` (plain text); headers kept."""
    message = parse(raw)
    message.set_content(new_body)
    return message.as_bytes(policy=email.policy.SMTP)


def reserialize(raw: bytes, *, wrap: int = 76, fold: int = 40, cte: str = "base64") -> bytes:
    """The message stored anew the way a mail service may: the plain-text body re-wrapped
    at ``wrap`` columns (at spaces) and re-encoded with ``cte``, headers folded at ``fold``.

    What it says is the same to a reader; the bytes, and the body text, are not.
    """
    message = parse(raw)
    part = message.get_body(preferencelist=("plain",))
    if isinstance(part, EmailMessage):
        content = part.get_content()
        lines: list[str] = []
        for line in str(content).splitlines():
            lines.extend(
                textwrap.wrap(line, wrap, break_long_words=False, break_on_hyphens=False) or [""]
            )
        charset = part.get_content_charset() or "utf-8"
        part.set_content("\n".join(lines) + "\n", charset=charset, cte=cte)
    return message.as_bytes(policy=email.policy.SMTP.clone(max_line_length=fold))
