"""A ``requests`` session under the retry policy, for the sign-in libraries that take one.

MSAL (Microsoft) and google-auth (Google) send their token requests through a transport they
are given. A plain session would let a 429 or 503 from the sign-in service surface as an
error raised inside the library; this one retries 429 and 5xx as the API clients retry,
honouring ``Retry-After`` through the API client's pause function (which tests replace), and
gives up with ``requests.exceptions.RetryError``, which the caller maps to a transient
failure: the policy's attempts are spent, so nothing above it retries again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Self

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class _PausingRetry(Retry):
    """urllib3's retry, waiting through the given pause instead of ``time.sleep``."""

    def __init__(
        self,
        *args: Any,
        pause: Callable[[float], None] | None = None,
        max_wait: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pause = pause
        self.max_wait = max_wait

    def new(self, **kw: Any) -> Self:
        """The next state of the retry (urllib3 makes one per attempt), same pause."""
        retry = super().new(**kw)
        retry.pause, retry.max_wait = self.pause, self.max_wait
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait as the server asked (``Retry-After``), else with exponential backoff."""
        wait = None
        if response is not None and self.respect_retry_after_header:
            wait = self.get_retry_after(response)
        if wait is None:
            wait = self.get_backoff_time()
        if wait > 0 and self.pause is not None:
            self.pause(min(wait, self.max_wait))


def retry_session(
    *,
    attempts: int,
    max_wait: float,
    pause: Callable[[float], None],
    statuses: Collection[int] = RETRIED_STATUSES,
) -> requests.Session:
    """A session whose answers in ``statuses`` are retried (POSTs too: the service refused
    them before acting) up to ``attempts`` requests in all, connection failures retried, a
    read that failed midway never repeated. Waits go through ``pause``, at most ``max_wait``
    seconds each; when the attempts are spent, ``requests.exceptions.RetryError``."""
    retry = _PausingRetry(
        total=attempts - 1,
        connect=2,
        read=0,
        status=attempts - 1,
        allowed_methods=frozenset({"GET", "POST"}),
        status_forcelist=frozenset(statuses),
        backoff_factor=1.0,
        respect_retry_after_header=True,
        raise_on_status=True,
        pause=pause,
        max_wait=max_wait,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
