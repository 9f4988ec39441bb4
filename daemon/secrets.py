"""Secrets live in the OS keyring (service ``interview-outreach``, one entry per account).

Nothing else in the program stores a token: not the database, not the config, not a log.
The one exception is the user's explicit choice: with ``[secrets] store = "file"`` in the
configuration, tokens are kept unencrypted in a file only they can read (mode 0600), for
machines where no keyring works (a headless server). It is never chosen silently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from interview_outreach.daemon.errors import UserError
from interview_outreach.daemon.private_files import private_dir, write_private

if TYPE_CHECKING:
    import keyring.errors

    from interview_outreach.daemon.config import Config

# The keyring library is imported by the functions that use it: a daemon whose accounts
# need no token (local accounts only) never loads it.

KEYRING_SERVICE = "interview-outreach"

FILE_STORE_OPTION = (
    "or, on a machine without a keyring, keep tokens unencrypted in a file only you can read: "
    'add [secrets] store = "file" to the configuration (see config.example.toml)'
)

KEYRING_FIX = (
    "install and unlock a Secret Service keyring (GNOME Keyring or KeePassXC), e.g. "
    "`sudo apt install gnome-keyring` and log in to a desktop session; " + FILE_STORE_OPTION
)

_NO_BACKEND = "no working keyring was found to keep the authorization safe: on Linux " + KEYRING_FIX


class SecretBackend(Protocol):
    """Where secrets are kept: the ``keyring`` library's functions have this shape."""

    def get_password(self, service: str, username: str) -> str | None:
        """The secret, or ``None``."""
        ...

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store or replace a secret."""
        ...

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret; ``keyring.errors.PasswordDeleteError`` when there is none."""
        ...


class TokenStore:
    """One entry per account, holding that account's tokens as text.

    By default the OS keyring (whatever ``keyring.get_keyring()`` is at the time of each
    call); a :class:`FileSecrets` only when the configuration opts in.
    """

    def __init__(
        self, service: str = KEYRING_SERVICE, backend: SecretBackend | None = None
    ) -> None:
        self._service = service
        self._backend = backend

    @classmethod
    def for_config(cls, config: Config) -> TokenStore:
        """The token store the configuration chose (``[secrets] store``)."""
        if config.secrets.store == "file" and config.secrets.file is not None:
            return cls(backend=FileSecrets(config.secrets.file))
        return cls()

    def ensure_usable(self) -> None:
        """Raise ``UserError`` saying how to fix it when tokens could not be kept here.

        ``auth`` calls it before the sign-in, not after the user went through it.
        """
        if isinstance(self._backend, FileSecrets):
            folder = self._backend.path.parent
            while not folder.exists() and folder != folder.parent:
                folder = folder.parent
            if not os.access(folder, os.W_OK | os.X_OK):
                raise UserError(
                    f"the token file's folder {folder} is not writable; fix its permissions"
                )
            return
        if self._backend is None:
            problem = keyring_problem()
            if problem is not None:
                raise UserError(
                    f"{problem[0]}, so the authorization could not be kept: {problem[1]}"
                )

    @property
    def file(self) -> Path | None:
        """The token file, when tokens are kept in one (the opted-in file store)."""
        return self._backend.path if isinstance(self._backend, FileSecrets) else None

    def describe(self) -> str:
        """Which backend keeps the tokens, for ``doctor`` (never a secret)."""
        import keyring.errors  # noqa: PLC0415 (see the top of this module)

        if isinstance(self._backend, FileSecrets):
            return f'unencrypted file {self._backend.path} (opted in with [secrets] store = "file")'
        if self._backend is not None:
            return type(self._backend).__name__
        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"

    def get(self, account: str) -> str | None:
        """The stored secret of ``account``, or ``None`` when there is none."""
        import keyring.errors  # noqa: PLC0415 (see the top of this module)

        try:
            return self._get(account)
        except keyring.errors.KeyringError as error:
            raise UserError(f"account {account}: {_explain(error)}") from error
        except OSError as error:
            raise UserError(f"account {account}: {_file_problem(error)}") from error

    def set(self, account: str, secret: str) -> None:
        """Store (or replace) the secret of ``account``."""
        import keyring.errors  # noqa: PLC0415 (see the top of this module)

        try:
            if self._backend is not None:
                self._backend.set_password(self._service, account, secret)
            else:
                keyring.set_password(self._service, account, secret)
        except keyring.errors.KeyringError as error:
            raise UserError(f"account {account}: {_explain(error)}") from error
        except OSError as error:
            raise UserError(f"account {account}: {_file_problem(error)}") from error

    def delete(self, account: str) -> None:
        """Forget the secret of ``account``; forgetting nothing is no error."""
        import keyring.errors  # noqa: PLC0415 (see the top of this module)

        try:
            if self._backend is not None:
                self._backend.delete_password(self._service, account)
            else:
                keyring.delete_password(self._service, account)
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringError as error:
            raise UserError(f"account {account}: {_explain(error)}") from error
        except OSError as error:
            raise UserError(f"account {account}: {_file_problem(error)}") from error

    def _get(self, account: str) -> str | None:
        import keyring.errors  # noqa: PLC0415 (see the top of this module)

        if self._backend is not None:
            return self._backend.get_password(self._service, account)
        return keyring.get_password(self._service, account)


