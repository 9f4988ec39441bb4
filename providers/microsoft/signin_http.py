"""The HTTP session MSAL talks to the sign-in service through, under the retry policy.

MSAL's own requests (the authority's metadata, token refreshes) go through the
``http_client`` it is given. A plain session would let a 429 or 503 from the sign-in service
surface as an error raised inside msal; this one retries them as Graph's requests are retried,
honouring ``Retry-After`` (through :func:`providers.microsoft.graph.pause`, which tests
replace), and gives up with a ``requests`` error the caller maps to a transient failure.
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from providers.microsoft import graph

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class _SignInRetry(Retry):
    """urllib3's retry, waiting through ``graph.pause`` instead of ``time.sleep``."""

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait as the server asked (``Retry-After``), else with exponential backoff."""
        wait = None
        if response is not None and self.respect_retry_after_header:
            wait = self.get_retry_after(response)
        if wait is None:
            wait = self.get_backoff_time()
        if wait > 0:
            graph.pause(min(wait, graph.MAX_WAIT_SECONDS))


def sign_in_session() -> requests.Session:
    """A session for MSAL: 429 and 5xx answers retried (POSTs too: the service refused them
    before acting), connection failures retried, a read that failed midway never repeated."""
    retry = _SignInRetry(
        total=graph.MAX_ATTEMPTS - 1,
        connect=2,
        read=0,
        status=graph.MAX_ATTEMPTS - 1,
        allowed_methods=frozenset({"GET", "POST"}),
        status_forcelist=RETRIED_STATUSES,
        backoff_factor=1.0,
        respect_retry_after_header=True,
        raise_on_status=True,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
