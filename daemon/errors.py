"""The one error tree of interview-outreach.

::

    OutreachError
    ├── UserError            bad input the user can fix; carries one line per problem
    │   └── ConfigError      the configuration file is missing, unreadable or invalid
    ├── ProviderError        a calendar or mailbox could not be used
    │   ├── AuthorizationNeeded   the account must be authorized again (`auth ACCOUNT`)
    │   ├── TransientError        network fault, throttling, server error: retry later
    │   ├── CursorExpired         a sync token / history id / delta link is too old
    │   ├── SourceUnreadable      a local calendar or Maildir cannot be read
    │   └── DraftChanged          a draft is no longer the untouched one we wrote
    ├── StorageError         the database cannot be opened or migrated
    └── LeaseLost            another process took over the account mid-pass

The CLI prints ``str(error)`` (one line per problem) and never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class OutreachError(Exception):
    """Root of every error this program raises on purpose."""


class UserError(OutreachError):
    """Something the user can fix; each problem is one line naming it and the fix."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class ConfigError(UserError):
    """The configuration is missing, unreadable or invalid."""


class ProviderError(OutreachError):
    """A calendar or mailbox provider failed; ``account`` names the account."""

    def __init__(self, message: str, account: str = "") -> None:
        self.account = account
        super().__init__(message)


class AuthorizationNeeded(ProviderError):
    """The account's grant is missing, expired or revoked: run ``auth ACCOUNT``."""


class TransientError(ProviderError):
    """A fault worth retrying later (network, throttling, 5xx)."""

    def __init__(self, message: str, account: str = "", retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, account)


class CursorExpired(ProviderError):
    """An incremental-sync cursor expired; the caller must resynchronise fully."""


class SourceUnreadable(ProviderError):
    """A local calendar or Maildir is missing or cannot be parsed."""


class DraftChanged(ProviderError):
    """The draft to update is no longer the untouched one we wrote: nothing was written."""


class LeaseLost(OutreachError):
    """Another process holds the account now; this one must stop writing to it."""


class StorageError(OutreachError):
    """The database cannot be opened, migrated or written."""
