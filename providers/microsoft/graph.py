"""The one place where requests to Microsoft Graph go out.

Every request carries ``Prefer: IdType="ImmutableId"`` (ids survive the move from Drafts
to Sent Items) and ``outlook.timezone="UTC"``; at most four run at once per mailbox;
429 and every 5xx are retried under the retry policy (:mod:`providers.retry`: after
``Retry-After`` when given, else with backoff and jitter), network faults with backoff;
every call has a timeout. A 401 is retried once with a freshly acquired token.
A write may carry ``If-Match`` (the item's ``changeKey`` as a weak ETag): Graph then refuses
it with 412 when the item changed meanwhile (``PreconditionFailed``), so a retried or racing
write never lands on a version it was not meant for.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import requests

from interview_outreach.daemon.errors import AuthorizationNeeded, ProviderError, TransientError
from interview_outreach.providers.retry import Again, RetryPolicy, send_with_retries

# Re-exported: signin_http waits through it, and tests replace this module's pause.
from interview_outreach.providers.retry import pause as pause  # noqa: PLC0414

TIMEOUT = (10, 60)  # connect, read (seconds)
MAX_ATTEMPTS = 5
MAX_WAIT_SECONDS = 120.0
# Graph asks to retry 429, 503 and 504; any other status from 500 on is a fault on its side
# worth a retry too.
POLICY = RetryPolicy(
    attempts=MAX_ATTEMPTS,
    max_wait=MAX_WAIT_SECONDS,
    statuses=frozenset({429, *range(500, 1000)}),
)
MAX_CONCURRENT = 4
PAGE_SIZE = 50
PREFER = ['IdType="ImmutableId"', 'outlook.timezone="UTC"', f"odata.maxpagesize={PAGE_SIZE}"]


class NotFound(ProviderError):
    """Graph answered 404."""


class PreconditionFailed(ProviderError):
    """Graph answered 412: the ``If-Match`` version is no longer the item's."""


class SyncStateGone(ProviderError):
    """A delta link expired (410, or ``syncStateNotFound``): start over."""


class GraphHttp:
    """Sends Graph requests for one mailbox; ``requests_sent`` counts them.

    ``token(force_refresh)`` supplies the access token.
    """

    def __init__(
        self,
        account: str,
        endpoint: str,
        token: Callable[[bool], str],
        session: requests.Session | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.account = account
        self.endpoint = endpoint.rstrip("/")
        self.requests_sent = 0
        self._token = token
        self._cached_token: str | None = None
        self._force_refresh = False
        self._session = session or requests.Session()
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        self._sleep = sleep or pause
        self._jitter = jitter

    def close(self) -> None:
        """Close the connection pool."""
        self._session.close()

    def get(self, path_or_url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET a path under the endpoint, or a full ``@odata.nextLink``/``deltaLink`` URL."""
        return self.request("GET", path_or_url, params=params)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        extra_prefer: tuple[str, ...] = (),
        if_match: str | None = None,
        before_retry: Callable[[], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any]:
        """Send one request with retries; returns the JSON answer (``{}`` when empty).

        ``if_match`` (an ETag such as ``W/"<changeKey>"``) makes the request conditional.
        ``before_retry`` is asked before the request is sent again; when it returns an
        answer, that is the result: a failed ``POST`` may have been carried out after all
        (its answer lost), and creating twice must not follow.
        """
        url = (
            path_or_url
            if path_or_url.startswith("https://") or path_or_url.startswith("http://")
            else self.endpoint + path_or_url
        )
        refreshed = False

        def attempt_once(attempt: int) -> dict[str, Any] | Again:
            nonlocal refreshed
            try:
                response = self._send(method, url, params, json_body, extra_prefer, if_match)
            except requests.RequestException as error:
                if POLICY.is_last(attempt):
                    raise TransientError(
                        f"cannot reach Microsoft Graph: {_short(error)}", self.account
                    ) from error
                return Again(POLICY.backoff(attempt, self._jitter()))
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                self._cached_token = None
                self._force_refresh = True
                return Again()
            if POLICY.retries(status):
                retry_after = response.headers.get("Retry-After")
                if POLICY.is_last(attempt):
                    raise TransientError(
                        f"Microsoft Graph is busy ({status})",
                        self.account,
                        POLICY.retry_after(retry_after),
                    )
                return Again(POLICY.wait(attempt, retry_after, self._jitter()))
            return self._answer(response)

        return send_with_retries(
            attempt_once,
            policy=POLICY,
            sleep=self._sleep,
            before_retry=before_retry,
            exhausted=lambda: TransientError(
                "Microsoft Graph kept refusing the request", self.account
            ),
        )

    def _send(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        json_body: dict[str, Any] | None,
        extra_prefer: tuple[str, ...],
        if_match: str | None = None,
    ) -> requests.Response:
        if self._cached_token is None:
            try:
                self._cached_token = self._token(self._force_refresh)
            except requests.exceptions.RetryError as error:
                # The sign-in session already retried as the policy allows: not again here.
                raise TransientError(
                    "the Microsoft sign-in service stayed busy; the next pass tries again",
                    self.account,
                ) from error
            self._force_refresh = False
        headers = {
            "Authorization": f"Bearer {self._cached_token}",
            "Prefer": ", ".join([*PREFER, *extra_prefer]),
            "Accept": "application/json",
        }
        if if_match is not None:
            headers["If-Match"] = if_match
        with self._slots:
            self.requests_sent += 1
            return self._session.request(
                method, url, params=params, json=json_body, headers=headers, timeout=TIMEOUT
            )

    def _answer(self, response: requests.Response) -> dict[str, Any]:
        status = response.status_code
        if status < 300:
            if not response.content:
                return {}
            data = response.json()
            return data if isinstance(data, dict) else {}
        code, message = _error(response)
        if status == 401:
            raise AuthorizationNeeded(
                f"Microsoft rejected the saved authorization; run `interview-outreach auth {self.account}`",
                self.account,
            )
        if status == 410 or code.lower() in {
            "syncstatenotfound",
            "syncstateinvalid",
            "resyncrequired",
        }:
            raise SyncStateGone(message, self.account)
        if status == 404:
            raise NotFound(message, self.account)
        if status == 412:
            raise PreconditionFailed(message, self.account)
        if status == 403:
            raise ProviderError(
                f"Microsoft refused access ({message}); run `interview-outreach auth {self.account}` "
                "and accept every permission asked for",
                self.account,
            )
        raise ProviderError(f"Microsoft Graph answered {status}: {message}", self.account)


def _error(response: requests.Response) -> tuple[str, str]:
    try:
        error = response.json().get("error", {})
    except ValueError:
        return "", response.reason or str(response.status_code)
    if not isinstance(error, dict):
        return "", str(error)
    return str(error.get("code", "")), str(error.get("message", "") or response.reason)


def _short(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0][:200] if text else type(error).__name__
