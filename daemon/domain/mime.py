"""RFC 5322 messages for drafts, and the way back from a message to what it says.

Pure functions shared by every provider that stores raw messages (Maildir, Gmail's raw
format, the in-memory fake): ``build_email`` turns a ``DraftMessage`` into an
``EmailMessage``; ``parse_draft_content`` reads recipients, subject and body back so that
``DraftContent.fingerprint`` of a freshly written draft equals the one it was made from;
``to_mail_message`` reduces any stored message to a ``MailMessage``.

Messages come from strangers, so reading one costs a bounded amount and never fails on what
it says. ``parse_message`` parses at most ``MAX_HEADER_BYTES`` of header and
``MAX_DRAFT_BYTES`` in all; every header value is cut before anything parses it
(``MAX_HEADER_VALUE``; ``MAX_STRUCTURED_VALUE`` for the email package's structured header
parsers, which take quadratic time, e.g. on runs of commas or comments). An address
header is split into mailboxes and each is read by ``email.utils.getaddresses``, all in
linear time; at most ``MAX_ADDRESSES_PER_MESSAGE`` of From, To and Cc together are read,
and each goes through ``parse_address``: an invalid one is dropped, a display name goes
through ``clean_name``.
"""

from __future__ import annotations

import email.headerregistry
import email.parser
import email.policy
import email.utils
import inspect
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from typing import Any

from interview_outreach.daemon.domain.addresses import InvalidAddress, clean_name, parse_address
from interview_outreach.daemon.domain.limits import MAX_ADDRESSES_PER_MESSAGE, MAX_HEADER_BYTES
from interview_outreach.daemon.domain.model import Address, DraftContent, DraftMessage, MailMessage

MAX_HEADER_VALUE = 16 * 1024
"""Characters of one header value that are read (an address header is cut after its last
whole address before this); far more than 100 addresses with names need."""

MAX_STRUCTURED_VALUE = 1024
"""Characters of a header value handed to one of the email package's structured parsers
(Content-Type, Message-ID, MIME-Version …), which parse it again at every access. They
take quadratic time: 16 KiB of semicolons or comments take most of a second, 1 KiB a few
milliseconds; real values are under 200 characters."""

MAX_DRAFT_BYTES = 128 * 1024
"""Bytes of a stored draft that are parsed, its header (at most ``MAX_HEADER_BYTES``)
included. The drafts this program writes are a few KiB; whatever is longer was written by
someone else and reads as edited however it ends."""

MAX_MIME_PARTS = 64
"""Lines starting with ``--`` (each MIME part starts with one) in a draft whose MIME
structure is parsed; a draft a mail client saves has a handful."""

MAX_MIME_CONTAINERS = 8
"""``multipart/`` and ``message/`` types named in a draft whose MIME structure is parsed.
The parser's work grows with the depth of nesting times the number of lines (500 parts
nested in 25 KiB take two seconds); a client's draft nests three deep at most."""

_HEADER_NAME_LENGTH = 256  # header names are a few words; a longer one is cut
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MIME_TYPE = re.compile(r"\s*([\w!#$%&'*+.^`|~-]+/[\w!#$%&'*+.^`|~-]+)\s*(?:[;(]|$)", re.ASCII)
# ``strict`` (Python 3.11.10, 3.12.5) rejects a whole header over one odd address; the
# lenient parser is the same everywhere, and every address it yields is checked anyway.
_LENIENT = (
    {"strict": False} if "strict" in inspect.signature(email.utils.getaddresses).parameters else {}
)
_TEXT_HEADERS = email.headerregistry.HeaderRegistry(use_default_map=False)  # all unstructured
_HEADERS = email.headerregistry.HeaderRegistry()

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


def _cut(value: str, limit: int) -> str:
    """``value`` cut to at most ``limit`` characters, after its last comma if it has one."""
    if len(value) <= limit:
        return value
    comma = value.rfind(",", 0, limit)
    return value[:comma] if comma > 0 else value[:limit]


