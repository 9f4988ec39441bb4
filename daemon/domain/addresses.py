"""Addresses from strangers, checked once where they enter.

Every address a provider reads from a calendar or a mailbox goes through
:func:`parse_address`, which returns a plain lower-case ``local@domain`` or raises
``InvalidAddress`` naming what is wrong with it. Only such addresses ever reach a
``Participant``, a ``MailMessage`` or a draft's headers: a query string
(``jane@x.com?bcc=…``), a second address in the same field (``jane@x.com>, eve@evil.com``)
or a control character never becomes a recipient.
"""

from __future__ import annotations

import email.errors
import email.headerregistry
import re
from typing import Any

from interview_outreach.daemon.domain.limits import (
    MAX_ADDRESS_LENGTH,
    MAX_ATTENDEES_PER_EVENT,
    MAX_NAME_LENGTH,
)
from interview_outreach.daemon.domain.model import Exclusion, Participant, ParticipantKind, Response

# RFC 5322 atext without "?" (a URL's query string, never part of a real person's address).
_LOCAL_EXTRA = frozenset("!#$%&'*+-/=^_`{|}~")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_SHOWN_LENGTH = 80
_INVALID_KEPT = 5
# A terminal escape sequence (CSI "ESC [ … final", OSC "ESC ] … BEL/ST", or ESC and one
# character): removed whole from a name, so that "\x1b[2JRaj" reads "Raj", not "[2JRaj".
_TERMINAL_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]{0,256}(?:\x07|\x1b\\)?|.?)"
)


class InvalidAddress(ValueError):
    """An address that cannot be written to; ``str()`` says why in a few words."""


def parse_address(text: str) -> str:
    """``text`` as a plain lower-case ``local@domain``; raises ``InvalidAddress``.

    A ``mailto:`` prefix and surrounding whitespace are removed. Rejected: control
    characters, white space, several addresses, quotes, angle brackets, comments, query
    strings and anything that is not exactly one local part, one ``@`` and a domain of
    at least two labels. An internationalised domain is returned in its ASCII (``xn--``)
    form; a local part must be ASCII (mail to others needs SMTPUTF8, which drafts avoid).
    """
    address = text.strip()
    if address[:7].lower() == "mailto:":
        address = address[7:]
    if not address:
        raise InvalidAddress("empty")
    if len(address) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress(f"longer than {MAX_ADDRESS_LENGTH} characters")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in address):
        raise InvalidAddress("contains control characters")
    if "?" in address:
        raise InvalidAddress("contains a query string")
    if "," in address or ";" in address or address.count("@") > 1:
        raise InvalidAddress("holds more than one address")
    if any(c.isspace() or c in '<>()[]":\\' for c in address):
        raise InvalidAddress("is not a plain address")
    local, at, domain = address.lower().partition("@")
    if not at or not local or not domain:
        raise InvalidAddress("has no @domain")
    if not local.isascii():
        raise InvalidAddress("has a local part that is not ASCII")
    domain = _ascii_domain(domain)
    _check_local(local)
    _check_domain(domain)
    try:
        email.headerregistry.Address(addr_spec=f"{local}@{domain}")
    except (email.errors.HeaderParseError, ValueError, IndexError) as error:
        raise InvalidAddress("is not a valid address") from error
    return f"{local}@{domain}"


def _ascii_domain(domain: str) -> str:
    """An internationalised domain in the ASCII form a mail header carries (``xn--``)."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise InvalidAddress("has an invalid domain") from error


def _check_local(local: str) -> None:
    if len(local) > 64:
        raise InvalidAddress("has a local part longer than 64 characters")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidAddress("has a misplaced dot")
    if not all(c.isascii() and (c.isalnum() or c == "." or c in _LOCAL_EXTRA) for c in local):
        raise InvalidAddress("has characters no address has")


def _check_domain(domain: str) -> None:
    labels = domain.split(".")
    if len(labels) < 2:
        raise InvalidAddress("has a domain without a dot")
    if not all(_LABEL.match(label) for label in labels):
        raise InvalidAddress("has an invalid domain")
    if labels[-1].isdigit():
        raise InvalidAddress("has a numeric top-level domain")


def clean_name(text: str) -> str:
    """A display name on one line, without control characters, at most 256 characters."""
    printable = without_controls(text[: MAX_NAME_LENGTH * 4], keep="")
    return " ".join(printable.split())[:MAX_NAME_LENGTH].strip()


def without_controls(text: str, keep: str = "\t") -> str:
    """``text`` without terminal escape sequences, its other unprintable characters
    (but those in ``keep``) turned into spaces."""
    plain = _TERMINAL_SEQUENCE.sub("", text)
    return "".join(c if c.isprintable() or c in keep else " " for c in plain)


def shown(text: str) -> str:
    """A rejected value made safe to store and print: escaped, at most 80 characters."""
    escaped = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:200])
    if len(escaped) <= _SHOWN_LENGTH:
        return escaped
    return escaped[: _SHOWN_LENGTH - 3] + "..."


class Contacts:
    """An event's organizer and attendees as read by a provider, each address checked once.

    ``person`` returns a ``Participant`` for a valid address and ``None`` otherwise; the
    first few rejected entries are kept in ``invalid`` (shown, never used) so that
    ``explain`` can say why an invitation has no one to write to. Attendees past
    ``MAX_ATTENDEES_PER_EVENT`` are not read at all (``full`` turns true).
    """

    def __init__(self) -> None:
        self.invalid: list[Exclusion] = []
        self.read = 0

    @property
    def full(self) -> bool:
        """Whether the event's attendee bound is reached: read no more attendees."""
        return self.read >= MAX_ATTENDEES_PER_EVENT

    def person(
        self,
        address: str,
        name: str = "",
        *,
        kind: ParticipantKind = ParticipantKind.PERSON,
        required: bool = True,
        response: Response = Response.NEEDS_ACTION,
    ) -> Participant | None:
        """The participant at ``address``, or ``None`` when the address is not valid."""
        self.read += 1
        try:
            email = parse_address(address)
        except InvalidAddress as error:
            if len(self.invalid) < _INVALID_KEPT:
                self.invalid.append(Exclusion(shown(address), f"not a valid address: {error}"))
            return None
        return Participant(
            email=email, name=clean_name(name), kind=kind, required=required, response=response
        )

    def unreadable(self, entry: str, reason: str) -> None:
        """Keep an entry that could not even be split into address and name."""
        self.read += 1
        if len(self.invalid) < _INVALID_KEPT:
            self.invalid.append(Exclusion(shown(entry), reason))


def attendee_entries(attendees: Any) -> list[Any]:
    """The attendee entries of an event that are read: a list's first few (see limits)."""
    return list(attendees[:MAX_ATTENDEES_PER_EVENT]) if isinstance(attendees, list) else []
