"""Which files of a local calendar or Maildir are read at all.

A vdir or a Maildir is a folder anyone with a sync tool or a mail client writes into. Only
regular files are read: a directory, a FIFO or a device there (or a link to one, a link
loop, or a link to anything outside the folder) is passed over, never opened, so it
cannot fail or hang a pass.
"""

from __future__ import annotations

from pathlib import Path

SETTLING_NS = 2_000_000_000
"""A file or folder changed less than this ago may change again within the same tick of a
coarse clock (FAT, HFS+, some network file systems) without its time changing: until then,
an unchanged time does not prove unchanged contents."""


def settled(mtime_ns: int, now_ns: int) -> bool:
    """Whether something last changed at ``mtime_ns`` did so at least ``SETTLING_NS`` before
    ``now_ns`` (both on the file system's clock, nanoseconds)."""
    return now_ns - mtime_ns >= SETTLING_NS


def regular_file(path: Path, inside: Path) -> bool:
    """Whether ``path`` is a regular file, or a link to one within ``inside`` (resolved)."""
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(inside):
            return False
        return path.is_file()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False


class TooLarge(OSError):
    """A file larger than what is read of such a file."""


def read_at_most(path: Path, limit: int) -> bytes:
    """The bytes of ``path``; raises ``TooLarge`` past ``limit`` without reading the rest."""
    with path.open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"larger than {limit // (1024 * 1024)} MiB: not read")
    return data
