"""Files only the user can read: every file the product writes is mode 0600, folders 0700.

The umask can only take permission bits away and a folder's default ACL can add some, so
a file is created with mode 0600 and then ``fchmod``-ed to exactly 0600 (which also empties
an inherited ACL's mask); a folder the product creates gets 0700 the same way. Folders that
already exist belong to the user (a Maildir a mail client made 0755) and are left as they
are: what the product writes into them is private whatever the folder's mode.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SHARED_BITS = 0o077
"""Group and other permission bits: what a private file must not have."""


def private_dir(path: Path) -> Path:
    """Create ``path`` and every missing parent as folders of mode 0700; returns ``path``.

    Existing folders keep their mode. Raises ``NotADirectoryError`` when something other
    than a folder is in the way.
    """
    missing: list[Path] = []
    current = path
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            if folder.is_dir():  # another process made it at the same moment
                continue
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(folder)) from None
        folder.chmod(PRIVATE_DIR)
    return path


def write_private(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` as a file of mode 0600, atomically.

    A temporary file in the same folder is written, synced and renamed over ``path``: a
    crash leaves the old file or the new one, never half of one, and no other user can
    read either, not even for a moment. The folder must exist.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            os.fchmod(stream.fileno(), PRIVATE_FILE)
            stream.write(raw)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def create_private(path: Path) -> bool:
    """Create ``path`` as an empty file of mode 0600 unless it exists; whether it was created.

    An existing file is left untouched (see :func:`restrict` for narrowing its mode).
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, PRIVATE_FILE)
    finally:
        os.close(descriptor)
    return True


def restrict(path: Path) -> bool:
    """Remove the group and other permissions of the file at ``path``; whether it had any.

    A missing file, or anything but a regular file, is left alone (``False``). Raises ``PermissionError`` for a file of another
    user that is open to others.
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        return False
    mode = stat.S_IMODE(status.st_mode)
    if not stat.S_ISREG(status.st_mode) or not mode & SHARED_BITS:
        return False
    path.chmod(mode & ~SHARED_BITS)
    return True