def _bounded_header(name: str, value: Any) -> Any:
    """The email package's header object for ``value`` cut to the bound of its kind."""
    if isinstance(value, str):
        structured = name.lower() in _HEADERS.registry and name.lower() != "subject"
        value = _cut(value, MAX_STRUCTURED_VALUE if structured else MAX_HEADER_VALUE)
    return _HEADERS(name, value)


_READING = _POLICY.clone(header_factory=_bounded_header)
"""The default policy for reading: the email package never parses a long header value."""


class UnreadableStructure(ValueError):
    """A message whose MIME structure is beyond what is parsed (``MAX_MIME_PARTS``,
    ``MAX_MIME_CONTAINERS``); its header can still be read."""


def parse_message(data: bytes, *, headers_only: bool = False) -> EmailMessage:
    """The message in ``data``, at most ``MAX_HEADER_BYTES`` of header and
    ``MAX_DRAFT_BYTES`` in all (no body when ``headers_only``).

    A header without its end within the bound is cut there and the message has no body.
    Header values are cut when they are read (``MAX_HEADER_VALUE``,
    ``MAX_STRUCTURED_VALUE``). Raises ``UnreadableStructure`` when the body has more MIME
    parts or nesting than a draft has, and whatever else the email package raises on a
    malformed body; with ``headers_only`` nothing is raised.
    """
    end = _BLANK_LINE.search(data, 0, MAX_HEADER_BYTES + 4)
    if end is None or headers_only:
        head = data[: end.start() if end is not None else MAX_HEADER_BYTES]
        parsed = email.parser.BytesHeaderParser(policy=_READING).parsebytes(head)
    else:
        data = data[:MAX_DRAFT_BYTES]
        lowered = data.lower()
        containers = lowered.count(b"multipart/") + lowered.count(b"message/")
        parts = data.count(b"\n--")
        if containers > MAX_MIME_CONTAINERS or parts > MAX_MIME_PARTS:
            raise UnreadableStructure(
                f"{containers} multipart or message types and {parts} lines starting with "
                f"'--': more MIME structure than a draft has (at most {MAX_MIME_CONTAINERS} "
                f"and {MAX_MIME_PARTS} are parsed)"
            )
        parsed = email.parser.BytesParser(policy=_READING).parsebytes(data)
    assert isinstance(parsed, EmailMessage)
    return parsed


def as_modern(msg: Message) -> EmailMessage:
    """``msg`` as an ``EmailMessage`` under a modern policy (decoded headers)."""
    if isinstance(msg, EmailMessage) and isinstance(msg.policy, email.policy.EmailPolicy):
        return msg
    return parse_message(msg.as_bytes())


def without_surrogates(text: str) -> str:
    """``text`` without lone surrogates, which no encoder takes: bytes the parser could not
    decode (kept as surrogates) are decoded as UTF-8, or become U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte (from JSON)
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def bounded_headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A message's headers as far as they are read, in order, as ``(name, raw value)``.

    Values are unfolded, cut to ``MAX_HEADER_VALUE`` characters and freed of undecodable
    bytes; once names and values add up to ``MAX_HEADER_BYTES`` characters the rest is not
    read. Encoded words are left as they are (``header_text`` decodes them).
    """
    found: list[tuple[str, str]] = []
    left = MAX_HEADER_BYTES
    for raw_name, raw_value in pairs:
        if left <= 0:
            break
        name = without_surrogates(str(raw_name)[:_HEADER_NAME_LENGTH]).strip()
        value = _cut(str(raw_value), min(MAX_HEADER_VALUE, left))
        value = without_surrogates(value.replace("\r", "").replace("\n", ""))
        left -= len(name) + len(value) + 2
        found.append((name, value))
    return found


