"""A Microsoft account's settings: the keys of its ``[[accounts]]`` entry, checked."""

from __future__ import annotations

from dataclasses import dataclass, field

from interview_outreach.daemon.config.model import AccountConfig
from interview_outreach.daemon.config.reader import Table

DEFAULT_AUTHORITY = "https://login.microsoftonline.com/common"
DEFAULT_GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"
SETTINGS_KEYS = ("client_id", "authority", "graph_endpoint")


@dataclass(frozen=True)
class MicrosoftAccount(AccountConfig):
    """A Microsoft 365 / Outlook.com account, reached through Microsoft Graph."""

    client_id: str
    authority: str = DEFAULT_AUTHORITY
    graph_endpoint: str = DEFAULT_GRAPH_ENDPOINT
    provider: str = field(default="microsoft", kw_only=True)


def parse_microsoft_account(table: Table, name: str) -> MicrosoftAccount:
    """A Microsoft ``[[accounts]]`` entry (its defaults: Microsoft's public cloud)."""
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
