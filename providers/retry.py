"""The retry policy every request to a provider goes out under, written once.

* which answers are worth sending again (429 and the busy 5xx, as each provider says);
* how long to wait: the ``Retry-After`` the service asked for, else exponential backoff
  with jitter, never longer than the policy's longest wait;
* how many attempts in all;
* waits go through a ``pause`` function the caller injects (tests replace it; nothing else
  in the program sleeps).

The API clients (:mod:`providers.google.http`, :mod:`providers.microsoft.graph`) drive their
requests with :func:`send_with_retries`; the sign-in libraries (google-auth, MSAL) send their
token requests through :meth:`RetryPolicy.session`, a ``requests`` session under the same
policy that gives up with ``requests.exceptions.RetryError``, which the caller maps to a
transient failure: the policy's attempts are spent, so nothing above it retries again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

T = TypeVar("T")

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


def pause(seconds: float) -> None:
    """Wait between retries (tests replace this; nothing else in the program sleeps)."""
    time.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one provider's requests are sent again."""

    attempts: int
    """Requests in all, the first one included."""
    max_wait: float
    """The longest single wait, in seconds (a longer ``Retry-After`` is cut to it)."""
    statuses: frozenset[int] = RETRIED_STATUSES
    """Answers that mean "busy, ask again" rather than "no"."""

    def retries(self, status: int) -> bool:
        """Whether an answer with ``status`` is worth sending again."""
        return status in self.statuses

    def is_last(self, attempt: int) -> bool:
        """Whether ``attempt`` (counted from 1) is the last one the policy allows."""
        return attempt >= self.attempts

    def backoff(self, attempt: int, jitter: float) -> float:
        """The wait after failed attempt ``attempt``: 1, 2, 4 … seconds plus ``jitter``."""
        return min(self.max_wait, 2.0 ** (attempt - 1) + jitter)

    def retry_after(self, value: str | None) -> float | None:
        """A ``Retry-After`` header in seconds, cut to the longest wait; None when absent or
        unreadable."""
        try:
            return min(self.max_wait, max(0.0, float(value))) if value is not None else None
        except ValueError:
            return None

    def wait(self, attempt: int, retry_after: str | None, jitter: float) -> float:
        """The wait before the next attempt: as the service asked, else the backoff."""
        asked = self.retry_after(retry_after)
        return asked if asked is not None else self.backoff(attempt, jitter)

    def session(
        self,
        pause: Callable[[float], None],
        *,
        statuses: frozenset[int] | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> requests.Session:
        """A ``requests`` session for a sign-in library, under this policy.

        Answers in ``statuses`` (the policy's by default) are retried (POSTs too: the
        service refused them before acting) up to ``attempts`` requests in all, connection
        failures retried, a read that failed midway never repeated. Waits go through
        ``pause``; when the attempts are spent, ``requests.exceptions.RetryError``.
        """
        retried = self.statuses if statuses is None else statuses
        retry = _PolicyRetry(
            total=self.attempts - 1,
            connect=2,
            read=0,
            status=self.attempts - 1,
            allowed_methods=frozenset({"GET", "POST"}),
            status_forcelist=retried,
            respect_retry_after_header=True,
            raise_on_status=True,
            policy=self,
            pause=pause,
            jitter=jitter,
        )
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session


@dataclass(frozen=True)
class Again:
    """An attempt's verdict: send the request again after ``wait`` seconds (None: at once)."""

    wait: float | None = None


def send_with_retries(
    attempt_once: Callable[[int], T | Again],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    before_retry: Callable[[], T | None] | None,
    exhausted: Callable[[], Exception],
) -> T:
    """Run ``attempt_once(attempt)`` until it returns an answer, at most ``policy.attempts``
    times; it returns :class:`Again` to be run again, or raises to give up.

    ``before_retry`` is asked before the request is sent again; when it returns an answer,
    that is the result: a failed create may have been carried out after all (its answer
    lost), and creating twice must not follow. When every attempt asked for another,
    ``exhausted()`` is raised.
    """
    for attempt in range(1, policy.attempts + 1):
        if attempt > 1 and before_retry is not None:
            done = before_retry()
            if done is not None:
                return done
        outcome = attempt_once(attempt)
        if not isinstance(outcome, Again):
            return outcome
        if outcome.wait is not None:
            sleep(outcome.wait)
    raise exhausted()


class _PolicyRetry(Retry):
    """urllib3's retry, waiting as a :class:`RetryPolicy` says, through its pause function."""

    def __init__(
        self,
        *args: Any,
        policy: RetryPolicy,
        pause: Callable[[float], None],
        jitter: Callable[[], float],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.policy, self.pause, self.jitter = policy, pause, jitter

    def new(self, **kw: Any) -> Self:
        """The next state of the retry (urllib3 makes one per attempt), same policy."""
        return super().new(policy=self.policy, pause=self.pause, jitter=self.jitter, **kw)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait as the server asked (``Retry-After``), else with the policy's backoff."""
        asked = response.headers.get("Retry-After") if response is not None else None
        self.pause(self.policy.wait(len(self.history), asked, self.jitter()))
