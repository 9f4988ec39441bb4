"""Fixtures of the provider contract suite: one ``harness`` per provider under test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.model import UserIdentity
from tests.contract import google_harness, microsoft_harness
from tests.contract.google_harness import GoogleHarness
from tests.contract.harness import (
    CAPABILITIES,
    HARNESSES,
    Harness,
    IndexedLocalHarness,
    LocalHarness,
)
from tests.contract.microsoft_harness import MicrosoftHarness

LONDON = ZoneInfo("Europe/London")

REQUIRES = {
    "test_participants_roles_resources_and_responses": "attendee_groups",
    "test_cancelled_events_are_reported_as_cancelled": "listed_cancelled_events",
    "test_thread_headers_are_kept": "any_thread_headers",
}
"""Contract tests that need a capability (``harness.CAPABILITIES``) some providers lack."""


@pytest.fixture(scope="session", autouse=True)
def _shared_fakes() -> Iterator[None]:
    """The Google and the Microsoft harnesses each share one fake server: stop them when
    the session ends."""
    yield
    google_harness.stop_shared_fake()
    microsoft_harness.stop_shared_fake()


@pytest.fixture
def user() -> UserIdentity:
    """The job seeker: one address, in London (DST starts on 2025-03-30)."""
    return UserIdentity(
        name="Ada Lovelace", addresses=frozenset({"ada@example.org"}), timezone=LONDON
    )


@pytest.fixture(params=list(HARNESSES))
def harness(
    request: pytest.FixtureRequest, tmp_path: Path, user: UserIdentity
) -> Iterator[Harness]:
    """Each provider under test, fresh and empty; closed (and checked) after the test."""
    factory = HARNESSES[request.param]
    needed = REQUIRES.get(request.function.__name__)
    if needed is not None:
        assert needed in CAPABILITIES, needed
        lacks: dict[str, str] = getattr(factory, "lacks", {})
        if needed in lacks:  # a provider is held to every capability it gives no reason for
            pytest.skip(f"not applicable to {request.param}: {lacks[needed]}")
    harness = factory(tmp_path, user)
    yield harness
    harness.close()


@pytest.fixture(params=[LocalHarness, IndexedLocalHarness], ids=["memory-index", "store-index"])
def local(
    request: pytest.FixtureRequest, tmp_path: Path, user: UserIdentity
) -> Iterator[LocalHarness]:
    """The local provider alone, for behaviour only it has (files, flags, folders), with
    its index of headers in memory and in a store."""
    harness: LocalHarness = request.param(tmp_path, user)
    yield harness
    harness.close()


@pytest.fixture
def google(tmp_path: Path, user: UserIdentity) -> Iterator[GoogleHarness]:
    """The Google provider alone, for behaviour only it has (sync tokens, history, threads)."""
    harness = GoogleHarness(tmp_path, user)
    yield harness
    harness.close()


@pytest.fixture
def microsoft(tmp_path: Path, user: UserIdentity) -> Iterator[MicrosoftHarness]:
    """The Microsoft provider alone, for behaviour only it has (delta links, conversations,
    immutable ids, createReply)."""
    harness = MicrosoftHarness(tmp_path, user)
    yield harness
    harness.close()
