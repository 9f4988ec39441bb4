"""The HTTP session MSAL talks to the sign-in service through, under the retry policy.

MSAL's own requests (the authority's metadata, token refreshes) go through the
``http_client`` it is given. A plain session would let a 429 or 503 from the sign-in service
surface as an error raised inside msal; this one (see :mod:`providers.retry_session`) retries
them as Graph's requests are retried, honouring ``Retry-After`` through
:func:`providers.microsoft.graph.pause`, and gives up with a ``requests`` error the caller
maps to a transient failure.
"""

from __future__ import annotations

import requests

from providers.microsoft import graph
from providers.retry_session import retry_session


def sign_in_session() -> requests.Session:
    """A session for MSAL under Graph's retry policy (attempts, longest wait, pause)."""
    return retry_session(
        attempts=graph.MAX_ATTEMPTS,
        max_wait=graph.MAX_WAIT_SECONDS,
        pause=_pause,
    )


def _pause(seconds: float) -> None:
    graph.pause(seconds)  # looked up at each wait, not once: tests replace graph.pause
