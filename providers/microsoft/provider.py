"""The Microsoft provider as the daemon picks it by name (see :mod:`providers.registry`).

Light on purpose: MSAL and requests are imported by ``connect`` and ``authorize`` only, for
an account that uses them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from interview_outreach.daemon.config.reader import Table
from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.daemon.ports import IndexFactory
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.providers.microsoft.settings import (
    SETTINGS_KEYS,
    MicrosoftAccount,
    parse_microsoft_account,
)
from interview_outreach.providers.provider import (
    Connection,
    Provider,
    TokenStatus,
    recorded_address,
    saved_entry,
)


class MicrosoftProvider:
    """Outlook calendar and mail through Microsoft Graph, signed in once with MSAL."""

    name = "microsoft"
    settings_keys = SETTINGS_KEYS
    no_authorization = None

    def parse_settings(self, table: Table, name: str, base_dir: Path) -> MicrosoftAccount | None:
        """The client id, authority and Graph endpoint (see :func:`parse_microsoft_account`)."""
        return parse_microsoft_account(table, name)

    def connect(
        self,
        account: MicrosoftAccount,
        user: UserIdentity,
        tokens: TokenStore,
        message_index: IndexFactory | None,
    ) -> Connection:
        """Calendar and mail from the saved sign-in (no index of headers is kept)."""
        from interview_outreach.providers.microsoft.connection import connect  # noqa: PLC0415 (see module doc)

        return connect(account, user, tokens)

    def authorize(
        self,
        account: MicrosoftAccount,
        tokens: TokenStore,
        *,
        no_browser: bool,
        browser: bool,
        say: Callable[[str], None],
    ) -> str:
        """A device code by default (``no_browser`` means the same); ``browser`` opens one."""
        from interview_outreach.providers.microsoft.connection import authorize  # noqa: PLC0415 (see module doc)

        return authorize(account, tokens, browser=browser, say=say)

    def token_status(self, account: MicrosoftAccount, saved: str | None) -> TokenStatus:
        """Authorized when MSAL's saved cache holds a refresh token."""
        entry = saved_entry(saved)
        address = recorded_address(entry)
        cache = saved_entry(entry.get("cache"))
        return TokenStatus(authorized=bool(cache.get("RefreshToken")), address=address)


PROVIDER: Provider[MicrosoftAccount] = MicrosoftProvider()
