"""The one place where requests to Google go out: auth, timeouts, retries, error mapping.

* one ``AuthorizedHttp`` per thread (httplib2 is not thread-safe);
* a timeout on every connection;
* 429, 5xx and 403 rate-limit answers are retried under the retry policy
  (:mod:`providers.retry`: exponential backoff and jitter, honouring ``Retry-After``);
  network faults likewise;
* a revoked or expired grant becomes ``AuthorizationNeeded``;
* token refreshes (google-auth's, before a request whose token expired and after a 401) go
  through a ``requests`` session under the same policy (:meth:`RetryPolicy.session`):
  a busy token endpoint is waited out as asked, and one that stays busy ends the request
  with ``TransientError``;
* refreshed tokens are handed to ``on_refresh`` at once (to be saved in the keyring).
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections.abc import Callable
from typing import Any, Protocol

import google.auth.transport.requests
import google_auth_httplib2
import httplib2
import requests
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from interview_outreach.daemon.errors import AuthorizationNeeded, ProviderError, TransientError
from interview_outreach.providers.retry import Again, RetryPolicy, pause, send_with_retries

TIMEOUT_SECONDS = 30
MAX_ATTEMPTS = 5
MAX_WAIT_SECONDS = 60.0
POLICY = RetryPolicy(attempts=MAX_ATTEMPTS, max_wait=MAX_WAIT_SECONDS)
_RATE_LIMIT_REASONS = {"userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"}
# google-auth retries a token request answered 408 by itself, sleeping for real: the
# session retries it first, so google-auth never sees one.
_TOKEN_RETRY_STATUSES = POLICY.statuses | {408}


class NotFound(ProviderError):
    """Google answered 404 (a draft, message or history id that no longer exists)."""


class Gone(ProviderError):
    """Google answered 410 (a sync token that expired)."""


class Executable(Protocol):
    """A googleapiclient request: ``execute(http=..., num_retries=...)``."""

    def execute(self, http: Any = ..., num_retries: int = ...) -> Any:  # pragma: no cover
        """Send the request."""
        ...


class GoogleHttp:
    """Sends googleapiclient requests for one account; count requests in ``requests_sent``."""

    def __init__(
        self,
        account: str,
        credentials: Credentials,
        on_refresh: Callable[[Credentials], None],
        *,
        sleep: Callable[[float], None] | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.account = account
        self.credentials = credentials
        self.requests_sent = 0
        self._on_refresh = on_refresh
        self._sleep = sleep or pause
        self._jitter = jitter
        self._local = threading.local()
        self._token = credentials.token

    def authorized_http(self) -> google_auth_httplib2.AuthorizedHttp:
        """This thread's authorized connection (created on first use)."""
        http = getattr(self._local, "http", None)
        if http is None:
            session = POLICY.session(
                self._sleep, statuses=_TOKEN_RETRY_STATUSES, jitter=self._jitter
            )
            http = _AuthorizedHttp(self.credentials, new_http(), _TokenRequest(session))
            self._local.http = http
            self._local.session = session
        return http

    def close(self) -> None:
        """Close this thread's connections."""
        http = getattr(self._local, "http", None)
        if http is not None:
            for connection in http.http.connections.values():
                connection.close()
            self._local.http = None
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    def execute(
        self,
        request: Executable,
        before_retry: Callable[[], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any]:
        """Send ``request``; retries what is worth retrying, maps errors to the error tree.

        ``before_retry`` is asked before the request is sent again; when it returns an
        answer, that is the result: a failed create may have been carried out after all
        (its answer lost), and creating twice must not follow.
        """
        return send_with_retries(
            lambda attempt: self._attempt(request, attempt),
            policy=POLICY,
            sleep=self._sleep,
            before_retry=before_retry,
            exhausted=lambda: TransientError(
                "Google kept refusing the request; will try again later", self.account
            ),
        )

    def _attempt(self, request: Executable, attempt: int) -> dict[str, Any] | Again:
        """Send the request once: its answer, ``Again`` after a fault worth retrying, or
        the error it maps to."""
        try:
            self.requests_sent += 1
            result = request.execute(http=self.authorized_http(), num_retries=0)
            self._saw_token()
            return result if isinstance(result, dict) else {}
        except HttpError as error:
            self._saw_token()
            wait = self._retry_wait(error, attempt)
            if wait is None:
                raise self._mapped(error) from error
            return Again(wait)
        except RefreshError as error:
            if getattr(error, "retryable", False):  # google-auth's verdict: busy, not refused
                raise TransientError(_BUSY_SIGN_IN, self.account) from error
            raise AuthorizationNeeded(
                _refresh_message(self.account, error), self.account
            ) from error
        except TransportError as error:
            if isinstance(error.__cause__, requests.exceptions.RetryError):
                # The refresh's session already retried as the policy allows: not again.
                raise TransientError(_BUSY_SIGN_IN, self.account) from error
            if POLICY.is_last(attempt):
                raise TransientError(
                    f"cannot reach Google's sign-in service: {_short(error)}", self.account
                ) from error
            return Again(POLICY.backoff(attempt, self._jitter()))
        except (TimeoutError, httplib2.HttpLib2Error, OSError) as error:
            if POLICY.is_last(attempt):
                raise TransientError(
                    f"cannot reach Google: {_short(error)}", self.account
                ) from error
            return Again(POLICY.backoff(attempt, self._jitter()))

    def _saw_token(self) -> None:
        if self.credentials.token != self._token:
            self._token = self.credentials.token
            self._on_refresh(self.credentials)

    def _retry_wait(self, error: HttpError, attempt: int) -> float | None:
        if not _busy(error) or POLICY.is_last(attempt):
            return None
        return POLICY.wait(attempt, error.resp.get("retry-after"), self._jitter())

    def _mapped(self, error: HttpError) -> ProviderError:
        status = error.resp.status
        text = _message(error)
        if status == 401:
            return AuthorizationNeeded(
                f"Google rejected the saved authorization; run `interview-outreach auth "
                f"{self.account}`",
                self.account,
            )
        if status == 404:
            return NotFound(text, self.account)
        if status == 410:
            return Gone(text, self.account)
        if _busy(error):
            return TransientError(
                f"Google is busy ({status}): {text}",
                self.account,
                POLICY.retry_after(error.resp.get("retry-after")),
            )
        if status == 403:
            return ProviderError(
                f"Google refused access ({text}); run `interview-outreach auth {self.account}` "
                "and grant every permission asked for",
                self.account,
            )
        return ProviderError(f"Google answered {status}: {text}", self.account)


_BUSY_SIGN_IN = "the Google sign-in service stayed busy; the next pass tries again"


class _TokenRequest(google.auth.transport.requests.Request):
    """google-auth's ``requests`` transport with this module's timeout on token requests."""

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: float | None = TIMEOUT_SECONDS,
        **kwargs: Any,
    ) -> Any:
        """Send one request (google-auth gives no timeout of its own: ours applies)."""
        return super().__call__(url, method, body, headers, timeout, **kwargs)


