"""RFC 5322 messages for drafts, and the way back from a message to what it says.

Pure functions shared by every provider that stores raw messages (Maildir, Gmail's raw
format, the in-memory fake): ``build_email`` turns a ``DraftMessage`` into an
``EmailMessage``; ``parse_draft_content`` reads recipients, subject and body back so that
``DraftContent.fingerprint`` of a freshly written draft equals the one it was made from;
``to_mail_message`` reduces any stored message to a ``MailMessage``.
"""

from __future__ import annotations

import email.headerregistry
import email.policy
import email.utils
from datetime import UTC, datetime
from email.message import EmailMessage, Message

from daemon.domain.model import Address, DraftContent, DraftMessage, MailMessage

_POLICY = email.policy.default
# CPython's header folder loses the space between folded encoded words and the quotes of
# long display names; lines up to RFC 5322's hard limit of 998 leave it nothing to fold.
_UNFOLDED = _POLICY.clone(max_line_length=998)
_NAME_LIMIT = 64


def single_line(text: str) -> str:
    """``text`` with every run of whitespace (CR and LF included) collapsed to one space.

    Subjects and display names come from calendar invitations written by strangers; a
    line break in them must never start a header of its own.
    """
    return " ".join(text.split())


def display_name(name: str) -> str:
    """``name`` on one line, its quoted form at most 64 characters long.

    Python's header folder drops the quotes of a quoted display name longer than a line
    (``"Acme: Hiring Team, ..."``), after which the address no longer parses; short names
    never need folding, whatever policy serialises them.
    """
    text = single_line(name)
    while len(text) + text.count('"') + text.count("\\") > _NAME_LIMIT:
        text = text[:-1].rstrip()
    return text


def _header_address(address: Address) -> email.headerregistry.Address:
    """A header address; raises ``ValueError`` when ``address.email`` is not an address."""
    addr_spec = "".join(address.email.split())
    return email.headerregistry.Address(
        display_name=display_name(address.name), addr_spec=addr_spec
    )


def build_email(draft: DraftMessage) -> EmailMessage:
    """The complete plain-text message for ``draft``, ready to be stored as a draft.

    Sets From, To, Subject, Date, Message-ID, In-Reply-To, References, MIME-Version and
    ``Content-Type: text/plain; charset=utf-8``; never Bcc. Raises ``ValueError`` when a
    recipient or sender address is not a valid address.
    """
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _header_address(draft.sender)
    msg["To"] = [_header_address(a) for a in draft.content.to]
    msg["Subject"] = single_line(draft.content.subject)
    msg["Date"] = email.utils.format_datetime(draft.date)
    msg["Message-ID"] = single_line(draft.message_id)
    if draft.in_reply_to:
        msg["In-Reply-To"] = single_line(draft.in_reply_to)
    if draft.references:
        msg["References"] = " ".join(single_line(r) for r in draft.references)
    msg.set_content(draft.content.body, charset="utf-8")
    return msg


def draft_bytes(draft: DraftMessage) -> bytes:
    """``build_email(draft)`` serialised, for storing in a mailbox (LF line ends).

    Headers are not folded (see ``_UNFOLDED``) so that ``parse_draft_content`` reads back
    exactly what was written; the body stays encoded in lines of at most 78 characters.
    """
    return build_email(draft).as_bytes(policy=_UNFOLDED)


def as_modern(msg: Message) -> EmailMessage:
    """``msg`` as an ``EmailMessage`` under the default policy (decoded headers)."""
    if isinstance(msg, EmailMessage) and msg.policy is _POLICY:
        return msg
    modern = email.message_from_bytes(msg.as_bytes(), policy=_POLICY)
    assert isinstance(modern, EmailMessage)
    return modern


def _plain_text(msg: EmailMessage) -> str:
    """The decoded text/plain body, or ``""`` when the message has none."""
    part = msg.get_body(preferencelist=("plain",))
    if not isinstance(part, EmailMessage):
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        raw = part.get_payload(decode=True)
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    return content if isinstance(content, str) else ""


def header_addresses(msg: Message, *names: str) -> tuple[Address, ...]:
    """Every address in the headers ``names`` (decoded names, lower-case addresses)."""
    modern = as_modern(msg)
    found: list[Address] = []
    for name in names:
        for header in modern.get_all(name, []):
            for addr in getattr(header, "addresses", ()):
                if addr.addr_spec and addr.addr_spec != "<>":
                    found.append(Address(addr.addr_spec.lower(), addr.display_name))
    return tuple(found)


def parse_draft_content(msg: Message) -> DraftContent:
    """What a stored draft says: its To addresses, decoded subject and plain-text body."""
    modern = as_modern(msg)
    return DraftContent(
        to=header_addresses(modern, "To"),
        subject=str(modern.get("Subject", "")),
        body=_plain_text(modern),
    )


def normalize_message_id(value: str | None) -> str:
    """A Message-ID in its ``<...>`` form without surrounding whitespace ("" if none)."""
    text = "".join((value or "").split())
    if not text:
        return ""
    return text if text.startswith("<") else f"<{text.strip('<>')}>"


def message_ids(value: str | None) -> tuple[str, ...]:
    """The Message-IDs listed in an In-Reply-To or References header, in order."""
    text = value or ""
    ids = [f"<{part.split('>', 1)[0]}>" for part in text.split("<")[1:] if ">" in part]
    return tuple("".join(i.split()) for i in ids)


def message_date(msg: Message, fallback: datetime) -> datetime:
    """The Date header as an aware datetime; ``fallback`` when it is missing or invalid.

    A Date without a zone (``-0000``) is taken as UTC.
    """
    raw = msg.get("Date")
    if raw is None:
        return fallback
    try:
        parsed = email.utils.parsedate_to_datetime(str(raw))
    except (TypeError, ValueError, IndexError):
        return fallback
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def to_mail_message(msg: Message, folder: str, fallback_date: datetime) -> MailMessage:
    """``msg`` as the core sees it: sender, recipients, date, thread headers, all headers.

    ``fallback_date`` (e.g. the file's mtime) is used when the Date header is unusable.
    """
    modern = as_modern(msg)
    senders = header_addresses(modern, "From")
    references = message_ids(modern.get("References"))
    in_reply_to = message_ids(modern.get("In-Reply-To"))
    return MailMessage(
        message_id=normalize_message_id(modern.get("Message-ID")),
        sender=senders[0].email if senders else "",
        recipients=tuple(a.email for a in header_addresses(modern, "To", "Cc")),
        subject=str(modern.get("Subject", "")),
        date=message_date(modern, fallback_date),
        folder=folder,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=references,
        headers=tuple((name, str(value)) for name, value in modern.items()),
        content_type=modern.get_content_type(),
    )
