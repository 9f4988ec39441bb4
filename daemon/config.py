"""Reading and checking ``config.toml`` (SPEC section 5).

``load_config`` reads the file and ``parse_config`` checks already-parsed TOML. Both report
every problem at once in one ``ConfigError``: one line per problem, naming the key and the fix.
Values that may hold a secret (database URLs, endpoints) are never repeated in a message.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeAlias, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import platformdirs

from daemon.domain.language import AUTO, LANGUAGE_SETTINGS, Language
from daemon.domain.rules import Rules
from daemon.errors import ConfigError, UserError

APP_NAME = "interview-outreach"
CONFIG_ENV = "INTERVIEW_OUTREACH_CONFIG"
PROVIDERS = ("google", "microsoft", "local")
DEFAULT_AUTHORITY = "https://login.microsoftonline.com/common"
DEFAULT_GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"
DEFAULT_GOOGLE_CALENDARS = ("primary",)
DEFAULT_POLL_SECONDS = 300
MIN_POLL_SECONDS = 30
SECRET_STORES = ("keyring", "file")
TOKEN_FILE_NAME = "tokens.json"  # noqa: S105 - a file name, not a secret
MAX_HIGHLIGHTS = 2
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_SECTIONS = ("profile", "rules", "storage", "daemon", "secrets", "accounts")
_HIGHLIGHTS_IN = {language: f"highlights_{language.value}" for language in Language}
_PROFILE_KEYS = (
    "name",
    "timezone",
    "highlights",
    "signature",
    "language",
    *_HIGHLIGHTS_IN.values(),
)
_ACCOUNT_KEYS: Mapping[str, tuple[str, ...]] = {
    "google": ("client_secrets", "calendars", "api_endpoint"),
    "microsoft": ("client_id", "authority", "graph_endpoint"),
    "local": ("address", "calendar", "maildir", "drafts", "sent"),
}
_COMMON_ACCOUNT_KEYS = ("name", "provider", "language")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9_-]+")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_DOMAIN = re.compile(r"[^\s@/.]+(\.[^\s@/.]+)+")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = " (at end of document)"

_T = TypeVar("_T")


# ---------------------------------------------------------------------------------------------
# The configuration, as the rest of the program sees it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """The job seeker: who the drafts are from, in which time zone, with which highlights,
    in which language ("auto": each invitation's own)."""

    name: str
    timezone: ZoneInfo
    highlights: tuple[str, ...] = ()
    signature: str = ""
    language: str = AUTO
    # The highlights written in one draft language, where they differ from ``highlights``.
    translated_highlights: tuple[tuple[Language, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        if not self.signature:
            object.__setattr__(self, "signature", self.name)

    def highlights_in(self, language: Language) -> tuple[str, ...]:
        """The highlights a draft in ``language`` mentions: its own list, else ``highlights``."""
        return dict(self.translated_highlights).get(language, self.highlights)


@dataclass(frozen=True)
class StorageSettings:
    """Where the state database lives (an SQLAlchemy URL)."""

    url: str


@dataclass(frozen=True)
class DaemonSettings:
    """How the background service runs."""

    poll_seconds: int = DEFAULT_POLL_SECONDS
    notifications: bool = True


@dataclass(frozen=True)
class SecretsSettings:
    """Where account tokens are kept: the OS keyring, or (opted in) an unencrypted file."""

    store: str = "keyring"
    file: Path | None = None  # the token file when ``store == "file"``


@dataclass(frozen=True)
class LocalAccount:
    """A local vdir calendar (or one .ics file) and a Maildir."""

    name: str
    address: str
    calendar: Path
    maildir: Path
    drafts: Path
    sent: Path
    provider: str = field(default="local", kw_only=True)
    language: str | None = field(default=None, kw_only=True)  # None: the profile's


@dataclass(frozen=True)
class GoogleAccount:
    """A Google account: Google Calendar and Gmail."""

    name: str
    client_secrets: Path
    calendars: tuple[str, ...] = DEFAULT_GOOGLE_CALENDARS
    api_endpoint: str | None = None
    provider: str = field(default="google", kw_only=True)
    language: str | None = field(default=None, kw_only=True)  # None: the profile's


@dataclass(frozen=True)
class MicrosoftAccount:
    """A Microsoft 365 / Outlook.com account, reached through Microsoft Graph."""

    name: str
    client_id: str
    authority: str = DEFAULT_AUTHORITY
    graph_endpoint: str = DEFAULT_GRAPH_ENDPOINT
    provider: str = field(default="microsoft", kw_only=True)
    language: str | None = field(default=None, kw_only=True)  # None: the profile's


AccountConfig: TypeAlias = LocalAccount | GoogleAccount | MicrosoftAccount


@dataclass(frozen=True)
class Config:
    """The whole, checked configuration."""

    profile: Profile
    rules: Rules
    storage: StorageSettings
    daemon: DaemonSettings
    accounts: tuple[AccountConfig, ...]
    source: Path | None
    templates_dir: Path
    secrets: SecretsSettings = field(default_factory=SecretsSettings)

    def account(self, name: str) -> AccountConfig:
        """The account called ``name``; a ``UserError`` listing the configured ones otherwise."""
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(f'"{account.name}"' for account in self.accounts)
        where = f" in {self.source}" if self.source else ""
        raise UserError(
            f'unknown account "{name}"; use one of {known}, or add it as [[accounts]]{where}'
        )


# ---------------------------------------------------------------------------------------------
# Where things are
# ---------------------------------------------------------------------------------------------


def default_config_path(env: Mapping[str, str]) -> Path:
    """``$INTERVIEW_OUTREACH_CONFIG``, else ``$XDG_CONFIG_HOME/interview-outreach/config.toml``."""
    explicit = env.get(CONFIG_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    return _config_home(env) / APP_NAME / "config.toml"


def default_database_url() -> str:
    """An SQLite file in the user data folder (``~/.local/share/interview-outreach`` on Linux)."""
    return f"sqlite:///{platformdirs.user_data_dir(APP_NAME)}/{APP_NAME}.db"


def default_token_file() -> Path:
    """The opted-in token file: ``tokens.json`` in the user data folder."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / TOKEN_FILE_NAME


def system_timezone(env: Mapping[str, str], localtime: Path = Path("/etc/localtime")) -> ZoneInfo:
    """The system's time zone: ``$TZ``, else where ``/etc/localtime`` points, else UTC."""
    for key in (_zone_key_from_tz(env.get("TZ", "")), _zone_key_from_link(localtime)):
        zone = _zone(key)
        if zone is not None:
            return zone
    return ZoneInfo("UTC")


def system_timezone_origin(
    env: Mapping[str, str], localtime: Path = Path("/etc/localtime")
) -> str | None:
    """Where :func:`system_timezone` found the zone (``$TZ`` or the link), ``None`` if nowhere."""
    if _zone(_zone_key_from_tz(env.get("TZ", ""))) is not None:
        return "$TZ"
    if _zone(_zone_key_from_link(localtime)) is not None:
        return str(localtime)
    return None


def _config_home(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_CONFIG_HOME", "")
    # The XDG spec says relative values are invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg)
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".config"


def _zone_key_from_tz(value: str) -> str:
    value = value.strip().removeprefix(":")
    return _zone_key_from_path(value) if value.startswith("/") else value


def _zone_key_from_link(localtime: Path) -> str:
    try:
        return _zone_key_from_path(str(localtime.readlink()))
    except OSError:
        return ""


def _zone_key_from_path(path: str) -> str:
    marker = "zoneinfo/"
    index = path.rfind(marker)
    return path[index + len(marker) :] if index >= 0 else ""


def _zone(key: str) -> ZoneInfo | None:
    if not key:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and check the configuration file; ``ConfigError`` lists every problem found."""
    env = os.environ if env is None else env
    source = (path or default_config_path(env)).expanduser().absolute()
    config = parse_config(_read_toml(source), base_dir=source.parent, env=env)
    return replace(config, source=source)


def parse_config(data: Mapping[str, object], *, base_dir: Path, env: Mapping[str, str]) -> Config:
    """Check parsed TOML; relative paths are taken from ``base_dir`` (the config's folder)."""
    problems: list[str] = []
    root = _Table(data, "", problems)
    root.check_keys(_SECTIONS)
    profile = _profile(root.table("profile"), env)
    rules = _rules(root.table("rules"))
    storage = _storage(root.table("storage"), base_dir)
    daemon = _daemon(root.table("daemon"))
    secrets = _secrets(root.table("secrets"), base_dir)
    accounts = _accounts(root, base_dir)
    if problems:
        raise ConfigError(problems)
    return Config(
        profile=profile,
        rules=rules,
        storage=storage,
        daemon=daemon,
        accounts=accounts,
        source=None,
        templates_dir=base_dir / "templates",
        secrets=secrets,
    )


def _read_toml(path: Path) -> dict[str, object]:
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
        raise ConfigError(_syntax_problem(path, text, str(error))) from error


def _syntax_problem(path: Path, text: str, message: str) -> str:
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


class _Table:
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

    def check_keys(self, allowed: Sequence[str], provider: str | None = None) -> None:
        """Report every key not in ``allowed``, suggesting the nearest allowed one."""
        for name in self._data:
            if name not in allowed:
                self.problem(name, _unknown_key(name, allowed, provider))

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
        self.problem(name, f"expected {expected}, found {_describe(value)}; {fix}")
        return None

    def table(self, name: str) -> _Table:
        """The sub-table ``[name]`` (empty when absent or not a table)."""
        fix = f"write it as a [{self.key(name)}] section with its keys on the lines below"
        value = self._typed(name, dict, "a table", "", fix)
        broken = value is None and name in self._data
        return _Table(value or {}, self.key(name), self.problems, broken=broken)

    def tables(self, name: str) -> list[_Table] | None:
        """The ``[[name]]`` array of tables; None when absent or not such an array."""
        if name not in self._data:
            return None
        value = self._data[name]
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return [
                _Table(item, f"{self.key(name)}[{index}]", self.problems, f"to this [[{name}]]")
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
                    f"expected non-empty text in quotes, found {_describe(item)}; "
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
            self.problem(name, f"{_show(value)} is not {what}; use one of {listed}")
            return None
        return value

    def clock(self, name: str, default: time) -> time:
        """A time of day written "HH:MM" (or a TOML local time such as 09:00:00)."""
        if name not in self._data:
            return default
        value = self._data[name]
        if isinstance(value, time) and value.tzinfo is None:
            return value
        parsed = _parse_clock(value) if isinstance(value, str) else None
        if parsed is None:
            shown = _show(value) if isinstance(value, str) else _describe(value)
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
            self.problem(name, f"{_show(value)}: cannot tell where ~ is; write the full path")
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


def _unknown_key(name: str, allowed: Sequence[str], provider: str | None) -> str:
    if provider is not None:
        for owner, keys in _ACCOUNT_KEYS.items():
            if name in keys:
                return (
                    f'unknown key for a "{provider}" account ({name} belongs to "{owner}" '
                    f'accounts); remove it, or set provider = "{owner}"'
                )
    close = difflib.get_close_matches(name, allowed, n=1)
    if close:
        return f'unknown key; did you mean "{close[0]}"?'
    listed = ", ".join(f'"{key}"' for key in allowed)
    return f"unknown key; remove it (the keys allowed here are {listed})"


def _parse_clock(text: str) -> time | None:
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _show(value: str) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:56] + '…"'


def _describe(value: object) -> str:
    """How a TOML value looks to the user, e.g. 'the text "300"' or 'true (a yes/no value)'."""
    if isinstance(value, str):
        return f"the text {_show(value)}"
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


# ---------------------------------------------------------------------------------------------
# The sections
# ---------------------------------------------------------------------------------------------


def _profile(table: _Table, env: Mapping[str, str]) -> Profile:
    table.check_keys(_PROFILE_KEYS)
    name = table.required_text("name", '"Ada Lovelace"')
    translated = tuple(
        (language, _highlights(table, key))
        for language, key in _HIGHLIGHTS_IN.items()
        if table.has(key)
    )
    return Profile(
        name=name,
        timezone=_timezone(table, env),
        highlights=_highlights(table, "highlights"),
        signature=table.text("signature", '"Ada Lovelace"') or name,
        language=_language(table) or AUTO,
        translated_highlights=translated,
    )


def _highlights(table: _Table, key: str) -> tuple[str, ...]:
    highlights = table.texts(key, '["10 years of Python", "led a team of 5"]') or ()
    if len(highlights) > MAX_HIGHLIGHTS:
        table.problem(
            key,
            f"{len(highlights)} facts given; keep the {MAX_HIGHLIGHTS} strongest "
            "(a thank-you note mentions one or two)",
        )
    return highlights[:MAX_HIGHLIGHTS]


def _language(table: _Table) -> str | None:
    """The optional ``language`` key: "auto" or a draft language; None when absent."""
    value = table.text("language", '"auto"')
    if value is None:
        return None
    if value.lower() in LANGUAGE_SETTINGS:
        return value.lower()
    listed = ", ".join(f'"{setting}"' for setting in LANGUAGE_SETTINGS)
    table.problem(
        "language",
        f"{_show(value)} is not a language the drafts can be written in; use one of {listed} "
        '("auto" writes each draft in the language of its invitation)',
    )
    return None


def _timezone(table: _Table, env: Mapping[str, str]) -> ZoneInfo:
    key = table.text("timezone", '"Europe/London"')
    if key is None:
        return system_timezone(env)
    zone = _zone(key)
    if zone is not None:
        return zone
    close = difflib.get_close_matches(key, sorted(available_timezones()), n=1)
    fix = f'did you mean "{close[0]}"?' if close else 'use a name like "Europe/London"'
    table.problem("timezone", f"{_show(key)} is not a time zone name; {fix}")
    return ZoneInfo("UTC")


def _rules(table: _Table) -> Rules:
    default = Rules()
    table.check_keys(_RULE_KEYS)
    before = len(table.problems)
    earliest = table.integer("outreach_earliest_days", default.outreach_earliest_days, 1)
    latest = table.integer("outreach_latest_days", default.outreach_latest_days, 0)
    if len(table.problems) == before and latest > earliest:
        table.problem(
            "outreach_latest_days",
            f"{latest} is more than outreach_earliest_days ({earliest}), so the window would "
            f"close before it opens; use {earliest} or less",
        )
    start, end = _working_hours(table, default)
    return Rules(
        outreach_earliest_days=earliest,
        outreach_latest_days=latest,
        draft_time=table.clock("draft_time", default.draft_time),
        followup_after_hours=table.integer("followup_after_hours", default.followup_after_hours, 1),
        followup_min_gap_hours=table.integer(
            "followup_min_gap_hours", default.followup_min_gap_hours, 0
        ),
        thankyou_after_minutes=table.integer(
            "thankyou_after_minutes", default.thankyou_after_minutes, 0
        ),
        thankyou_missed_hours=table.integer(
            "thankyou_missed_hours", default.thankyou_missed_hours, 1
        ),
        working_hours_start=start,
        working_hours_end=end,
        working_days=_working_days(table, default.working_days),
        screening_max_minutes=table.integer(
            "screening_max_minutes", default.screening_max_minutes, 1
        ),
        already_in_touch_messages=table.integer(
            "already_in_touch_messages", default.already_in_touch_messages, 1
        ),
        already_in_touch_days=table.integer(
            "already_in_touch_days", default.already_in_touch_days, 1
        ),
        back_and_forth_days=table.integer("back_and_forth_days", default.back_and_forth_days, 1),
        no_contact_domains=_domains(table),
        max_new_drafts_per_pass=table.integer(
            "max_new_drafts_per_pass", default.max_new_drafts_per_pass, 1
        ),
    )


_RULE_KEYS = (
    "outreach_earliest_days",
    "outreach_latest_days",
    "draft_time",
    "followup_after_hours",
    "followup_min_gap_hours",
    "thankyou_after_minutes",
    "thankyou_missed_hours",
    "working_hours",
    "working_days",
    "screening_max_minutes",
    "already_in_touch_messages",
    "already_in_touch_days",
    "back_and_forth_days",
    "no_contact_domains",
    "max_new_drafts_per_pass",
)


def _working_hours(table: _Table, default: Rules) -> tuple[time, time]:
    fallback = (default.working_hours_start, default.working_hours_end)
    text = table.text("working_hours", '"09:00-18:00"')
    if text is None:
        return fallback
    start_text, dash, end_text = text.partition("-")
    start, end = _parse_clock(start_text), _parse_clock(end_text)
    if not dash or start is None or end is None:
        table.problem(
            "working_hours",
            f'{_show(text)} is not a time range; use "HH:MM-HH:MM", e.g. "09:00-18:00"',
        )
        return fallback
    if start >= end:
        table.problem(
            "working_hours",
            f'{_show(text)} does not start before it ends; use e.g. "09:00-18:00"',
        )
        return fallback
    return start, end


def _working_days(table: _Table, default: frozenset[int]) -> frozenset[int]:
    days = table.texts("working_days", '["mon", "tue", "wed", "thu", "fri"]')
    if days is None:
        return default
    if not days:
        table.problem(
            "working_days",
            'is empty; list at least one day, e.g. ["mon", "tue", "wed", "thu", "fri"]',
        )
        return default
    numbers: set[int] = set()
    for index, day in enumerate(days):
        number = _weekday(day)
        key = f"working_days[{index}]"
        if number is None:
            table.problem(key, f'{_show(day)} is not a day; use "mon", "tue", … or "sun"')
        elif number in numbers:
            table.problem(key, f"{_show(day)} is listed twice; list each day once")
        else:
            numbers.add(number)
    return frozenset(numbers) if numbers else default


def _weekday(day: str) -> int | None:
    lowered = day.lower()
    for names in (WEEKDAYS, _FULL_DAY_NAMES):
        if lowered in names:
            return names.index(lowered)
    return None


def _domains(table: _Table) -> frozenset[str]:
    items = table.texts("no_contact_domains", '["example.com"]') or ()
    domains: set[str] = set()
    for index, item in enumerate(items):
        domain = item.lower().removeprefix("@")
        if _DOMAIN.fullmatch(domain):
            domains.add(domain)
        else:
            table.problem(
                f"no_contact_domains[{index}]",
                f'{_show(item)} is not a mail domain; write it like "example.com"',
            )
    return frozenset(domains)


def _storage(table: _Table, base_dir: Path) -> StorageSettings:
    table.check_keys(("url",))
    url = table.text("url", '"sqlite:///~/interview-outreach.db"')
    if url is None:
        return StorageSettings(default_database_url())
    if url.startswith("sqlite://"):
        return StorageSettings(_sqlite_url(url, base_dir))
    if re.match(r"postgresql(\+\w+)?://", url):
        return StorageSettings(url)
    if url.startswith("postgres://"):
        fix = 'write "postgresql+psycopg://" instead of "postgres://"'
    else:
        fix = 'use "sqlite:///path/to/file.db" or "postgresql+psycopg://user@host/database"'
    table.problem("url", f"not a database address this program can use; {fix}")
    return StorageSettings(default_database_url())


def _sqlite_url(url: str, base_dir: Path) -> str:
    """Expand ``~`` and anchor a relative file at ``base_dir``; in-memory URLs stay as they are."""
    rest = url.removeprefix("sqlite://")
    if not rest.startswith("/"):
        return url
    file, question, query = rest[1:].partition("?")
    if file in ("", ":memory:"):
        return url
    path = base_dir / Path(file).expanduser()
    return f"sqlite:///{path}{question}{query}"


def _daemon(table: _Table) -> DaemonSettings:
    table.check_keys(("poll_seconds", "notifications"))
    return DaemonSettings(
        poll_seconds=table.integer("poll_seconds", DEFAULT_POLL_SECONDS, MIN_POLL_SECONDS),
        notifications=table.boolean("notifications", default=True),
    )


def _secrets(table: _Table, base_dir: Path) -> SecretsSettings:
    table.check_keys(("store", "file"))
    store = "keyring"
    if table.has("store"):
        store = table.choice("store", SECRET_STORES, "a place to keep tokens") or "keyring"
    file = table.path(
        "file", base_dir, '"~/.local/share/interview-outreach/tokens.json"', required=False
    )
    if file is not None and file.is_dir():
        table.problem(
            "file", f"{file} is a folder; give the path of a file, e.g. {file / TOKEN_FILE_NAME}"
        )
    if store != "file":
        return SecretsSettings()  # ``file`` alone never moves tokens out of the keyring
    return SecretsSettings(store="file", file=file or default_token_file())


# ---------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------


def _accounts(root: _Table, base_dir: Path) -> tuple[AccountConfig, ...]:
    tables = root.tables("accounts")
    if tables is None and root.has("accounts"):
        return ()
    if not tables:
        root.problem(
            "accounts",
            "no account configured; add an [[accounts]] section "
            "(config.example.toml shows one for each provider)",
        )
        return ()
    accounts: list[AccountConfig] = []
    first_use: dict[str, int] = {}
    for index, table in enumerate(tables):
        name = _account_name(table)
        if name in first_use:
            table.problem(
                "name",
                f"{_show(name)} is already the name of accounts[{first_use[name]}]; "
                "give each account its own name",
            )
        elif name:
            first_use[name] = index
        account = _account(table, name, base_dir)
        if account is not None:
            accounts.append(account)
    return tuple(accounts)


def _account_name(table: _Table) -> str:
    name = table.required_text("name", '"personal"')
    if name and not _ACCOUNT_NAME.fullmatch(name):
        table.problem(
            "name",
            f"{_show(name)} cannot be typed easily on the command line; use only letters, digits, "
            '"-" and "_", e.g. "work"',
        )
    return name


def _account(table: _Table, name: str, base_dir: Path) -> AccountConfig | None:
    provider = table.choice("provider", PROVIDERS, "a provider")
    if provider is None:
        every_key = [key for keys in _ACCOUNT_KEYS.values() for key in keys]
        table.check_keys([*_COMMON_ACCOUNT_KEYS, *every_key])
        return None
    table.check_keys([*_COMMON_ACCOUNT_KEYS, *_ACCOUNT_KEYS[provider]], provider)
    language = _language(table)
    account: AccountConfig | None
    if provider == "google":
        account = _google_account(table, name, base_dir)
    elif provider == "microsoft":
        account = _microsoft_account(table, name)
    else:
        account = _local_account(table, name, base_dir)
    return account if account is None else replace(account, language=language)


def _google_account(table: _Table, name: str, base_dir: Path) -> GoogleAccount | None:
    secrets = table.path(
        "client_secrets",
        base_dir,
        '"~/.config/interview-outreach/google-client.json"',
        required=True,
    )
    calendars = table.texts("calendars", '["primary"]')
    if calendars == ():
        table.problem("calendars", 'is empty; list at least one calendar, e.g. ["primary"]')
    endpoint = table.url("api_endpoint", '"https://proxy.example.org"', loopback_http=True)
    if secrets is None:
        return None
    return GoogleAccount(
        name=name,
        client_secrets=secrets,
        calendars=tuple(dict.fromkeys(calendars or DEFAULT_GOOGLE_CALENDARS)),
        api_endpoint=endpoint,
    )


def _microsoft_account(table: _Table, name: str) -> MicrosoftAccount:
    return MicrosoftAccount(
        name=name,
        client_id=table.required_text("client_id", '"00000000-0000-0000-0000-000000000000"'),
        authority=table.url("authority", f'"{DEFAULT_AUTHORITY}"', loopback_http=False)
        or DEFAULT_AUTHORITY,
        graph_endpoint=table.url(
            "graph_endpoint", f'"{DEFAULT_GRAPH_ENDPOINT}"', loopback_http=False
        )
        or DEFAULT_GRAPH_ENDPOINT,
    )


def _local_account(table: _Table, name: str, base_dir: Path) -> LocalAccount | None:
    address = _address(table)
    calendar = table.path("calendar", base_dir, '"~/.calendars/personal"', required=True)
    if calendar is not None:
        _check_calendar(table, calendar)
    maildir = table.path("maildir", base_dir, '"~/Mail/personal"', required=True)
    if maildir is not None:
        _check_folder(table, "maildir", maildir, must_exist=True)
    drafts = table.path("drafts", base_dir, '"~/Mail/personal/.Drafts"', required=False)
    sent = table.path("sent", base_dir, '"~/Mail/personal/.Sent"', required=False)
    for key, folder in (("drafts", drafts), ("sent", sent)):
        if folder is not None:
            _check_folder(table, key, folder, must_exist=False)
    if calendar is None or maildir is None:
        return None
    return LocalAccount(
        name=name,
        address=address,
        calendar=calendar,
        maildir=maildir,
        drafts=drafts or maildir / ".Drafts",
        sent=sent or maildir / ".Sent",
    )


def _address(table: _Table) -> str:
    address = table.required_text("address", '"ada@example.org"').lower()
    local, _, domain = address.partition("@")
    looks_right = (
        address.count("@") == 1
        and local
        and "." in domain.strip(".")
        and not any(char.isspace() for char in address)
    )
    if address and not looks_right:
        table.problem(
            "address",
            f"{_show(address)} is not an email address; write this mailbox's address, e.g. "
            '"ada@example.org"',
        )
    return address


def _check_calendar(table: _Table, path: Path) -> None:
    if not path.exists():
        table.problem("calendar", f"{path} does not exist; create the folder or fix the path")
    elif not (path.is_dir() or path.suffix.lower() == ".ics"):
        table.problem(
            "calendar",
            f"{path} is neither a folder nor an .ics file; point it at a folder of .ics files "
            "or at one .ics file",
        )


def _check_folder(table: _Table, key: str, path: Path, *, must_exist: bool) -> None:
    if must_exist and not path.exists():
        table.problem(key, f"{path} does not exist; create the folder or fix the path")
    elif path.exists() and not path.is_dir():
        table.problem(key, f"{path} is a file, not a folder; point it at a folder")