class _AuthorizedHttp(google_auth_httplib2.AuthorizedHttp):  # type: ignore[misc]
    """``AuthorizedHttp`` whose credential refreshes go through ``refresh_request``.

    Upstream refreshes through a bare httplib2 request: a 503 or 429 from the token endpoint
    would be retried inside google-auth with real sleeps and without ``Retry-After``, then
    surface as a ``RefreshError`` that reads like a revoked grant.
    """

    def __init__(
        self,
        credentials: Credentials,
        http: httplib2.Http,
        refresh_request: google.auth.transport.requests.Request,
    ) -> None:
        super().__init__(credentials, http=http)
        # Used for both refreshes: before a request with an expired token, and after a 401.
        self._request = refresh_request


def new_http() -> httplib2.Http:
    """An httplib2 connection with a timeout, trusting ``HTTPLIB2_CA_CERTS`` when set."""
    # httplib2 reads HTTPLIB2_CA_CERTS only when imported; read it now so it can be set later.
    ca_certs = os.environ.get("HTTPLIB2_CA_CERTS") or None
    return httplib2.Http(timeout=TIMEOUT_SECONDS, ca_certs=ca_certs)


def _error_body(error: HttpError) -> dict[str, Any]:
    try:
        body = json.loads(error.content.decode("utf-8", "replace"))
    except (ValueError, AttributeError):
        return {}
    return (
        body.get("error", {})
        if isinstance(body, dict) and isinstance(body.get("error"), dict)
        else {}
    )


def _reasons(error: HttpError) -> set[str]:
    return {
        str(e.get("reason", ""))
        for e in _error_body(error).get("errors", [])
        if isinstance(e, dict)
    }


def _message(error: HttpError) -> str:
    return str(_error_body(error).get("message") or error.resp.reason or "no details")


def _busy(error: HttpError) -> bool:
    """Whether Google's answer means "busy, ask again": a retried status, or a 403 whose
    reason is a rate limit."""
    status = error.resp.status
    return POLICY.retries(status) or bool(status == 403 and _reasons(error) & _RATE_LIMIT_REASONS)


def _refresh_message(account: str, error: RefreshError) -> str:
    reason = (
        "was revoked or has expired" if "invalid_grant" in str(error) else "could not be refreshed"
    )
    return f"the Google authorization {reason}; run `interview-outreach auth {account}`"


def _short(error: BaseException) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__
