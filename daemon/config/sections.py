"""The parsers of the configuration's sections other than ``[[accounts]]``: ``[profile]``,
``[rules]``, ``[storage]``, ``[daemon]`` and ``[secrets]``."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from interview_outreach.daemon.config.model import (
    DEFAULT_POLL_SECONDS,
    DaemonSettings,
    Profile,
    SecretsSettings,
    StorageSettings,
)
from interview_outreach.daemon.config.paths import (
    TOKEN_FILE_NAME,
    default_database_url,
    default_token_file,
    system_timezone,
    zone,
)
from interview_outreach.daemon.config.reader import Table, parse_clock, show
from interview_outreach.daemon.domain.language import AUTO, LANGUAGE_SETTINGS, Language
from interview_outreach.daemon.domain.rules import Rules

MIN_POLL_SECONDS = 30
SECRET_STORES = ("keyring", "file")
MAX_HIGHLIGHTS = 2
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HIGHLIGHTS_IN = {language: f"highlights_{language.value}" for language in Language}
_PROFILE_KEYS = (
    "name",
    "timezone",
    "highlights",
    "signature",
    "language",
    *_HIGHLIGHTS_IN.values(),
)
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DOMAIN = re.compile(r"[^\s@/.]+(\.[^\s@/.]+)+")


def parse_profile(table: Table, env: Mapping[str, str]) -> Profile:
    """``[profile]``: the user's name, time zone, highlights, signature and draft language."""
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
        language=draft_language(table) or AUTO,
        translated_highlights=translated,
    )


def _highlights(table: Table, key: str) -> tuple[str, ...]:
    highlights = table.texts(key, '["10 years of Python", "led a team of 5"]') or ()
    if len(highlights) > MAX_HIGHLIGHTS:
        table.problem(
            key,
            f"{len(highlights)} facts given; keep the {MAX_HIGHLIGHTS} strongest "
            "(a thank-you note mentions one or two)",
        )
    return highlights[:MAX_HIGHLIGHTS]


def draft_language(table: Table) -> str | None:
    """The optional ``language`` key: "auto" or a draft language; None when absent."""
    value = table.text("language", '"auto"')
    if value is None:
        return None
    if value.lower() in LANGUAGE_SETTINGS:
        return value.lower()
    listed = ", ".join(f'"{setting}"' for setting in LANGUAGE_SETTINGS)
    table.problem(
        "language",
        f"{show(value)} is not a language the drafts can be written in; use one of {listed} "
        '("auto" writes each draft in the language of its invitation)',
    )
    return None


def _timezone(table: Table, env: Mapping[str, str]) -> ZoneInfo:
    key = table.text("timezone", '"Europe/London"')
    if key is None:
        return system_timezone(env)
    found = zone(key)
    if found is not None:
        return found
    close = difflib.get_close_matches(key, sorted(available_timezones()), n=1)
    fix = f'did you mean "{close[0]}"?' if close else 'use a name like "Europe/London"'
    table.problem("timezone", f"{show(key)} is not a time zone name; {fix}")
    return ZoneInfo("UTC")


def parse_rules(table: Table) -> Rules:
    """``[rules]``: when drafts are due and whom they go to (defaults: the SPEC's)."""
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


def _working_hours(table: Table, default: Rules) -> tuple[time, time]:
    fallback = (default.working_hours_start, default.working_hours_end)
    text = table.text("working_hours", '"09:00-18:00"')
    if text is None:
        return fallback
    start_text, dash, end_text = text.partition("-")
    start, end = parse_clock(start_text), parse_clock(end_text)
    if not dash or start is None or end is None:
        table.problem(
            "working_hours",
            f'{show(text)} is not a time range; use "HH:MM-HH:MM", e.g. "09:00-18:00"',
        )
        return fallback
    if start >= end:
        table.problem(
            "working_hours",
            f'{show(text)} does not start before it ends; use e.g. "09:00-18:00"',
        )
        return fallback
    return start, end


def _working_days(table: Table, default: frozenset[int]) -> frozenset[int]:
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
            table.problem(key, f'{show(day)} is not a day; use "mon", "tue", … or "sun"')
        elif number in numbers:
            table.problem(key, f"{show(day)} is listed twice; list each day once")
        else:
            numbers.add(number)
    return frozenset(numbers) if numbers else default


def _weekday(day: str) -> int | None:
    lowered = day.lower()
    for names in (WEEKDAYS, _FULL_DAY_NAMES):
        if lowered in names:
            return names.index(lowered)
    return None


def _domains(table: Table) -> frozenset[str]:
    items = table.texts("no_contact_domains", '["example.com"]') or ()
    domains: set[str] = set()
    for index, item in enumerate(items):
        domain = item.lower().removeprefix("@")
        if _DOMAIN.fullmatch(domain):
            domains.add(domain)
        else:
            table.problem(
                f"no_contact_domains[{index}]",
                f'{show(item)} is not a mail domain; write it like "example.com"',
            )
    return frozenset(domains)


def parse_storage(table: Table, base_dir: Path) -> StorageSettings:
    """``[storage]``: the database URL (a relative SQLite file is taken from ``base_dir``)."""
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


def parse_daemon(table: Table) -> DaemonSettings:
    """``[daemon]``: how often the service runs a pass, and whether it notifies."""
    table.check_keys(("poll_seconds", "notifications"))
    return DaemonSettings(
        poll_seconds=table.integer("poll_seconds", DEFAULT_POLL_SECONDS, MIN_POLL_SECONDS),
        notifications=table.boolean("notifications", default=True),
    )


def parse_secrets(table: Table, base_dir: Path) -> SecretsSettings:
    """``[secrets]``: the keyring, or (opted in) an unencrypted token file."""
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
