"""The generic validating TOML reader: one table at a time, every problem collected.

Each problem is one line naming the key, what is wrong and the fix; unknown keys get the
nearest allowed one suggested, syntax errors their line and column. Values that may hold a
secret are never repeated in a message.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from interview_outreach.daemon.errors import ConfigError

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = " (at end of document)"

_T = TypeVar("_T")


def read_toml(path: Path) -> dict[str, object]:
    """The file's TOML; a ``ConfigError`` saying what is wrong (where, for a syntax error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ConfigError(
            f"{path}: no configuration file there; copy config.example.toml to this path and "
            'fill it in, or try the program first with "interview-outreach demo"'
        ) from error
    except IsADirectoryError as error:
        raise ConfigError(
            f"{path}: is a folder, not a file; give the path of your config.toml"
        ) from error
    except PermissionError as error:
        raise ConfigError(
            f"{path}: cannot be read (permission denied); make it readable: chmod u+r {path}"
        ) from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: is not UTF-8 text; save it as UTF-8") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror}); check the path") from error
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(syntax_problem(path, text, str(error))) from error


def syntax_problem(path: Path, text: str, message: str) -> str:
    """One line for a TOML syntax error: the file, line and column, the reason, the fix."""
    match = _TOML_POSITION.search(message)
    if match:
        reason = message[: match.start()]
        line, column = int(match.group(1)), int(match.group(2))
    else:
        reason = message.removesuffix(_TOML_AT_END)
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    return (
        f"{path}, line {line}, column {column}: not valid TOML ({reason}); fix the file there "
        "(config.example.toml shows the format)"
    )


# ---------------------------------------------------------------------------------------------
# Checking one table
# ---------------------------------------------------------------------------------------------