def header_text(value: str) -> str:
    """A header value as text: encoded words decoded, at most ``MAX_HEADER_VALUE``
    characters of it read. Never raises: what cannot be decoded stays as it is."""
    text = _cut(value, MAX_HEADER_VALUE)
    if "=?" not in text:
        return text  # what the unstructured parser would return, only faster
    try:
        return str(_TEXT_HEADERS("X-Text", text))
    except Exception:  # a stranger's encoded words that fail: shown as written
        return text


def _mailboxes(value: str) -> Iterator[str]:
    """The mailboxes of an address header value, in order, as text: split at the commas
    between them, not at those in quoted strings, comments, angle brackets or domain
    literals (``[`` right after ``@``); the name of a group and the ``;`` that ends it are
    left out. Linear time."""
    start = depth = 0
    quoted = literal = angle = escaped = False
    previous = ""
    for index, char in enumerate(value):
        after_at = previous == "@"
        if not char.isspace():
            previous = char
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or depth or literal):
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif depth:
            depth += 1 if char == "(" else -1 if char == ")" else 0
        elif literal:
            literal = char != "]"
        elif char == '"':
            quoted = True
        elif char == "(":
            depth = 1
        elif char == "[" and after_at:
            literal = True
        elif angle:
            angle = char != ">"
        elif char == "<":
            angle = True
        elif char in ",;":
            yield value[start:index]
            start = index + 1
        elif char == ":":  # what came before is a group's name, not a mailbox
            start = index + 1
    yield value[start:]


def _address_pairs(value: str) -> Iterator[tuple[str, str]]:
    """``(display name, addr-spec)`` of each mailbox in one address header value;
    ``("", "")`` for one that cannot be read as exactly one address.

    Each mailbox is read by ``getaddresses``, in linear time where the email package's
    header parser takes quadratic time; it reads some malformed mailboxes as several
    (``Jane <jane\\x1b[2J@x.com>``), and those are not read at all.
    """
    for mailbox in _mailboxes(_cut(value, MAX_HEADER_VALUE)):
        if not mailbox.strip():
            continue
        try:
            pairs = email.utils.getaddresses([mailbox], **_LENIENT)
        except Exception:  # RecursionError on nested comments: no address
            pairs = []
        found = [pair for pair in pairs if pair != ("", "")]
        yield found[0] if len(found) == 1 else ("", "")


def _read_addresses(
    headers: list[tuple[str, str]], names: tuple[str, ...], limit: int
) -> tuple[list[Address], int]:
    """The valid addresses among the first ``limit`` addresses of the headers ``names``
    (taken in that order), with clean display names, and how many addresses were read."""
    found: list[Address] = []
    read = 0
    for wanted in (n.lower() for n in names):
        for name, value in headers:
            if name.lower() != wanted:
                continue
            for display, addr_spec in _address_pairs(value):
                if read >= limit:
                    return found, read
                read += 1
                try:
                    address = parse_address(addr_spec)
                except InvalidAddress:
                    continue
                found.append(Address(address, clean_name(header_text(display))))
    return found, read


def header_addresses(msg: Message, *names: str) -> tuple[Address, ...]:
    """The valid addresses in the headers ``names`` (lower case, clean display names).

    At most ``MAX_ADDRESSES_PER_MESSAGE`` addresses are read; invalid ones (a query
    string, two addresses in one, control characters …) are dropped.
    """
    headers = bounded_headers(msg.raw_items())
    return tuple(_read_addresses(headers, names, MAX_ADDRESSES_PER_MESSAGE)[0])


def _plain_text(msg: Message) -> str:
    """The decoded text/plain body, or ``""`` when the message has none or it cannot be
    found (malformed MIME); an unknown charset is read as UTF-8."""
    try:
        part = as_modern(msg).get_body(preferencelist=("plain",))
    except Exception:  # broken MIME: no body can be found
        return ""
    if not isinstance(part, EmailMessage):
        return ""
    try:
        content = part.get_content()
    except Exception:  # an unknown charset or transfer encoding
        try:
            raw = part.get_payload(decode=True)
        except Exception:
            return ""
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    return without_surrogates(content) if isinstance(content, str) else ""


