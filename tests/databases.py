"""A real PostgreSQL database for the tests that must also run there (CI starts one)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

POSTGRES_URL_VARIABLE = "INTERVIEW_OUTREACH_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """An empty PostgreSQL database for one test (CI provides one; elsewhere it may skip)."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_URL_VARIABLE} is not set: CI must test PostgreSQL")
        pytest.skip(f"set {POSTGRES_URL_VARIABLE} to run the storage tests on PostgreSQL")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url
