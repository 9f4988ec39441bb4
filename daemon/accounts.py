"""Opening the configured accounts through their providers (looked up by name)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from interview_outreach.daemon.config import AccountConfig, Config
from interview_outreach.daemon.context import user_identity
from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.daemon.errors import AuthorizationNeeded, ProviderError, UserError
from interview_outreach.daemon.ports import Account, IndexFactory, Unavailable
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.providers.registry import provider_named

# A provider is imported when an account uses it (providers.registry): the client libraries
# of Google and Microsoft are heavy, and a daemon with only local accounts never loads them
# (tests/unit/test_startup_imports.py).


@dataclass
class OpenedAccounts:
    """The accounts that could be opened, and why the others could not."""

    accounts: list[Account] = field(default_factory=list)
    unavailable: list[Unavailable] = field(default_factory=list)

    def close(self) -> None:
        """Release every opened account's connections."""
        for account in self.accounts:
            account.close()


def open_accounts(
    config: Config,
    tokens: TokenStore | None = None,
    names: Sequence[str] | None = None,
    message_index: IndexFactory | None = None,
) -> OpenedAccounts:
    """Open the providers of the named (default: every) configured account.

    ``message_index`` gives a local account's index of Maildir headers by account name
    (``Store.message_index``); without it each mailbox keeps one in memory. One failure
    never stops the others.
    """
    tokens = tokens or TokenStore()
    user = user_identity(config)
    opened = OpenedAccounts()
    for account in config.accounts:
        if names is not None and account.name not in names:
            continue
        try:
            opened.accounts.append(_open(account, user, tokens, message_index))
        except AuthorizationNeeded as error:
            opened.unavailable.append(
                Unavailable(account.name, account.provider, str(error), needs_auth=True)
            )
        except (ProviderError, UserError) as error:
            message = str(error).removeprefix(f"account {account.name}: ")  # shown per account
            opened.unavailable.append(Unavailable(account.name, account.provider, message))
    return opened


def _open(
    account: AccountConfig,
    user: UserIdentity,
    tokens: TokenStore,
    message_index: IndexFactory | None = None,
) -> Account:
    provider = provider_named(account.provider)
    opened = provider.connect(account, user, tokens, message_index)
    return Account(account.name, account.provider, opened.calendar, opened.mailbox, opened.close)
