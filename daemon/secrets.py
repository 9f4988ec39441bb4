"""Secrets live in the OS keyring only (service ``interview-outreach``, one entry per account).

Nothing else in the program stores a token: not the database, not the config, not a log.
"""

from __future__ import annotations

import keyring
import keyring.errors

from daemon.errors import UserError

KEYRING_SERVICE = "interview-outreach"

_NO_BACKEND = (
    "no working keyring was found to keep the authorization safe: on Linux install and "
    "unlock a Secret Service keyring (GNOME Keyring or KeePassXC), e.g. "
    "`sudo apt install gnome-keyring` and log in to a desktop session"
)


class TokenStore:
    """One keyring entry per account, holding that account's tokens as text."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self._service = service

    def get(self, account: str) -> str | None:
        """The stored secret of ``account``, or ``None`` when there is none."""
        try:
            return keyring.get_password(self._service, account)
        except keyring.errors.KeyringError as error:
            raise UserError(f"account {account}: {_explain(error)}") from error

    def set(self, account: str, secret: str) -> None:
        """Store (or replace) the secret of ``account``."""
        try:
            keyring.set_password(self._service, account, secret)
        except keyring.errors.KeyringError as error:
            raise UserError(f"account {account}: {_explain(error)}") from error

    def delete(self, account: str) -> None:
        """Forget the secret of ``account``; forgetting nothing is no error."""
        try:
            keyring.delete_password(self._service, account)
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringError as error:
            raise UserError(f"account {account}: {_explain(error)}") from error


def _explain(error: keyring.errors.KeyringError) -> str:
    if isinstance(error, keyring.errors.NoKeyringError):
        return _NO_BACKEND
    if isinstance(error, keyring.errors.KeyringLocked):
        return "the keyring is locked; unlock it (log in to your desktop session) and try again"
    return f"the keyring failed ({type(error).__name__}); {_NO_BACKEND}"
