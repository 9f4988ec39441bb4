"""Opening a Microsoft 365 / Outlook.com account (calendar and mail through Microsoft Graph
and MSAL), and signing it in once."""

from __future__ import annotations

from collections.abc import Callable

import requests

from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.daemon.errors import AuthorizationNeeded, TransientError
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.providers.microsoft.auth import MsalSession
from interview_outreach.providers.microsoft.calendar import GraphCalendar
from interview_outreach.providers.microsoft.graph import GraphHttp
from interview_outreach.providers.microsoft.mail import GraphMailbox
from interview_outreach.providers.microsoft.settings import MicrosoftAccount
from interview_outreach.providers.microsoft.signin_http import sign_in_session
from interview_outreach.providers.provider import Connection


def connect(account: MicrosoftAccount, user: UserIdentity, tokens: TokenStore) -> Connection:
    """Open a Microsoft account from its saved sign-in (``AuthorizationNeeded`` if none);
    closing it closes the connection pools of Graph and of MSAL's sign-in session."""
    sign_in = sign_in_session()
    try:
        msal_session = MsalSession(account, tokens, sign_in)
    except (requests.RequestException, ValueError) as error:
        # MSAL reads the authority's metadata when it starts: the network may be down.
        sign_in.close()
        raise TransientError(
            f"cannot reach the Microsoft sign-in service: {str(error).splitlines()[0][:200]}",
            account.name,
        ) from error
    if not msal_session.app.get_accounts():
        sign_in.close()
        raise AuthorizationNeeded(
            f"not authorized yet; run `interview-outreach auth {account.name}`", account.name
        )
    http = GraphHttp(
        account.name, account.graph_endpoint, msal_session.access_token, requests.Session()
    )
    calendar = GraphCalendar(account.name, http, user)
    mailbox = GraphMailbox(account.name, http, msal_session.address)

    def close() -> None:
        http.close()
        sign_in.close()

    return Connection(calendar, mailbox, close)


def authorize(
    account: MicrosoftAccount, tokens: TokenStore, *, browser: bool, say: Callable[[str], None]
) -> str:
    """Sign in once (device code, or a browser), learn the address, keep the cache in the keyring."""
    session = sign_in_session()
    try:
        msal_session = MsalSession(account, tokens, session)
        result = (
            msal_session.sign_in_with_browser(say)
            if browser
            else msal_session.sign_in_with_device_code(say)
        )
        token = str(result["access_token"])
        http = GraphHttp(account.name, account.graph_endpoint, lambda _force: token, session)
        address = GraphMailbox(account.name, http).address()
        msal_session.save(address)
        return address
    finally:
        session.close()