def parse_draft_content(msg: Message) -> DraftContent:
    """What a stored draft says: its valid To addresses, decoded subject and plain-text
    body. Never raises: what cannot be read is left out."""
    headers = bounded_headers(msg.raw_items())
    subject = next((value for name, value in headers if name.lower() == "subject"), "")
    return DraftContent(
        to=tuple(_read_addresses(headers, ("To",), MAX_ADDRESSES_PER_MESSAGE)[0]),
        subject=header_text(subject),
        body=_plain_text(msg),
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


def _date(value: str | None, fallback: datetime) -> datetime:
    """A Date header's value as an aware datetime (UTC without a zone), else ``fallback``."""
    if not value:
        return fallback
    try:
        parsed = email.utils.parsedate_to_datetime(_cut(value, MAX_STRUCTURED_VALUE))
        aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
        # A Date at the edge of the calendar (31 Dec 9999 -2359) cannot be compared in UTC.
        aware.astimezone(UTC)
    except Exception:  # whatever a stranger's Date makes it raise, it has no date
        return fallback
    return aware


def message_date(msg: Message, fallback: datetime) -> datetime:
    """The Date header as an aware datetime; ``fallback`` when it is missing or invalid.

    A Date without a zone (``-0000``) is taken as UTC.
    """
    dates = (value for name, value in bounded_headers(msg.raw_items()) if name.lower() == "date")
    return _date(next(dates, None), fallback)


def _content_type(value: str | None) -> str:
    """The lower-case ``type/subtype`` of a Content-Type value; ``text/plain`` without one."""
    match = _MIME_TYPE.match(value or "")
    return match[1].lower() if match else "text/plain"


def to_mail_message(msg: Message, folder: str, fallback_date: datetime) -> MailMessage:
    """``msg`` as the core sees it: sender, recipients, date, thread headers, all headers.

    ``fallback_date`` (e.g. the file's mtime) is used when the Date header is unusable.
    Only the header is read (``headers_to_mail_message``); never raises.
    """
    return headers_to_mail_message(msg.raw_items(), folder, fallback_date)


def headers_to_mail_message(
    pairs: Iterable[tuple[str, str]], folder: str, fallback_date: datetime
) -> MailMessage:
    """The ``MailMessage`` of a message with the headers ``pairs`` (raw values, in order).

    Only the first ``MAX_HEADER_BYTES`` characters of headers are read (``bounded_headers``)
    and the first ``MAX_ADDRESSES_PER_MESSAGE`` addresses of From, To and Cc; an invalid
    address is dropped (a From without a valid address makes the sender ``""``). Never
    raises, whatever the headers say.
    """
    headers = bounded_headers(pairs)
    first: dict[str, str] = {}
    for name, value in headers:
        first.setdefault(name.lower(), value)
    senders, read = _read_addresses(headers, ("From",), MAX_ADDRESSES_PER_MESSAGE)
    recipients, _ = _read_addresses(headers, ("To", "Cc"), MAX_ADDRESSES_PER_MESSAGE - read)
    in_reply_to = message_ids(first.get("in-reply-to"))
    return MailMessage(
        message_id=normalize_message_id(first.get("message-id")),
        sender=senders[0].email if senders else "",
        recipients=tuple(a.email for a in recipients),
        subject=header_text(first.get("subject", "")),
        date=_date(first.get("date"), fallback_date),
        folder=folder,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=message_ids(first.get("references")),
        headers=tuple((name, header_text(value)) for name, value in headers),
        content_type=_content_type(first.get("content-type")),
    )


def message_id_of(msg: Message) -> str:
    """The normalised Message-ID of ``msg`` ("" if it has none), read from its raw header."""
    ids = (
        value for name, value in bounded_headers(msg.raw_items()) if name.lower() == "message-id"
    )
    return normalize_message_id(next(ids, None))
