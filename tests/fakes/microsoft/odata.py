"""The subset of OData query options the fake understands: ``$filter``, ``$search``, ``$select``.

``$filter`` (on messages): ``eq ne gt ge lt le``, ``and or not``, parentheses, the functions
``startswith``/``endswith``/``contains(path, 'text')``, lambdas such as
``toRecipients/any(r: r/emailAddress/address eq 'x@y')``, property paths
(``from/emailAddress/address``), strings (``'…'``, ``''`` escapes a quote), unquoted date-times
(``receivedDateTime ge 2024-05-01T00:00:00Z``), numbers, ``true``/``false``/``null``.
String comparisons ignore case, as Exchange does.

``$search`` (on messages, KQL-like, usually in double quotes): terms are ANDed; ``from:``,
``to:``, ``cc:``, ``bcc:``, ``participants:`` (from, to, cc, bcc), ``subject:``, ``body:``
match substrings, case-insensitively; a bare term matches subject, body, or any participant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .wire import GraphError, parse_time

Predicate = Callable[[Mapping[str, Any]], bool]
_Node = Callable[[dict[str, Any]], Any]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<punct>[(),:])
      | (?P<name>[A-Za-z_@$][\w@.$]*(?:/[A-Za-z_@$][\w@.$]*)*)
    )""",
    re.VERBOSE,
)
_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"startswith", "endswith", "contains"}


def _bad(message: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Invalid filter clause: {message}")


class _Parser:
    def __init__(self, text: str, properties: frozenset[str], type_name: str) -> None:
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.properties = {p.lower() for p in properties}
        self.type_name = type_name
        self.variables: set[str] = set()
        self.referenced: list[str] = []

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise _bad(f"syntax error at position {pos} in '{text}'")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1].lower() != value):
            raise _bad(f"expected {value or 'more input'}, found {token[1] if token else 'end'}")
        self.pos += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "name" and token[1].lower() in words

    def parse(self) -> _Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise _bad(f"unexpected '{self.peek()[1]}'")  # type: ignore[index]
        return node

    def or_expr(self) -> _Node:
        node = self.and_expr()
        while self.at_word("or"):
            self.take()
            node = _either(node, self.and_expr())
        return node

    def and_expr(self) -> _Node:
        node = self.not_expr()
        while self.at_word("and"):
            self.take()
            node = _both(node, self.not_expr())
        return node

    def not_expr(self) -> _Node:
        if self.at_word("not"):
            self.take()
            inner = self.not_expr()
            return lambda env: not inner(env)
        return self.comparison()

    def comparison(self) -> _Node:
        left = self.operand()
        if self.at_word(*_COMPARISONS):
            op = self.take()[1].lower()
            right = self.operand()
            return lambda env: _compare(op, left(env), right(env))
        return left

    def operand(self) -> _Node:
        token = self.peek()
        if token is None:
            raise _bad("unexpected end")
        kind, value = token
        if value == "(":
            self.take()
            node = self.or_expr()
            self.take(")")
            return node
        self.take()
        if kind == "string":
            text = value[1:-1].replace("''", "'")
            return lambda env: text
        if kind == "datetime":
            moment = parse_time(value)
            return lambda env: moment
        if kind == "number":
            number = float(value)
            return lambda env: number
        if kind != "name":
            raise _bad(f"unexpected '{value}'")
        lowered = value.lower()
        if lowered in ("true", "false"):
            flag = lowered == "true"
            return lambda env: flag
        if lowered == "null":
            return lambda env: None
        if lowered in _FUNCTIONS and self.peek() == ("punct", "("):
            return self.function(lowered)
        segments = value.split("/")
        if segments[-1].lower() in ("any", "all") and self.peek() == ("punct", "("):
            return self.lambda_(segments[:-1], segments[-1].lower())
        return self.path(segments)

    def function(self, name: str) -> _Node:
        self.take("(")
        subject = self.operand()
        self.take(",")
        needle = self.operand()
        self.take(")")

        def call(env: dict[str, Any]) -> bool:
            haystack, text = subject(env), needle(env)
            if not isinstance(haystack, str) or not isinstance(text, str):
                return False
            haystack, text = haystack.lower(), text.lower()
            if name == "startswith":
                return haystack.startswith(text)
            if name == "endswith":
                return haystack.endswith(text)
            return text in haystack

        return call

    def lambda_(self, collection: list[str], quantifier: str) -> _Node:
        items = self.path(collection)
        self.take("(")
        variable = self.take()[1]
        self.take(":")
        self.variables.add(variable)
        body = self.or_expr()
        self.variables.discard(variable)
        self.take(")")

        def evaluate(env: dict[str, Any]) -> bool:
            values = items(env)
            if not isinstance(values, list):
                return False
            results = (bool(body({**env, variable: v})) for v in values)
            return any(results) if quantifier == "any" else all(results)

        return evaluate

    def path(self, segments: list[str]) -> _Node:
        head = segments[0]
        if head in self.variables:
            root_key, rest = head, segments[1:]
        else:
            if head.lower() not in self.properties:
                raise GraphError(
                    400,
                    "RequestBroker--ParseUri",
                    f"Could not find a property named '{head}' on type '{self.type_name}'.",
                )
            self.referenced.append(head)
            root_key, rest = "$it", segments

        def resolve(env: dict[str, Any]) -> Any:
            value: Any = env.get(root_key)
            for segment in rest:
                if not isinstance(value, Mapping):
                    return None
                value = _get(value, segment)
            return value

        return resolve


