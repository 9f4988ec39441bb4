"""A keyring backend kept in one JSON file, so a child process can read the test's tokens.

A test and the ``interview-outreach`` processes it starts share secrets through it: the
test uses ``FileKeyring(path)`` directly (``keyring.set_keyring``), a child process selects
it with the environment::

    PYTHON_KEYRING_BACKEND=tests.fakes.keyring_file.FileKeyring
    INTERVIEW_OUTREACH_TEST_KEYRING=/path/to/keyring.json

Every write replaces the whole file at once (a temporary file renamed over it), so a
process killed while saving a refreshed token leaves the old file or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

PATH_VARIABLE = "INTERVIEW_OUTREACH_TEST_KEYRING"
BACKEND = "tests.fakes.keyring_file.FileKeyring"


class FileKeyring(KeyringBackend):
    """Secrets in a JSON file: ``{service: {username: secret}}``. For tests only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, path: Path | str | None = None) -> None:
        super().__init__()
        where = path if path is not None else os.environ.get(PATH_VARIABLE)
        if not where:
            # A TypeError, as for a backend that needs an argument: keyring's detection of
            # the available backends then passes this one over (it tries every subclass).
            raise TypeError(f"FileKeyring needs a path or ${PATH_VARIABLE}")
        self.path = Path(where)

    @staticmethod
    def environment(path: Path) -> dict[str, str]:
        """The variables that make a child process use the keyring file at ``path``."""
        return {"PYTHON_KEYRING_BACKEND": BACKEND, PATH_VARIABLE: str(path)}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored secret, or ``None``."""
        return self._read().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        data = self._read()
        data.setdefault(service, {})[username] = password
        self._write(data)

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret; raise as real backends do when there is none."""
        data = self._read()
        if data.get(service, {}).pop(username, None) is None:
            raise PasswordDeleteError(username)
        self._write(data)

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): dict(v) for k, v in data.items()}

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".keyring-", dir=self.path.parent)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(data, stream)
        Path(temporary).replace(self.path)
