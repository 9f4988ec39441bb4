"""Opening the configured accounts' providers: the one place providers are chosen."""

from __future__ import annotations

from dataclasses import dataclass, field

from daemon.config import AccountConfig, Config, LocalAccount
from daemon.errors import ProviderError
from daemon.service import Account, Unavailable, user_identity
from providers.local import LocalCalendar, LocalMailbox


@dataclass
class OpenedAccounts:
    """The accounts that could be opened, and why the others could not."""

    accounts: list[Account] = field(default_factory=list)
    unavailable: list[Unavailable] = field(default_factory=list)


def open_accounts(config: Config) -> OpenedAccounts:
    """Open the providers of every configured account; one failure never stops the others."""
    opened = OpenedAccounts()
    for account in config.accounts:
        try:
            opened.accounts.append(_open(account, config))
        except ProviderError as error:
            opened.unavailable.append(Unavailable(account.name, account.provider, str(error)))
    return opened


def _open(account: AccountConfig, config: Config) -> Account:
    if not isinstance(account, LocalAccount):
        raise ProviderError(
            f"{account.provider} accounts are not supported by this version yet; "
            "use a local account (vdir + Maildir) for now",
            account.name,
        )
    return Account(
        name=account.name,
        provider="local",
        calendar=LocalCalendar(account.calendar, user_identity(config), name=account.name),
        mailbox=LocalMailbox(
            account.address, account.maildir, drafts=account.drafts, sent=account.sent
        ),
    )
