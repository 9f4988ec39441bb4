"""What every provider offers the daemon, through one object in ``providers/<name>/provider.py``.

The daemon picks a provider by name from :mod:`providers.registry` and calls it for its
account settings, for an opened calendar and mailbox, for a sign-in and for what its saved
tokens say. A provider object's module stays light: the client libraries it needs are
imported inside ``connect`` and ``authorize``, so nothing loads them for other accounts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from interview_outreach.daemon.config.model import AccountConfig
from interview_outreach.daemon.config.reader import Table
from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.daemon.ports import CalendarSource, IndexFactory, Mailbox
from interview_outreach.daemon.secrets import TokenStore

SettingsT = TypeVar("SettingsT", bound=AccountConfig)


@dataclass(frozen=True)
class Connection:
    """An opened account: its calendar, its mailbox, and how to release their connections."""

    calendar: CalendarSource
    mailbox: Mailbox
    close: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class TokenStatus:
    """What an account's saved tokens say, read without a network call."""

    authorized: bool  # a grant is saved that renews itself without the user
    address: str | None = None  # the address recorded at sign-in
    problem: str | None = None  # what else keeps an authorized account from working
    fix: str = ""  # how to remove ``problem``


class Provider(Protocol[SettingsT]):
    """One kind of account (Google, Microsoft, local files...) as the daemon uses it."""

    @property
    def name(self) -> str:
        """The ``provider`` value of its ``[[accounts]]`` entries."""
        ...

    @property
    def settings_keys(self) -> tuple[str, ...]:
        """The keys its ``[[accounts]]`` entries accept besides name, provider and language."""
        ...

    @property
    def no_authorization(self) -> str | None:
        """Why its accounts need no authorization, as ``auth`` says it; ``None``: they do."""
        ...

    def parse_settings(self, table: Table, name: str, base_dir: Path) -> SettingsT | None:
        """The account's settings from its ``[[accounts]]`` table; ``None`` when a required
        key is unusable (the table has recorded why). Paths are taken from ``base_dir``."""
        ...

    def connect(
        self,
        account: SettingsT,
        user: UserIdentity,
        tokens: TokenStore,
        message_index: IndexFactory | None,
    ) -> Connection:
        """Open the account's calendar and mailbox (``AuthorizationNeeded`` when not signed in).

        ``message_index`` gives an index of mail headers by account name, for a provider
        that keeps one.
        """
        ...

    def authorize(
        self,
        account: SettingsT,
        tokens: TokenStore,
        *,
        no_browser: bool,
        browser: bool,
        say: Callable[[str], None],
    ) -> str:
        """Sign in once (``auth``'s ``--no-browser``/``--browser`` as given), keep the tokens
        in ``tokens`` and return the account's address; ``say`` talks to the user."""
        ...

    def token_status(self, account: SettingsT, saved: str | None) -> TokenStatus:
        """What ``saved`` (the account's entry in the token store, if any) says."""
        ...


def saved_entry(saved: object) -> dict[str, Any]:
    """A token store entry as the JSON object it should be; empty when it is anything else."""
    if not isinstance(saved, str) or not saved:
        return {}
    try:
        value = json.loads(saved)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def recorded_address(entry: Mapping[str, Any]) -> str | None:
    """The address a token store entry (see :func:`saved_entry`) recorded at sign-in."""
    value = entry.get("address")
    return str(value) if value else None
