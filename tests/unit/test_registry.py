"""The provider registry: every provider looked up by name offers the same parts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from interview_outreach.daemon.config import AccountConfig, parse_config
from interview_outreach.daemon.errors import ConfigError, UserError
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.providers.google.settings import GoogleAccount
from interview_outreach.providers.local.settings import LocalAccount
from interview_outreach.providers.microsoft.settings import MicrosoftAccount
from interview_outreach.providers.registry import PROVIDER_NAMES, provider_named

ROOT = Path(__file__).resolve().parents[2]
COMMON_KEYS = {"name", "provider", "language"}


@pytest.mark.parametrize("name", PROVIDER_NAMES)
def test_every_registered_provider_has_every_part(name: str) -> None:
    provider = provider_named(name)
    assert provider.name == name
    assert provider.settings_keys
    assert not COMMON_KEYS & set(provider.settings_keys)
    assert provider.no_authorization is None or provider.no_authorization.strip()
    for part in ("parse_settings", "connect", "authorize", "token_status"):
        assert callable(getattr(provider, part)), part


def test_the_providers_keys_are_their_own() -> None:
    # A key refused for one provider is said to belong to the one provider that takes it.
    keys = [key for name in PROVIDER_NAMES for key in provider_named(name).settings_keys]
    assert len(keys) == len(set(keys))


def test_the_registry_lists_google_microsoft_and_local_in_that_order() -> None:
    # The order is the one every message lists them in.
    assert PROVIDER_NAMES == ("google", "microsoft", "local")


def test_an_unknown_provider_name() -> None:
    with pytest.raises(KeyError):
        provider_named("imap")
    data: dict[str, Any] = {
        "profile": {"name": "Ada"},
        "accounts": [{"name": "mail", "provider": "imap", "host": "imap.example.org"}],
    }
    with pytest.raises(ConfigError) as raised:
        parse_config(data, base_dir=Path("/"), env={"TZ": "UTC"})
    assert raised.value.problems == [
        'accounts[0].provider: "imap" is not a provider; use one of "google", "microsoft", "local"',
        'accounts[0].host: unknown key; remove it (the keys allowed here are "name", '
        '"provider", "language", "client_secrets", "calendars", "api_endpoint", "client_id", '
        '"authority", "graph_endpoint", "address", "calendar", "maildir", "drafts", "sent")',
    ]


def test_each_provider_parses_its_own_settings(tmp_path: Path) -> None:
    (tmp_path / "cal").mkdir()
    (tmp_path / "mail").mkdir()
    data: dict[str, Any] = {
        "profile": {"name": "Ada"},
        "accounts": [
            {"name": "g", "provider": "google", "client_secrets": "g.json"},
            {"name": "m", "provider": "microsoft", "client_id": "abc"},
            {
                "name": "l",
                "provider": "local",
                "address": "ada@example.org",
                "calendar": "cal",
                "maildir": "mail",
                "language": "fr",
            },
        ],
    }
    config = parse_config(data, base_dir=tmp_path, env={"TZ": "UTC"})
    google, microsoft, local = config.accounts
    assert isinstance(google, GoogleAccount)
    assert isinstance(microsoft, MicrosoftAccount)
    assert isinstance(local, LocalAccount)
    assert all(isinstance(account, AccountConfig) for account in config.accounts)
    assert [a.provider for a in config.accounts] == ["google", "microsoft", "local"]
    assert local.language == "fr"
    assert [a.configured_address for a in config.accounts] == [None, None, "ada@example.org"]


def test_only_local_accounts_need_no_authorization(tmp_path: Path) -> None:
    local = provider_named("local")
    assert local.no_authorization == "a local account reads files and needs no authorization"
    assert provider_named("google").no_authorization is None
    assert provider_named("microsoft").no_authorization is None
    account = LocalAccount(
        "home", "ada@example.org", tmp_path, tmp_path, tmp_path / "d", tmp_path / "s"
    )
    status = local.token_status(account, None)
    assert (status.authorized, status.address) == (True, "ada@example.org")
    with pytest.raises(UserError):
        local.authorize(account, TokenStore(), no_browser=False, browser=False, say=print)


def test_google_token_status(tmp_path: Path) -> None:
    google = provider_named("google")
    secrets = tmp_path / "client.json"
    account = GoogleAccount("work", client_secrets=secrets)
    for saved in (None, "", "not json", "[1]", json.dumps({"address": "a@b.org"})):
        assert not google.token_status(account, saved).authorized
    assert google.token_status(account, json.dumps({"address": "a@b.org"})).address == "a@b.org"
    saved = json.dumps({"refresh_token": "r", "address": "ada@gmail.com"})
    missing = google.token_status(account, saved)
    assert missing.authorized
    assert missing.problem == f"the OAuth client file {secrets} is missing"
    secrets.write_text("{}")
    status = google.token_status(account, saved)
    assert (status.authorized, status.address, status.problem) == (True, "ada@gmail.com", None)


def test_microsoft_token_status() -> None:
    microsoft = provider_named("microsoft")
    account = MicrosoftAccount("work", client_id="abc")
    assert not microsoft.token_status(account, None).authorized
    empty = json.dumps({"cache": json.dumps({"RefreshToken": {}}), "address": "a@b.org"})
    assert not microsoft.token_status(account, empty).authorized
    saved = json.dumps({"cache": json.dumps({"RefreshToken": {"x": {}}}), "address": "a@b.org"})
    status = microsoft.token_status(account, saved)
    assert (status.authorized, status.address, status.problem) == (True, "a@b.org", None)


def test_looking_up_every_provider_loads_no_client_library() -> None:
    script = (
        "import json, sys\n"
        "from providers.registry import PROVIDER_NAMES, provider_named\n"
        "for name in PROVIDER_NAMES:\n"
        "    provider_named(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    modules = json.loads(done.stdout)
    heavy = ("googleapiclient", "google.auth", "google.oauth2", "httplib2", "msal", "requests")
    assert [m for m in modules if m.startswith(heavy)] == []
    assert "icalendar" not in modules
