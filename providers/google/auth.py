"""Authorizing a Google account once, and the saved credentials that come of it.

The client secrets file (from the Google Cloud console) is the user's; the tokens the
flow returns go to the keyring as JSON together with the account's address, and are saved
again after every refresh.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow

from interview_outreach.daemon.errors import AuthorizationNeeded, ProviderError, UserError
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.providers.google.settings import GoogleAccount
from interview_outreach.providers.provider import recorded_address, saved_entry

SCOPES = (
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/calendar.readonly",
)


@dataclass(frozen=True)
class ClientSecrets:
    """The parts of an installed-app client secrets file the program uses."""

    client_id: str
    client_secret: str
    token_uri: str


def load_client_secrets(account: GoogleAccount) -> ClientSecrets:
    """Read the account's client secrets file, or say in one line what is wrong with it."""
    path = account.client_secrets
    fix = "download the OAuth client (Desktop app) JSON from the Google Cloud console"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise UserError(f"account {account.name}: {path} does not exist; {fix}") from error
    except (OSError, ValueError) as error:
        raise UserError(
            f"account {account.name}: {path} is not a readable JSON file; {fix}"
        ) from error
    section: Any = (data.get("installed") or data.get("web")) if isinstance(data, dict) else None
    try:
        return ClientSecrets(
            client_id=str(section["client_id"]),
            client_secret=str(section["client_secret"]),
            token_uri=str(section["token_uri"]),
        )
    except (KeyError, TypeError) as error:
        raise UserError(
            f"account {account.name}: {path} is not an OAuth client secrets file; {fix}"
        ) from error


def saved_address(account: GoogleAccount, tokens: TokenStore) -> str | None:
    """The address recorded when the account was authorized, without asking Google."""
    return recorded_address(_entry(account, tokens))


def load_credentials(account: GoogleAccount, tokens: TokenStore) -> Credentials:
    """The saved credentials; ``AuthorizationNeeded`` when the account was never authorized."""
    entry = _entry(account, tokens)
    if not entry or not entry.get("refresh_token"):
        raise AuthorizationNeeded(
            f"not authorized yet; run `interview-outreach auth {account.name}`", account.name
        )
    secrets = load_client_secrets(account)
    expiry = entry.get("expiry")
    return Credentials(
        token=entry.get("token"),
        refresh_token=entry["refresh_token"],
        # Built by hand: from_authorized_user_info would replace token_uri with Google's own.
        token_uri=secrets.token_uri,
        client_id=secrets.client_id,
        client_secret=secrets.client_secret,
        scopes=list(SCOPES),
        expiry=datetime.fromisoformat(expiry).replace(tzinfo=None) if expiry else None,
    )


def save_credentials(
    account: GoogleAccount, tokens: TokenStore, credentials: Credentials, address: str
) -> None:
    """Store the credentials' tokens (never the client secret) with the account's address."""
    expiry = credentials.expiry.replace(tzinfo=UTC).isoformat() if credentials.expiry else None
    entry = {
        "token": credentials.token,
        "refresh_token": credentials.refresh_token,
        "expiry": expiry,
        "address": address,
    }
    tokens.set(account.name, json.dumps(entry))


def run_consent_flow(
    account: GoogleAccount, *, open_browser: bool, say: Callable[[str], None]
) -> Credentials:
    """Google's installed-app flow with a loopback redirect on a free port."""
    load_client_secrets(account)  # one clear line if the file is missing or wrong
    flow = InstalledAppFlow.from_client_secrets_file(
        str(account.client_secrets), scopes=list(SCOPES)
    )
    prompt = (
        "Your browser will open to let interview-outreach read your calendar and mail and "
        "write drafts (it never sends). If it does not open, visit:\n{url}"
        if open_browser
        else "Open this address in a browser to authorize interview-outreach, then come back "
        "here:\n{url}"
    )
    try:
        credentials = flow.run_local_server(
            host="localhost",
            port=0,
            open_browser=open_browser,
            authorization_prompt_message=prompt,
            success_message="interview-outreach is authorized. You can close this window.",
        )
    except Exception as error:  # oauthlib raises many types; the user needs one line
        raise ProviderError(f"authorization failed: {_first_line(error)}", account.name) from error
    finally:
        session = getattr(flow, "oauth2session", None)
        if session is not None:
            session.close()
    if not isinstance(credentials, Credentials) or not credentials.refresh_token:
        raise ProviderError("Google returned no refresh token; run `auth` again", account.name)
    missing = sorted(set(SCOPES) - set(credentials.granted_scopes or credentials.scopes or ()))
    if missing:
        raise ProviderError(
            "not every permission was granted (missing "
            + ", ".join(s.rsplit("/", 1)[1] for s in missing)
            + "); run `auth` again and tick every box",
            account.name,
        )
    say("Authorized with Google.")
    return credentials


def _entry(account: GoogleAccount, tokens: TokenStore) -> dict[str, Any]:
    return saved_entry(tokens.get(account.name))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
