"""A Google account's settings: the keys of its ``[[accounts]]`` entry, checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from interview_outreach.daemon.config.model import AccountConfig
from interview_outreach.daemon.config.reader import Table

DEFAULT_GOOGLE_CALENDARS = ("primary",)
SETTINGS_KEYS = ("client_secrets", "calendars", "api_endpoint")


@dataclass(frozen=True)
class GoogleAccount(AccountConfig):
    """A Google account: Google Calendar and Gmail."""

    client_secrets: Path
    calendars: tuple[str, ...] = DEFAULT_GOOGLE_CALENDARS
    api_endpoint: str | None = None
    provider: str = field(default="google", kw_only=True)


def parse_google_account(table: Table, name: str, base_dir: Path) -> GoogleAccount | None:
    """A Google ``[[accounts]]`` entry; ``None`` when its client secrets path is unusable."""
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
