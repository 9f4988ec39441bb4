"""The local provider as the daemon picks it by name (see :mod:`providers.registry`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from interview_outreach.daemon.config.reader import Table
from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.daemon.errors import UserError
from interview_outreach.daemon.ports import IndexFactory
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.providers.local.settings import (
    SETTINGS_KEYS,
    LocalAccount,
    parse_local_account,
)
from interview_outreach.providers.provider import Connection, Provider, TokenStatus

NO_AUTHORIZATION = "a local account reads files and needs no authorization"


class LocalProvider:
    """A vdir or ``.ics`` calendar and a Maildir: files only, no sign-in, no tokens."""

    name = "local"
    settings_keys = SETTINGS_KEYS
    no_authorization = NO_AUTHORIZATION

    def parse_settings(self, table: Table, name: str, base_dir: Path) -> LocalAccount | None:
        """The account's folders and address (see :func:`parse_local_account`)."""
        return parse_local_account(table, name, base_dir)

    def connect(
        self,
        account: LocalAccount,
        user: UserIdentity,
        tokens: TokenStore,
        message_index: IndexFactory | None,
    ) -> Connection:
        """The calendar files and the Maildir, with the kept index of its headers if given."""
        from interview_outreach.providers.local.calendar import LocalCalendar  # noqa: PLC0415 (see module doc)
        from interview_outreach.providers.local.mailbox import LocalMailbox  # noqa: PLC0415

        calendar = LocalCalendar(account.calendar, user, name=account.name)
        mailbox = LocalMailbox(
            account.address,
            account.maildir,
            drafts=account.drafts,
            sent=account.sent,
            index=message_index(account.name) if message_index is not None else None,
        )
        return Connection(calendar, mailbox)

    def authorize(
        self,
        account: LocalAccount,
        tokens: TokenStore,
        *,
        no_browser: bool,
        browser: bool,
        say: Callable[[str], None],
    ) -> str:
        """Never needed (``no_authorization`` says so): refused with that sentence."""
        raise UserError(f"{account.name}: {NO_AUTHORIZATION}")

    def token_status(self, account: LocalAccount, saved: str | None) -> TokenStatus:
        """Always usable: there are no tokens, and the address is configured."""
        return TokenStatus(authorized=True, address=account.address)


PROVIDER: Provider[LocalAccount] = LocalProvider()
