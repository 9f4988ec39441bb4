"""The ``[[accounts]]`` entries: the keys every account has, then its provider's own.

Which keys a provider accepts, and how they are read, is the provider's business: it is
looked up by name in :mod:`providers.registry`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from interview_outreach.daemon.config.model import AccountConfig
from interview_outreach.daemon.config.reader import Table, show
from interview_outreach.daemon.config.sections import draft_language
from interview_outreach.providers.registry import PROVIDER_NAMES, provider_named

_COMMON_ACCOUNT_KEYS = ("name", "provider", "language")
_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9_-]+")


def parse_accounts(root: Table, base_dir: Path) -> tuple[AccountConfig, ...]:
    """Every ``[[accounts]]`` entry; at least one, each with a name of its own."""
    tables = root.tables("accounts")
    if tables is None and root.has("accounts"):
        return ()
    if not tables:
        root.problem(
            "accounts",
            "no account configured; add an [[accounts]] section "
            "(config.example.toml shows one for each provider)",
        )
        return ()
    accounts: list[AccountConfig] = []
    first_use: dict[str, int] = {}
    for index, table in enumerate(tables):
        name = _account_name(table)
        if name in first_use:
            table.problem(
                "name",
                f"{show(name)} is already the name of accounts[{first_use[name]}]; "
                "give each account its own name",
            )
        elif name:
            first_use[name] = index
        account = _account(table, name, base_dir)
        if account is not None:
            accounts.append(account)
    return tuple(accounts)


def _account_name(table: Table) -> str:
    name = table.required_text("name", '"personal"')
    if name and not _ACCOUNT_NAME.fullmatch(name):
        table.problem(
            "name",
            f"{show(name)} cannot be typed easily on the command line; use only letters, digits, "
            '"-" and "_", e.g. "work"',
        )
    return name


def _account(table: Table, name: str, base_dir: Path) -> AccountConfig | None:
    chosen = table.choice("provider", PROVIDER_NAMES, "a provider")
    if chosen is None:
        every_key = [key for owner in PROVIDER_NAMES for key in _keys_of(owner)]
        table.check_keys([*_COMMON_ACCOUNT_KEYS, *every_key])
        return None
    provider = provider_named(chosen)
    table.check_keys(
        [*_COMMON_ACCOUNT_KEYS, *provider.settings_keys], lambda key: _belongs_to(key, chosen)
    )
    language = draft_language(table)
    account = provider.parse_settings(table, name, base_dir)
    return account if account is None else replace(account, language=language)


def _belongs_to(key: str, provider: str) -> str | None:
    """Why ``key`` is refused for a ``provider`` account when another provider's accept it."""
    for owner in PROVIDER_NAMES:
        if key in _keys_of(owner):
            return (
                f'unknown key for a "{provider}" account ({key} belongs to "{owner}" '
                f'accounts); remove it, or set provider = "{owner}"'
            )
    return None


def _keys_of(provider: str) -> tuple[str, ...]:
    return provider_named(provider).settings_keys