class FileSecrets:
    """Secrets in one JSON file readable by its owner only — unencrypted, by explicit opt-in.

    Missing folders are created with mode 0700 and the file written atomically (a temporary
    file of mode 0600 in the same folder, then renamed over it, whatever the umask), so a
    crash never leaves half a file and no other user can ever read it, not even for a moment.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def get_password(self, service: str, username: str) -> str | None:
        """The secret, or ``None``."""
        value = self._read().get(service, {}).get(username)
        return value if isinstance(value, str) else None

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store or replace a secret."""
        data = self._read()
        data.setdefault(service, {})[username] = password
        self._write(data)

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret; ``PasswordDeleteError`` when there is none."""
        import keyring.errors  # noqa: PLC0415 (see the top of this module)

        data = self._read()
        if data.get(service, {}).pop(username, None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self._write(data)

    def permission_problem(self) -> str | None:
        """Why the file's permissions are unsafe, or ``None`` when only its owner can use it."""
        try:
            mode = self.path.stat().st_mode & 0o777
        except FileNotFoundError:
            return None
        if mode & 0o077:
            return (
                f"{self.path} can be read by other users (mode {mode:04o}); "
                f"run: chmod 600 {self.path}"
            )
        return None

    def _read(self) -> dict[str, dict[str, str]]:
        import keyring.errors  # noqa: PLC0415 (see the top of this module)

        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except ValueError as error:
            raise keyring.errors.KeyringError(
                f"{self.path} is not a token file written by interview-outreach"
            ) from error
        if not isinstance(data, dict):
            raise keyring.errors.KeyringError(
                f"{self.path} is not a token file written by interview-outreach"
            )
        return {str(k): dict(v) for k, v in data.items() if isinstance(v, dict)}

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        private_dir(self.path.parent)
        write_private(self.path, json.dumps(data, indent=1, sort_keys=True))


def keyring_problem() -> tuple[str, str] | None:
    """Why the OS keyring cannot keep tokens and how to fix it; ``None`` when it works.

    Asks for an entry that does not exist, which exercises the backend (and finds a locked
    Secret Service collection) without touching any real entry.
    """
    import keyring.errors  # noqa: PLC0415 (see the top of this module)

    backend = keyring.get_keyring()
    fix = KEYRING_FIX
    try:
        usable = float(backend.priority) > 0
    except Exception:  # a backend whose priority raises is not usable
        usable = False
    if not usable:
        return f"no working keyring was found ({type(backend).__module__})", fix
    try:
        backend.get_password(KEYRING_SERVICE, "interview-outreach-doctor-probe")
    except keyring.errors.KeyringLocked:
        return "the keyring is locked", "unlock it (log in to your desktop session); " + fix
    except Exception as error:  # D-Bus and OS errors surface as anything
        return f"the keyring failed ({type(error).__name__}: {error})", fix
    return None


def _explain(error: keyring.errors.KeyringError) -> str:
    import keyring.errors  # noqa: PLC0415 (see the top of this module)

    if isinstance(error, keyring.errors.NoKeyringError):
        return _NO_BACKEND
    if isinstance(error, keyring.errors.KeyringLocked):
        return (
            "the keyring is locked; unlock it (log in to your desktop session) and try again, "
            + FILE_STORE_OPTION
        )
    if str(error).endswith("written by interview-outreach"):
        return f"{error}; move it away and run `interview-outreach auth` again"
    return f"the keyring failed ({type(error).__name__}); {_NO_BACKEND}"


def _file_problem(error: OSError) -> str:
    where = f" {error.filename}" if error.filename else ""
    return f"the token file{where} cannot be used ({error.strerror or error}); check its folder and permissions"
