"""The Google provider as the daemon picks it by name (see :mod:`providers.registry`).

Light on purpose: google-api-python-client and google-auth are imported by ``connect`` and
``authorize`` only, for an account that uses them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from interview_outreach.daemon.config.reader import Table
from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.daemon.ports import IndexFactory
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.providers.google.settings import (
    SETTINGS_KEYS,
    GoogleAccount,
    parse_google_account,
)
from interview_outreach.providers.provider import (
    Connection,
    Provider,
    TokenStatus,
    recorded_address,
    saved_entry,
)


class GoogleProvider:
    """Google Calendar and Gmail, signed in once with OAuth (tokens in the token store)."""

    name = "google"
    settings_keys = SETTINGS_KEYS
    no_authorization = None

    def parse_settings(self, table: Table, name: str, base_dir: Path) -> GoogleAccount | None:
        """The client secrets file, calendars and endpoint (see :func:`parse_google_account`)."""
        return parse_google_account(table, name, base_dir)

    def connect(
        self,
        account: GoogleAccount,
        user: UserIdentity,
        tokens: TokenStore,
        message_index: IndexFactory | None,
    ) -> Connection:
        """Calendar and Gmail from the saved authorization (no index of headers is kept)."""
        from interview_outreach.providers.google.connection import connect  # noqa: PLC0415 (see module doc)

        return connect(account, user, tokens)

    def authorize(
        self,
        account: GoogleAccount,
        tokens: TokenStore,
        *,
        no_browser: bool,
        browser: bool,
        say: Callable[[str], None],
    ) -> str:
        """The consent flow in a browser (``no_browser``: print the address to open)."""
        from interview_outreach.providers.google.connection import authorize  # noqa: PLC0415 (see module doc)

        return authorize(account, tokens, open_browser=not no_browser, say=say)

    def token_status(self, account: GoogleAccount, saved: str | None) -> TokenStatus:
        """Authorized with a saved refresh token, usable while the client file is there."""
        entry = saved_entry(saved)
        address = recorded_address(entry)
        if not entry.get("refresh_token"):
            return TokenStatus(authorized=False, address=address)
        if not account.client_secrets.is_file():
            return TokenStatus(
                authorized=True,
                address=address,
                problem=f"the OAuth client file {account.client_secrets} is missing",
                fix="download the OAuth client (Desktop app) JSON from the Google Cloud console "
                "to that path",
            )
        return TokenStatus(authorized=True, address=address)


PROVIDER: Provider[GoogleAccount] = GoogleProvider()