def _either(left: _Node, right: _Node) -> _Node:
    return lambda env: bool(left(env)) or bool(right(env))


def _both(left: _Node, right: _Node) -> _Node:
    return lambda env: bool(left(env)) and bool(right(env))


def _get(mapping: Mapping[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    return next((v for k, v in mapping.items() if k.lower() == lowered), None)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, datetime) or isinstance(right, datetime):
        try:
            left = parse_time(left) if isinstance(left, str) else left
            right = parse_time(right) if isinstance(right, str) else right
        except ValueError:
            return False
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False


def compile_filter(
    text: str, properties: frozenset[str], type_name: str
) -> tuple[Predicate, list[str]]:
    """A predicate over a rendered resource, and the properties in order of reference."""
    parser = _Parser(text, properties, type_name)
    node = parser.parse()
    return (lambda resource: bool(node({"$it": resource}))), parser.referenced


# --------------------------------------------------------------------- $search

_SEARCH_FIELDS = {"from", "to", "cc", "bcc", "participants", "subject", "body"}


def compile_search(text: str) -> Predicate:
    """A predicate for a ``$search`` value (see the module docstring)."""
    value = text.strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1]
    terms = re.findall(r'(\w+:)?("[^"]*"|\S+)', value)
    if not terms:
        raise GraphError(400, "BadRequest", "Syntax error: empty $search")
    checks: list[tuple[str | None, str]] = []
    for prefix, raw in terms:
        if raw.upper() in ("AND",) and not prefix:
            continue
        field = prefix[:-1].lower() if prefix else None
        if field is not None and field not in _SEARCH_FIELDS:
            raise GraphError(400, "BadRequest", f"Syntax error: unsupported $search field {field}")
        checks.append((field, raw.strip('"').lower()))

    def matches(message: Mapping[str, Any]) -> bool:
        return all(_search_term(message, field, needle) for field, needle in checks)

    return matches


def _people(message: Mapping[str, Any], *fields: str) -> list[str]:
    found: list[str] = []
    for name in fields:
        value = message.get(name)
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if isinstance(entry, Mapping):
                address = entry.get("emailAddress") or {}
                found.append(str(address.get("address") or "").lower())
                found.append(str(address.get("name") or "").lower())
    return found


def _search_term(message: Mapping[str, Any], field: str | None, needle: str) -> bool:
    body = message.get("body") or {}
    texts = {
        "subject": [str(message.get("subject") or "").lower()],
        "body": [str(body.get("content") or "").lower()],
        "from": _people(message, "from"),
        "to": _people(message, "toRecipients"),
        "cc": _people(message, "ccRecipients"),
        "bcc": _people(message, "bccRecipients"),
    }
    texts["participants"] = texts["from"] + texts["to"] + texts["cc"] + texts["bcc"]
    if field is None:
        candidates = texts["subject"] + texts["body"] + texts["participants"]
    else:
        candidates = texts[field]
    return any(needle in candidate for candidate in candidates)


def select(
    resource: Mapping[str, Any], wanted: str | None, properties: frozenset[str], type_name: str
) -> dict[str, Any]:
    """Apply ``$select``: the named properties plus ``id`` and ``@odata.etag``."""
    if not wanted:
        return dict(resource)
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    for name in names:
        if name not in properties:
            raise GraphError(
                400,
                "RequestBroker--ParseUri",
                f"Could not find a property named '{name}' on type '{type_name}'.",
            )
    keep = {"id", "@odata.etag", "@odata.type", "@removed", *names}
    return {k: v for k, v in resource.items() if k in keep}
