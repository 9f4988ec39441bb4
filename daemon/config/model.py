"""The configuration as the rest of the program sees it: checked, typed, immutable.

An account's settings are an :class:`AccountConfig`; each provider (``providers/<name>/``)
defines its own subclass with the keys it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from interview_outreach.daemon.domain.language import AUTO, Language, highlights_for
from interview_outreach.daemon.domain.rules import Rules
from interview_outreach.daemon.errors import UserError

DEFAULT_POLL_SECONDS = 300


@dataclass(frozen=True)
class Profile:
    """The job seeker: who the drafts are from, in which time zone, with which highlights,
    in which language ("auto": each invitation's own)."""

    name: str
    timezone: ZoneInfo
    highlights: tuple[str, ...] = ()
    signature: str = ""
    language: str = AUTO
    # The highlights written in one draft language, where they differ from ``highlights``.
    translated_highlights: tuple[tuple[Language, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        if not self.signature:
            object.__setattr__(self, "signature", self.name)

    def highlights_in(self, language: Language) -> tuple[str, ...]:
        """The highlights a draft in ``language`` mentions: its own list, else ``highlights``."""
        return highlights_for(language, self.highlights, self.translated_highlights)


@dataclass(frozen=True)
class StorageSettings:
    """Where the state database lives (an SQLAlchemy URL)."""

    url: str


@dataclass(frozen=True)
class DaemonSettings:
    """How the background service runs."""

    poll_seconds: int = DEFAULT_POLL_SECONDS
    notifications: bool = True


@dataclass(frozen=True)
class SecretsSettings:
    """Where account tokens are kept: the OS keyring, or (opted in) an unencrypted file."""

    store: str = "keyring"
    file: Path | None = None  # the token file when ``store == "file"``


@dataclass(frozen=True)
class AccountConfig:
    """One ``[[accounts]]`` entry: what every provider's account settings have in common.

    Each provider subclasses it with its own keys and sets ``provider`` to its name.
    """

    name: str
    provider: str = field(kw_only=True)
    language: str | None = field(default=None, kw_only=True)  # None: the profile's

    @property
    def configured_address(self) -> str | None:
        """The account's address when the configuration names it (else learnt at sign-in)."""
        return None


@dataclass(frozen=True)
class Config:
    """The whole, checked configuration."""

    profile: Profile
    rules: Rules
    storage: StorageSettings
    daemon: DaemonSettings
    accounts: tuple[AccountConfig, ...]
    source: Path | None
    templates_dir: Path
    secrets: SecretsSettings = field(default_factory=SecretsSettings)

    def account(self, name: str) -> AccountConfig:
        """The account called ``name``; a ``UserError`` listing the configured ones otherwise."""
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(f'"{account.name}"' for account in self.accounts)
        where = f" in {self.source}" if self.source else ""
        raise UserError(
            f'unknown account "{name}"; use one of {known}, or add it as [[accounts]]{where}'
        )
