"""A subset of Gmail's search syntax (``q``), parsed into a predicate over messages.

Supported: implicit AND, ``OR`` (and ``{a b}``), ``AND``, parentheses, ``-`` negation,
quoted phrases, ``key:(a OR b)`` groups and the operators ``from: to: cc: bcc: subject:
rfc822msgid: in: label: is: after: before: newer_than: older_than: has:``. An operator the
fake does not know is a 400, so a typo in the product's query fails loudly in tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .wire import ApiError

Predicate = Callable[["SearchTarget"], bool]

_KEYS = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "rfc822msgid",
    "in",
    "label",
    "is",
    "after",
    "before",
    "newer_than",
    "older_than",
    "has",
}
_TOKEN = re.compile(r'\s*(?:(?P<punct>[(){}])|(?P<quoted>"[^"]*")|(?P<word>[^\s(){}"]+))')
_AGE = re.compile(r"^(\d+)([dmyh])$")
_AGE_UNITS = {
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "m": timedelta(days=30),
    "y": timedelta(days=365),
}
_IN_LABELS = {
    "inbox": "INBOX",
    "sent": "SENT",
    "drafts": "DRAFT",
    "draft": "DRAFT",
    "trash": "TRASH",
    "spam": "SPAM",
    "starred": "STARRED",
    "important": "IMPORTANT",
    "chats": "CHAT",
}


@dataclass(frozen=True)
class SearchTarget:
    """What a query is matched against: one message, flattened."""

    headers: dict[str, str]  # lower-case name -> all values joined by ", "
    labels: frozenset[str]
    internal_date: datetime
    text: str  # subject, addresses and body text, for free words
    message_id: str  # normalised: no angle brackets, casefolded
    has_attachment: bool


@dataclass(frozen=True)
class Query:
    """A parsed query: the predicate and whether it reaches into spam/trash."""

    predicate: Predicate
    mentions_spam_or_trash: bool


def parse_query(text: str, now: datetime) -> Query:
    """Parse Gmail search syntax; raises ``ApiError(400)`` for what the fake cannot do."""
    tokens = [m for m in _tokenize(text)]
    parser = _Parser(tokens, now)
    predicate = parser.parse_all()
    return Query(predicate, parser.spam_or_trash)


def normalize_msgid(value: str) -> str:
    """``<abc@x>`` → ``abc@x`` (casefolded), as rfc822msgid: compares them."""
    return value.strip().strip("<>").strip().casefold()


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ApiError(400, f"Invalid query: {text!r}", "invalidArgument")
        position = match.end()
        tokens.append(match.group(0).strip())
        # key:"quoted value" is one term
        word = match.group("word")
        if word and word.endswith(":") and text[position : position + 1] == '"':
            quoted = _TOKEN.match(text, position)
            if quoted is not None and quoted.group("quoted"):
                tokens[-1] += quoted.group("quoted")
                position = quoted.end()
    return [t for t in tokens if t]


class _Parser:
    def __init__(self, tokens: list[str], now: datetime) -> None:
        self.tokens = tokens
        self.position = 0
        self.now = now
        self.spam_or_trash = False

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse_all(self) -> Predicate:
        predicate = self.parse_and(None, stop=None)
        if self.peek() is not None:
            raise ApiError(400, f"Invalid query near {self.peek()!r}", "invalidArgument")
        return predicate

    def parse_and(self, key: str | None, stop: str | None) -> Predicate:
        parts: list[Predicate] = []
        while (token := self.peek()) is not None and token != stop:
            if token in (")", "}"):
                raise ApiError(400, f"Unbalanced {token!r} in query", "invalidArgument")
            if token == "AND":
                self.take()
                continue
            parts.append(self.parse_or(key, stop))
        return lambda target: all(p(target) for p in parts)

    def parse_or(self, key: str | None, stop: str | None) -> Predicate:
        options = [self.parse_unary(key, stop)]
        while self.peek() == "OR":
            self.take()
            options.append(self.parse_unary(key, stop))
        if len(options) == 1:
            return options[0]
        return lambda target: any(p(target) for p in options)

    def parse_unary(self, key: str | None, stop: str | None) -> Predicate:
        token = self.peek()
        if token is None or token == stop:
            raise ApiError(400, "Invalid query: operand missing", "invalidArgument")
        if token.startswith("-") and len(token) > 1:
            self.tokens[self.position] = token[1:]
            inner = self.parse_unary(key, stop)
            return lambda target: not inner(target)
        if token == "-":
            self.take()
            inner = self.parse_unary(key, stop)
            return lambda target: not inner(target)
        if token == "(":
            self.take()
            group = self.parse_and(key, ")")
            self._expect(")")
            return group
        if token == "{":
            self.take()
            return self._brace_group(key)
        self.take()
        name, colon, value = token.partition(":")
        if colon and name.lower() in _KEYS:
            if value == "" and self.peek() in ("(", "{"):
                opener = self.take()
                closer = ")" if opener == "(" else "}"
                group = (
                    self.parse_and(name.lower(), closer)
                    if opener == "("
                    else self._brace_group(name.lower())
                )
                if opener == "(":
                    self._expect(closer)
                return group
            return self.term(name.lower(), value.strip('"'))
        if colon and re.fullmatch(r"[a-z_]+", name.lower()) and name.lower() not in _KEYS:
            raise ApiError(
                400, f"The fake Gmail does not support the operator {name}:", "invalidArgument"
            )
        if key is not None:
            return self.term(key, token.strip('"'))
        return self.term(None, token.strip('"'))

    def _brace_group(self, key: str | None) -> Predicate:
        options: list[Predicate] = []
        while self.peek() not in ("}", None):
            options.append(self.parse_unary(key, "}"))
        self._expect("}")
        return lambda target: any(p(target) for p in options)

    def _expect(self, token: str) -> None:
        if self.peek() != token:
            raise ApiError(400, f"Invalid query: expected {token!r}", "invalidArgument")
        self.take()

    def term(self, key: str | None, value: str) -> Predicate:
        needle = value.casefold()
        if key is None:
            return lambda target: needle in target.text
        if key in ("from", "to", "cc", "bcc", "subject"):
            return lambda target: needle in target.headers.get(key, "").casefold()
        if key == "rfc822msgid":
            wanted = normalize_msgid(value)
            return lambda target: target.message_id == wanted
        if key in ("in", "label", "is"):
            return self._label_term(key, needle)
        if key in ("after", "before"):
            moment = _parse_date(value)
            if key == "after":
                return lambda target: target.internal_date >= moment
            return lambda target: target.internal_date < moment
        if key in ("newer_than", "older_than"):
            match = _AGE.match(needle)
            if match is None:
                raise ApiError(400, f"Invalid {key}: {value}", "invalidArgument")
            limit = self.now - int(match.group(1)) * _AGE_UNITS[match.group(2)]
            if key == "newer_than":
                return lambda target: target.internal_date > limit
            return lambda target: target.internal_date <= limit
        if key == "has" and needle == "attachment":
            return lambda target: target.has_attachment
        raise ApiError(400, f"The fake Gmail does not support {key}:{value}", "invalidArgument")

    def _label_term(self, key: str, needle: str) -> Predicate:
        if key == "in" and needle == "anywhere":
            self.spam_or_trash = True
            return lambda target: True
        if key == "is":
            if needle == "unread":
                return lambda target: "UNREAD" in target.labels
            if needle == "read":
                return lambda target: "UNREAD" not in target.labels
            label = needle.upper()
        else:
            label = _IN_LABELS.get(needle, needle.upper())
        if label in ("SPAM", "TRASH"):
            self.spam_or_trash = True
        return lambda target: label in {name.upper() for name in target.labels}


def _parse_date(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", value)
    if match is None:
        raise ApiError(400, f"Invalid date in query: {value}", "invalidArgument")
    year, month, day = (int(g) for g in match.groups())
    return datetime(year, month, day, tzinfo=UTC)
