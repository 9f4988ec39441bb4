"""Tokens through ``daemon.secrets.TokenStore`` on the real Secret Service backend.

CI (``.ci/run``) runs the suite inside ``dbus-run-session`` with an unlocked
``gnome-keyring-daemon``: there this test must run, never skip. On a developer's machine it
runs when a Secret Service answers (using a service name of its own, removed at the end)
and is skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import SecretService

from interview_outreach.daemon.secrets import TokenStore, keyring_problem


@pytest.fixture
def secret_service() -> Iterator[SecretService.Keyring]:
    backend = SecretService.Keyring()
    try:
        usable = float(backend.priority) > 0
        reason = "" if usable else "the Secret Service backend says it is unusable"
    except Exception as error:  # keyring reports an unavailable backend this way
        usable, reason = False, f"{type(error).__name__}: {error}"
    if not usable:
        if os.environ.get("CI"):
            pytest.fail(f"no Secret Service in CI ({reason}); .ci/run starts gnome-keyring-daemon")
        pytest.skip(f"no Secret Service here ({reason})")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_a_token_is_stored_read_replaced_and_deleted_in_the_secret_service(
    secret_service: SecretService.Keyring,
) -> None:
    service = f"interview-outreach-test-{uuid.uuid4().hex}"
    tokens = TokenStore(service)  # the default path: whatever keyring.get_keyring() is
    secret = '{"refresh_token": "1//test-refresh", "address": "ada@example.org"}'
    try:
        assert tokens.get("personal") is None
        tokens.set("personal", secret)
        assert tokens.get("personal") == secret
        # Really in the Secret Service, not in this process: ask it from outside.
        tool = shutil.which("secret-tool")
        if tool is not None:
            looked_up = subprocess.run(
                [tool, "lookup", "service", service, "username", "personal"],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            assert looked_up.stdout == secret, looked_up.stderr
        elif os.environ.get("CI"):
            pytest.fail("secret-tool is missing: .ci/run installs libsecret-tools")
        tokens.set("personal", secret.replace("1//test-refresh", "1//rotated"))
        assert "1//rotated" in (tokens.get("personal") or "")
    finally:
        tokens.delete("personal")
    assert tokens.get("personal") is None
    tokens.delete("personal")  # forgetting nothing is no error


def test_doctor_finds_the_secret_service_usable(secret_service: SecretService.Keyring) -> None:
    assert keyring_problem() is None
    assert "SecretService" in TokenStore().describe()
