"""Opening the configured accounts' providers: the one place providers are chosen."""

from __future__ import annotations

from daemon.config import Config, LocalAccount
from daemon.errors import UserError
from daemon.service import Account, user_identity
from providers.local import LocalCalendar, LocalMailbox


def open_accounts(config: Config) -> list[Account]:
    """Open the providers of every configured account.

    Raises ``UserError`` for accounts whose provider this version cannot open yet.
    """
    identity = user_identity(config)
    accounts: list[Account] = []
    for account in config.accounts:
        if isinstance(account, LocalAccount):
            accounts.append(
                Account(
                    name=account.name,
                    provider="local",
                    calendar=LocalCalendar(account.calendar, identity, name=account.name),
                    mailbox=LocalMailbox(
                        account.address, account.maildir, drafts=account.drafts, sent=account.sent
                    ),
                )
            )
        else:
            raise UserError(
                f"account {account.name!r}: {account.provider} accounts are not supported by "
                "this version yet; use a local account (vdir + Maildir) for now"
            )
    return accounts
