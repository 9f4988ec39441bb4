"""The HTTP session MSAL talks to the sign-in service through, under the retry policy.

MSAL's own requests (the authority's metadata, token refreshes) go through the
``http_client`` it is given. A plain session would let a 429 or 503 from the sign-in service
surface as an error raised inside msal; this one (:meth:`providers.retry.RetryPolicy.session`)
retries them under Graph's policy, honouring ``Retry-After`` through
:func:`providers.microsoft.graph.pause`, and gives up with a ``requests`` error the caller
maps to a transient failure.
"""

from __future__ import annotations

import requests

from interview_outreach.providers.microsoft import graph
from interview_outreach.providers.retry import RETRIED_STATUSES


def sign_in_session() -> requests.Session:
    """A session for MSAL under Graph's retry policy (attempts, longest wait, pause); the
    sign-in service's busy answers are the common ones, not Graph's every 5xx."""
    return graph.POLICY.session(_pause, statuses=RETRIED_STATUSES)


def _pause(seconds: float) -> None:
    graph.pause(seconds)  # looked up at each wait, not once: tests replace graph.pause
