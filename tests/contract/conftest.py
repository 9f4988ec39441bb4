"""Fixtures of the provider contract suite: one ``harness`` per provider under test."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from daemon.domain.model import UserIdentity
from tests.contract.harness import HARNESSES, Harness, LocalHarness

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def user() -> UserIdentity:
    """The job seeker: one address, in London (DST starts on 2025-03-30)."""
    return UserIdentity(
        name="Ada Lovelace", addresses=frozenset({"ada@example.org"}), timezone=LONDON
    )


@pytest.fixture(params=list(HARNESSES))
def harness(request: pytest.FixtureRequest, tmp_path: Path, user: UserIdentity) -> Harness:
    """Each provider under test, fresh and empty."""
    return HARNESSES[request.param](tmp_path, user)


@pytest.fixture
def local(tmp_path: Path, user: UserIdentity) -> LocalHarness:
    """The local provider alone, for behaviour only it has (files, flags, folders)."""
    return LocalHarness(tmp_path, user)