class Table:
    """One TOML table being checked.

    Each getter returns a valid value or a fallback, and records why it fell back, so that
    checking goes on and every problem is reported at once.
    """

    def __init__(
        self,
        data: Mapping[str, object],
        where: str,
        problems: list[str],
        place: str = "",
        *,
        broken: bool = False,
    ) -> None:
        self._data = data
        self._broken = broken  # not a table at all: its missing keys are not worth reporting
        self._where = where
        self._place = place or (f"under [{where}]" if where else "at the top of the file")
        self.problems = problems

    def key(self, name: str) -> str:
        """The full dotted name of ``name`` as shown to the user."""
        return f"{self._where}.{name}" if self._where else name

    def problem(self, name: str, message: str) -> None:
        """Record a problem with key ``name`` of this table."""
        self.problems.append(f"{self.key(name)}: {message}")

    def check_keys(
        self, allowed: Sequence[str], elsewhere: Callable[[str], str | None] | None = None
    ) -> None:
        """Report every key not in ``allowed``, suggesting the nearest allowed one.

        ``elsewhere`` may say, for a key not allowed here, where it belongs instead.
        """
        for name in self._data:
            if name not in allowed:
                explained = elsewhere(name) if elsewhere is not None else None
                self.problem(name, explained or unknown_key(name, allowed))

    def has(self, name: str) -> bool:
        """Whether the key ``name`` is present."""
        return name in self._data

    def missing(self, name: str, example: str) -> None:
        """Record that the required key ``name`` is absent."""
        if not self._broken:
            self.problem(name, f"missing; add {name} = {example} {self._place}")

    def _typed(
        self, name: str, kind: type[_T], expected: str, example: str, fix: str = ""
    ) -> _T | None:
        """The value of ``name`` if present and of type ``kind``; bool never counts as int."""
        if name not in self._data:
            return None
        value = self._data[name]
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        fix = fix or f"write e.g. {name} = {example}"
        self.problem(name, f"expected {expected}, found {describe(value)}; {fix}")
        return None

    def table(self, name: str) -> Table:
        """The sub-table ``[name]`` (empty when absent or not a table)."""
        fix = f"write it as a [{self.key(name)}] section with its keys on the lines below"
        value = self._typed(name, dict, "a table", "", fix)
        broken = value is None and name in self._data
        return Table(value or {}, self.key(name), self.problems, broken=broken)

    def tables(self, name: str) -> list[Table] | None:
        """The ``[[name]]`` array of tables; None when absent or not such an array."""
        if name not in self._data:
            return None
        value = self._data[name]
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return [
                Table(item, f"{self.key(name)}[{index}]", self.problems, f"to this [[{name}]]")
                for index, item in enumerate(value)
            ]
        self.problem(
            name, f"write each entry as its own [[{name}]] section (two brackets on each side)"
        )
        return None

    def integer(self, name: str, default: int, minimum: int) -> int:
        """A whole number of at least ``minimum``."""
        value = self._typed(name, int, "a whole number", str(default))
        if value is None:
            return default
        if value < minimum:
            self.problem(name, f"{value} is too small; use {minimum} or more")
            return default
        return value

    def text(self, name: str, example: str) -> str | None:
        """Non-empty text (surrounding blanks removed); None when absent or invalid."""
        value = self._typed(name, str, "text in quotes", example)
        if value is None:
            return None
        if not value.strip():
            self.problem(name, f"is empty; write e.g. {name} = {example} or remove the line")
            return None
        return value.strip()

    def required_text(self, name: str, example: str) -> str:
        """Like ``text`` but the key must be there; "" when it is not."""
        if name not in self._data:
            self.missing(name, example)
            return ""
        return self.text(name, example) or ""

    def texts(self, name: str, example: str) -> tuple[str, ...] | None:
        """A list of non-empty texts; None when absent or any item is invalid."""
        value = self._typed(name, list, "a list of texts in quotes", example)
        if value is None:
            return None
        items: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.problem(
                    f"{name}[{index}]",
                    f"expected non-empty text in quotes, found {describe(item)}; "
                    f"write e.g. {name} = {example}",
                )
            else:
                items.append(item.strip())
        return tuple(items) if len(items) == len(value) else None

    def boolean(self, name: str, default: bool) -> bool:
        """A yes/no value written ``true`` or ``false``."""
        value = self._typed(name, bool, "true or false", "true")
        return default if value is None else value

    def choice(self, name: str, options: Sequence[str], what: str) -> str | None:
        """One of ``options``; the key is required."""
        listed = ", ".join(f'"{option}"' for option in options)
        if name not in self._data:
            self.missing(name, f"one of {listed}")
            return None
        value = self.text(name, f'"{options[0]}"')
        if value is None:
            return None
        if value not in options:
            self.problem(name, f"{show(value)} is not {what}; use one of {listed}")
            return None
        return value

    def clock(self, name: str, default: time) -> time:
        """A time of day written "HH:MM" (or a TOML local time such as 09:00:00)."""
        if name not in self._data:
            return default
        value = self._data[name]
        if isinstance(value, time) and value.tzinfo is None:
            return value
        parsed = parse_clock(value) if isinstance(value, str) else None
        if parsed is None:
            shown = show(value) if isinstance(value, str) else describe(value)
            self.problem(name, f'{shown} is not a time; use "HH:MM", e.g. "{default:%H:%M}"')
            return default
        return parsed

    def path(self, name: str, base_dir: Path, example: str, *, required: bool) -> Path | None:
        """A path; ``~`` is expanded and relative paths are taken from ``base_dir``."""
        if required and name not in self._data:
            self.missing(name, example)
            return None
        value = self.text(name, example)
        if value is None:
            return None
        try:
            path = Path(value).expanduser()
        except RuntimeError:
            self.problem(name, f"{show(value)}: cannot tell where ~ is; write the full path")
            return None
        return (base_dir / path).resolve()

    def url(self, name: str, example: str, *, loopback_http: bool) -> str | None:
        """An https:// URL (http:// too for localhost when ``loopback_http``), no trailing /."""
        value = self.text(name, example)
        if value is None:
            return None
        parts = urlsplit(value)
        loopback = loopback_http and parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        if not parts.netloc or not (parts.scheme == "https" or loopback):
            allowed = "https://, or http:// for localhost only" if loopback_http else "https://"
            self.problem(
                name, f"not a web address starting with {allowed}; write e.g. {name} = {example}"
            )
            return None
        return value.rstrip("/")


def unknown_key(name: str, allowed: Sequence[str]) -> str:
    """Why ``name`` is refused: the nearest allowed key, else every allowed key."""
    close = difflib.get_close_matches(name, allowed, n=1)
    if close:
        return f'unknown key; did you mean "{close[0]}"?'
    listed = ", ".join(f'"{key}"' for key in allowed)
    return f"unknown key; remove it (the keys allowed here are {listed})"


def parse_clock(text: str) -> time | None:
    """A time of day written "HH:MM"; ``None`` when it is not one."""
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def show(value: str) -> str:
    """A text value as quoted in a message, cut short when long."""
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:56] + '…"'


def describe(value: object) -> str:
    """How a TOML value looks to the user, e.g. 'the text "300"' or 'true (a yes/no value)'."""
    if isinstance(value, str):
        return f"the text {show(value)}"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date | time):
        return f"the date/time {value.isoformat()}"
    return "a value of another kind"
