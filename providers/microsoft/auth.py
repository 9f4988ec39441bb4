"""Microsoft sign-in with MSAL: device code (default) or browser, once; silent afterwards.

MSAL's token cache is kept in the keyring and saved whenever it changed: Microsoft rotates
refresh tokens, so a refresh that is not saved loses the grant.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from interview_outreach.daemon.errors import AuthorizationNeeded, ProviderError
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.providers.microsoft.settings import MicrosoftAccount
from interview_outreach.providers.microsoft.signin_http import sign_in_session
from interview_outreach.providers.provider import recorded_address, saved_entry

# MSAL adds openid, profile and offline_access itself (and refuses them if passed).
SCOPES = ["Mail.ReadWrite", "Calendars.Read", "User.Read"]
_MICROSOFT_HOSTS = {
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
    "login.microsoftonline.de",
    "login.windows.net",
}
# MSAL's cache of public HTTP answers (the authority's discovery documents, for a day),
# shared by every account of the process: one discovery per process, not per account and
# pass. It holds no tokens (MSAL caches only discovery GETs and OAuth 400 errors here).
_DISCOVERY_CACHE: dict[Any, Any] = {}


class MsalSession:
    """One account's MSAL application with its keyring-backed token cache."""

    def __init__(
        self, account: MicrosoftAccount, tokens: TokenStore, http: requests.Session | None = None
    ) -> None:
        self.account = account
        self._tokens = tokens
        self._entry = _load(account, tokens)
        self.cache = msal.SerializableTokenCache()
        if self._entry.get("cache"):
            self.cache.deserialize(str(self._entry["cache"]))
        self.app = msal.PublicClientApplication(
            account.client_id,
            authority=account.authority,
            token_cache=self.cache,
            http_client=http or sign_in_session(),
            # Only Microsoft's own clouds know instance discovery; a proxy or test authority does not.
            instance_discovery=urlsplit(account.authority).hostname in _MICROSOFT_HOSTS,
            http_cache=_DISCOVERY_CACHE,
        )

    @property
    def address(self) -> str | None:
        """The account's address as recorded at authorization."""
        return recorded_address(self._entry)

    def access_token(self, force_refresh: bool = False) -> str:
        """A valid access token, refreshed silently; ``AuthorizationNeeded`` when that fails.

        ``force_refresh`` after Graph rejected a token: MSAL would otherwise hand back the
        cached one until five minutes before its stated expiry.
        """
        accounts = self.app.get_accounts()
        result = (
            self.app.acquire_token_silent_with_error(
                SCOPES, account=accounts[0], force_refresh=force_refresh
            )
            if accounts
            else None
        )
        self.save()
        if not result or "access_token" not in result:
            error = (result or {}).get("error", "")
            why = "was revoked or has expired" if error else "is missing"
            raise AuthorizationNeeded(
                f"the Microsoft authorization {why}; run `interview-outreach auth {self.account.name}`",
                self.account.name,
            )
        return str(result["access_token"])

    def save(self, address: str | None = None) -> None:
        """Write the cache to the keyring if it changed (or the address is new)."""
        if address:
            self._entry["address"] = address
        if self.cache.has_state_changed or address:
            self._entry["cache"] = self.cache.serialize()
            self._tokens.set(self.account.name, json.dumps(self._entry))
            self.cache.has_state_changed = False

    def sign_in_with_device_code(self, say: Callable[[str], None]) -> dict[str, Any]:
        """The device code flow: show the code and the address, wait for the user."""
        flow = self.app.initiate_device_flow(scopes=SCOPES)
        if "user_code" not in flow:
            raise ProviderError(
                f"Microsoft did not start the sign-in: {flow.get('error_description') or flow.get('error')}",
                self.account.name,
            )
        say(str(flow["message"]))
        return self._checked(self.app.acquire_token_by_device_flow(flow))

    def sign_in_with_browser(self, say: Callable[[str], None]) -> dict[str, Any]:
        """The interactive flow with a loopback redirect on a free port."""
        say("A browser window will open to sign in to Microsoft.")
        return self._checked(self.app.acquire_token_interactive(SCOPES, prompt="select_account"))

    def _checked(self, result: dict[str, Any]) -> dict[str, Any]:
        if "access_token" not in result:
            reason = result.get("error_description") or result.get("error") or "no details"
            raise ProviderError(
                f"Microsoft sign-in failed: {str(reason).splitlines()[0]}", self.account.name
            )
        granted = {s.rsplit("/", 1)[-1].lower() for s in str(result.get("scope", "")).split()}
        missing = [s for s in SCOPES if s.lower() not in granted] if granted else []
        if missing:
            raise ProviderError(
                f"not every permission was granted (missing {', '.join(missing)}); run `auth` again",
                self.account.name,
            )
        self.save()
        return result


def _load(account: MicrosoftAccount, tokens: TokenStore) -> dict[str, Any]:
    return saved_entry(tokens.get(account.name))
