"""The one retry policy: waits, attempts, and the loop every provider request goes through."""

from __future__ import annotations

import pytest

from interview_outreach.providers.retry import Again, RetryPolicy, send_with_retries

POLICY = RetryPolicy(attempts=4, max_wait=10.0)


def test_the_wait_is_the_retry_after_asked_for_else_the_backoff() -> None:
    assert POLICY.wait(1, "7", 0.5) == 7.0
    assert POLICY.wait(1, None, 0.5) == 1.5
    assert POLICY.wait(3, "soon", 0.0) == 4.0  # unreadable: the backoff
    assert POLICY.wait(1, "-3", 0.0) == 0.0
    assert POLICY.wait(1, "3600", 0.0) == 10.0  # never longer than the longest wait
    assert POLICY.backoff(9, 0.0) == 10.0


def test_busy_statuses_and_the_last_attempt() -> None:
    assert POLICY.retries(429) and POLICY.retries(503) and not POLICY.retries(404)
    assert not POLICY.is_last(3) and POLICY.is_last(4)


def test_retries_until_an_answer_waiting_as_each_attempt_says() -> None:
    slept: list[float] = []
    outcomes: list[str | Again] = [Again(2.0), Again(), "done"]
    answer = send_with_retries(
        lambda attempt: outcomes[attempt - 1],
        policy=POLICY,
        sleep=slept.append,
        before_retry=None,
        exhausted=lambda: AssertionError("not spent"),
    )
    assert answer == "done"
    assert slept == [2.0]  # Again() sends again at once


def test_a_retry_first_asks_whether_the_request_was_carried_out_after_all() -> None:
    sent: list[int] = []

    def attempt_once(attempt: int) -> str | Again:
        sent.append(attempt)
        return Again(1.0)

    answer = send_with_retries(
        attempt_once,
        policy=POLICY,
        sleep=lambda _seconds: None,
        before_retry=lambda: "found",
        exhausted=lambda: AssertionError("not spent"),
    )
    assert answer == "found" and sent == [1]


def test_when_every_attempt_asks_for_another_the_policy_gives_up() -> None:
    sent: list[int] = []

    def attempt_once(attempt: int) -> str | Again:
        sent.append(attempt)
        return Again(1.0)

    with pytest.raises(TimeoutError):
        send_with_retries(
            attempt_once,
            policy=POLICY,
            sleep=lambda _seconds: None,
            before_retry=None,
            exhausted=lambda: TimeoutError("spent"),
        )
    assert sent == [1, 2, 3, 4]
