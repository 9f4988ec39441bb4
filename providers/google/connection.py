"""Opening a Google account (Google Calendar and Gmail through google-api-python-client),
and authorizing it once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.providers.google.auth import (
    load_credentials,
    run_consent_flow,
    save_credentials,
    saved_address,
)
from interview_outreach.providers.google.calendar import GoogleCalendar
from interview_outreach.providers.google.gmail import GmailMailbox
from interview_outreach.providers.google.http import GoogleHttp
from interview_outreach.providers.google.settings import GoogleAccount
from interview_outreach.providers.provider import Connection


def build_service(name: str, version: str, http: GoogleHttp, api_endpoint: str | None) -> Any:
    """A client for one Google API, offline (bundled discovery), aimed at ``api_endpoint``."""
    options = {"api_endpoint": api_endpoint.rstrip("/") + "/"} if api_endpoint else None
    return build(
        name,
        version,
        http=http.authorized_http(),
        client_options=options,
        static_discovery=True,
        cache_discovery=False,
    )


def connect(account: GoogleAccount, user: UserIdentity, tokens: TokenStore) -> Connection:
    """Open a Google account from its saved authorization (``AuthorizationNeeded`` if none);
    closing it closes this thread's connections of their shared HTTP chokepoint."""
    credentials = load_credentials(account, tokens)
    address = saved_address(account, tokens)

    def keep(refreshed: Credentials) -> None:
        save_credentials(account, tokens, refreshed, address or "")

    http = GoogleHttp(account.name, credentials, keep)
    service = build_service("calendar", "v3", http, account.api_endpoint)
    calendar = GoogleCalendar(account.name, http, service, account.calendars, user)
    mailbox = GmailMailbox(
        account.name, http, build_service("gmail", "v1", http, account.api_endpoint), address
    )
    return Connection(calendar, mailbox, http.close)


def authorize(
    account: GoogleAccount, tokens: TokenStore, *, open_browser: bool, say: Callable[[str], None]
) -> str:
    """Run the consent flow once, learn the address from Gmail, keep the tokens in the keyring."""
    credentials = run_consent_flow(account, open_browser=open_browser, say=say)
    http = GoogleHttp(account.name, credentials, lambda _: None)
    try:
        gmail = build_service("gmail", "v1", http, account.api_endpoint)
        address = GmailMailbox(account.name, http, gmail).address()
    finally:
        http.close()
    save_credentials(account, tokens, credentials, address)
    return address
